//! Migration stages, derived from the resolved mesh (never stored): per service port, then
//! aggregated per namespace and for the mesh.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::classes::{ClassTable, Column};
use crate::mesh::Mesh;
use crate::migrate::group::{ClientGroup, by_client, namespace_sizes, services_text};
use crate::model::{MtlsMode, WorkloadId};
use crate::outcome::{Reason, Transport, Verdict};
use crate::resolve::server;

/// Where a service port is on the way from plaintext to STRICT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

/// Whether stages list their failing and blocking clients (`stages`, `plan`) or only count them
/// (`check`, which reads counts: its memory then does not grow with the number of edges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientLists {
    Keep,
    CountOnly,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServiceStage {
    /// `fqdn:port`, as in matrix edges.
    pub service: String,
    pub namespace: String,
    pub stage: Stage,
    /// The strongest mode among the endpoints with a sidecar.
    pub mode: Option<MtlsMode>,
    pub mtls_clients: usize,
    pub plaintext_clients: usize,
    /// Clients that fail because of mTLS settings (empty when only counted: `ClientLists`).
    pub failing: Vec<WorkloadId>,
    /// Clients without a sidecar that still send plaintext: they break when the port is locked.
    pub blockers: Vec<WorkloadId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Stages {
    /// Shared with the stages derived from these for a change (the planner's candidates), which
    /// keep the stages of the services the change does not touch.
    pub services: Vec<Arc<ServiceStage>>,
    pub namespaces: BTreeMap<String, Stage>,
    pub mesh: Stage,
    /// The blockers, each client once, with the ports whose lock-down it holds back.
    pub blocker_groups: Vec<ClientGroup>,
    /// The clients that fail because of mTLS settings, each once, with the ports they fail on.
    pub failing_groups: Vec<ClientGroup>,
}

impl Stages {
    pub fn service(&self, id: &str) -> Option<&ServiceStage> {
        self.services.iter().find(|s| s.service == id).map(|s| &**s)
    }
}

impl ServiceStage {
    /// Ready, and no client left to hold the lock-down back: every caller already sends mTLS. Read
    /// from the counts, so it holds when the lists were not kept: the mode in force is never unset,
    /// so a ready port is PERMISSIVE with no sidecar client in plaintext, and each plaintext caller
    /// left is a sidecar-less blocker.
    pub fn ready_to_lock(&self) -> bool {
        self.stage == Stage::Ready && self.plaintext_clients == 0
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
    /// The stages, with the blockers and failing clients grouped by client (the planner's
    /// intermediate stages skip the grouping: nobody reads it there).
    pub fn stages(&self) -> Stages {
        let mut stages = self.stages_with(&ClassTable::new(self), ClientLists::Keep);
        let sizes = namespace_sizes(self);
        let grouped = |pick: fn(&ServiceStage) -> &Vec<WorkloadId>| {
            by_client(
                &sizes,
                stages
                    .services
                    .iter()
                    .flat_map(|s| pick(s).iter().map(|c| (c, s.service.as_str()))),
                services_text,
            )
        };
        let blocker_groups = grouped(|s| &s.blockers);
        let failing_groups = grouped(|s| &s.failing);
        stages.blocker_groups = blocker_groups;
        stages.failing_groups = failing_groups;
        stages
    }

    /// The stages read from this mesh's class table.
    pub(crate) fn stages_with(&self, table: &ClassTable, lists: ClientLists) -> Stages {
        let services = table
            .columns
            .iter()
            .filter_map(|c| self.service_stage(table, c, lists).map(Arc::new))
            .collect();
        self.aggregate_stages(services)
    }

    /// The stages of this mesh, a change of the mesh `previous` was computed for, whose table was
    /// rebuilt for the services `touched` says yes to: the other services' stages are kept. Like
    /// the planner's, which calls it, they count clients without listing them.
    pub(crate) fn stages_rebuilt(
        &self,
        table: &ClassTable,
        previous: &Stages,
        touched: impl Fn(usize) -> bool,
    ) -> Stages {
        let same_columns = previous.services.len() == table.columns.len();
        let services = table
            .columns
            .iter()
            .zip(0..)
            .filter_map(|(c, i)| match previous.services.get(i) {
                Some(kept) if same_columns && !touched(c.service) && kept.service == c.to => Some(Arc::clone(kept)),
                _ => self.service_stage(table, c, ClientLists::CountOnly).map(Arc::new),
            })
            .collect();
        self.aggregate_stages(services)
    }

    fn service_stage(&self, table: &ClassTable, column: &Column, lists: ClientLists) -> Option<ServiceStage> {
        let service = self.services.get(column.service)?;
        let endpoints = self.endpoints.get(column.service)?;
        let port = service.ports.get(column.port)?;
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
        let census = table.census(self, column);
        let keep = lists == ClientLists::Keep;
        let (mut mtls_clients, mut plaintext_clients, mut sidecar_plaintext, mut failing_clients) = (0, 0, 0, 0);
        let (mut failing, mut blockers): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
        for (at, (r, &n)) in column.responses.iter().zip(&census.counts).enumerate() {
            if is_mtls_failure(r.reason) {
                failing_clients += n;
                if keep {
                    failing.extend(census.all_clients(table, at));
                }
            }
            if r.transport == Some(Transport::Mtls) && r.reason != Reason::MtlsToNoSidecar {
                mtls_clients += n;
            }
            // A stage is about mTLS: a plaintext caller that authorization denies (403, or closed
            // on TCP) is refused before and after a lock-down, so it neither counts nor blocks.
            if r.transport == Some(Transport::Plaintext) && r.reason.verdict() == Verdict::Ok {
                plaintext_clients += n;
                sidecar_plaintext += census.with_sidecar(table, self, at);
                // Only a port that could be locked has blockers: the plaintext callers without a sidecar.
                if keep && mode == Some(MtlsMode::Permissive) {
                    blockers.extend(
                        census
                            .all_clients(table, at)
                            .into_iter()
                            .filter(|&w| self.workloads.get(w as usize).is_some_and(|c| !c.sidecar.present)),
                    );
                }
            }
        }
        let ids = |mut clients: Vec<u32>| -> Vec<WorkloadId> {
            clients.sort_unstable();
            clients
                .iter()
                .filter_map(|&w| self.workloads.get(w as usize))
                .map(|w| w.id.clone())
                .collect()
        };
        let (failing, blockers) = (ids(failing), ids(blockers));
        let stage = match mode {
            None => Stage::NoSidecar,
            Some(_) if failing_clients > 0 => Stage::Broken,
            Some(MtlsMode::Strict) => Stage::Locked,
            Some(MtlsMode::Disable) => Stage::Plaintext,
            Some(_) if mtls_clients == 0 && sidecar_plaintext > 0 => Stage::Permissive,
            Some(_) if sidecar_plaintext > 0 => Stage::Upgrading,
            Some(_) => Stage::Ready,
        };
        Some(ServiceStage {
            service: column.to.clone(),
            namespace: service.namespace.clone(),
            stage,
            mode,
            mtls_clients,
            plaintext_clients,
            failing,
            blockers,
        })
    }

    /// Per namespace and for the mesh, from the service ports' stages.
    fn aggregate_stages(&self, services: Vec<Arc<ServiceStage>>) -> Stages {
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
            blocker_groups: Vec::new(),
            failing_groups: Vec::new(),
        }
    }
}
