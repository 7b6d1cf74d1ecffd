//! The planner's blocked edges, kept compact. A lock-down held back on a large cluster blocks
//! millions of edges, so each is a few indices into the plan's stores (clients, service ports,
//! held-back steps, remedies); the named `Blocker`s are built only when a full list is asked for
//! (JSON, `--all`, the bindings). Counts, blocking clients and the remedy set read the compact form.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::classes::ClassTable;
use crate::evidence::{EdgeEvidence, Evidence, EvidenceSet};
use crate::mesh::Mesh;
use crate::migrate::diff::EdgeState;
use crate::migrate::group::{clients_text, namespace_sizes, services_text};
use crate::migrate::plan::{Blocker, Remedy, RemedyChoice, RemedyKind};
use crate::model::{Workload, WorkloadId};
use crate::outcome::Reason;

/// No remedy in this slot of `Held::remedies`.
const NONE: u32 = u32::MAX;

/// A blocked edge: the client (index into the planned mesh's workloads, which the planner's
/// policy-only steps never change, then into `Blocked::senders`), the service port and the
/// held-back step (indices into `Blocked`'s stores), what the client would get, and its remedies,
/// most targeted first.
#[derive(Debug, Clone, Copy)]
struct Held {
    client: u32,
    port: u32,
    step: u32,
    after: Option<EdgeState>,
    /// An observed plaintext sender rather than an edge of the model.
    observed: bool,
    evidence: EvidenceSet,
    remedies: [u32; 4],
}

/// Every blocker of a plan, in the order the planner found them.
pub(crate) struct Blocked<'m> {
    clients: &'m [Workload],
    /// Clients that are not workloads of the mesh (observed senders), after `clients`.
    senders: Vec<WorkloadId>,
    ports: Vec<String>,
    port_index: HashMap<String, u32>,
    steps: Vec<String>,
    remedies: Vec<Remedy>,
    remedy_index: HashMap<Remedy, u32>,
    edges: Vec<Held>,
    /// Declared and observed edges, for each blocker's evidence in words.
    evidence: &'m EdgeEvidence,
    /// Plaintext observed from senders the model does not hold, by (client, port).
    observed_amounts: HashMap<(u32, u32), f64>,
}

impl<'m> Blocked<'m> {
    pub(crate) fn new(mesh: &'m Mesh, table: &ClassTable, evidence: &'m EdgeEvidence) -> Self {
        let ports: Vec<String> = table.columns.iter().map(|c| c.to.clone()).collect();
        let port_index = ports.iter().zip(0..).map(|(p, i)| (p.clone(), i)).collect();
        Self {
            clients: mesh.workloads(),
            senders: Vec::new(),
            ports,
            port_index,
            steps: Vec::new(),
            remedies: Vec::new(),
            remedy_index: HashMap::new(),
            edges: Vec::new(),
            evidence,
            observed_amounts: HashMap::new(),
        }
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

    /// A blocked edge from the mesh's workload `client` to the initial table's column `column`
    /// (the planner's steps keep both): no lookup by name.
    pub(crate) fn push_index(
        &mut self,
        client: u32,
        column: u32,
        after: Option<EdgeState>,
        evidence: EvidenceSet,
        step: u32,
        remedies: &[u32],
    ) {
        let mut slots = [NONE; 4];
        for (slot, &r) in slots.iter_mut().zip(remedies) {
            *slot = r;
        }
        self.edges.push(Held {
            client,
            port: column,
            step,
            after,
            observed: false,
            evidence,
            remedies: slots,
        });
    }

    /// An observed plaintext sender into `to` (`amount`: what was observed), which the model
    /// alone would not hold back.
    pub(crate) fn push_observed(&mut self, from: &WorkloadId, to: &str, amount: f64, step: u32, remedies: &[u32]) {
        let evidence = EvidenceSet::EMPTY.with(Evidence::Observed);
        self.add(from, to, None, true, evidence, step, remedies);
        if let Some(h) = self.edges.last() {
            *self.observed_amounts.entry((h.client, h.port)).or_default() += amount;
        }
    }

    #[allow(clippy::too_many_arguments, reason = "one blocked edge's fields")]
    fn add(
        &mut self,
        from: &WorkloadId,
        to: &str,
        after: Option<EdgeState>,
        observed: bool,
        evidence: EvidenceSet,
        step: u32,
        remedies: &[u32],
    ) {
        let client = match self.clients.binary_search_by(|w| w.id.cmp(from)) {
            Ok(i) => i,
            Err(_) => match self.senders.iter().position(|s| s == from) {
                Some(i) => self.clients.len() + i,
                None => {
                    self.senders.push(from.clone());
                    self.clients.len() + self.senders.len() - 1
                }
            },
        };
        let port = match self.port_index.get(to) {
            Some(&p) => p,
            None => {
                let p = self.ports.len() as u32;
                self.ports.push(to.to_owned());
                self.port_index.insert(to.to_owned(), p);
                p
            }
        };
        let mut slots = [NONE; 4];
        for (slot, &r) in slots.iter_mut().zip(remedies) {
            *slot = r;
        }
        self.edges.push(Held {
            client: client as u32,
            port,
            step,
            after,
            observed,
            evidence,
            remedies: slots,
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.edges.len()
    }

    fn client(&self, h: &Held) -> Option<&WorkloadId> {
        let i = h.client as usize;
        match self.clients.get(i) {
            Some(w) => Some(&w.id),
            None => self.senders.get(i - self.clients.len()),
        }
    }

    fn port(&self, h: &Held) -> &str {
        self.ports.get(h.port as usize).map_or("", String::as_str)
    }

    fn step_name(&self, h: &Held) -> &str {
        self.steps.get(h.step as usize).map_or("", String::as_str)
    }

    fn remedies_of<'s>(&'s self, h: &'s Held) -> impl Iterator<Item = (u32, &'s Remedy)> + 's {
        h.remedies
            .iter()
            .filter_map(|&r| self.remedies.get(r as usize).map(|remedy| (r, remedy)))
    }

    /// The held-back steps' names, sorted, each once.
    pub(crate) fn held_back(&self) -> Vec<String> {
        let mut any = vec![false; self.steps.len()];
        for h in &self.edges {
            if let Some(a) = any.get_mut(h.step as usize) {
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

    /// Every blocker as (client, held-back step), in order.
    pub(crate) fn client_steps(&self) -> impl Iterator<Item = (&WorkloadId, &str)> {
        self.edges
            .iter()
            .filter_map(|h| Some((self.client(h)?, self.step_name(h))))
    }

    /// How many blocked edges have each strongest evidence (`observed`, `declared`, `possible`).
    pub(crate) fn by_evidence(&self) -> BTreeMap<Evidence, usize> {
        let mut out = BTreeMap::new();
        for h in &self.edges {
            if let Some(kind) = h.evidence.strongest() {
                *out.entry(kind).or_default() += 1;
            }
        }
        out
    }

    /// Up to `n` named blockers with the strongest evidence (observed, then declared, then
    /// possible), without naming every blocker.
    pub(crate) fn strongest(&self, n: usize) -> Vec<Blocker> {
        let mut picked: Vec<&Held> = Vec::new();
        for kind in [Evidence::Observed, Evidence::Declared, Evidence::Possible] {
            picked.extend(
                self.edges
                    .iter()
                    .filter(|h| h.evidence.strongest() == Some(kind))
                    .take(n - picked.len().min(n)),
            );
        }
        picked.into_iter().filter_map(|h| self.named(h)).collect()
    }

    /// The named blockers: the strongest evidence first (observed, declared, possible), then in
    /// the order they were found.
    pub(crate) fn blockers(&self) -> Vec<Blocker> {
        let mut edges: Vec<&Held> = self.edges.iter().collect();
        edges.sort_by_key(|h| h.evidence.strongest());
        edges.into_iter().filter_map(|h| self.named(h)).collect()
    }

    fn named(&self, h: &Held) -> Option<Blocker> {
        let (would_get, reason) = if h.observed {
            ("observed plaintext".to_owned(), Reason::PlaintextToStrict)
        } else {
            (
                h.after.map(|a| a.status.to_string()).unwrap_or_default(),
                h.after.map_or(Reason::NoEndpoints, |a| a.reason),
            )
        };
        let client = self.client(h)?;
        let service = self.port(h);
        let evidence_text = match self.observed_amounts.get(&(h.client, h.port)) {
            Some(amount) if h.observed => {
                format!("observed {} requests in plaintext", crate::evidence::amount(*amount))
            }
            _ => self.evidence.text(client, service, h.evidence),
        };
        Some(Blocker {
            client: client.clone(),
            service: service.to_owned(),
            would_get,
            reason,
            step: self.step_name(h).to_owned(),
            remedies: self.remedies_of(h).map(|(_, r)| r.clone()).collect(),
            evidence: h.evidence,
            evidence_text,
        })
    }

    /// The smallest set of remedies found that releases the held-back lock-downs: a greedy set
    /// cover over the blocked edges (each pick deals with the most edges left). Gains are kept up
    /// to date as edges are dealt with, so each pick costs the candidates plus the edges it covers.
    pub(crate) fn remedy_set(&self, mesh: &Mesh, lock_downs: usize) -> Vec<RemedyChoice> {
        // Candidates by (kind, target), in key order; the first edge's remedy stands for its
        // candidate. `candidate_of`: per stored remedy, its candidate (`NONE`: accepting a break,
        // which is no remedy to choose).
        let mut by_key: BTreeMap<(u8, &str), u32> = BTreeMap::new();
        // Each stored remedy counts at its first edge (millions of edges share a few thousand).
        let mut seen = vec![false; self.remedies.len()];
        for h in &self.edges {
            for (r, remedy) in self.remedies_of(h) {
                if seen.get(r as usize).copied().unwrap_or(true) {
                    continue;
                }
                if let Some(s) = seen.get_mut(r as usize) {
                    *s = true;
                }
                if let Some(key) = candidate_key(remedy) {
                    by_key.entry(key).or_insert(r);
                }
            }
        }
        let keys: HashMap<(u8, &str), u32> = by_key.keys().copied().zip(0..).collect();
        let candidate_of: Vec<u32> = self
            .remedies
            .iter()
            .map(|remedy| {
                candidate_key(remedy)
                    .and_then(|key| keys.get(&key).copied())
                    .unwrap_or(NONE)
            })
            .collect();
        let representatives: Vec<u32> = by_key.into_values().collect();
        let candidates_of = |h: &Held| candidates(*h, &candidate_of);
        // Per candidate, the edges it deals with (a few per edge in all).
        let mut edges_of: Vec<Vec<u32>> = vec![Vec::new(); representatives.len()];
        let mut open = vec![0usize; self.steps.len()];
        for (i, h) in self.edges.iter().enumerate() {
            for c in candidates_of(h) {
                if let Some(list) = edges_of.get_mut(c as usize) {
                    list.push(i as u32);
                }
            }
            if let Some(n) = open.get_mut(h.step as usize) {
                *n += 1;
            }
        }
        let mut gain: Vec<usize> = edges_of.iter().map(Vec::len).collect();
        let mut done = vec![false; self.edges.len()];
        let mut released = 0;
        let mut out = Vec::new();
        loop {
            // The largest gain; among equals the first candidate in key order.
            let mut best: Option<usize> = None;
            for (c, &g) in gain.iter().enumerate() {
                if g > 0 && best.is_none_or(|b| g > gain.get(b).copied().unwrap_or(0)) {
                    best = Some(c);
                }
            }
            let Some((c, remedy)) = best.and_then(|c| {
                let r = *representatives.get(c)?;
                Some((c, self.remedies.get(r as usize)?))
            }) else {
                break;
            };
            let taken = gain.get(c).copied().unwrap_or(0);
            let mut clients: BTreeSet<&WorkloadId> = BTreeSet::new();
            let mut ports: BTreeSet<&str> = BTreeSet::new();
            for (i, h) in edges_of
                .get(c)
                .into_iter()
                .flatten()
                .filter_map(|&i| Some((i as usize, self.edges.get(i as usize)?)))
            {
                clients.extend(self.client(h));
                ports.insert(self.port(h));
                if done.get(i).copied().unwrap_or(true) {
                    continue;
                }
                if let Some(d) = done.get_mut(i) {
                    *d = true;
                }
                for other in candidates_of(h) {
                    if let Some(g) = gain.get_mut(other as usize) {
                        *g = g.saturating_sub(1);
                    }
                }
                if let Some(left) = open.get_mut(h.step as usize) {
                    *left -= 1;
                    if *left == 0 {
                        released += 1;
                    }
                }
            }
            out.push(choice(mesh, &clients, &ports, remedy.clone(), taken, released));
            if released == lock_downs {
                break;
            }
        }
        out
    }
}

/// The candidates of the remedy set that deal with a blocked edge.
fn candidates(h: Held, candidate_of: &[u32]) -> impl Iterator<Item = u32> + '_ {
    h.remedies
        .into_iter()
        .filter_map(|r| candidate_of.get(r as usize).copied())
        .filter(|&c| c != NONE)
}

/// A remedy's candidate in the remedy set: injection first, then rules, then ports kept
/// PERMISSIVE (the order breaks ties), by target. Accepting a break is no remedy to choose.
fn candidate_key(remedy: &Remedy) -> Option<(u8, &str)> {
    let rank = match remedy.kind {
        RemedyKind::AllowBreak => return None,
        RemedyKind::InjectClient => 0,
        RemedyKind::FixDestinationRule => 1,
        RemedyKind::KeepPermissive => 2,
    };
    Some((rank, remedy.target.as_str()))
}

/// A chosen remedy, said at the scale it acts on, with the alternatives for its edges.
fn choice(
    mesh: &Mesh,
    clients: &BTreeSet<&WorkloadId>,
    ports: &BTreeSet<&str>,
    remedy: Remedy,
    gain: usize,
    released: usize,
) -> RemedyChoice {
    let sizes = namespace_sizes(mesh);
    let (description, action) = match remedy.kind {
        RemedyKind::InjectClient => {
            let ns = &remedy.target;
            let whole = mesh
                .workloads()
                .iter()
                .filter(|w| &w.id.namespace == ns)
                .all(|w| !w.sidecar.present);
            let n = clients.len();
            let plural = if n == 1 { "" } else { "s" };
            if whole {
                (
                    format!(
                        "label namespace {ns} ({n} client{plural}) and restart its workloads: they get sidecars and send mTLS"
                    ),
                    Some(format!(
                        "kubectl label namespace {ns} istio-injection=enabled && kubectl rollout restart deployment -n {ns}"
                    )),
                )
            } else {
                let names: Vec<&str> = clients.iter().map(|c| c.name.as_str()).collect();
                (
                    format!("inject the {n} sidecar-less client{plural} in {ns}: they then send mTLS"),
                    Some(format!(
                        "kubectl label namespace {ns} istio-injection=enabled --overwrite && kubectl rollout restart deployment {} -n {ns}",
                        names.join(" ")
                    )),
                )
            }
        }
        _ => (remedy.description.clone(), remedy.action.clone()),
    };
    let mut alternatives = Vec::new();
    if remedy.kind != RemedyKind::KeepPermissive {
        let what = if ports.len() == 1 {
            services_text(ports)
        } else {
            format!("the {} ports", ports.len())
        };
        alternatives.push(format!("keep {what} PERMISSIVE"));
    }
    let who = if clients.len() <= 2 {
        clients_text(&clients.iter().copied().collect::<Vec<_>>(), &sizes)
    } else {
        format!("the {} clients", clients.len())
    };
    alternatives.push(format!("accept the breaks (`--allow-break` {who})"));
    RemedyChoice {
        kind: remedy.kind,
        target: remedy.target,
        description,
        action,
        edges: gain,
        released,
        alternatives,
    }
}
