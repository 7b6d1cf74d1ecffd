//! Migration stages, derived from the resolved mesh (never stored): per service port, then
//! aggregated per namespace and for the mesh.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::evaluate::{Reason, Transport};
use crate::matrix::Edge;
use crate::mesh::Mesh;
use crate::model::{MtlsMode, WorkloadId};
use crate::resolve::server;

/// Where a service port is on the way from plaintext to STRICT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// STRICT (or mTLS-only) and some client fails.
    Broken,
    /// No endpoint has a sidecar: nothing to migrate.
    NoSidecar,
    /// DISABLE: the server accepts plaintext only.
    Plaintext,
    /// Accepts both, no client sends mTLS.
    Permissive,
    /// Accepts both, some sidecar clients send mTLS.
    Upgrading,
    /// Accepts both, every sidecar client sends mTLS; the plaintext callers left have no sidecar.
    Ready,
    /// STRICT, nothing breaks.
    Locked,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Broken,
        Stage::NoSidecar,
        Stage::Plaintext,
        Stage::Permissive,
        Stage::Upgrading,
        Stage::Ready,
        Stage::Locked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Broken => "broken",
            Stage::NoSidecar => "no-sidecar",
            Stage::Plaintext => "plaintext",
            Stage::Permissive => "permissive",
            Stage::Upgrading => "upgrading",
            Stage::Ready => "ready",
            Stage::Locked => "locked",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Failures that mTLS settings cause (not authorization, not missing services).
pub fn is_mtls_failure(reason: Reason) -> bool {
    matches!(
        reason,
        Reason::PlaintextToStrict | Reason::MtlsToNoSidecar | Reason::MtlsToDisabled | Reason::TlsOriginationRejected
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceStage {
    /// `fqdn:port`, as in matrix edges.
    pub service: String,
    pub namespace: String,
    pub stage: Stage,
    /// The strongest mode among the endpoints with a sidecar.
    pub mode: Option<MtlsMode>,
    pub mtls_clients: usize,
    pub plaintext_clients: usize,
    /// Clients that fail because of mTLS settings.
    pub failing: Vec<WorkloadId>,
    /// Clients without a sidecar that still send plaintext: they break when the port is locked.
    pub blockers: Vec<WorkloadId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stages {
    pub services: Vec<ServiceStage>,
    pub namespaces: BTreeMap<String, Stage>,
    pub mesh: Stage,
}

impl Stages {
    pub fn service(&self, id: &str) -> Option<&ServiceStage> {
        self.services.iter().find(|s| s.service == id)
    }
}

/// A namespace (or the mesh) is as far as its least advanced service with a sidecar; broken wins.
fn aggregate(stages: impl Iterator<Item = Stage>) -> Stage {
    let all: Vec<Stage> = stages.collect();
    if all.contains(&Stage::Broken) {
        return Stage::Broken;
    }
    all.iter()
        .copied()
        .filter(|s| *s != Stage::NoSidecar)
        .min()
        .unwrap_or(Stage::NoSidecar)
}

impl Mesh {
    pub fn stages(&self) -> Stages {
        let edges: Vec<Edge> = self.edges().collect();
        self.stages_of(&edges)
    }

    /// The stages from edges already evaluated (the matrix of this mesh).
    pub(crate) fn stages_of(&self, all_edges: &[Edge]) -> Stages {
        let sidecar: HashMap<&WorkloadId, bool> = self.workloads.iter().map(|w| (&w.id, w.sidecar.present)).collect();
        let mut by_service: HashMap<&str, Vec<&Edge>> = HashMap::new();
        for edge in all_edges {
            by_service.entry(edge.to.as_str()).or_default().push(edge);
        }
        let mut services = Vec::new();
        for (service, endpoints) in self.services.iter().zip(&self.endpoints) {
            for port in &service.ports {
                let id = format!("{}:{}", service.fqdn, port.port);
                let edges: &[&Edge] = by_service.get(id.as_str()).map(Vec::as_slice).unwrap_or_default();
                let modes: Vec<MtlsMode> = endpoints
                    .iter()
                    .filter_map(|&i| self.workloads.get(i))
                    .filter(|w| w.sidecar.present)
                    .filter_map(|w| {
                        w.container_port(port)
                            .map(|cp| server::server_mode(self, service, port, w, cp).mode)
                    })
                    .collect();
                let mode = modes.iter().copied().max();
                let failing: Vec<WorkloadId> = edges
                    .iter()
                    .filter(|e| is_mtls_failure(e.reason))
                    .map(|e| e.from.clone())
                    .collect();
                let from_sidecar = |e: &&Edge| sidecar.get(&e.from).copied().unwrap_or(false);
                let mtls_clients = edges
                    .iter()
                    .filter(|e| e.transport == Some(Transport::Mtls) && e.reason != Reason::MtlsToNoSidecar)
                    .count();
                let plaintext = |e: &&Edge| e.transport == Some(Transport::Plaintext) && !is_mtls_failure(e.reason);
                let plaintext_clients = edges.iter().copied().filter(plaintext).count();
                let sidecar_plaintext = edges.iter().copied().filter(plaintext).filter(from_sidecar).count();
                // Only a port that could be locked has blockers: the plaintext callers without a sidecar.
                let blockers: Vec<WorkloadId> = if mode == Some(MtlsMode::Permissive) {
                    edges
                        .iter()
                        .copied()
                        .filter(plaintext)
                        .filter(|e| !from_sidecar(e))
                        .map(|e| e.from.clone())
                        .collect()
                } else {
                    Vec::new()
                };
                let stage = match mode {
                    None => Stage::NoSidecar,
                    Some(_) if !failing.is_empty() => Stage::Broken,
                    Some(MtlsMode::Strict) => Stage::Locked,
                    Some(MtlsMode::Disable) => Stage::Plaintext,
                    Some(_) if mtls_clients == 0 && sidecar_plaintext > 0 => Stage::Permissive,
                    Some(_) if sidecar_plaintext > 0 => Stage::Upgrading,
                    Some(_) => Stage::Ready,
                };
                services.push(ServiceStage {
                    service: id,
                    namespace: service.namespace.clone(),
                    stage,
                    mode,
                    mtls_clients,
                    plaintext_clients,
                    failing,
                    blockers,
                });
            }
        }
        let mut per_namespace: BTreeMap<String, Vec<Stage>> = BTreeMap::new();
        for s in &services {
            per_namespace.entry(s.namespace.clone()).or_default().push(s.stage);
        }
        let namespaces: BTreeMap<String, Stage> = per_namespace
            .into_iter()
            .map(|(ns, stages)| (ns, aggregate(stages.into_iter())))
            .collect();
        let mesh = aggregate(namespaces.values().copied());
        Stages {
            services,
            namespaces,
            mesh,
        }
    }
}
