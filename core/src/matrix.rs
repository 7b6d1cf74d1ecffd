//! The reachability matrix: every client workload × every service port, streamed.

use serde::Serialize;
use std::collections::HashMap;

use crate::evaluate::{ClientClass, Outcome, Reason, Status, Transport, Verdict};
use crate::mesh::Mesh;
use crate::model::{Port, WorkloadId};
use crate::settings::ResolvedSettings;

/// One cell: a client and a service port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: WorkloadId,
    pub to: String,
    pub status: Status,
    pub curl_exit: u8,
    pub transport: Option<Transport>,
    pub verdict: Verdict,
    pub reason: Reason,
}

impl From<Outcome> for Edge {
    fn from(o: Outcome) -> Self {
        Edge {
            from: o.from,
            to: o.to,
            status: o.status,
            curl_exit: o.curl_exit,
            transport: o.transport,
            verdict: o.verdict,
            reason: o.reason,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientInfo {
    pub id: WorkloadId,
    pub kind: &'static str,
    pub sidecar: bool,
    pub sidecar_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
            clients: self
                .workloads
                .iter()
                .map(|w| ClientInfo {
                    id: w.id.clone(),
                    kind: w.kind,
                    sidecar: w.sidecar.present,
                    sidecar_reason: w.sidecar.reason.clone(),
                })
                .collect(),
            services: self
                .services
                .iter()
                .zip(&self.endpoints)
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
                .collect(),
            edges: self.edges().collect(),
        }
    }

    /// Every edge, client by client, computed lazily: clients alike in namespace and sidecar
    /// share one evaluation per service port.
    pub fn edges(&self) -> Edges<'_> {
        let mut with_selectors = HashMap::new();
        for dr in &self.destination_rules {
            if dr.workload_selector.is_some() {
                with_selectors.insert(dr.meta.namespace.clone(), true);
            }
        }
        let ports = self
            .services
            .iter()
            .enumerate()
            .flat_map(|(si, s)| (0..s.ports.len()).map(move |pi| (si, pi)))
            .collect();
        Edges {
            mesh: self,
            with_selectors,
            ports,
            client: 0,
            port: 0,
            memo: HashMap::new(),
        }
    }
}

pub struct Edges<'a> {
    mesh: &'a Mesh,
    with_selectors: HashMap<String, bool>,
    ports: Vec<(usize, usize)>,
    client: usize,
    port: usize,
    memo: HashMap<(ClientClass, usize), Outcome>,
}

impl Iterator for Edges<'_> {
    type Item = Edge;

    fn next(&mut self) -> Option<Edge> {
        loop {
            let client = self.mesh.workloads.get(self.client)?;
            let Some(&(si, pi)) = self.ports.get(self.port) else {
                self.client += 1;
                self.port = 0;
                continue;
            };
            let port_index = self.port;
            self.port += 1;
            let (Some(service), Some(port)) = (
                self.mesh.services.get(si),
                self.mesh.services.get(si).and_then(|s| s.ports.get(pi)),
            ) else {
                continue;
            };
            // A caller outside the mesh calls only its targets.
            if let Some(calls) = &client.calls {
                let id = format!("{}:{}", service.fqdn, port.port);
                if !calls.contains(&id) {
                    continue;
                }
            }
            let class = self.mesh.client_class(client, &self.with_selectors);
            let outcome = self
                .memo
                .entry((class, port_index))
                .or_insert_with(|| self.mesh.evaluate_port(client, service, port, "/", false));
            let mut edge = Edge::from(outcome.clone());
            edge.from = client.id.clone();
            return Some(edge);
        }
    }
}
