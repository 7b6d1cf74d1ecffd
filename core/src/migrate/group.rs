//! Grouping edges by cause, so that the answer for a cluster of thousands of edges fits on a screen:
//! edges with the same effect, change, reason and deciding resource form one group, with counts,
//! the client and service-port sets in compact form, and a few examples. The groups' counts add up
//! to the number of edges grouped; the full per-edge lists stay where they were (JSON, `--all`).

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::classes::{Cell, Census, ClassTable, ClientSet};
use crate::explain::Side;
use crate::mesh::Mesh;
use crate::migrate::diff::{EdgeChange, EdgeState};
use crate::migrate::stage::is_mtls_failure;
use crate::model::WorkloadId;
use crate::outcome::{Reason, Response, Verdict};

/// Examples kept per group: enough for `--limit` in text; the full lists are elsewhere.
pub const MAX_EXAMPLES: usize = 10;

/// What a group of edges means for the migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// A failing edge whose failure mTLS settings cause: a problem to fix.
    MtlsBroken,
    /// A failing edge that the cluster's own authorization denies (403, closed on TCP): intended.
    Denied,
    /// A failing edge for another reason (no endpoints, unknown port or host, TLS handshake).
    OtherFailure,
    /// A working edge that fails after the change.
    Breaks,
    /// Denied by authorization before, failing after (403 → 000 when the lock-down arrives
    /// first): the caller was refused before and still is, so it is not a break.
    StillDenied,
    /// Failing before and after for other reasons.
    StillFailing,
    /// A failing edge that works after the change.
    Repaired,
    /// Working before and after, over another transport (plaintext → mTLS).
    Changed,
    /// An edge on one side only (a workload or service added or removed).
    AddedOrRemoved,
}

impl Effect {
    /// The effect of a failing edge, for `check`: intended denials apart from mTLS breakage.
    pub fn of_failure(reason: Reason) -> Self {
        if reason == Reason::RbacDenied {
            Effect::Denied
        } else if is_mtls_failure(reason) {
            Effect::MtlsBroken
        } else {
            Effect::OtherFailure
        }
    }

    /// The effect of a change between two states of one edge.
    pub fn of_change(before: Option<EdgeState>, after: Option<EdgeState>) -> Self {
        match (before, after) {
            (Some(b), Some(a)) => match (b.response.verdict(), a.response.verdict()) {
                (Verdict::Ok, Verdict::Fail) => Effect::Breaks,
                (Verdict::Fail, Verdict::Ok) => Effect::Repaired,
                (Verdict::Ok, Verdict::Ok) => Effect::Changed,
                (Verdict::Fail, Verdict::Fail) if b.response.reason == Reason::RbacDenied => Effect::StillDenied,
                (Verdict::Fail, Verdict::Fail) => Effect::StillFailing,
            },
            _ => Effect::AddedOrRemoved,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Effect::MtlsBroken => "broken by mTLS configuration",
            Effect::Denied => "denied by your authorization policy (expected)",
            Effect::OtherFailure => "failing for another reason",
            Effect::Breaks => "breaks",
            Effect::StillDenied => "still denied (by authorization before and after)",
            Effect::StillFailing => "still failing",
            Effect::Repaired => "repaired",
            Effect::Changed => "changes transport",
            Effect::AddedOrRemoved => "added or removed",
        }
    }
}

/// One edge named by a group as an example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EdgeRef {
    pub from: WorkloadId,
    pub to: String,
}

/// Edges alike in effect, change, reason and deciding resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EdgeGroup {
    pub effect: Effect,
    /// `mtls → fail` for a change; for a failing edge, the status as curl prints it (`403`).
    pub change: String,
    /// The reason of the failure, or of the state after the change.
    pub reason: Reason,
    /// The resource that decided (`Kind namespace/name`), when one did.
    pub resource: Option<String>,
    pub edges: usize,
    pub clients: usize,
    /// The clients in compact form: `charlie-rating-2/* (20 clients)`.
    pub clients_text: String,
    /// Service ports.
    pub services: usize,
    /// The service ports in compact form: `5 ports of 3 services in foo`.
    pub services_text: String,
    /// The first edges of the group (at most `MAX_EXAMPLES`).
    pub examples: Vec<EdgeRef>,
}

type Key = (Effect, String, Reason, Option<String>);

/// One group's edges so far. The sets borrow the client ids and ports (no copy per edge).
#[derive(Default)]
struct Tally<'a> {
    edges: usize,
    clients: BTreeSet<&'a WorkloadId>,
    /// Clients added from a class table's censuses (`add_census`).
    from_table: ClientSet,
    services: BTreeSet<&'a str>,
    examples: Vec<EdgeRef>,
}

/// Collects edges into groups; memory grows with the groups' client and port sets, not with edges.
pub struct Grouper<'a> {
    sizes: BTreeMap<String, usize>,
    groups: BTreeMap<Key, Tally<'a>>,
    /// The mesh and class table that `add_census` reads.
    table: Option<(&'a Mesh, &'a ClassTable)>,
    /// Examples offered out of edge order (`add_clients`): sorted and cut by `finish`.
    examples_in_edge_order: bool,
}

impl<'a> Grouper<'a> {
    pub fn new(mesh: &Mesh) -> Self {
        Self {
            sizes: namespace_sizes(mesh),
            groups: BTreeMap::new(),
            table: None,
            examples_in_edge_order: false,
        }
    }

    /// A grouper of the cells of `table`, a class table of `mesh`, added by `add_census`.
    pub fn of_table(mesh: &'a Mesh, table: &'a ClassTable) -> Self {
        Self {
            table: Some((mesh, table)),
            ..Self::new(mesh)
        }
    }

    /// The edges of one column `to` that get response `at` of its `census`, alike in effect,
    /// change, reason and resource. Costs the census's groups, not its edges.
    pub fn add_census(
        &mut self,
        key: (Effect, String, Reason, Option<String>),
        census: &Census,
        at: usize,
        to: &'a str,
    ) {
        let Some((mesh, table)) = self.table else { return };
        let edges = census.counts.get(at).copied().unwrap_or(0);
        if edges == 0 {
            return;
        }
        let tally = self.groups.entry(key).or_default();
        tally.edges += edges;
        tally.from_table.add(census, at);
        tally.services.insert(to);
        let room = MAX_EXAMPLES.saturating_sub(tally.examples.len());
        if room > 0 {
            let first = census.first_clients(table, at, room);
            tally.examples.extend(
                first
                    .iter()
                    .filter_map(|&w| mesh.workloads.get(w as usize))
                    .map(|client| EdgeRef {
                        from: client.id.clone(),
                        to: to.to_owned(),
                    }),
            );
        }
    }

    /// The edges from `clients` (workload indices, in order) to one column `to`, alike in effect,
    /// change, reason and resource. Examples are kept in edge order (client, then service port):
    /// each add offers its first ones and `finish` keeps the first of all.
    pub fn add_clients(&mut self, key: (Effect, String, Reason, Option<String>), clients: &[u32], to: &'a str) {
        let Some((mesh, _)) = self.table else { return };
        if clients.is_empty() {
            return;
        }
        self.examples_in_edge_order = true;
        let tally = self.groups.entry(key).or_default();
        tally.edges += clients.len();
        tally.from_table.add_clients(clients);
        tally.services.insert(to);
        tally.examples.extend(
            clients
                .iter()
                .take(MAX_EXAMPLES)
                .filter_map(|&w| mesh.workloads.get(w as usize))
                .map(|client| EdgeRef {
                    from: client.id.clone(),
                    to: to.to_owned(),
                }),
        );
    }

    pub fn add(
        &mut self,
        effect: Effect,
        change: String,
        reason: Reason,
        resource: Option<String>,
        from: &'a WorkloadId,
        to: &'a str,
    ) {
        let tally = self.groups.entry((effect, change, reason, resource)).or_default();
        tally.edges += 1;
        tally.clients.insert(from);
        tally.services.insert(to);
        if tally.examples.len() < MAX_EXAMPLES {
            tally.examples.push(EdgeRef {
                from: from.clone(),
                to: to.to_owned(),
            });
        }
    }

    /// The groups, by effect, largest first.
    pub fn finish(self) -> Vec<EdgeGroup> {
        let table = self.table;
        let sort_examples = self.examples_in_edge_order;
        let mut out: Vec<EdgeGroup> = self
            .groups
            .into_iter()
            .map(|((effect, change, reason, resource), mut t)| {
                if sort_examples {
                    t.examples.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
                    t.examples.truncate(MAX_EXAMPLES);
                }
                // Both sets are in id order (workloads are sorted by id).
                let mut clients: Vec<&WorkloadId> = match table {
                    Some((mesh, table)) => t
                        .from_table
                        .clients(table)
                        .iter()
                        .filter_map(|&w| mesh.workloads.get(w as usize))
                        .map(|w| &w.id)
                        .collect(),
                    None => Vec::new(),
                };
                if !t.clients.is_empty() {
                    let mut all: BTreeSet<&WorkloadId> = t.clients;
                    all.extend(clients);
                    clients = all.into_iter().collect();
                }
                EdgeGroup {
                    effect,
                    change,
                    reason,
                    resource,
                    edges: t.edges,
                    clients: clients.len(),
                    clients_text: clients_text(&clients, &self.sizes),
                    services: t.services.len(),
                    services_text: services_text(&t.services),
                    examples: t.examples,
                }
            })
            .collect();
        out.sort_by_key(|g| (g.effect, std::cmp::Reverse(g.edges)));
        out
    }
}

/// Client workloads per namespace, to say "the whole namespace".
pub fn namespace_sizes(mesh: &Mesh) -> BTreeMap<String, usize> {
    let mut sizes = BTreeMap::new();
    for w in mesh.workloads.iter() {
        *sizes.entry(w.id.namespace.clone()).or_insert(0) += 1;
    }
    sizes
}

/// Namespace parts shown before "…".
const SHOWN: usize = 3;

/// `ns/a`, `ns/a, ns/b`, `ns/* (20 clients)`, `12 of 30 clients in ns`; more than three
/// namespaces: `139 clients in 9 namespaces: …, …, …, …`.
pub fn clients_text(clients: &[&WorkloadId], sizes: &BTreeMap<String, usize>) -> String {
    // `clients` are in id order: each namespace is one run.
    let mut by_ns: Vec<(&str, Vec<&WorkloadId>)> = Vec::new();
    for &c in clients {
        match by_ns.last_mut() {
            Some((ns, ids)) if *ns == c.namespace => ids.push(c),
            _ => by_ns.push((c.namespace.as_str(), vec![c])),
        }
    }
    let parts: Vec<String> = by_ns
        .iter()
        .map(|(ns, ids)| {
            let total = sizes.get(*ns).copied();
            match total {
                Some(total) if ids.len() == total && total > 2 => format!("{ns}/* ({total} clients)"),
                _ if ids.len() <= 2 => ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                Some(total) => format!("{} of {total} clients in {ns}", ids.len()),
                None => format!("{} clients in {ns}", ids.len()),
            }
        })
        .collect();
    with_more(parts, || {
        format!("{} clients in {} namespaces", clients.len(), by_ns.len())
    })
}

/// `httpbin.foo:8000`, `2 ports of httpbin.foo`, `5 ports of 3 services in foo`; more than three
/// namespaces: `40 ports of 30 services in 9 namespaces: …`.
pub fn services_text<S: AsRef<str>>(ports: &BTreeSet<S>) -> String {
    // namespace → service → ports
    let mut by_ns: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for to in ports {
        let to = to.as_ref();
        let (host, port) = to.rsplit_once(':').unwrap_or((to, ""));
        let mut labels = host.splitn(3, '.');
        let name = labels.next().unwrap_or(host);
        let ns = labels.next().unwrap_or("");
        by_ns.entry(ns).or_default().entry(name).or_default().push(port);
    }
    let services: usize = by_ns.values().map(BTreeMap::len).sum();
    let parts: Vec<String> = by_ns
        .iter()
        .map(|(ns, svcs)| {
            let count: usize = svcs.values().map(Vec::len).sum();
            match (svcs.iter().next(), svcs.len(), count) {
                (Some((name, ports)), 1, 1) => format!("{name}.{ns}:{}", ports.join("")),
                (Some((name, _)), 1, _) => format!("{count} ports of {name}.{ns}"),
                _ => format!("{count} ports of {} services in {ns}", svcs.len()),
            }
        })
        .collect();
    with_more(parts, || {
        format!(
            "{} ports of {services} services in {} namespaces",
            ports.len(),
            by_ns.len()
        )
    })
}

fn with_more(parts: Vec<String>, total: impl Fn() -> String) -> String {
    if parts.len() <= SHOWN {
        return parts.join(", ");
    }
    let shown: Vec<&str> = parts.iter().take(SHOWN).map(String::as_str).collect();
    format!("{}: {}, …", total(), shown.join(", "))
}

/// The resource that decides a response, read from the explanation of one representative client
/// per (service port, response): cheap, because it runs per class of outcome, not per edge.
pub struct Deciders<'a> {
    mesh: &'a Mesh,
    memo: HashMap<(usize, usize, Response), Option<String>>,
    /// Column index by `fqdn:port`, built on first use by `of_edge`.
    columns: HashMap<String, usize>,
}

impl<'a> Deciders<'a> {
    pub fn new(mesh: &'a Mesh) -> Self {
        Self {
            mesh,
            memo: HashMap::new(),
            columns: HashMap::new(),
        }
    }

    /// The deciding resource of a cell of this mesh's class table.
    pub fn of(&mut self, cell: &Cell<'_>) -> Option<String> {
        let key = (cell.column.service, cell.column.port, *cell.response);
        if let Some(found) = self.memo.get(&key) {
            return found.clone();
        }
        let decided = self.explain(cell);
        self.memo.insert(key, decided.clone());
        decided
    }

    fn explain(&self, cell: &Cell<'_>) -> Option<String> {
        let service = self.mesh.services.get(cell.column.service)?;
        let port = service.ports.get(cell.column.port)?;
        let outcome = self.mesh.evaluate_port(cell.client, service, port, "/", true);
        // Which side decides a reason: the server for its mode and authorization; the client (its
        // DestinationRule) for what it sends, which is also what a working edge's transport says;
        // the Service for missing endpoints or ports.
        let side = match outcome.response.reason {
            Reason::PlaintextToStrict | Reason::MtlsToDisabled | Reason::RbacDenied => Side::Server,
            Reason::Mtls
            | Reason::Plaintext
            | Reason::MtlsToNoSidecar
            | Reason::TlsOriginationRejected
            | Reason::TlsHandshakeFailed => Side::Client,
            Reason::NetworkPolicy | Reason::NoEndpoints | Reason::UnknownPort | Reason::UnknownHost => Side::Network,
        };
        let last = |on: Option<Side>| {
            outcome
                .explain
                .iter()
                .rev()
                .filter(|s| on.is_none_or(|side| s.side == side))
                .find_map(|s| s.resource.clone())
        };
        last(Some(side)).or_else(|| last(None))
    }
}

/// Changes grouped by effect, change, reason after, and cause (`resource`: the deciding resource
/// of each change, as the caller knows it). `sizes`: clients per namespace, empty when unknown.
pub fn change_groups<'c>(
    sizes: BTreeMap<String, usize>,
    changes: impl IntoIterator<Item = &'c EdgeChange>,
    mut resource: impl FnMut(&EdgeChange) -> Option<String>,
) -> Vec<EdgeGroup> {
    let mut grouper = Grouper {
        sizes,
        groups: BTreeMap::new(),
        table: None,
        examples_in_edge_order: false,
    };
    for c in changes {
        let reason = c.after.or(c.before).map_or(Reason::NoEndpoints, |s| s.response.reason);
        grouper.add(
            Effect::of_change(c.before, c.after),
            c.change.clone(),
            reason,
            resource(c),
            &c.from,
            &c.to,
        );
    }
    grouper.finish()
}

/// Clients that hold back (or break on) the same things: every client appears in one group only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClientGroup {
    pub clients: Vec<WorkloadId>,
    /// The clients in compact form.
    pub clients_text: String,
    /// What they hold back: service ports (stages) or lock-down steps (plan).
    pub holds: Vec<String>,
    /// `holds` in compact form.
    pub holds_text: String,
}

/// Groups `(client, what it holds back)` pairs by client, then clients with the same set together,
/// largest group first.
pub fn by_client<'p>(
    sizes: &BTreeMap<String, usize>,
    pairs: impl IntoIterator<Item = (&'p WorkloadId, &'p str)>,
    holds_text: impl Fn(&BTreeSet<String>) -> String,
) -> Vec<ClientGroup> {
    let mut per_client: BTreeMap<&WorkloadId, BTreeSet<String>> = BTreeMap::new();
    // Pairs come in runs (a client's edges into one step): skip a repeat of the previous pair.
    let mut last: Option<(&WorkloadId, &str)> = None;
    for (client, what) in pairs {
        if last.is_some_and(|(c, w)| std::ptr::eq(c, client) && w == what) {
            continue;
        }
        last = Some((client, what));
        per_client.entry(client).or_default().insert(what.to_owned());
    }
    let mut per_set: BTreeMap<BTreeSet<String>, BTreeSet<&WorkloadId>> = BTreeMap::new();
    for (client, set) in per_client {
        per_set.entry(set).or_default().insert(client);
    }
    let mut out: Vec<ClientGroup> = per_set
        .into_iter()
        .map(|(set, clients)| ClientGroup {
            clients_text: clients_text(&clients.iter().copied().collect::<Vec<_>>(), sizes),
            holds_text: holds_text(&set),
            clients: clients.into_iter().cloned().collect(),
            holds: set.into_iter().collect(),
        })
        .collect();
    out.sort_by_key(|g| {
        (
            std::cmp::Reverse(g.clients.len() * g.holds.len()),
            g.clients_text.clone(),
        )
    });
    out
}

/// `a, b, c` or `a, b, c and 9 more`.
pub fn names_text(names: &BTreeSet<String>) -> String {
    let shown: Vec<&str> = names.iter().take(SHOWN).map(String::as_str).collect();
    match names.len().saturating_sub(SHOWN) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

impl Deciders<'_> {
    /// The deciding resource of the edge `from` → `to` in `table` (a table of this mesh).
    pub fn of_edge(&mut self, table: &crate::classes::ClassTable, from: &WorkloadId, to: &str) -> Option<String> {
        let w = self.mesh.workloads.binary_search_by(|w| w.id.cmp(from)).ok()?;
        let client = self.mesh.workloads.get(w)?;
        if self.columns.is_empty() {
            self.columns = table
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| (c.to.clone(), i))
                .collect();
        }
        let column = table.columns.get(*self.columns.get(to)?)?;
        let cell = table.cell(w, client, column)?;
        self.of(&cell)
    }
}
