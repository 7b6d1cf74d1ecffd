//! The class table: every client × service port outcome, computed once per class of clients that no
//! rule can tell apart for that port, instead of once per edge.
//!
//! What an outcome reads of the client (`evaluate_port`):
//! - its sidecar;
//! - its namespace, for the DestinationRule lookup (Part B §3). A namespace matters for a port only
//!   when it holds a rule matching the port's host, is named in such a rule's `exportTo`, or is the
//!   service's or the root namespace: every other namespace finds the same rules in the same order,
//!   so its clients behave alike (`resolve::client::destination_rules`);
//! - its labels, only through `workloadSelector` rules of its own namespace;
//! - its identity (principal, namespace), only through the authorization that applies to the port's
//!   endpoints, and there only through glob matches against the patterns those rules name
//!   (`resolve::authz::identity_patterns`). Clients matching the same patterns are alike.
//!
//! Each port's outcome for a class is evaluated on one member of the class (its representative)
//! by the same `evaluate_port` that probes use, so a class-table edge equals the edge evaluated alone
//! (property-tested in `tests/properties.rs`).

use std::collections::HashMap;

use crate::evaluate::Response;
use crate::mesh::Mesh;
use crate::model::{Labels, Workload};
use crate::resolve::authz;

/// Marks "any namespace that no rule of this port singles out" in a column's class key.
const OTHER_NAMESPACE: u32 = u32::MAX;

/// One service port: the outcome of every client, stored per class.
#[derive(Debug)]
pub struct Column {
    pub service: usize,
    pub port: usize,
    /// `fqdn:port`, as in `Edge::to`.
    pub to: String,
    /// Per client group (see `ClassTable::group_of`): its class among this column's classes.
    class_of_group: Vec<u32>,
    /// Per client (workload index): its identity class, when authorization reads identities here.
    identity: Option<usize>,
    identity_classes: usize,
    /// `outcome[class * identity_classes + identity]`: index into `responses`.
    outcome: Vec<u16>,
    pub responses: Vec<Response>,
}

impl Column {
    /// The response `client` (workload index) gets on this port.
    pub fn response(&self, table: &ClassTable, client: usize) -> Option<&Response> {
        let group = *table.group_of.get(client)? as usize;
        let class = *self.class_of_group.get(group)? as usize;
        let identity = match self.identity {
            Some(p) => *table.identities.get(p)?.get(client)? as usize,
            None => 0,
        };
        let at = *self.outcome.get(class * self.identity_classes + identity)?;
        self.responses.get(at as usize)
    }
}

/// Every column of a mesh, and the client groups they share.
#[derive(Debug)]
pub struct ClassTable {
    /// Per workload: its group (namespace, sidecar, and labels where a selector rule could read them).
    group_of: Vec<u32>,
    /// Per identity partition: per workload, its identity class.
    identities: Vec<Vec<u32>>,
    pub columns: Vec<Column>,
}

impl ClassTable {
    pub fn new(mesh: &Mesh) -> Self {
        let groups = Groups::new(mesh);
        let principals: Vec<String> = mesh
            .workloads
            .iter()
            .map(|w| authz::principal_of(mesh, &w.id.namespace, &w.service_account))
            .collect();
        let mut partitions = Partitions {
            mesh,
            principals: &principals,
            by_patterns: HashMap::new(),
            identities: Vec::new(),
        };
        let mut columns = Vec::new();
        for (si, service) in mesh.services.iter().enumerate() {
            let endpoints = mesh.endpoints_of(service);
            let special = groups.special_namespaces(mesh, service);
            let identity = partitions.for_endpoints(&endpoints);
            for (pi, port) in service.ports.iter().enumerate() {
                let mut column = Column {
                    service: si,
                    port: pi,
                    to: format!("{}:{}", service.fqdn, port.port),
                    class_of_group: Vec::with_capacity(groups.representative.len()),
                    identity,
                    identity_classes: identity
                        .and_then(|p| partitions.identities.get(p))
                        .map_or(1, |ids| ids.iter().copied().max().map_or(1, |m| m as usize + 1)),
                    outcome: Vec::new(),
                    responses: Vec::new(),
                };
                let mut class_by_key: HashMap<(u32, bool, u32), u32> = HashMap::new();
                for key in &groups.keys {
                    let key = if special.contains(&key.0) {
                        *key
                    } else {
                        (OTHER_NAMESPACE, key.1, 0)
                    };
                    let next = class_by_key.len() as u32;
                    let class = *class_by_key.entry(key).or_insert(next);
                    column.class_of_group.push(class);
                }
                let slots = class_by_key.len() * column.identity_classes;
                column.outcome = vec![u16::MAX; slots];
                let mut by_response: HashMap<Response, u16> = HashMap::new();
                let mut fill = |client: &Workload, slot: usize, column: &mut Column| {
                    if column.outcome.get(slot).is_some_and(|&o| o == u16::MAX) {
                        let response = mesh.evaluate_port(client, service, port, "/", false).response();
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
                match identity.and_then(|p| partitions.identities.get(p)) {
                    // Identity matters: every client's (class, identity) pair, on its first member.
                    Some(ids) => {
                        for (w, client) in mesh.workloads.iter().enumerate() {
                            let (Some(&g), Some(&id)) = (groups.group_of.get(w), ids.get(w)) else {
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
                columns.push(column);
            }
        }
        Self {
            group_of: groups.group_of,
            identities: partitions.identities,
            columns,
        }
    }
}

/// Clients grouped by namespace, sidecar, and labels where a `workloadSelector` rule could read them.
struct Groups {
    group_of: Vec<u32>,
    /// Per group: (namespace id, sidecar, label set id); label set 0 = labels not read.
    keys: Vec<(u32, bool, u32)>,
    /// Per group: its first workload.
    representative: Vec<usize>,
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
        let mut group_ids: HashMap<(u32, bool, u32), u32> = HashMap::new();
        let mut groups = Groups {
            group_of: Vec::with_capacity(mesh.workloads.len()),
            keys: Vec::new(),
            representative: Vec::new(),
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
            let key = (ns, client.sidecar.present, labels);
            let next = group_ids.len() as u32;
            let group = *group_ids.entry(key).or_insert_with(|| {
                groups.keys.push(key);
                groups.representative.push(w);
                next
            });
            groups.group_of.push(group);
        }
        groups.namespace_ids = namespace_ids;
        groups
    }

    /// The namespaces whose clients the DestinationRule lookup for `service` can tell apart.
    fn special_namespaces(&self, mesh: &Mesh, service: &crate::model::Service) -> Vec<u32> {
        let mut names: Vec<&str> = vec![service.namespace.as_str(), mesh.settings.root_namespace.as_str()];
        for dr in mesh
            .destination_rules
            .iter()
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

/// Identity partitions, one per distinct set of patterns that authorization reads.
struct Partitions<'a> {
    mesh: &'a Mesh,
    principals: &'a [String],
    by_patterns: HashMap<authz::IdentityPatterns, usize>,
    identities: Vec<Vec<u32>>,
}

impl Partitions<'_> {
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
        self.identities.push(ids);
        let p = self.identities.len() - 1;
        self.by_patterns.insert(patterns, p);
        Some(p)
    }
}
