//! The class table: every client × service port outcome, computed once per class of clients that no
//! rule can tell apart for that port, instead of once per edge.
//!
//! What an outcome reads of the client (`evaluate_port`):
//! - its sidecar;
//! - its namespace, for the DestinationRule lookup: a client sidecar takes the rules of its own
//!   namespace, then those of the service's namespace exported to it, then the root namespace's,
//!   and the first namespace with any host match wins. A namespace matters for a port only
//!   when it holds a rule matching the port's host, is named in such a rule's `exportTo`, or is the
//!   service's or the root namespace: every other namespace finds the same rules in the same order,
//!   so its clients behave alike (`resolve::client::destination_rules`);
//! - its labels, only through `workloadSelector` rules of its own namespace;
//! - its identity (principal, namespace), only through the authorization that applies to the port's
//!   endpoints, and there only through glob matches against the patterns those rules name
//!   (`resolve::authz::identity_patterns`). Clients matching the same patterns are alike;
//! - what NetworkPolicy reads of it (`resolve::network::client_signatures`): whether it is a pod,
//!   the node or outside the cluster, which egress-isolating policies select it (its labels and
//!   namespace), and which ingress peers of any policy match it (its labels, its namespace and that
//!   namespace's labels, its declared address). Clients alike in all of these meet the same
//!   NetworkPolicy verdict on every connection; the signature is part of the group key and is kept
//!   when a column folds namespaces together.
//!
//! Each port's outcome for a class is evaluated on one member of the class (its representative)
//! by the same `evaluate_port` that probes use, so a class-table edge equals the edge evaluated alone
//! (property-tested in `tests/properties.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::mesh::Mesh;
use crate::model::{Labels, Workload};
use crate::outcome::Response;
use crate::resolve::authz;

/// One service port: the outcome of every client, stored per class.
#[derive(Debug, Clone)]
pub struct Column {
    pub service: usize,
    pub port: usize,
    /// `fqdn:port`, as in `Edge::to`.
    pub to: String,
    /// Per client group (see `Groups`): its class among this column's classes.
    class_of_group: Vec<u32>,
    /// The identity partition (index into `ClassTable::identities`) when authorization at this
    /// port's endpoints reads who the client is; `None`: identity does not matter here.
    identity: Option<usize>,
    identity_classes: usize,
    /// `outcome[class * identity_classes + identity]`: index into `responses`.
    outcome: Vec<u16>,
    pub responses: Vec<Response>,
}

impl Column {
    /// The response `client` (workload index) gets on this port.
    pub fn response(&self, table: &ClassTable, client: usize) -> Option<&Response> {
        self.responses.get(self.outcome_of(table, client)?)
    }

    /// The index in `responses` of what `client` gets.
    fn outcome_of(&self, table: &ClassTable, client: usize) -> Option<usize> {
        let group = *table.groups.group_of.get(client)? as usize;
        let class = *self.class_of_group.get(group)? as usize;
        let identity = match self.identity {
            Some(p) => *table.identities.get(p)?.of_workload.get(client)? as usize,
            None => 0,
        };
        self.outcome
            .get(class * self.identity_classes + identity)
            .map(|&at| at as usize)
    }
}

/// One edge as the table holds it: a client, a column, the response.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    pub client: &'a Workload,
    pub column: &'a Column,
    pub response: &'a Response,
}

/// Every column of a mesh, and the client groups they share.
#[derive(Debug)]
pub struct ClassTable {
    /// Shared with the tables rebuilt from this one (the planner's candidates), like the columns
    /// a rebuild does not touch.
    groups: Arc<Groups>,
    /// Per identity partition: per workload, its identity class.
    identities: Arc<Vec<Partition>>,
    pub columns: Vec<Arc<Column>>,
}

impl ClassTable {
    pub fn new(mesh: &Mesh) -> Self {
        let groups = Groups::new(mesh);
        let principals: Vec<String> = mesh
            .workloads
            .iter()
            .map(|w| authz::principal_of(mesh, &w.id.namespace, &w.service_account))
            .collect();
        let mut partitions = Partitions::new(mesh, &groups, &principals);
        let mut columns = Vec::new();
        for (si, service) in mesh.services.iter().enumerate() {
            let identity = partitions.for_endpoints(&mesh.endpoints_of(service));
            for pi in 0..service.ports.len() {
                columns.push(Arc::new(build_column(
                    mesh,
                    &groups,
                    &partitions.identities,
                    si,
                    pi,
                    identity,
                )));
            }
        }
        let identities = partitions.identities;
        Self {
            groups: Arc::new(groups),
            identities: Arc::new(identities),
            columns,
        }
    }

    /// The table of `next`, a change of `mesh` that only touches server policies and DestinationRules
    /// without selectors (what the planner writes): the columns of services `touched` says yes to are
    /// evaluated again, the others are kept. Anything else is built afresh.
    pub fn rebuilt(&self, mesh: &Mesh, next: &Mesh, touched: impl Fn(usize) -> bool) -> Self {
        if !mesh.same_clients_and_authorization(next) {
            return Self::new(next);
        }
        let columns = self
            .columns
            .iter()
            .map(|c| {
                if touched(c.service) {
                    Arc::new(build_column(
                        next,
                        &self.groups,
                        &self.identities,
                        c.service,
                        c.port,
                        c.identity,
                    ))
                } else {
                    Arc::clone(c)
                }
            })
            .collect();
        Self {
            groups: Arc::clone(&self.groups),
            identities: Arc::clone(&self.identities),
            columns,
        }
    }
}

/// One service port's column: its classes, and one evaluation per class on a representative.
fn build_column(
    mesh: &Mesh,
    groups: &Groups,
    identities: &[Partition],
    si: usize,
    pi: usize,
    identity: Option<usize>,
) -> Column {
    let (service, port) = match mesh.services.get(si).and_then(|s| Some((s, s.ports.get(pi)?))) {
        Some(found) => found,
        None => {
            return Column {
                service: si,
                port: pi,
                to: String::new(),
                class_of_group: Vec::new(),
                identity: None,
                identity_classes: 1,
                outcome: Vec::new(),
                responses: Vec::new(),
            };
        }
    };
    let special = groups.special_namespaces(mesh, service);
    let ids = identity.and_then(|p| identities.get(p));
    let mut column = Column {
        service: si,
        port: pi,
        to: format!("{}:{}", service.fqdn, port.port),
        class_of_group: Vec::with_capacity(groups.representative.len()),
        identity,
        identity_classes: ids.map_or(1, |p| p.classes),
        outcome: Vec::new(),
        responses: Vec::new(),
    };
    // A group in a namespace the lookup singles out is a class of its own; the others fold by
    // what else the key holds (`Groups::folded`).
    let mut classes = 0u32;
    let mut class_of_folded = vec![u32::MAX; groups.folded_keys];
    for (key, &folded) in groups.keys.iter().zip(&groups.folded) {
        let slot = if special.contains(&key.0) {
            None
        } else {
            class_of_folded.get_mut(folded as usize)
        };
        let class = match slot {
            Some(class) if *class != u32::MAX => *class,
            Some(class) => {
                *class = classes;
                classes += 1;
                *class
            }
            None => {
                classes += 1;
                classes - 1
            }
        };
        column.class_of_group.push(class);
    }
    column.outcome = vec![u16::MAX; classes as usize * column.identity_classes];
    let mut by_response: HashMap<Response, u16> = HashMap::new();
    let mut fill = |client: &Workload, slot: usize, column: &mut Column| {
        if column.outcome.get(slot).is_some_and(|&o| o == u16::MAX) {
            let response = mesh
                .evaluate_port(client, service, port, "/", false)
                .response
                .without_verdict();
            let next = column.responses.len() as u16;
            let at = *by_response.entry(response).or_insert_with(|| {
                column.responses.push(response);
                next
            });
            if let Some(o) = column.outcome.get_mut(slot) {
                *o = at;
            }
        }
    };
    match ids {
        // Identity matters: every (class, identity) pair, on its first member; a group whose
        // members share their identity class is one pair.
        Some(ids) => {
            for (g, members) in groups.members.iter().enumerate() {
                let class = column.class_of_group.get(g).copied().unwrap_or(0) as usize;
                let shared = ids.of_group.get(g).copied().flatten();
                let pairs = members.iter().take(if shared.is_some() { 1 } else { members.len() });
                for &w in pairs {
                    let (Some(client), Some(&id)) = (mesh.workloads.get(w as usize), ids.of_workload.get(w as usize))
                    else {
                        continue;
                    };
                    fill(client, class * column.identity_classes + id as usize, &mut column);
                }
            }
            for &w in &groups.restricted {
                let (Some(client), Some(&g), Some(&id)) = (
                    mesh.workloads.get(w as usize),
                    groups.group_of.get(w as usize),
                    ids.of_workload.get(w as usize),
                ) else {
                    continue;
                };
                let class = column.class_of_group.get(g as usize).copied().unwrap_or(0) as usize;
                fill(client, class * column.identity_classes + id as usize, &mut column);
            }
        }
        // Otherwise one member per group is enough.
        None => {
            for (g, &w) in groups.representative.iter().enumerate() {
                let Some(client) = mesh.workloads.get(w) else { continue };
                let class = column.class_of_group.get(g).copied().unwrap_or(0) as usize;
                fill(client, class, &mut column);
            }
        }
    }
    column
}

impl ClassTable {
    /// Every edge, client by client and column by column (the matrix order), without copying.
    pub fn cells<'a>(&'a self, mesh: &'a Mesh) -> impl Iterator<Item = Cell<'a>> + 'a {
        mesh.workloads.iter().enumerate().flat_map(move |(w, client)| {
            self.columns
                .iter()
                .filter_map(move |column| self.cell(w, client, column))
        })
    }

    /// The edges into one column, client by client.
    pub fn column_cells<'a>(&'a self, mesh: &'a Mesh, column: &'a Column) -> impl Iterator<Item = Cell<'a>> + 'a {
        mesh.workloads
            .iter()
            .enumerate()
            .filter_map(move |(w, client)| self.cell(w, client, column))
    }

    /// Whether both tables of `mesh` give every edge the same response (checks incremental rebuilds).
    pub fn same_cells(&self, mesh: &Mesh, other: &ClassTable) -> bool {
        self.cells(mesh)
            .map(|c| (&c.column.to, c.response))
            .eq(other.cells(mesh).map(|c| (&c.column.to, c.response)))
    }

    pub fn cell<'a>(&'a self, w: usize, client: &'a Workload, column: &'a Column) -> Option<Cell<'a>> {
        // A caller outside the mesh calls only its targets.
        if client.calls.as_ref().is_some_and(|calls| !calls.contains(&column.to)) {
            return None;
        }
        let response = column.response(self, w)?;
        Some(Cell {
            client,
            column,
            response,
        })
    }
}

/// Who gets each response of one column, without visiting every edge: whole client groups where
/// the response depends on the group alone, single clients where it also depends on identity or
/// the client calls only its targets. `check` and `stages` count and name from it.
#[derive(Debug, Default)]
pub struct Census {
    /// Per response (index into `Column::responses`): how many clients get it.
    pub counts: Vec<usize>,
    /// Per response: the groups all of whose `members` get it.
    groups: Vec<Vec<u32>>,
    /// Per response: the other clients that get it, in workload order.
    singles: Vec<Vec<u32>>,
}

impl Census {
    /// How many clients get a response for which `wanted` says yes.
    pub fn count(&self, column: &Column, wanted: impl Fn(&Response) -> bool) -> usize {
        column
            .responses
            .iter()
            .zip(&self.counts)
            .filter(|(r, _)| wanted(r))
            .map(|(_, n)| n)
            .sum()
    }

    /// The first `limit` clients (workload indices, in workload order) that get response `at`.
    pub fn first_clients(&self, table: &ClassTable, at: usize, limit: usize) -> Vec<u32> {
        let (groups, singles) = self.recipients(at);
        let mut out: Vec<u32> = singles.iter().take(limit).copied().collect();
        for &g in groups {
            out.extend(table.members(g).iter().take(limit));
        }
        out.sort_unstable();
        out.truncate(limit);
        out
    }

    /// Every client that gets response `at`, in workload order.
    pub fn all_clients(&self, table: &ClassTable, at: usize) -> Vec<u32> {
        self.first_clients(table, at, usize::MAX)
    }

    /// How many of the clients that get response `at` have a sidecar.
    pub fn with_sidecar(&self, table: &ClassTable, mesh: &Mesh, at: usize) -> usize {
        let (groups, singles) = self.recipients(at);
        // The sidecar is part of a group's key: its members all have one or none.
        let in_groups: usize = groups
            .iter()
            .filter(|&&g| table.groups.keys.get(g as usize).is_some_and(|k| k.1))
            .map(|&g| table.members(g).len())
            .sum();
        let single = singles
            .iter()
            .filter(|&&w| mesh.workloads.get(w as usize).is_some_and(|c| c.sidecar.present))
            .count();
        in_groups + single
    }

    /// Response `at`'s whole groups and single clients.
    fn recipients(&self, at: usize) -> (&[u32], &[u32]) {
        (
            self.groups.get(at).map_or(&[][..], Vec::as_slice),
            self.singles.get(at).map_or(&[][..], Vec::as_slice),
        )
    }
}

/// A set of clients of one class table gathered from censuses, as bits: whole groups and single
/// clients, so adding a census's response costs its groups, not its clients.
#[derive(Debug, Clone, Default)]
pub struct ClientSet {
    groups: Vec<u64>,
    clients: Vec<u64>,
}

impl ClientSet {
    pub fn add(&mut self, census: &Census, at: usize) {
        let (groups, singles) = census.recipients(at);
        for &g in groups {
            set_bit(&mut self.groups, g as usize);
        }
        for &w in singles {
            set_bit(&mut self.clients, w as usize);
        }
    }

    /// Single clients (workload indices).
    pub fn add_clients(&mut self, clients: &[u32]) {
        for &w in clients {
            set_bit(&mut self.clients, w as usize);
        }
    }

    /// The clients, in workload order.
    pub fn clients(&self, table: &ClassTable) -> Vec<u32> {
        let mut bits = self.clients.clone();
        for g in ones(&self.groups) {
            for &w in table.members(g as u32) {
                set_bit(&mut bits, w as usize);
            }
        }
        ones(&bits).map(|w| w as u32).collect()
    }
}

/// Sets bit `i`, growing `bits` as needed.
pub(crate) fn set_bit(bits: &mut Vec<u64>, i: usize) {
    let word = i / 64;
    if bits.len() <= word {
        bits.resize(word + 1, 0);
    }
    if let Some(w) = bits.get_mut(word) {
        *w |= 1 << (i % 64);
    }
}

/// The bits set, in order.
pub(crate) fn ones(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
    bits.iter().enumerate().flat_map(|(i, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let bit = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            Some(i * 64 + bit)
        })
    })
}

impl ClassTable {
    /// The census of one column: O(groups), plus the members of groups whose identity differs
    /// at the column and the clients that call only their targets.
    pub fn census(&self, mesh: &Mesh, column: &Column) -> Census {
        let n = column.responses.len();
        let mut census = Census {
            counts: vec![0; n],
            groups: vec![Vec::new(); n],
            singles: vec![Vec::new(); n],
        };
        let single = |census: &mut Census, w: u32| {
            if let Some(at) = column.outcome_of(self, w as usize) {
                if let (Some(c), Some(s)) = (census.counts.get_mut(at), census.singles.get_mut(at)) {
                    *c += 1;
                    s.push(w);
                }
            }
        };
        let partition = column.identity.and_then(|p| self.identities.get(p));
        for (g, members) in self.groups.members.iter().enumerate() {
            // The whole group gets one response unless its members differ in identity here.
            let whole = match partition {
                None => true,
                Some(p) => p.of_group.get(g).copied().flatten().is_some(),
            };
            if !whole {
                for &w in members {
                    single(&mut census, w);
                }
                continue;
            }
            let Some(&w) = members.first() else { continue };
            let Some(at) = column.outcome_of(self, w as usize) else {
                continue;
            };
            if let (Some(c), Some(gs)) = (census.counts.get_mut(at), census.groups.get_mut(at)) {
                *c += members.len();
                gs.push(g as u32);
            }
        }
        for &w in &self.groups.restricted {
            let calls = mesh.workloads.get(w as usize).and_then(|c| c.calls.as_ref());
            if calls.is_some_and(|calls| calls.contains(&column.to)) {
                single(&mut census, w);
            }
        }
        // Singles from the identity pass and the restricted callers interleave: keep workload order.
        for s in &mut census.singles {
            s.sort_unstable();
        }
        census
    }

    /// Per column, how many clients have an edge into it; per client (workload index), how many
    /// columns it has an edge into: what `cell` says of every edge, counted from the columns'
    /// censuses (whole groups at once), not edge by edge.
    pub fn degrees(&self, mesh: &Mesh) -> (Vec<usize>, Vec<usize>) {
        let mut into = Vec::with_capacity(self.columns.len());
        let mut per_group = vec![0usize; self.groups.members.len()];
        let mut out = vec![0usize; mesh.workloads.len()];
        for column in &self.columns {
            let census = self.census(mesh, column);
            into.push(census.counts.iter().sum());
            for &g in census.groups.iter().flatten() {
                if let Some(n) = per_group.get_mut(g as usize) {
                    *n += 1;
                }
            }
            for &w in census.singles.iter().flatten() {
                if let Some(n) = out.get_mut(w as usize) {
                    *n += 1;
                }
            }
        }
        for (members, &n) in self.groups.members.iter().zip(&per_group) {
            for &w in members {
                if let Some(o) = out.get_mut(w as usize) {
                    *o += n;
                }
            }
        }
        (into, out)
    }

    /// Visits the clients whose response into one column differs between this table (`before`)
    /// and `next` (`after`, the same column): `visit(clients, before, after)`, clients in workload
    /// order within a call. When `next` was rebuilt from this table (same groups and identities),
    /// whole groups are compared at once where the response depends on the group alone.
    pub(crate) fn differing<'a>(
        &'a self,
        next: &'a ClassTable,
        mesh: &'a Mesh,
        before: &'a Column,
        after: &'a Column,
        mut visit: impl FnMut(&[u32], &'a Response, &'a Response),
    ) {
        let differ = |w: u32| {
            let client = mesh.workloads.get(w as usize)?;
            let (b, a) = (
                self.cell(w as usize, client, before)?,
                next.cell(w as usize, client, after)?,
            );
            (b.response != a.response).then_some((b.response, a.response))
        };
        let shared = Arc::ptr_eq(&self.groups, &next.groups)
            && Arc::ptr_eq(&self.identities, &next.identities)
            && before.identity == after.identity;
        if !shared {
            for w in 0..mesh.workloads.len() as u32 {
                if let Some((b, a)) = differ(w) {
                    visit(&[w], b, a);
                }
            }
            return;
        }
        let partition = before.identity.and_then(|p| self.identities.get(p));
        for (g, members) in self.groups.members.iter().enumerate() {
            // As in `census`: one response for the whole group unless identity splits it here.
            let whole = partition.is_none_or(|p| p.of_group.get(g).copied().flatten().is_some());
            let singles: &[u32] = if whole { &[] } else { members };
            if whole && let Some((b, a)) = members.first().and_then(|&w| differ(w)) {
                visit(members, b, a);
            }
            for &w in singles {
                if let Some((b, a)) = differ(w) {
                    visit(&[w], b, a);
                }
            }
        }
        for &w in &self.groups.restricted {
            if let Some((b, a)) = differ(w) {
                visit(&[w], b, a);
            }
        }
    }

    /// The members of `group`, in workload order.
    pub fn members(&self, group: u32) -> &[u32] {
        self.groups.members.get(group as usize).map_or(&[][..], Vec::as_slice)
    }

    /// The group of client `w` (workload index): clients no rule tells apart by namespace, labels,
    /// sidecar or network.
    pub(crate) fn group_of(&self, w: usize) -> Option<u32> {
        self.groups.group_of.get(w).copied()
    }
}

/// (namespace id, sidecar, label set id, network signature id); label set 0 = labels not read.
type GroupKey = (u32, bool, u32, u32);

/// Clients grouped by namespace, sidecar, labels where a `workloadSelector` rule could read them,
/// and what NetworkPolicy reads of them.
#[derive(Debug, Clone)]
struct Groups {
    group_of: Vec<u32>,
    /// Per group: its key.
    keys: Vec<GroupKey>,
    /// Per group: its first workload.
    representative: Vec<usize>,
    /// Per group: the id of its key without namespace and labels (sidecar, network signature),
    /// which is its class in a column that does not tell its namespace apart; `folded_keys` ids.
    folded: Vec<u32>,
    folded_keys: usize,
    /// Per group: its members that may call every service, in workload order.
    members: Vec<Vec<u32>>,
    /// The callers outside the mesh that call only their targets (`Workload::calls`): they are
    /// in no group's `members`, a census counts them one by one.
    restricted: Vec<u32>,
    namespace_ids: HashMap<String, u32>,
}

impl Groups {
    fn new(mesh: &Mesh) -> Self {
        let mut with_selectors: HashMap<&str, bool> = HashMap::new();
        for dr in &mesh.destination_rules {
            if dr.workload_selector.is_some() {
                with_selectors.insert(dr.meta.namespace.as_str(), true);
            }
        }
        let mut namespace_ids: HashMap<String, u32> = HashMap::new();
        let mut label_ids: HashMap<&Labels, u32> = HashMap::new();
        let mut group_ids: HashMap<GroupKey, u32> = HashMap::new();
        let network = crate::resolve::network::client_signatures(mesh);
        let mut groups = Groups {
            group_of: Vec::with_capacity(mesh.workloads.len()),
            keys: Vec::new(),
            representative: Vec::new(),
            folded: Vec::new(),
            folded_keys: 0,
            members: Vec::new(),
            restricted: Vec::new(),
            namespace_ids: HashMap::new(),
        };
        for (w, client) in mesh.workloads.iter().enumerate() {
            let next = namespace_ids.len() as u32;
            let ns = *namespace_ids.entry(client.id.namespace.clone()).or_insert(next);
            let labels = if with_selectors.contains_key(client.id.namespace.as_str()) {
                let next = label_ids.len() as u32 + 1;
                *label_ids.entry(&client.labels).or_insert(next)
            } else {
                0
            };
            let key = (ns, client.sidecar.present, labels, network.get(w).copied().unwrap_or(0));
            let next = group_ids.len() as u32;
            let group = *group_ids.entry(key).or_insert_with(|| {
                groups.keys.push(key);
                groups.representative.push(w);
                groups.members.push(Vec::new());
                next
            });
            groups.group_of.push(group);
            match (client.calls.is_some(), groups.members.get_mut(group as usize)) {
                (false, Some(members)) => members.push(w as u32),
                _ => groups.restricted.push(w as u32),
            }
        }
        let mut folded_ids: HashMap<(bool, u32), u32> = HashMap::new();
        for key in &groups.keys {
            let next = folded_ids.len() as u32;
            groups.folded.push(*folded_ids.entry((key.1, key.3)).or_insert(next));
        }
        groups.folded_keys = folded_ids.len();
        groups.namespace_ids = namespace_ids;
        groups
    }

    /// The namespaces whose clients the DestinationRule lookup for `service` can tell apart.
    fn special_namespaces(&self, mesh: &Mesh, service: &crate::model::Service) -> Vec<u32> {
        let mut names: Vec<&str> = vec![service.namespace.as_str(), mesh.settings.root_namespace.as_str()];
        for dr in mesh
            .destination_rules_for(&service.fqdn)
            .filter(|d| crate::resolve::client::rule_match(d, service).is_some())
        {
            names.push(dr.meta.namespace.as_str());
            names.extend(dr.export_to.iter().map(String::as_str));
        }
        names
            .iter()
            .filter_map(|n| self.namespace_ids.get(*n).copied())
            .collect()
    }
}

/// Clients by what the authorization at some ports reads of their identity.
#[derive(Debug)]
struct Partition {
    /// Per workload: its identity class.
    of_workload: Vec<u32>,
    classes: usize,
    /// Per client group: the identity class all its members share, when they do (a group is one
    /// namespace, so patterns on namespaces never split it; principals may).
    of_group: Vec<Option<u32>>,
}

/// Identity partitions, one per distinct set of patterns that authorization reads.
struct Partitions<'a> {
    mesh: &'a Mesh,
    groups: &'a Groups,
    principals: &'a [String],
    /// Workloads by principal, and by namespace (workloads are sorted by id: each namespace is
    /// one run): so a pattern finds its matches by binary search, not by visiting every client.
    by_principal: Vec<u32>,
    namespace_runs: Vec<(&'a str, std::ops::Range<usize>)>,
    by_patterns: HashMap<authz::IdentityPatterns, usize>,
    identities: Vec<Partition>,
}

impl<'a> Partitions<'a> {
    fn new(mesh: &'a Mesh, groups: &'a Groups, principals: &'a [String]) -> Self {
        let mut by_principal: Vec<u32> = (0..principals.len() as u32).collect();
        by_principal.sort_by(|&a, &b| principals.get(a as usize).cmp(&principals.get(b as usize)));
        let mut namespace_runs: Vec<(&str, std::ops::Range<usize>)> = Vec::new();
        for (w, client) in mesh.workloads.iter().enumerate() {
            match namespace_runs.last_mut() {
                Some((ns, run)) if *ns == client.id.namespace => run.end = w + 1,
                _ => namespace_runs.push((client.id.namespace.as_str(), w..w + 1)),
            }
        }
        Self {
            mesh,
            groups,
            principals,
            by_principal,
            namespace_runs,
            by_patterns: HashMap::new(),
            identities: Vec::new(),
        }
    }

    /// Per workload, which of `patterns` its identity matches, as bits (at most 64 patterns).
    fn masks(&self, patterns: &authz::IdentityPatterns) -> Option<Vec<u64>> {
        let (principal_patterns, namespace_patterns) = patterns.patterns();
        if principal_patterns.len() + namespace_patterns.len() > 64 {
            return None;
        }
        let mut masks = vec![0u64; self.principals.len()];
        let mut set = |w: usize, bit: usize| {
            if let Some(m) = masks.get_mut(w) {
                *m |= 1 << bit;
            }
        };
        let principal = |i: u32| self.principals.get(i as usize).map_or("", String::as_str);
        for (bit, pattern) in principal_patterns.iter().enumerate() {
            let hits: &[u32] = match authz::Glob::of(pattern) {
                authz::Glob::Any => &self.by_principal,
                authz::Glob::Prefix(x) | authz::Glob::Exact(x) => {
                    let exact = matches!(authz::Glob::of(pattern), authz::Glob::Exact(_));
                    let start = self.by_principal.partition_point(|&i| principal(i) < x);
                    let rest = self.by_principal.get(start..).unwrap_or_default();
                    let len = rest.partition_point(|&i| {
                        if exact {
                            principal(i) == x
                        } else {
                            principal(i).starts_with(x)
                        }
                    });
                    rest.get(..len).unwrap_or_default()
                }
                authz::Glob::Suffix(x) => {
                    for &i in self.by_principal.iter().filter(|&&i| principal(i).ends_with(x)) {
                        set(i as usize, bit);
                    }
                    &[]
                }
            };
            for &i in hits {
                set(i as usize, bit);
            }
        }
        let offset = principal_patterns.len();
        for (bit, pattern) in namespace_patterns.iter().enumerate() {
            let glob = authz::Glob::of(pattern);
            for (ns, run) in &self.namespace_runs {
                let hit = match glob {
                    authz::Glob::Any => true,
                    authz::Glob::Prefix(x) => ns.starts_with(x),
                    authz::Glob::Suffix(x) => ns.ends_with(x),
                    authz::Glob::Exact(x) => *ns == x,
                };
                if hit {
                    for w in run.clone() {
                        set(w, offset + bit);
                    }
                }
            }
        }
        Some(masks)
    }

    /// The partition for a port whose endpoints are `endpoints`; `None` when no authorization
    /// there reads who the client is.
    fn for_endpoints(&mut self, endpoints: &[&Workload]) -> Option<usize> {
        let mut patterns = authz::IdentityPatterns::default();
        for endpoint in endpoints {
            patterns.extend(authz::identity_patterns(self.mesh, endpoint));
        }
        if patterns.is_empty() {
            return None;
        }
        patterns.normalise();
        if let Some(&p) = self.by_patterns.get(&patterns) {
            return Some(p);
        }
        // Classes numbered in workload order of first appearance.
        let (of_workload, classes): (Vec<u32>, usize) = match self.masks(&patterns) {
            Some(masks) => {
                let mut class_ids: Vec<u64> = Vec::new();
                let mut by_mask: HashMap<u64, u32> = HashMap::new();
                let ids = masks
                    .iter()
                    .map(|&mask| {
                        // Few classes: a linear look before hashing.
                        if let Some(at) = class_ids.iter().take(8).position(|&m| m == mask) {
                            return at as u32;
                        }
                        let next = class_ids.len() as u32;
                        *by_mask.entry(mask).or_insert_with(|| {
                            class_ids.push(mask);
                            next
                        })
                    })
                    .collect();
                (ids, class_ids.len())
            }
            None => {
                let mut class_ids: HashMap<Vec<bool>, u32> = HashMap::new();
                let ids = self
                    .mesh
                    .workloads
                    .iter()
                    .zip(self.principals)
                    .map(|(w, principal)| {
                        let signature = patterns.signature(principal, &w.id.namespace);
                        let next = class_ids.len() as u32;
                        *class_ids.entry(signature).or_insert(next)
                    })
                    .collect();
                (ids, class_ids.len())
            }
        };
        let of_group = self
            .groups
            .members
            .iter()
            .map(|members| {
                let mut ids = members.iter().filter_map(|&w| of_workload.get(w as usize));
                let first = ids.next().copied();
                ids.all(|id| Some(*id) == first).then_some(first).flatten()
            })
            .collect();
        self.identities.push(Partition {
            of_workload,
            classes: classes.max(1),
            of_group,
        });
        let p = self.identities.len() - 1;
        self.by_patterns.insert(patterns, p);
        Some(p)
    }
}

/// Per service: whether a change from `before` to `after` of server policies or DestinationRules
/// can change its columns. A DestinationRule decides the columns whose host it matches (in any
/// client namespace); a PeerAuthentication the services in its namespace and those with endpoints
/// there (server mode, and the namespace mode auto mTLS reads), or all from the root namespace; a
/// v1alpha1 Policy the services of its namespace and its targets, a MeshPolicy all. Other changes
/// (clients, services, authorization, settings) mark every service.
pub fn touched_services(before: &Mesh, after: &Mesh) -> Vec<bool> {
    let count = after.services.len();
    if !before.same_clients_and_authorization(after) {
        return vec![true; count];
    }
    let mut touched = vec![false; count];
    let mut mark = |hit: &dyn Fn(usize, &crate::model::Service) -> bool| {
        for (si, service) in after.services.iter().enumerate() {
            if hit(si, service)
                && let Some(t) = touched.get_mut(si)
            {
                *t = true;
            }
        }
    };
    let root = after.settings.root_namespace.as_str();
    for dr in changed(&before.destination_rules, &after.destination_rules, |d| &d.meta) {
        mark(&|_, s| crate::resolve::client::rule_match(dr, s).is_some());
    }
    for pa in changed(&before.peer_authentications, &after.peer_authentications, |p| &p.meta) {
        let ns = pa.meta.namespace.as_str();
        mark(&|si, s| {
            ns == root
                || s.namespace == ns
                || after.endpoints.get(si).is_some_and(|eps| {
                    eps.iter()
                        .any(|&w| after.workloads.get(w).is_some_and(|w| w.id.namespace == ns))
                })
        });
    }
    for policy in changed(&before.authn_policies, &after.authn_policies, |p| &p.meta) {
        let ns = policy.meta.namespace.as_str();
        mark(&|_, s| {
            policy.mesh_wide
                || s.namespace == ns
                || policy
                    .targets
                    .iter()
                    .any(|t| crate::hosts::resolve_in_namespace(&t.name, ns) == s.fqdn.0)
        });
    }
    touched
}

/// The resources that differ between two lists (added, removed or changed), from either side.
fn changed<'a, T: PartialEq>(before: &'a [T], after: &'a [T], meta: impl Fn(&T) -> &crate::model::Meta) -> Vec<&'a T> {
    // A what-if change shares the kinds it leaves alone.
    if std::ptr::eq(before, after) {
        return Vec::new();
    }
    let key = |t: &'a T| {
        let m = meta(t);
        (m.kind, m.namespace.as_str(), m.name.as_str())
    };
    let old: HashMap<_, &T> = before.iter().map(|t| (key(t), t)).collect();
    let new: HashMap<_, &T> = after.iter().map(|t| (key(t), t)).collect();
    let mut out: Vec<&T> = Vec::new();
    for (k, t) in &new {
        if old.get(k).is_none_or(|o| o != t) {
            out.push(t);
        }
    }
    for (k, t) in &old {
        if new.get(k).is_none_or(|n| n != t) {
            out.push(t);
        }
    }
    out
}
