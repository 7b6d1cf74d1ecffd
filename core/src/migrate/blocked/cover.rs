//! The remedy set: a greedy set cover over the blocked edges, read from the blocked sets. Edges
//! alike for the cover (one step, the same candidate remedies) are counted together.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Blocked, Entry, NONE, SetRemedies, fqdn_of};
use crate::classes::{ones, set_bit};
use crate::mesh::Mesh;
use crate::migrate::group::{clients_text, namespace_sizes, services_text};
use crate::migrate::plan::{Remedy, RemedyChoice, RemedyKind};
use crate::migrate::remedy::{client_remedies, injectable};
use crate::model::WorkloadId;

impl Blocked<'_> {
    /// The smallest set of remedies found that releases the held-back lock-downs: a greedy set
    /// cover over the blocked edges (each pick deals with the most edges left). Edges alike for
    /// the cover (same step, same candidates) are counted together; gains are kept up to date as
    /// they are dealt with.
    pub(crate) fn remedy_set(&self, mesh: &Mesh, lock_downs: usize) -> Vec<RemedyChoice> {
        let candidates = Candidates::of(self);
        let cover = Cover::of(self, &candidates);
        let mut gain = cover.gains(candidates.len());
        let mut open = cover.open.clone();
        let mut done = vec![false; cover.groups.len()];
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
            let Some((c, remedy)) = best.and_then(|c| Some((c, candidates.representatives.get(c)?))) else {
                break;
            };
            let taken = gain.get(c).copied().unwrap_or(0);
            for &g in cover.groups_of.get(c).into_iter().flatten() {
                let (Some(group), Some(d)) = (cover.groups.get(g as usize), done.get_mut(g as usize)) else {
                    continue;
                };
                if *d {
                    continue;
                }
                *d = true;
                for other in group.candidates.into_iter().filter(|&o| o != NONE) {
                    if let Some(g) = gain.get_mut(other as usize) {
                        *g = g.saturating_sub(group.edges);
                    }
                }
                if let Some(left) = open.get_mut(group.step as usize) {
                    *left -= group.edges;
                    if *left == 0 {
                        released += 1;
                    }
                }
            }
            let clients: BTreeSet<&WorkloadId> = cover
                .clients
                .get(c)
                .map(|bits| ones(bits).filter_map(|w| self.clients.get(w)).map(|w| &w.id).collect())
                .unwrap_or_default();
            let ports: BTreeSet<&str> = cover
                .ports
                .get(c)
                .map(|bits| ones(bits).map(|p| self.port(p as u32)).collect())
                .unwrap_or_default();
            out.push(choice(mesh, &clients, &ports, remedy.clone(), taken, released));
            if released == lock_downs {
                break;
            }
        }
        out
    }
}

/// The remedies the cover chooses from, by (kind, target) in key order: injection first, then
/// rules, then ports kept PERMISSIVE (the order breaks ties), by target. Accepting a break is no
/// remedy to choose. Each stands as the remedy of its first edge.
struct Candidates {
    representatives: Vec<Remedy>,
    /// Per workload: injecting its namespace (`NONE`: not injectable, or never blocking).
    inject: Vec<u32>,
    /// Per stored rule: fixing it.
    fix: Vec<u32>,
    /// Per stored remedy: keeping its port PERMISSIVE.
    keep: Vec<u32>,
}

/// A candidate's (kind rank, target): its place in key order.
type CandidateKey<'a> = (u8, &'a str);

/// A candidate's first edge: in step order, then by client and port.
#[derive(Clone, Copy)]
enum First {
    Inject(u32),
    Fix { rule: u32, client: u32, column: u32 },
    Keep(u32),
}

impl Candidates {
    fn of<'b>(blocked: &'b Blocked<'_>) -> Self {
        let mut first: BTreeMap<CandidateKey<'b>, First> = BTreeMap::new();
        for entry in &blocked.entries {
            let Entry::Sets(range) = entry else { continue };
            // The step's first edge (by client, then port) for each candidate it holds.
            let mut in_step: HashMap<CandidateKey<'b>, ((u32, u32), First)> = HashMap::new();
            let mut offer = |key: CandidateKey<'b>, at: (u32, u32), f: First| {
                if first.contains_key(&key) {
                    return;
                }
                let slot = in_step.entry(key).or_insert((at, f));
                if at < slot.0 {
                    *slot = (at, f);
                }
            };
            for held in blocked.sets.get(range.clone()).unwrap_or_default() {
                let Some(remedies) = &held.remedies else { continue };
                let (column, rank) = (held.broken.column, blocked.rank(held.broken.column));
                if let Some((&w, remedy)) = held
                    .broken
                    .clients
                    .first()
                    .zip(remedies.keep.and_then(|k| Some((k, blocked.remedies.get(k as usize)?))))
                {
                    offer((2, remedy.1.target.as_str()), (w, rank), First::Keep(remedy.0));
                }
                let mut previous: Option<CandidateKey<'b>> = None;
                for (at, &w) in held.broken.clients.iter().enumerate() {
                    let Some(client) = blocked.clients.get(w as usize) else {
                        continue;
                    };
                    let (key, f) = match remedies.fix_at(at) {
                        _ if injectable(client) => ((0, client.id.namespace.as_str()), First::Inject(w)),
                        Some(rule) => match blocked.rules.get(rule as usize) {
                            Some(fix) => (
                                (1, fix.rule.as_str()),
                                First::Fix {
                                    rule,
                                    client: w,
                                    column,
                                },
                            ),
                            None => continue,
                        },
                        None => continue,
                    };
                    // Clients come in order: only a run's first can come first.
                    if previous != Some(key) {
                        offer(key, (w, rank), f);
                        previous = Some(key);
                    }
                }
            }
            for (key, (_, f)) in in_step {
                first.entry(key).or_insert(f);
            }
        }
        let index: HashMap<CandidateKey<'_>, u32> = first.keys().copied().zip(0..).collect();
        let representatives = first.values().filter_map(|&f| blocked.first_remedy(f)).collect();
        let inject = blocked
            .clients
            .iter()
            .map(|w| {
                let key = (0, w.id.namespace.as_str());
                if injectable(w) {
                    index.get(&key).copied().unwrap_or(NONE)
                } else {
                    NONE
                }
            })
            .collect();
        let fix = blocked
            .rules
            .iter()
            .map(|r| index.get(&(1, r.rule.as_str())).copied().unwrap_or(NONE))
            .collect();
        let keep = blocked
            .remedies
            .iter()
            .map(|r| match r.kind {
                RemedyKind::KeepPermissive => index.get(&(2, r.target.as_str())).copied().unwrap_or(NONE),
                _ => NONE,
            })
            .collect();
        Self {
            representatives,
            inject,
            fix,
            keep,
        }
    }

    fn len(&self) -> usize {
        self.representatives.len()
    }

    /// The candidates of the edge to client `w` at position `at` of a set.
    fn of_edge(&self, remedies: &SetRemedies, at: usize, w: u32) -> [u32; 3] {
        let pick = |list: &[u32], i: Option<u32>| i.and_then(|i| list.get(i as usize).copied()).unwrap_or(NONE);
        [
            pick(&self.inject, Some(w)),
            pick(&self.fix, remedies.fix_at(at)),
            pick(&self.keep, remedies.keep),
        ]
    }
}

impl Blocked<'_> {
    fn first_remedy(&self, first: First) -> Option<Remedy> {
        match first {
            First::Inject(w) => client_remedies(self.clients.get(w as usize)?).0,
            First::Fix { rule, client, column } => Some(
                self.rules
                    .get(rule as usize)?
                    .remedy(&self.clients.get(client as usize)?.id, fqdn_of(self.port(column))),
            ),
            First::Keep(k) => self.remedies.get(k as usize).cloned(),
        }
    }
}

/// Blocked edges alike for the cover: one step, the same candidates.
struct CoverGroup {
    step: u32,
    candidates: [u32; 3],
    edges: usize,
}

/// The blocked edges as the cover reads them.
struct Cover {
    groups: Vec<CoverGroup>,
    /// Per candidate: its groups.
    groups_of: Vec<Vec<u32>>,
    /// Per candidate: the clients (workload bits) and ports (column bits) of its edges.
    clients: Vec<Vec<u64>>,
    ports: Vec<Vec<u64>>,
    /// Per step: its blocked edges (a lock-down is released when none is left).
    open: Vec<usize>,
}

impl Cover {
    fn of(blocked: &Blocked<'_>, candidates: &Candidates) -> Self {
        let n = candidates.len();
        let mut cover = Cover {
            groups: Vec::new(),
            groups_of: vec![Vec::new(); n],
            clients: vec![Vec::new(); n],
            ports: vec![Vec::new(); n],
            open: vec![0; blocked.steps.len()],
        };
        let mut index: HashMap<(u32, [u32; 3]), u32> = HashMap::new();
        for o in &blocked.observed {
            if let Some(n) = cover.open.get_mut(o.step as usize) {
                *n += 1;
            }
        }
        for held in &blocked.sets {
            let clients = &held.broken.clients;
            if let Some(n) = cover.open.get_mut(held.step as usize) {
                *n += clients.len();
            }
            let Some(remedies) = &held.remedies else { continue };
            // Runs of clients with the same candidates count as one.
            let mut run: Option<([u32; 3], usize)> = None;
            for (at, &w) in clients.iter().enumerate() {
                let of = candidates.of_edge(remedies, at, w);
                for c in of.into_iter().filter(|&c| c != NONE) {
                    if let Some(bits) = cover.clients.get_mut(c as usize) {
                        set_bit(bits, w as usize);
                    }
                    if let Some(bits) = cover.ports.get_mut(c as usize) {
                        set_bit(bits, held.broken.column as usize);
                    }
                }
                match &mut run {
                    Some((same, edges)) if *same == of => *edges += 1,
                    _ => {
                        if let Some((of, edges)) = run.take() {
                            cover.add(&mut index, held.step, of, edges);
                        }
                        run = Some((of, 1));
                    }
                }
            }
            if let Some((of, edges)) = run {
                cover.add(&mut index, held.step, of, edges);
            }
        }
        cover
    }

    fn add(&mut self, index: &mut HashMap<(u32, [u32; 3]), u32>, step: u32, candidates: [u32; 3], edges: usize) {
        if candidates.iter().all(|&c| c == NONE) {
            return;
        }
        let next = self.groups.len() as u32;
        let g = *index.entry((step, candidates)).or_insert(next);
        if g == next {
            self.groups.push(CoverGroup {
                step,
                candidates,
                edges: 0,
            });
            for c in candidates.into_iter().filter(|&c| c != NONE) {
                if let Some(list) = self.groups_of.get_mut(c as usize) {
                    list.push(g);
                }
            }
        }
        if let Some(group) = self.groups.get_mut(g as usize) {
            group.edges += edges;
        }
    }

    /// Per candidate: the edges it deals with.
    fn gains(&self, candidates: usize) -> Vec<usize> {
        let mut gain = vec![0; candidates];
        for group in &self.groups {
            for c in group.candidates.into_iter().filter(|&c| c != NONE) {
                if let Some(g) = gain.get_mut(c as usize) {
                    *g += group.edges;
                }
            }
        }
        gain
    }
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
