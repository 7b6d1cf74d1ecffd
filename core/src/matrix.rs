//! The reachability matrix: every client workload × every service port, streamed.

use serde::Serialize;

use crate::classes::{Cell, ClassTable};
use crate::evidence::{EdgeEvidence, EdgeScope, EvidenceSet, Resolved};
use crate::mesh::Mesh;
use crate::model::{Port, WorkloadId};
use crate::outcome::{Outcome, Response, WithVerdict};
use crate::settings::ResolvedSettings;

/// One cell: a client and a service port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Edge {
    pub from: WorkloadId,
    pub to: String,
    /// Serialized in its place: `status`, `curl_exit`, `transport`, `verdict`, `reason`.
    #[serde(flatten)]
    pub response: Response<WithVerdict>,
    /// Its evidence (`observed`, `declared`, `possible`, `forbidden`), when the matrix weighs
    /// evidence (`Mesh::edges_in_scope`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<EvidenceSet>,
}

impl From<Outcome> for Edge {
    fn from(o: Outcome) -> Self {
        Edge {
            from: o.from,
            to: o.to,
            response: o.response,
            evidence: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClientInfo {
    pub id: WorkloadId,
    pub kind: &'static str,
    pub sidecar: bool,
    pub sidecar_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServicePortInfo {
    /// `fqdn:port`, as in `Edge::to`.
    pub id: String,
    pub namespace: String,
    pub name: String,
    pub port: Port,
    pub port_name: Option<String>,
    pub endpoints: Vec<WorkloadId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Matrix {
    pub settings: ResolvedSettings,
    pub clients: Vec<ClientInfo>,
    pub services: Vec<ServicePortInfo>,
    pub edges: Vec<Edge>,
}

impl Matrix {
    pub fn edge(&self, from: &str, to: &str) -> Option<&Edge> {
        self.edges.iter().find(|e| e.from.to_string() == from && e.to == to)
    }
}

impl Mesh {
    pub fn matrix(&self) -> Matrix {
        Matrix {
            settings: self.settings.clone(),
            clients: self.client_infos(),
            services: self.service_port_infos(),
            edges: self.edges().collect(),
        }
    }

    /// How many edges the matrix has: every workload calls every service port.
    pub fn edge_count(&self) -> u64 {
        let ports: usize = self.services.iter().map(|s| s.ports.len()).sum();
        (self.workloads.len() as u64).saturating_mul(ports as u64)
    }

    /// The matrix as `Matrix` serializes, with the edges written as they are read from the class
    /// table: memory does not grow with the number of edges.
    pub fn matrix_stream(&self) -> MatrixStream<'_> {
        MatrixStream { mesh: self }
    }

    pub(crate) fn client_infos(&self) -> Vec<ClientInfo> {
        self.workloads
            .iter()
            .map(|w| ClientInfo {
                id: w.id.clone(),
                kind: w.kind,
                sidecar: w.sidecar.present,
                sidecar_reason: w.sidecar.reason.clone(),
            })
            .collect()
    }

    pub(crate) fn service_port_infos(&self) -> Vec<ServicePortInfo> {
        self.services
            .iter()
            .zip(self.endpoints.iter())
            .flat_map(|(s, eps)| {
                s.ports.iter().map(move |p| ServicePortInfo {
                    id: format!("{}:{}", s.fqdn, p.port),
                    namespace: s.namespace.clone(),
                    name: s.name.clone(),
                    port: p.port,
                    port_name: p.name.clone(),
                    endpoints: eps
                        .iter()
                        .filter_map(|&i| self.workloads.get(i))
                        .map(|w| w.id.clone())
                        .collect(),
                })
            })
            .collect()
    }

    /// Every edge, client by client, read from the class table.
    pub fn edges(&self) -> Edges<'_> {
        Edges {
            mesh: self,
            table: ClassTable::new(self),
            client: 0,
            column: 0,
            scoped: None,
        }
    }

    /// The edges `scope` keeps, each with its evidence: the declared edges of the mesh's intents
    /// and those of `evidence` (observed traffic), `possible` or `forbidden` from its response.
    pub fn edges_in_scope(&self, evidence: &EdgeEvidence, scope: EdgeScope) -> Edges<'_> {
        let table = ClassTable::new(self);
        let mut all = EdgeEvidence::of_mesh(self);
        all.merge(evidence);
        let resolved = all.resolve(self, &table);
        Edges {
            mesh: self,
            table,
            client: 0,
            column: 0,
            scoped: Some((resolved, scope)),
        }
    }

    /// `matrix` with `edges_in_scope`.
    pub fn matrix_in_scope(&self, evidence: &EdgeEvidence, scope: EdgeScope) -> Matrix {
        Matrix {
            settings: self.settings.clone(),
            clients: self.client_infos(),
            services: self.service_port_infos(),
            edges: self.edges_in_scope(evidence, scope).collect(),
        }
    }
}

impl From<Cell<'_>> for Edge {
    fn from(cell: Cell<'_>) -> Self {
        Edge {
            from: cell.client.id.clone(),
            to: cell.column.to.clone(),
            response: cell.response.with_verdict(),
            evidence: None,
        }
    }
}

/// The edges of a mesh; owns the class table it reads from.
pub struct Edges<'a> {
    mesh: &'a Mesh,
    table: ClassTable,
    client: usize,
    column: usize,
    /// The sparse evidence on `table` and the scope: edges carry their evidence, and only those
    /// in the scope are returned.
    scoped: Option<(Resolved, EdgeScope)>,
}

impl Iterator for Edges<'_> {
    type Item = Edge;

    fn next(&mut self) -> Option<Edge> {
        loop {
            let client = self.mesh.workloads.get(self.client)?;
            let Some(column) = self.table.columns.get(self.column) else {
                self.client += 1;
                self.column = 0;
                continue;
            };
            self.column += 1;
            if let Some(cell) = self.table.cell(self.client, client, column) {
                let Some((resolved, scope)) = &self.scoped else {
                    return Some(Edge::from(cell));
                };
                let evidence = resolved.evidence(self.column - 1, self.client, cell.response);
                if scope.admits(evidence) {
                    let mut edge = Edge::from(cell);
                    edge.evidence = Some(evidence);
                    return Some(edge);
                }
            }
        }
    }
}

/// `Matrix` without the edges in memory: see `Mesh::matrix_stream`.
pub struct MatrixStream<'a> {
    mesh: &'a Mesh,
}

impl Serialize for MatrixStream<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Streamed<'a>(&'a Mesh);
        impl Serialize for Streamed<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.edges())
            }
        }
        let mut matrix = serializer.serialize_struct("Matrix", 4)?;
        matrix.serialize_field("settings", &self.mesh.settings)?;
        matrix.serialize_field("clients", &self.mesh.client_infos())?;
        matrix.serialize_field("services", &self.mesh.service_port_infos())?;
        matrix.serialize_field("edges", &Streamed(self.mesh))?;
        matrix.end()
    }
}
