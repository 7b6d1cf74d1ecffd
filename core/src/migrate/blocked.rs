//! The planner's blocked edges, kept as sets. A lock-down held back on a large cluster blocks
//! millions of edges, so they are stored as the planner finds them: per held-back step, per change
//! set (one service port, one state after, its clients in workload order), with what the set's
//! edges share stored once. Of their remedies only the DestinationRule to fix varies by client,
//! as an index into a few stored rules; injecting or accepting a client is read from the client.
//! The named `Blocker`s are built only when a full list is asked for (JSON, `--all`, the
//! bindings). Counts, blocking clients and the remedy set read the sets.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::classes::ClassTable;
use crate::evidence::{EdgeEvidence, Evidence, EvidenceSet};
use crate::mesh::Mesh;
use crate::migrate::diff::EdgeState;
use crate::migrate::plan::{Blocker, Remedy};
use crate::migrate::remedy::{RuleFix, client_remedies, keep_permissive, service_port};
use crate::model::{Workload, WorkloadId};
use crate::outcome::Reason;

mod cover;

/// No index in this slot.
const NONE: u32 = u32::MAX;

/// The clients a held-back step would break alike on one service port, as the planner hands
/// them over.
pub(crate) struct BrokenClients {
    /// The column in the planner's class tables (steps keep the columns).
    pub column: u32,
    pub after: EdgeState,
    /// The evidence of every edge of the set (read from its response before the step)…
    pub evidence: EvidenceSet,
    /// …but these clients', which adds declared or observed edges: (client, its evidence), in
    /// client order.
    pub sparse: Vec<(u32, EvidenceSet)>,
    /// Workload indices (the planner's steps keep the workloads), in order.
    pub clients: Vec<u32>,
}

impl BrokenClients {
    fn evidence_at(&self, at: usize) -> EvidenceSet {
        let Some(&client) = self.clients.get(at) else {
            return self.evidence;
        };
        match self.sparse.binary_search_by_key(&client, |&(w, _)| w) {
            Ok(i) => self.sparse.get(i).map_or(self.evidence, |&(_, e)| e),
            Err(_) => self.evidence,
        }
    }
}

/// A set with the step it holds back and its remedies.
struct HeldSet {
    step: u32,
    broken: BrokenClients,
    /// `None`: the step offers no remedies (not a lock-down).
    remedies: Option<SetRemedies>,
}

struct SetRemedies {
    /// Keeping the service port PERMISSIVE (index into `Blocked::remedies`), when it can be.
    keep: Option<u32>,
    /// Per client (as `BrokenClients::clients`): the rule to fix (index into `Blocked::rules`) or
    /// `NONE`; empty when no client has one.
    fixes: Vec<u32>,
}

impl SetRemedies {
    fn fix_at(&self, at: usize) -> Option<u32> {
        self.fixes.get(at).copied().filter(|&f| f != NONE)
    }
}

/// An observed plaintext sender into a service that the model alone would not hold back.
struct ObservedHeld {
    /// Index into the mesh's workloads, then into `Blocked::senders`.
    client: u32,
    port: u32,
    step: u32,
    remedy: u32,
}

/// What the planner recorded, in order: a step's sets, or one observed sender.
enum Entry {
    Sets(std::ops::Range<usize>),
    Observed(usize),
}

/// One blocked edge: a client of a set, or an observed sender.
#[derive(Debug, Clone, Copy)]
enum Edge {
    InSet { set: usize, at: usize },
    Observed(usize),
}

/// Every blocker of a plan, in the order the planner found them: step by step, a step's edges by
/// client, then by service port.
pub(crate) struct Blocked<'m> {
    clients: &'m [Workload],
    /// Clients that are not workloads of the mesh (observed senders), after `clients`.
    senders: Vec<WorkloadId>,
    /// The class table's columns (`fqdn:port`), then the services of observed senders.
    ports: Vec<String>,
    port_index: HashMap<String, u32>,
    /// Per column: its rank in `fqdn:port` order.
    port_rank: Vec<u32>,
    steps: Vec<String>,
    remedies: Vec<Remedy>,
    remedy_index: HashMap<Remedy, u32>,
    rules: Vec<RuleFix>,
    rule_index: HashMap<RuleFix, u32>,
    sets: Vec<HeldSet>,
    observed: Vec<ObservedHeld>,
    entries: Vec<Entry>,
    len: usize,
    by_evidence: BTreeMap<Evidence, usize>,
    /// Declared and observed edges, for each blocker's evidence in words.
    evidence: &'m EdgeEvidence,
    /// Plaintext observed from senders the model does not hold, by (client, port).
    observed_amounts: HashMap<(u32, u32), f64>,
}

impl<'m> Blocked<'m> {
    pub(crate) fn new(mesh: &'m Mesh, table: &ClassTable, evidence: &'m EdgeEvidence) -> Self {
        let ports: Vec<String> = table.columns.iter().map(|c| c.to.clone()).collect();
        let port_index = ports.iter().zip(0..).map(|(p, i)| (p.clone(), i)).collect();
        let mut by_port: Vec<(usize, &str)> = ports.iter().map(String::as_str).enumerate().collect();
        by_port.sort_by(|a, b| a.1.cmp(b.1));
        let mut port_rank = vec![0; by_port.len()];
        for (rank, (c, _)) in by_port.iter().enumerate() {
            if let Some(r) = port_rank.get_mut(*c) {
                *r = rank as u32;
            }
        }
        Self {
            clients: mesh.workloads(),
            senders: Vec::new(),
            ports,
            port_index,
            port_rank,
            steps: Vec::new(),
            remedies: Vec::new(),
            remedy_index: HashMap::new(),
            rules: Vec::new(),
            rule_index: HashMap::new(),
            sets: Vec::new(),
            observed: Vec::new(),
            entries: Vec::new(),
            len: 0,
            by_evidence: BTreeMap::new(),
            evidence,
            observed_amounts: HashMap::new(),
        }
    }

    /// The rank of `column` in `fqdn:port` order: edges are ordered by client, then by it.
    pub(crate) fn rank(&self, column: u32) -> u32 {
        self.port_rank.get(column as usize).copied().unwrap_or(u32::MAX)
    }

    /// The index of a held-back step's name.
    pub(crate) fn step(&mut self, name: &str) -> u32 {
        match self.steps.iter().rposition(|s| s == name) {
            Some(i) => i as u32,
            None => {
                self.steps.push(name.to_owned());
                (self.steps.len() - 1) as u32
            }
        }
    }

    /// The index of a remedy, stored once however many edges it serves.
    pub(crate) fn remedy(&mut self, remedy: Remedy) -> u32 {
        if let Some(&i) = self.remedy_index.get(&remedy) {
            return i;
        }
        let i = self.remedies.len() as u32;
        self.remedies.push(remedy.clone());
        self.remedy_index.insert(remedy, i);
        i
    }

    fn rule(&mut self, rule: RuleFix) -> u32 {
        if let Some(&i) = self.rule_index.get(&rule) {
            return i;
        }
        let i = self.rules.len() as u32;
        self.rules.push(rule.clone());
        self.rule_index.insert(rule, i);
        i
    }

    /// The clients one step would break. `remedies`: the mesh before the step and its class
    /// table, when the step offers remedies (lock-downs).
    pub(crate) fn push_step(&mut self, step: u32, broken: Vec<BrokenClients>, remedies: Option<(&Mesh, &ClassTable)>) {
        let start = self.sets.len();
        // Per step (the mesh is fixed): each port's PERMISSIVE remedy, each client group's rule.
        let mut keeps: HashMap<u32, Option<u32>> = HashMap::new();
        let mut rules: HashMap<(u32, u32), u32> = HashMap::new();
        for broken in broken.into_iter().filter(|b| !b.clients.is_empty()) {
            self.len += broken.clients.len();
            let plain = broken.clients.len() - broken.sparse.len();
            for (kind, n) in broken
                .sparse
                .iter()
                .map(|&(_, e)| (e.strongest(), 1))
                .chain([(broken.evidence.strongest(), plain)])
            {
                if let Some(kind) = kind
                    && n > 0
                {
                    *self.by_evidence.entry(kind).or_default() += n;
                }
            }
            let remedies =
                remedies.map(|(mesh, table)| self.set_remedies(mesh, table, &broken, &mut keeps, &mut rules));
            self.sets.push(HeldSet { step, broken, remedies });
        }
        if self.sets.len() > start {
            self.entries.push(Entry::Sets(start..self.sets.len()));
        }
    }

    fn set_remedies(
        &mut self,
        mesh: &Mesh,
        table: &ClassTable,
        broken: &BrokenClients,
        keeps: &mut HashMap<u32, Option<u32>>,
        rules: &mut HashMap<(u32, u32), u32>,
    ) -> SetRemedies {
        let to = self.ports.get(broken.column as usize).cloned().unwrap_or_default();
        let keep = match keeps.get(&broken.column) {
            Some(&keep) => keep,
            None => {
                let keep = keep_permissive(mesh, &to).map(|r| self.remedy(r));
                keeps.insert(broken.column, keep);
                keep
            }
        };
        let mut fixes = Vec::new();
        if broken.after.response.reason == Reason::PlaintextToStrict
            && let Some((service, _)) = service_port(mesh, &to)
        {
            // The rule that decides depends on the client's namespace and labels only: alike
            // within a client group of the class table.
            for &w in &broken.clients {
                let group = table.group_of(w as usize).map(|g| (g, broken.column));
                let fix = match (group.and_then(|key| rules.get(&key)), mesh.workloads().get(w as usize)) {
                    (Some(&fix), _) => fix,
                    (None, Some(client)) => {
                        let fix = RuleFix::of(mesh, client, service, broken.after).map_or(NONE, |r| self.rule(r));
                        if let Some(key) = group {
                            rules.insert(key, fix);
                        }
                        fix
                    }
                    (None, None) => NONE,
                };
                fixes.push(fix);
            }
            if fixes.iter().all(|&f| f == NONE) {
                fixes = Vec::new();
            }
        }
        SetRemedies { keep, fixes }
    }

    /// An observed plaintext sender into `to` (`amount`: what was observed), which the model
    /// alone would not hold back.
    pub(crate) fn push_observed(&mut self, from: &WorkloadId, to: &str, amount: f64, step: u32, remedy: u32) {
        let client = match self.clients.binary_search_by(|w| w.id.cmp(from)) {
            Ok(i) => i,
            Err(_) => match self.senders.iter().position(|s| s == from) {
                Some(i) => self.clients.len() + i,
                None => {
                    self.senders.push(from.clone());
                    self.clients.len() + self.senders.len() - 1
                }
            },
        } as u32;
        let port = match self.port_index.get(to) {
            Some(&p) => p,
            None => {
                let p = self.ports.len() as u32;
                self.ports.push(to.to_owned());
                self.port_index.insert(to.to_owned(), p);
                p
            }
        };
        *self.observed_amounts.entry((client, port)).or_default() += amount;
        *self.by_evidence.entry(Evidence::Observed).or_default() += 1;
        self.len += 1;
        self.entries.push(Entry::Observed(self.observed.len()));
        self.observed.push(ObservedHeld {
            client,
            port,
            step,
            remedy,
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn client(&self, i: u32) -> Option<&WorkloadId> {
        let i = i as usize;
        match self.clients.get(i) {
            Some(w) => Some(&w.id),
            None => self.senders.get(i - self.clients.len()),
        }
    }

    fn port(&self, i: u32) -> &str {
        self.ports.get(i as usize).map_or("", String::as_str)
    }

    fn step_name(&self, i: u32) -> &str {
        self.steps.get(i as usize).map_or("", String::as_str)
    }

    /// Calls `visit` on every blocked edge in order until it returns false.
    fn visit_in_order(&self, mut visit: impl FnMut(Edge) -> bool) {
        for entry in &self.entries {
            match entry {
                Entry::Observed(i) => {
                    if !visit(Edge::Observed(*i)) {
                        return;
                    }
                }
                Entry::Sets(range) => {
                    // Each set is in client order; a step's sets interleave by client.
                    let mut edges: Vec<(u32, u32, usize, usize)> = Vec::new();
                    for (set, held) in self.sets.iter().enumerate().take(range.end).skip(range.start) {
                        let rank = self.rank(held.broken.column);
                        edges.extend(
                            held.broken
                                .clients
                                .iter()
                                .enumerate()
                                .map(|(at, &w)| (w, rank, set, at)),
                        );
                    }
                    if range.len() > 1 {
                        edges.sort_unstable_by_key(|&(w, rank, _, _)| (w, rank));
                    }
                    for (_, _, set, at) in edges {
                        if !visit(Edge::InSet { set, at }) {
                            return;
                        }
                    }
                }
            }
        }
    }

    fn evidence_of(&self, edge: Edge) -> EvidenceSet {
        match edge {
            Edge::InSet { set, at } => self
                .sets
                .get(set)
                .map_or(EvidenceSet::EMPTY, |s| s.broken.evidence_at(at)),
            Edge::Observed(_) => EvidenceSet::EMPTY.with(Evidence::Observed),
        }
    }

    /// The held-back steps' names, sorted, each once.
    pub(crate) fn held_back(&self) -> Vec<String> {
        let mut any = vec![false; self.steps.len()];
        let steps = self
            .sets
            .iter()
            .map(|s| s.step)
            .chain(self.observed.iter().map(|o| o.step));
        for step in steps {
            if let Some(a) = any.get_mut(step as usize) {
                *a = true;
            }
        }
        let held: BTreeSet<&str> = self
            .steps
            .iter()
            .zip(any)
            .filter(|(_, a)| *a)
            .map(|(s, _)| s.as_str())
            .collect();
        held.into_iter().map(str::to_owned).collect()
    }

    /// Every blocking client with each step it holds back, once per step it was recorded for.
    pub(crate) fn client_steps(&self) -> Vec<(&WorkloadId, &str)> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.clients.len() + self.senders.len()];
        for entry in &self.entries {
            let held: Vec<(u32, u32)> = match entry {
                Entry::Observed(i) => self.observed.get(*i).map(|o| (o.client, o.step)).into_iter().collect(),
                Entry::Sets(range) => self
                    .sets
                    .get(range.clone())
                    .unwrap_or_default()
                    .iter()
                    .flat_map(|s| s.broken.clients.iter().map(|&w| (w, s.step)))
                    .collect(),
            };
            for &(client, step) in &held {
                if let Some(s) = seen.get_mut(client as usize)
                    && !*s
                {
                    *s = true;
                    out.extend(self.client(client).map(|id| (id, self.step_name(step))));
                }
            }
            for &(client, _) in &held {
                if let Some(s) = seen.get_mut(client as usize) {
                    *s = false;
                }
            }
        }
        out
    }

    /// How many blocked edges have each strongest evidence (`observed`, `declared`, `possible`).
    pub(crate) fn by_evidence(&self) -> BTreeMap<Evidence, usize> {
        self.by_evidence.clone()
    }

    /// Up to `n` named blockers with the strongest evidence (observed, then declared, then
    /// possible), without naming every blocker.
    pub(crate) fn strongest(&self, n: usize) -> Vec<Blocker> {
        let kinds = [Evidence::Observed, Evidence::Declared, Evidence::Possible];
        let mut first: [Vec<Edge>; 3] = Default::default();
        self.visit_in_order(|edge| {
            let strongest = self.evidence_of(edge).strongest();
            if let Some(list) = kinds
                .iter()
                .position(|&k| Some(k) == strongest)
                .and_then(|k| first.get_mut(k))
                && list.len() < n
            {
                list.push(edge);
            }
            first.iter().any(|list| list.len() < n)
        });
        let picked: Vec<Edge> = first.into_iter().flatten().take(n).collect();
        picked.into_iter().filter_map(|e| self.named(e)).collect()
    }

    /// The named blockers: the strongest evidence first (observed, declared, possible), then in
    /// the order they were found.
    pub(crate) fn blockers(&self) -> Vec<Blocker> {
        let mut edges: Vec<(Option<Evidence>, Edge)> = Vec::with_capacity(self.len);
        self.visit_in_order(|edge| {
            edges.push((self.evidence_of(edge).strongest(), edge));
            true
        });
        edges.sort_by_key(|&(kind, _)| kind);
        edges.into_iter().filter_map(|(_, e)| self.named(e)).collect()
    }

    fn named(&self, edge: Edge) -> Option<Blocker> {
        let evidence = self.evidence_of(edge);
        match edge {
            Edge::Observed(i) => {
                let o = self.observed.get(i)?;
                let client = self.client(o.client)?;
                let service = self.port(o.port);
                let evidence_text = match self.observed_amounts.get(&(o.client, o.port)) {
                    Some(amount) => format!("observed {} requests in plaintext", crate::evidence::amount(*amount)),
                    None => self.evidence.text(client, service, evidence),
                };
                Some(Blocker {
                    client: client.clone(),
                    service: service.to_owned(),
                    would_get: "observed plaintext".to_owned(),
                    reason: Reason::PlaintextToStrict,
                    step: self.step_name(o.step).to_owned(),
                    remedies: self.remedies.get(o.remedy as usize).cloned().into_iter().collect(),
                    evidence,
                    evidence_text,
                })
            }
            Edge::InSet { set, at } => {
                let held = self.sets.get(set)?;
                let w = *held.broken.clients.get(at)?;
                let client = self.clients.get(w as usize)?;
                let service = self.port(held.broken.column);
                Some(Blocker {
                    client: client.id.clone(),
                    service: service.to_owned(),
                    would_get: held.broken.after.response.status.to_string(),
                    reason: held.broken.after.response.reason,
                    step: self.step_name(held.step).to_owned(),
                    remedies: self.remedies_of(held, at, client),
                    evidence,
                    evidence_text: self.evidence.text(&client.id, service, evidence),
                })
            }
        }
    }

    /// A set's edge's remedies, most targeted first: inject the client, fix the DestinationRule
    /// that decides, keep the port PERMISSIVE, accept the break.
    fn remedies_of(&self, held: &HeldSet, at: usize, client: &Workload) -> Vec<Remedy> {
        let Some(remedies) = &held.remedies else {
            return Vec::new();
        };
        let (inject, allow) = client_remedies(client);
        let fqdn = fqdn_of(self.port(held.broken.column));
        let fix = remedies
            .fix_at(at)
            .and_then(|f| self.rules.get(f as usize))
            .map(|rule| rule.remedy(&client.id, fqdn));
        let keep = remedies.keep.and_then(|k| self.remedies.get(k as usize)).cloned();
        inject.into_iter().chain(fix).chain(keep).chain([allow]).collect()
    }
}

/// The `fqdn` of `fqdn:port`.
fn fqdn_of(to: &str) -> &str {
    to.rsplit_once(':').map_or(to, |(host, _)| host)
}
