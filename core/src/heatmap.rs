//! The map of the mesh: for each (client namespace, server namespace) pair, how many edges end in
//! each outcome class, and the worst of them. Computed by streaming the class table's cells, so
//! memory grows with the number of namespaces squared, never with the number of edges (a 10,000-pod
//! cluster has millions). The playground opens large meshes on it; `meshlock matrix --by namespace`
//! prints the same numbers.
//!
//! Also the matrix restricted to one namespace pair (or to one side), for drilling into a cell of
//! the map without materialising every edge of the mesh.

use serde::Serialize;

use crate::classes::ClassTable;
use crate::evidence::{EdgeScope, Resolved};
use crate::matrix::{Edge, Matrix};
use crate::mesh::Mesh;
use crate::migrate::group::Effect;
use crate::outcome::{Response, Transport, Verdict};

/// What an edge means at a glance, ordered from best to worst (the map colours a pair by its worst).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeClass {
    /// Works over mutual TLS.
    OkMtls,
    /// Works in plaintext.
    OkPlaintext,
    /// Denied by the cluster's own authorization (403, or closed on TCP): intended.
    Denied,
    /// Fails for a reason other than mTLS or authorization (no endpoints, unknown port or host).
    OtherFailure,
    /// Fails because of the mTLS configuration: the problem a migration must not cause.
    MtlsBroken,
}

impl OutcomeClass {
    pub const ALL: [OutcomeClass; 5] = [
        OutcomeClass::OkMtls,
        OutcomeClass::OkPlaintext,
        OutcomeClass::Denied,
        OutcomeClass::OtherFailure,
        OutcomeClass::MtlsBroken,
    ];

    /// The class of one response: the vocabulary of `check` (`Effect::of_failure`) for failures.
    pub fn of(response: &Response) -> Self {
        match response.reason.verdict() {
            Verdict::Ok if response.transport == Some(Transport::Mtls) => OutcomeClass::OkMtls,
            Verdict::Ok => OutcomeClass::OkPlaintext,
            Verdict::Fail => match Effect::of_failure(response.reason) {
                Effect::Denied => OutcomeClass::Denied,
                Effect::MtlsBroken => OutcomeClass::MtlsBroken,
                _ => OutcomeClass::OtherFailure,
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeClass::OkMtls => "ok-mtls",
            OutcomeClass::OkPlaintext => "ok-plaintext",
            OutcomeClass::Denied => "denied",
            OutcomeClass::OtherFailure => "other-failure",
            OutcomeClass::MtlsBroken => "mtls-broken",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for OutcomeClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Edges per outcome class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClassCounts {
    pub ok_mtls: u64,
    pub ok_plaintext: u64,
    pub denied: u64,
    pub other_failure: u64,
    pub mtls_broken: u64,
}

impl ClassCounts {
    fn from_array(counts: &[u64; 5]) -> Self {
        let [ok_mtls, ok_plaintext, denied, other_failure, mtls_broken] = *counts;
        Self {
            ok_mtls,
            ok_plaintext,
            denied,
            other_failure,
            mtls_broken,
        }
    }

    pub fn get(&self, class: OutcomeClass) -> u64 {
        match class {
            OutcomeClass::OkMtls => self.ok_mtls,
            OutcomeClass::OkPlaintext => self.ok_plaintext,
            OutcomeClass::Denied => self.denied,
            OutcomeClass::OtherFailure => self.other_failure,
            OutcomeClass::MtlsBroken => self.mtls_broken,
        }
    }

    pub fn total(&self) -> u64 {
        OutcomeClass::ALL.iter().map(|&c| self.get(c)).sum()
    }

    /// The worst class with at least one edge.
    pub fn worst(&self) -> Option<OutcomeClass> {
        OutcomeClass::ALL.iter().rev().copied().find(|&c| self.get(c) > 0)
    }
}

/// One namespace of the map: its client workloads and service ports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MapNamespace {
    pub name: String,
    pub clients: usize,
    pub service_ports: usize,
}

/// The edges from the clients of one namespace to the service ports of another (or the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NamespacePair {
    /// The clients' namespace.
    pub from: String,
    /// The service ports' namespace.
    pub to: String,
    pub edges: u64,
    pub counts: ClassCounts,
    pub worst: OutcomeClass,
}

/// Namespace × namespace: the pairs that have edges, client namespace by client namespace, the
/// server namespaces in name order; the pairs' counts add up to `totals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NamespaceMap {
    pub clients: usize,
    pub service_ports: usize,
    pub edges: u64,
    pub totals: ClassCounts,
    pub worst: Option<OutcomeClass>,
    /// Every namespace with a client or a service port, in name order.
    pub namespaces: Vec<MapNamespace>,
    pub pairs: Vec<NamespacePair>,
}

impl Mesh {
    /// The namespace × namespace map (builds the class table; see `namespace_map_of` to reuse one).
    pub fn namespace_map(&self) -> NamespaceMap {
        namespace_map_of(self, &ClassTable::new(self))
    }

    /// The matrix restricted to the clients of `client_ns` and the service ports of `service_ns`
    /// (`None`: every namespace on that side).
    pub fn matrix_between(&self, client_ns: Option<&str>, service_ns: Option<&str>) -> Matrix {
        matrix_between_of(self, &ClassTable::new(self), client_ns, service_ns)
    }
}

/// Namespaces in name order, and each workload's and each column's index among them.
struct Index {
    names: Vec<String>,
    of_client: Vec<usize>,
    of_column: Vec<usize>,
}

impl Index {
    fn new(mesh: &Mesh, table: &ClassTable) -> Self {
        let mut names: Vec<String> = mesh
            .workloads
            .iter()
            .map(|w| w.id.namespace.clone())
            .chain(mesh.services.iter().map(|s| s.namespace.clone()))
            .collect();
        names.sort();
        names.dedup();
        let find = |ns: &str| names.binary_search_by(|n| n.as_str().cmp(ns)).unwrap_or(0);
        let of_client = mesh.workloads.iter().map(|w| find(&w.id.namespace)).collect();
        let of_column = table
            .columns
            .iter()
            .map(|c| mesh.services.get(c.service).map_or(0, |s| find(&s.namespace)))
            .collect();
        Self {
            names,
            of_client,
            of_column,
        }
    }
}

/// The edges a map or a pair's grid holds: the sparse evidence resolved on the same class table,
/// and the scope that keeps an edge (`EdgeScope::All`: every edge, each with its evidence).
#[derive(Clone, Copy)]
pub struct InScope<'a> {
    pub evidence: &'a Resolved,
    pub scope: &'a EdgeScope,
}

/// The namespace map read from `table`, a class table of `mesh`: one pass over its cells.
pub fn namespace_map_of(mesh: &Mesh, table: &ClassTable) -> NamespaceMap {
    count_map(mesh, table, None)
}

/// `namespace_map_of` counting only the edges `in_scope` keeps (the map of `--edges declared`).
pub fn namespace_map_in_scope(mesh: &Mesh, table: &ClassTable, in_scope: InScope<'_>) -> NamespaceMap {
    count_map(mesh, table, Some(in_scope))
}

fn count_map(mesh: &Mesh, table: &ClassTable, in_scope: Option<InScope<'_>>) -> NamespaceMap {
    let index = Index::new(mesh, table);
    let n = index.names.len();
    let mut counts: Vec<[u64; 5]> = vec![[0; 5]; n * n];
    let mut totals = [0u64; 5];
    for (at, (column, &server)) in table.columns.iter().zip(&index.of_column).enumerate() {
        // Outcome classes of this column's few distinct responses, looked up per cell.
        let classes: Vec<usize> = column.responses.iter().map(|r| OutcomeClass::of(r).index()).collect();
        let scope = in_scope.map(|s| s.scope.column(s.evidence, at));
        for ((w, client), &from) in mesh.workloads.iter().enumerate().zip(&index.of_client) {
            let Some(cell) = table.cell(w, client, column) else {
                continue;
            };
            if scope.is_some_and(|s| !s.admits(w, cell.response)) {
                continue;
            }
            let Some(class) = column
                .responses
                .iter()
                .position(|r| r == cell.response)
                .and_then(|at| classes.get(at).copied())
            else {
                continue;
            };
            if let Some(slot) = counts.get_mut(from * n + server).and_then(|c| c.get_mut(class)) {
                *slot += 1;
            }
            if let Some(slot) = totals.get_mut(class) {
                *slot += 1;
            }
        }
    }
    let mut namespaces: Vec<MapNamespace> = index
        .names
        .iter()
        .map(|name| MapNamespace {
            name: name.clone(),
            clients: 0,
            service_ports: 0,
        })
        .collect();
    for &ns in &index.of_client {
        if let Some(m) = namespaces.get_mut(ns) {
            m.clients += 1;
        }
    }
    for &ns in &index.of_column {
        if let Some(m) = namespaces.get_mut(ns) {
            m.service_ports += 1;
        }
    }
    let mut pairs = Vec::new();
    for (at, c) in counts.iter().enumerate() {
        let counts = ClassCounts::from_array(c);
        let (Some(worst), Some(from), Some(to)) = (
            counts.worst(),
            index.names.get(at / n.max(1)),
            index.names.get(at % n.max(1)),
        ) else {
            continue;
        };
        pairs.push(NamespacePair {
            from: from.clone(),
            to: to.clone(),
            edges: counts.total(),
            counts,
            worst,
        });
    }
    let totals = ClassCounts::from_array(&totals);
    NamespaceMap {
        clients: mesh.workloads.len(),
        service_ports: table.columns.len(),
        edges: totals.total(),
        worst: totals.worst(),
        totals,
        namespaces,
        pairs,
    }
}

/// `Mesh::matrix_between`, reading from `table`, a class table of `mesh`.
pub fn matrix_between_of(mesh: &Mesh, table: &ClassTable, client_ns: Option<&str>, service_ns: Option<&str>) -> Matrix {
    pair_matrix(mesh, table, client_ns, service_ns, None)
}

/// `matrix_between_of` with only the edges `in_scope` keeps, each with its evidence (clients and
/// service ports stay those of the pair: the grid's rows and columns, with holes).
pub fn matrix_between_in_scope(
    mesh: &Mesh,
    table: &ClassTable,
    client_ns: Option<&str>,
    service_ns: Option<&str>,
    in_scope: InScope<'_>,
) -> Matrix {
    pair_matrix(mesh, table, client_ns, service_ns, Some(in_scope))
}

fn pair_matrix(
    mesh: &Mesh,
    table: &ClassTable,
    client_ns: Option<&str>,
    service_ns: Option<&str>,
    in_scope: Option<InScope<'_>>,
) -> Matrix {
    let rows: Vec<usize> = mesh
        .workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| client_ns.is_none_or(|ns| w.id.namespace == ns))
        .map(|(i, _)| i)
        .collect();
    let cols: Vec<usize> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| service_ns.is_none_or(|ns| mesh.services.get(c.service).is_some_and(|s| s.namespace == ns)))
        .map(|(i, _)| i)
        .collect();
    let (clients, services) = (mesh.client_infos(), mesh.service_port_infos());
    let mut edges = Vec::with_capacity(rows.len() * cols.len());
    for &w in &rows {
        let Some(client) = mesh.workloads.get(w) else { continue };
        for &c in &cols {
            let Some(cell) = table.columns.get(c).and_then(|column| table.cell(w, client, column)) else {
                continue;
            };
            let Some(in_scope) = in_scope else {
                edges.push(Edge::from(cell));
                continue;
            };
            let evidence = in_scope.evidence.evidence(c, w, cell.response);
            if in_scope.scope.admits(evidence) {
                edges.push(Edge {
                    evidence: Some(evidence),
                    ..Edge::from(cell)
                });
            }
        }
    }
    Matrix {
        settings: mesh.settings.clone(),
        clients: rows.iter().filter_map(|&i| clients.get(i).cloned()).collect(),
        services: cols.iter().filter_map(|&i| services.get(i).cloned()).collect(),
        edges,
    }
}

impl NamespaceMap {
    /// Whether any edge fails (denied included, as `matrix --fail-on-broken` counts them).
    pub fn any_failing(&self) -> bool {
        self.totals.denied + self.totals.other_failure + self.totals.mtls_broken > 0
    }
}
