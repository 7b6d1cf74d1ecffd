//! The planner: ordered steps from the current mesh towards STRICT that never turn a working edge
//! into a failing one (unless the user allowed that client to break). Every candidate step is
//! simulated on the model before it is emitted; a step that would break an edge is not emitted and
//! its breaks are reported as blockers with remedies.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use crate::classes::{ClassTable, touched_services};
use crate::evidence::{EdgeEvidence, EdgeScope, EvidenceSet};
use crate::ingest::Source;
use crate::mesh::{LoadError, Mesh};
use crate::migrate::blocked::{Blocked, BrokenClients};
use crate::migrate::diff::{EdgeChange, change_sets};
use crate::migrate::group::{
    ClientGroup, Deciders, EdgeGroup, Effect, Grouper, by_client, names_text, namespace_sizes,
};
use crate::migrate::stage::{ClientLists, Stage, Stages, is_mtls_failure};
use crate::model::ResourceRef;
use crate::model::{Meta, MtlsMode, Service, WorkloadId, yaml_str};
use crate::outcome::{Reason, Transport, Verdict};
use crate::resolve::server;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", tag = "type", content = "namespaces")]
pub enum Goal {
    /// Lock every namespace that can be locked.
    Strict,
    /// Lock these namespaces only.
    Namespaces(Vec<String>),
    /// Lock every namespace, then the whole mesh.
    MeshStrict,
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Goal::Strict => f.write_str("strict"),
            Goal::MeshStrict => f.write_str("mesh-strict"),
            Goal::Namespaces(ns) => write!(f, "namespace={}", ns.join(",")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown goal `{0}`: use `strict`, `mesh-strict` or `namespace=NS[,NS…]`")]
pub struct GoalError(pub String);

impl FromStr for Goal {
    type Err = GoalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "strict" => Ok(Goal::Strict),
            "mesh-strict" => Ok(Goal::MeshStrict),
            other => match other
                .strip_prefix("namespace=")
                .or_else(|| other.strip_prefix("strict-namespaces="))
            {
                Some(list) if !list.is_empty() => {
                    Ok(Goal::Namespaces(list.split(',').map(|n| n.trim().to_owned()).collect()))
                }
                _ => Err(GoalError(s.to_owned())),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StageChange {
    pub before: Stage,
    pub after: Stage,
}

/// One step: what to apply and delete, how to undo it, and what it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PlanStep {
    /// Deterministic, file-name safe: `lock-foo`, `client-mtls-httpbin-foo`.
    pub name: String,
    pub description: String,
    pub apply: Vec<String>,
    /// Manifests to `kubectl delete -f`.
    pub delete: Vec<String>,
    /// Applying `rollback` and deleting `rollback_delete` restores the state before this step.
    pub rollback: Vec<String>,
    pub rollback_delete: Vec<String>,
    /// Every edge that changes, when the plan lists edges; else empty (`groups` count them).
    pub delta: Vec<EdgeChange>,
    /// `delta` grouped by effect, change, reason after and deciding resource.
    pub groups: Vec<EdgeGroup>,
    /// Service ports and namespaces whose stage changes.
    pub stages: BTreeMap<String, StageChange>,
    /// What to verify on the live cluster before applying.
    pub prechecks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RemedyKind {
    InjectClient,
    KeepPermissive,
    AllowBreak,
    FixDestinationRule,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Remedy {
    pub kind: RemedyKind,
    /// What it acts on: the namespace to inject, the rule to fix, the port (or, before 1.5, the
    /// service) to keep PERMISSIVE, the client to let break.
    pub target: String,
    pub description: String,
    /// The YAML or command that implements it, when there is one.
    pub action: Option<String>,
}

/// A client that a lock-down step would break, and the narrowest ways out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Blocker {
    pub client: WorkloadId,
    pub service: String,
    /// What the client would see after the step (`000`, `503`), or `observed plaintext` when the
    /// blocker comes from observed traffic.
    #[cfg_attr(feature = "schema", schemars(schema_with = "would_get_schema"))]
    pub would_get: String,
    pub reason: Reason,
    /// The step that was held back.
    pub step: String,
    pub remedies: Vec<Remedy>,
    /// What says the edge is used (`observed`, `declared`, `possible`), strongest first.
    pub evidence: EvidenceSet,
    /// The strongest evidence in words: `observed 40 requests in plaintext`, `declared by
    /// TrafficIntent foo/callers`, `possible`.
    pub evidence_text: String,
}

/// One remedy of the plan's remedy set, and what it releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RemedyChoice {
    pub kind: RemedyKind,
    pub target: String,
    pub description: String,
    pub action: Option<String>,
    /// Blocked edges it deals with (not dealt with by the remedies before it).
    pub edges: usize,
    /// Lock-downs released once it and the remedies before it are applied.
    pub released: usize,
    /// The other ways out for the same edges.
    pub alternatives: Vec<String>,
}

/// The mesh once every step is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "PlanSummary"))]
pub struct Summary {
    pub edges: usize,
    pub ok: usize,
    pub failing: usize,
    pub mtls: usize,
    pub plaintext: usize,
    pub namespaces: BTreeMap<String, Stage>,
    pub mesh: Stage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Plan {
    pub goal: Goal,
    /// What needs no step, and why (e.g. a server that already accepts mTLS).
    pub notes: Vec<String>,
    pub steps: Vec<PlanStep>,
    /// How many edges the held-back lock-downs would break.
    pub blocked_edges: usize,
    /// Those edges with their remedies, when the plan lists edges (`Mesh::plan`, JSON, `--all`);
    /// else empty.
    pub blockers: Vec<Blocker>,
    /// The lock-downs held back (step names, without the number).
    pub held_back: Vec<String>,
    /// The blocking clients, each once, with the lock-downs it holds back.
    pub blocking_clients: Vec<ClientGroup>,
    /// The smallest set of remedies found that releases the held-back lock-downs, in order.
    pub remedy_set: Vec<RemedyChoice>,
    #[serde(rename = "final")]
    pub final_state: Summary,
    /// The edges the plan protects (`--edges`); absent: all.
    #[serde(skip_serializing_if = "EdgeScope::is_all")]
    pub edges: EdgeScope,
    /// Edges outside that scope that the steps break (each step's notes name them).
    #[serde(skip_serializing_if = "is_zero")]
    pub breaks_outside_scope: usize,
    /// Blocked edges per strongest evidence (`observed` weighs more than `possible`), when the
    /// plan weighs evidence or a scope.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::evidence::per_evidence_schema"))]
    pub blocked_by_evidence: BTreeMap<crate::evidence::Evidence, usize>,
    /// A few blockers with the strongest evidence, named even when `blockers` is not listed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub strongest_blockers: Vec<Blocker>,
}

/// `Blocker::would_get`: a status as curl prints it, or `observed plaintext`.
#[cfg(feature = "schema")]
fn would_get_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "anyOf": [generator.subschema_for::<crate::outcome::Status>(), {"const": "observed plaintext"}],
    })
}

/// Blockers named by their evidence in every plan that weighs evidence.
const STRONGEST: usize = 10;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("namespace `{0}` is not in the input")]
    UnknownNamespace(String),
    /// A YAML the planner wrote did not load: a bug in meshlock, reported rather than hidden.
    #[error("internal: a planned resource does not load: {0}")]
    Internal(#[from] LoadError),
    /// A planned policy changed the workloads or service ports (it never should): a bug.
    #[error("internal: a planned step changed the mesh's workloads or service ports")]
    ShapeChanged,
}

pub fn summary(mesh: &Mesh, table: &ClassTable, stages: &Stages) -> Summary {
    let (mut edges, mut ok, mut mtls, mut plaintext) = (0, 0, 0, 0);
    for column in &table.columns {
        let census = table.census(mesh, column);
        for (r, &n) in column.responses.iter().zip(&census.counts) {
            edges += n;
            if r.reason.verdict() == Verdict::Ok {
                ok += n;
                match r.transport {
                    Some(Transport::Mtls) => mtls += n,
                    _ => plaintext += n,
                }
            }
        }
    }
    Summary {
        edges,
        ok,
        failing: edges - ok,
        mtls,
        plaintext,
        namespaces: stages.namespaces.clone(),
        mesh: stages.mesh,
    }
}

/// A change the planner considers: resources to apply (YAML), resources to delete.
struct Candidate {
    name: String,
    description: String,
    apply: Vec<String>,
    delete: Vec<ResourceRef>,
    prechecks: Vec<String>,
    /// The goal itself (mesh-wide STRICT): emitted even when no current edge changes.
    is_goal: bool,
}

struct Planner<'a> {
    current: Mesh,
    /// The class table and stages of `current`, updated step by step for what each step touches.
    table: ClassTable,
    stages: Stages,
    /// Observed traffic: a lock-down is held back by observed plaintext senders too.
    observations: Option<&'a crate::telemetry::Observations>,
    allow_break: &'a [WorkloadId],
    /// Declared and observed edges, and the edges the plan protects: a break outside the scope
    /// does not hold a step back (it is noted).
    evidence: &'a EdgeEvidence,
    scope: EdgeScope,
    breaks_outside_scope: usize,
    /// Whether steps keep their per-edge `delta` (the blockers are listed at the end).
    list_edges: bool,
    steps: Vec<PlanStep>,
    blocked: Blocked<'a>,
    notes: Vec<String>,
}

impl Mesh {
    /// Plans the migration towards `goal`; `allow_break` names clients the user accepts to break.
    pub fn plan(&self, goal: &Goal, allow_break: &[WorkloadId]) -> Result<Plan, PlanError> {
        self.plan_with_observations(goal, allow_break, None)
    }

    /// As `plan`, with observed traffic as extra evidence: a lock-down step is held back by
    /// observed plaintext senders even when the model alone would allow it.
    pub fn plan_with_observations(
        &self,
        goal: &Goal,
        allow_break: &[WorkloadId],
        observations: Option<&crate::telemetry::Observations>,
    ) -> Result<Plan, PlanError> {
        self.plan_with(goal, allow_break, observations, true)
    }

    /// As `plan_with_observations`; `list_edges`: also list every blocked edge (`blockers`) and
    /// every step's changed edges (`delta`), which JSON and `--all` show. Without it the plan holds
    /// counts and groups: its memory does not grow with the number of edges.
    pub fn plan_with(
        &self,
        goal: &Goal,
        allow_break: &[WorkloadId],
        observations: Option<&crate::telemetry::Observations>,
        list_edges: bool,
    ) -> Result<Plan, PlanError> {
        self.plan_in_scope(
            goal,
            allow_break,
            observations,
            list_edges,
            &EdgeEvidence::of_mesh(self),
            EdgeScope::All,
        )
    }

    /// As `plan_with`, protecting only the edges `scope` keeps (`--edges declared,observed`):
    /// a step that breaks edges outside it is emitted, and its note names them. Blockers carry
    /// their evidence from `evidence` (declared and observed edges).
    pub fn plan_in_scope(
        &self,
        goal: &Goal,
        allow_break: &[WorkloadId],
        observations: Option<&crate::telemetry::Observations>,
        list_edges: bool,
        evidence: &EdgeEvidence,
        scope: EdgeScope,
    ) -> Result<Plan, PlanError> {
        let table = ClassTable::new(self);
        let namespaces = self.plan_order(goal, &table)?;
        let mut planner = Planner {
            current: self.clone(),
            stages: self.stages_with(&table, ClientLists::CountOnly),
            blocked: Blocked::new(self, &table, evidence),
            table,
            observations,
            allow_break,
            evidence,
            scope,
            breaks_outside_scope: 0,
            list_edges,
            steps: Vec::new(),
            notes: Vec::new(),
        };
        for namespace in &namespaces {
            if self.uses_peer_authentication() {
                planner.namespace_with_peer_authentication(namespace)?;
            } else {
                for service in self.services.iter().filter(|s| &s.namespace == namespace) {
                    planner.service_with_v1alpha1(service)?;
                }
            }
        }
        if *goal == Goal::MeshStrict {
            planner.mesh_wide()?;
        }
        let final_state = summary(&planner.current, &planner.table, &planner.stages);
        let held_back = planner.blocked.held_back();
        let blocking_clients = by_client(&namespace_sizes(self), planner.blocked.client_steps(), names_text);
        let remedy_set = planner.blocked.remedy_set(self, held_back.len());
        let weighed = !evidence.is_empty() || !scope.is_all() || observations.is_some();
        Ok(Plan {
            goal: goal.clone(),
            notes: planner.notes,
            steps: planner.steps,
            blocked_edges: planner.blocked.len(),
            blockers: if list_edges {
                planner.blocked.blockers()
            } else {
                Vec::new()
            },
            held_back,
            blocking_clients,
            remedy_set,
            final_state,
            edges: scope,
            breaks_outside_scope: planner.breaks_outside_scope,
            blocked_by_evidence: if weighed {
                planner.blocked.by_evidence()
            } else {
                BTreeMap::new()
            },
            strongest_blockers: if weighed {
                planner.blocked.strongest(STRONGEST)
            } else {
                Vec::new()
            },
        })
    }

    /// PeerAuthentication decides servers from 1.6 (and in 1.5 once one exists); before, v1alpha1.
    pub(super) fn uses_peer_authentication(&self) -> bool {
        let version = self.settings.istio_version;
        version.has_peer_authentication() && (!version.has_v1alpha1_authn() || self.authn_policies.is_empty())
    }

    /// Namespaces with services to lock, least connected first (fewest edges in and out), then by name.
    fn plan_order(&self, goal: &Goal, table: &ClassTable) -> Result<Vec<String>, PlanError> {
        let root = &self.settings.root_namespace;
        let mut namespaces: Vec<String> = self
            .services
            .iter()
            .map(|s| s.namespace.clone())
            .filter(|n| n != root)
            .collect();
        namespaces.sort();
        namespaces.dedup();
        if let Goal::Namespaces(wanted) = goal {
            for ns in wanted {
                if !namespaces.contains(ns) && !self.namespaces.contains_key(ns) {
                    return Err(PlanError::UnknownNamespace(ns.clone()));
                }
            }
            namespaces.retain(|n| wanted.contains(n));
        }
        let mut degree: BTreeMap<String, usize> = BTreeMap::new();
        let (into, out) = table.degrees(self);
        for (column, into) in table.columns.iter().zip(into) {
            let Some(ns) = column.to.split('.').nth(1) else {
                continue;
            };
            *degree.entry(ns.to_owned()).or_default() += into;
        }
        // Out of a namespace: its clients' edges, counted per client, then added per namespace.
        for (client, out) in self.workloads.iter().zip(out) {
            match degree.get_mut(&client.id.namespace) {
                Some(d) => *d += out,
                None => {
                    degree.insert(client.id.namespace.clone(), out);
                }
            }
        }
        namespaces.sort_by_key(|n| (degree.get(n).copied().unwrap_or(0), n.clone()));
        Ok(namespaces)
    }
}

impl Planner<'_> {
    /// Simulates `candidate`; emits it when nothing breaks beyond the allowed clients and it changes
    /// something, else records its breaks as blockers. Returns whether it was emitted.
    fn try_step(&mut self, candidate: Candidate, offer_remedies: bool) -> Result<bool, PlanError> {
        let sources: Vec<Source> = candidate
            .apply
            .iter()
            .enumerate()
            .map(|(i, y)| Source::new(format!("{}#{i}", candidate.name), y.clone()))
            .collect();
        let next = self.current.change_policies(&sources, &candidate.delete)?.mesh;
        // Plan cost grows with what each step touches: only those services' columns are evaluated.
        let touched = touched_services(&self.current, &next);
        let touched = |si: usize| touched.get(si).copied().unwrap_or(true);
        let next_table = self.table.rebuilt(&self.current, &next, touched);
        debug_assert!(
            next_table.same_cells(&next, &ClassTable::new(&next)),
            "the incremental class table differs from a full build"
        );
        let sets = change_sets(&next, &self.table, &next_table, touched).ok_or(PlanError::ShapeChanged)?;
        let after = next.stages_rebuilt(&next_table, &self.stages, touched);
        let stages = stage_changes(&self.stages, &after);
        if sets.is_empty() && stages.is_empty() && !candidate.is_goal {
            return Ok(false);
        }
        if self.observed_blockers(&candidate, &after) {
            return Ok(false);
        }
        // The broken edges the user did not accept, with their evidence: those outside the scope
        // do not hold the step back.
        let workloads = next.workloads();
        let accepted = |w: u32| {
            !self.allow_break.is_empty()
                && workloads
                    .get(w as usize)
                    .is_some_and(|c| self.allow_break.contains(&c.id))
        };
        let mut broken = Vec::new();
        let mut outside: Vec<(u32, u32, EvidenceSet)> = Vec::new();
        for set in sets.iter().filter(|set| set.breaks()) {
            let column = set.column as u32;
            let to = self.table.columns.get(set.column).map_or("", |c| c.to.as_str());
            let evidence = crate::evidence::of_response(set.before.response.reason);
            let mut held = BrokenClients {
                column,
                after: set.after,
                evidence,
                sparse: Vec::new(),
                clients: Vec::new(),
            };
            for &w in set.clients.iter().filter(|&&w| !accepted(w)) {
                let edge = match workloads.get(w as usize) {
                    Some(client) if !self.evidence.is_empty() => evidence.union(self.evidence.sparse(&client.id, to)),
                    _ => evidence,
                };
                if !self.scope.admits(edge) {
                    outside.push((w, column, edge));
                    continue;
                }
                if edge != evidence {
                    held.sparse.push((w, edge));
                }
                held.clients.push(w);
            }
            broken.push(held);
        }
        if broken.iter().any(|b| !b.clients.is_empty()) {
            let step = self.blocked.step(&candidate.name);
            let remedies = offer_remedies.then_some((&self.current, &self.table));
            self.blocked.push_step(step, broken, remedies);
            return Ok(false);
        }
        if !outside.is_empty() {
            self.breaks_outside_scope += outside.len();
            // Named in edge order: by client, then service port.
            outside.sort_by_key(|&(w, c, _)| (w, self.blocked.rank(c)));
            let shown: Vec<String> = outside
                .iter()
                .take(3)
                .filter_map(|&(w, c, evidence)| {
                    let from = &workloads.get(w as usize)?.id;
                    let to = &self.table.columns.get(c as usize)?.to;
                    Some(format!("{from} → {to} ({evidence})"))
                })
                .collect();
            let more = if outside.len() > 3 {
                format!(" and {} more", outside.len() - 3)
            } else {
                String::new()
            };
            self.notes.push(format!(
                "step `{:02}-{}` breaks {} edge(s) outside the scope `{}`: {}{more}",
                self.steps.len() + 1,
                candidate.name,
                outside.len(),
                self.scope,
                shown.join(", ")
            ));
        }
        let mut groups = Grouper::of_table(&next, &next_table);
        let mut deciders = Deciders::new(&next);
        for set in &sets {
            let Some(column) = next_table.columns.get(set.column) else {
                continue;
            };
            let resource = set
                .clients
                .first()
                .and_then(|&w| next_table.cell(w as usize, workloads.get(w as usize)?, column))
                .and_then(|cell| deciders.of(&cell));
            let key = (
                Effect::of_change(Some(set.before), Some(set.after)),
                set.label(),
                set.after.response.reason,
                resource,
            );
            groups.add_clients(key, &set.clients, &column.to);
        }
        let groups = groups.finish();
        let delta = if self.list_edges {
            let mut changes: Vec<EdgeChange> = sets
                .iter()
                .filter_map(|set| Some((set, &next_table.columns.get(set.column)?.to)))
                .flat_map(|(set, to)| set.edges(&next, to))
                .collect();
            changes.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
            changes
        } else {
            Vec::new()
        };
        let (rollback, rollback_delete) = self.rollback_of(&candidate, &next);
        self.steps.push(PlanStep {
            name: format!("{:02}-{}", self.steps.len() + 1, candidate.name),
            description: candidate.description,
            apply: candidate.apply,
            delete: candidate.delete.iter().map(ResourceRef::to_yaml).collect(),
            rollback,
            rollback_delete,
            delta,
            groups,
            stages,
            prechecks: candidate.prechecks,
        });
        self.current = next;
        self.table = next_table;
        self.stages = after;
        Ok(true)
    }

    /// Observed plaintext senders into the services this step locks (not allowed to break).
    /// Whether observed plaintext senders hold this step back; records them as blockers.
    fn observed_blockers(&mut self, candidate: &Candidate, after: &Stages) -> bool {
        let Some(observations) = self.observations else {
            return false;
        };
        if !self.scope.admits_observed() {
            return false;
        }
        let mut observed = Vec::new();
        for s in after
            .services
            .iter()
            .filter(|s| matches!(s.stage, Stage::Locked | Stage::Broken))
        {
            let was_locked = self
                .stages
                .service(&s.service)
                .is_some_and(|b| matches!(b.stage, Stage::Locked | Stage::Broken));
            if was_locked {
                continue;
            }
            let host = s.service.rsplit_once(':').map_or(s.service.as_str(), |(h, _)| h);
            for sender in crate::telemetry::plaintext_senders(observations, host) {
                if self.allow_break.iter().any(|a| a.to_string() == sender) {
                    continue;
                }
                let id = crate::model::parse_client(&sender).unwrap_or_else(|_| WorkloadId::new("", sender.clone()));
                let remedy = Remedy {
                    kind: RemedyKind::AllowBreak,
                    target: sender.clone(),
                    description: format!(
                        "the mesh saw `{sender}` send plaintext to `{host}`; move it to mTLS first, or accept the break"
                    ),
                    action: Some(format!("--allow-break {sender}")),
                };
                let amount: f64 = observations
                    .samples
                    .iter()
                    .filter(|x| {
                        x.destination_service == host
                            && x.security != crate::telemetry::Security::MutualTls
                            && x.reporter != "source"
                            && crate::telemetry::client_of(x) == sender
                    })
                    .map(|x| x.value)
                    .sum();
                observed.push((id, s.service.clone(), amount, remedy));
            }
        }
        if observed.is_empty() {
            return false;
        }
        let step = self.blocked.step(&candidate.name);
        for (id, service, amount, remedy) in observed {
            let remedy = self.blocked.remedy(remedy);
            self.blocked.push_observed(&id, &service, amount, step, remedy);
        }
        true
    }

    /// Restores replaced and deleted resources as they were written; deletes created ones.
    fn rollback_of(&self, candidate: &Candidate, next: &Mesh) -> (Vec<String>, Vec<String>) {
        let mut restore = Vec::new();
        let mut remove = Vec::new();
        for key in candidate.delete.iter() {
            if let Some(meta) = self.current.resource_meta(key) {
                restore.push(meta.yaml.clone());
            }
        }
        for meta in next.policy_metas() {
            let key = ResourceRef::of(meta);
            let planned = candidate.apply.iter().any(|y| y.as_str() == meta.yaml.as_str());
            if !planned {
                continue;
            }
            match self.current.resource_meta(&key) {
                Some(old) => restore.push(old.yaml.clone()),
                None => remove.push(key.to_yaml()),
            }
        }
        (restore, remove)
    }

    // ------------------------------------------------------------ PeerAuthentication era

    fn namespace_with_peer_authentication(&mut self, namespace: &str) -> Result<(), PlanError> {
        // Said as `stages` says it: a namespace whose service ports have no sidecar behind them
        // accepts plaintext only whatever its policy (no sidecar, no TLS), so PERMISSIVE, auto
        // mTLS and STRICT mean nothing there; clients that sent it mTLS would fail.
        if self.stages.namespaces.get(namespace) == Some(&Stage::NoSidecar) {
            self.notes.push(format!(
                "`{namespace}` has no sidecar (stage no-sidecar): nothing to lock (its callers keep plaintext)"
            ));
            return Ok(());
        }
        let existing = self.current.namespace_policy(namespace).map(|m| m.name.clone());
        let name = existing.unwrap_or_else(|| "default".to_owned());
        match server::namespace_mode(&self.current, namespace) {
            None => self.notes.push(format!(
                "`{namespace}` already accepts mTLS and plaintext (PERMISSIVE by default): no server step"
            )),
            Some((MtlsMode::Permissive, p)) => self.notes.push(format!(
                "`{namespace}` already accepts mTLS and plaintext ({} PERMISSIVE): no server step",
                p.meta.display_ref()
            )),
            _ => {}
        }
        if let Some((MtlsMode::Disable, _)) = server::namespace_mode(&self.current, namespace) {
            self.try_step(
                Candidate {
                    name: format!("permissive-{namespace}"),
                    description: format!(
                        "Let the sidecars in `{namespace}` accept mTLS as well as plaintext (PERMISSIVE)"
                    ),
                    apply: vec![peer_authentication_yaml(namespace, &name, "PERMISSIVE")],
                    delete: Vec::new(),
                    prechecks: vec![format!("kubectl get peerauthentication -n {namespace}")],
                    is_goal: false,
                },
                false,
            )?;
        }
        if self.current.settings.auto_mtls {
            self.notes.push(format!(
                "auto mTLS is on: sidecar clients already send mTLS to `{namespace}`'s sidecars"
            ));
        } else {
            for service in self
                .current
                .services
                .clone()
                .iter()
                .filter(|s| s.namespace == namespace)
            {
                self.client_rule(service)?;
            }
        }
        self.try_step(
            Candidate {
                name: format!("lock-{namespace}"),
                description: format!("Require mTLS for every workload in `{namespace}` (STRICT)"),
                apply: vec![peer_authentication_yaml(namespace, &name, "STRICT")],
                delete: Vec::new(),
                prechecks: lock_prechecks(&self.current, namespace, None),
                is_goal: false,
            },
            true,
        )?;
        Ok(())
    }

    fn mesh_wide(&mut self) -> Result<(), PlanError> {
        // Every service port must be locked; one broken only for clients the user let break counts.
        let stages = &self.stages;
        // The planner's stages only count their failing clients: who fails is read from the table.
        let (mesh, table) = (&self.current, &self.table);
        let only_allowed_fail = |s: &crate::migrate::ServiceStage| {
            table.columns.iter().filter(|c| c.to == s.service).all(|column| {
                table
                    .column_cells(mesh, column)
                    .filter(|cell| is_mtls_failure(cell.response.reason))
                    .all(|cell| self.allow_break.contains(&cell.client.id))
            })
        };
        let locked = |s: &crate::migrate::ServiceStage| match s.stage {
            Stage::Locked | Stage::NoSidecar => true,
            Stage::Broken => s.mode == Some(MtlsMode::Strict) && only_allowed_fail(s),
            _ => false,
        };
        if let Some(open) = stages.services.iter().find(|s| !locked(s)) {
            self.notes.push(format!(
                "no mesh-wide step: `{}` is {}, not locked",
                open.service, open.stage
            ));
            return Ok(());
        }
        let root = self.current.settings.root_namespace.clone();
        if self.current.uses_peer_authentication() {
            let name = self
                .current
                .namespace_policy(&root)
                .map_or_else(|| "default".to_owned(), |m| m.name.clone());
            self.try_step(
                Candidate {
                    name: "lock-mesh".to_owned(),
                    description: format!("Require mTLS mesh-wide (PeerAuthentication in the root namespace `{root}`)"),
                    apply: vec![peer_authentication_yaml(&root, &name, "STRICT")],
                    delete: Vec::new(),
                    prechecks: lock_prechecks(&self.current, "", None),
                    is_goal: true,
                },
                true,
            )?;
        } else {
            // v1alpha1: MeshPolicy STRICT plus the `*.local` ISTIO_MUTUAL rule of `global.mtls.enabled`,
            // and a DISABLE rule for each service without sidecars so the wildcard does not break it.
            let mut apply = vec![
                "apiVersion: authentication.istio.io/v1alpha1\nkind: MeshPolicy\nmetadata:\n  name: default\nspec:\n  peers:\n  - mtls: {}\n".to_owned(),
                format!(
                    "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: default\n  namespace: {}\nspec:\n  host: \"*.local\"\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL\n",
                    yaml_str(&root)
                ),
            ];
            for service in self.current.services.iter() {
                if self.current.endpoints_of(service).iter().all(|w| !w.sidecar.present) {
                    apply.push(destination_rule_yaml(
                        service,
                        &format!("{}-plaintext", service.name),
                        "DISABLE",
                    ));
                }
            }
            self.try_step(
                Candidate {
                    name: "lock-mesh".to_owned(),
                    description: "Require mTLS mesh-wide (MeshPolicy STRICT and a `*.local` ISTIO_MUTUAL rule)"
                        .to_owned(),
                    apply,
                    delete: Vec::new(),
                    prechecks: lock_prechecks(&self.current, "", None),
                    is_goal: true,
                },
                true,
            )?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ v1alpha1 era (Istio 1.0–1.5)

    fn service_with_v1alpha1(&mut self, service: &Service) -> Result<(), PlanError> {
        if self.current.endpoints_of(service).iter().all(|w| !w.sidecar.present) {
            self.notes.push(format!(
                "`{}` has no sidecar: nothing to lock (its callers keep plaintext)",
                service.fqdn
            ));
            return Ok(());
        }
        let Some(first_port) = service.ports.first() else {
            return Ok(());
        };
        let (policy, level) = server::v1alpha1_policy(&self.current, service, first_port);
        // Reuse a service-specific Policy's name; otherwise add one for this service.
        let name = match (policy, level) {
            (Some(p), "service-specific Policy") if p.targets.len() == 1 => p.meta.name.clone(),
            _ => format!("{}-mtls", service.name),
        };
        let server_mode = server::v1alpha1_mode(&self.current, service, first_port);
        if server_mode.mode == MtlsMode::Permissive {
            let by = server_mode.step.resource.unwrap_or_default();
            self.notes.push(format!(
                "`{}` already accepts mTLS and plaintext ({by} PERMISSIVE): no server step",
                service.fqdn
            ));
        }
        if server_mode.mode == MtlsMode::Disable {
            self.try_step(
                Candidate {
                    name: format!("permissive-{}-{}", service.name, service.namespace),
                    description: format!("Let `{}` accept mTLS as well as plaintext (PERMISSIVE)", service.fqdn),
                    apply: vec![v1alpha1_policy_yaml(service, &name, "PERMISSIVE")],
                    delete: Vec::new(),
                    prechecks: vec![format!(
                        "kubectl get policies.authentication.istio.io -n {}",
                        service.namespace
                    )],
                    is_goal: false,
                },
                false,
            )?;
        }
        self.client_rule(service)?;
        self.try_step(
            Candidate {
                name: format!("lock-{}-{}", service.name, service.namespace),
                description: format!("Require mTLS for `{}` (STRICT)", service.fqdn),
                apply: vec![v1alpha1_policy_yaml(service, &name, "STRICT")],
                delete: Vec::new(),
                prechecks: lock_prechecks(&self.current, &service.namespace, Some(service)),
                is_goal: false,
            },
            true,
        )?;
        Ok(())
    }

    /// Without auto mTLS, sidecar clients need an ISTIO_MUTUAL DestinationRule (the guide's step 2).
    fn client_rule(&mut self, service: &Service) -> Result<(), PlanError> {
        let si = self.current.service_index(&service.fqdn);
        let sidecar_plaintext = self
            .table
            .columns
            .iter()
            .filter(|c| Some(c.service) == si)
            .flat_map(|c| self.table.column_cells(&self.current, c))
            .any(|cell| {
                cell.response.transport == Some(Transport::Plaintext)
                    && cell.response.reason.verdict() == Verdict::Ok
                    && cell.client.sidecar.present
            });
        let endpoints = self.current.endpoints_of(service);
        if !sidecar_plaintext || endpoints.is_empty() || endpoints.iter().any(|w| !w.sidecar.present) {
            return Ok(());
        }
        self.try_step(
            Candidate {
                name: format!("client-mtls-{}-{}", service.name, service.namespace),
                description: format!(
                    "Make sidecar clients send mTLS to `{}` (DestinationRule ISTIO_MUTUAL)",
                    service.fqdn
                ),
                apply: vec![destination_rule_yaml(
                    service,
                    &format!("{}-istio-mutual", service.name),
                    "ISTIO_MUTUAL",
                )],
                delete: Vec::new(),
                prechecks: vec![
                    "kubectl get destinationrules --all-namespaces   # a rule in a client's namespace shadows this one"
                        .to_owned(),
                ],
                is_goal: false,
            },
            true,
        )?;
        Ok(())
    }
}

impl Mesh {
    /// The namespace-wide PeerAuthentication that decides `namespace` (the oldest), if any.
    fn namespace_policy(&self, namespace: &str) -> Option<&Meta> {
        server::oldest(
            self.peer_authentications
                .iter()
                .filter(|p| p.meta.namespace == namespace && p.is_namespace_wide()),
            |p| &p.meta,
        )
        .map(|p| &p.meta)
    }
}

fn stage_changes(before: &Stages, after: &Stages) -> BTreeMap<String, StageChange> {
    let mut out = BTreeMap::new();
    let previous: HashMap<&str, &crate::migrate::ServiceStage> =
        before.services.iter().map(|s| (s.service.as_str(), &**s)).collect();
    for s in &after.services {
        if let Some(old) = previous.get(s.service.as_str())
            && old.stage != s.stage
        {
            out.insert(
                s.service.clone(),
                StageChange {
                    before: old.stage,
                    after: s.stage,
                },
            );
        }
    }
    for (ns, stage) in &after.namespaces {
        if let Some(old) = before.namespaces.get(ns)
            && old != stage
        {
            out.insert(
                format!("namespace/{ns}"),
                StageChange {
                    before: *old,
                    after: *stage,
                },
            );
        }
    }
    if before.mesh != after.mesh {
        out.insert(
            "mesh".to_owned(),
            StageChange {
                before: before.mesh,
                after: after.mesh,
            },
        );
    }
    out
}

fn lock_prechecks(mesh: &Mesh, namespace: &str, service: Option<&Service>) -> Vec<String> {
    let destination = match service {
        Some(s) => format!("{}", s.fqdn),
        None if namespace.is_empty() => ".*".to_owned(),
        None => format!(".*\\\\.{namespace}\\\\.svc.*"),
    };
    let _ = mesh;
    vec![
        format!(
            "sum by (source_workload, source_workload_namespace) (rate(istio_requests_total{{reporter=\"destination\", destination_service=~\"{destination}\", connection_security_policy!=\"mutual_tls\"}}[5m]))   # must be empty"
        ),
        "kubectl get pods --all-namespaces -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.spec.containers[*].name}{\"\\n\"}{end}' | grep -v istio-proxy   # callers without a sidecar".to_owned(),
    ]
}

fn peer_authentication_yaml(namespace: &str, name: &str, mode: &str) -> String {
    let (namespace, name) = (yaml_str(namespace), yaml_str(name));
    format!(
        "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  mtls:\n    mode: {mode}\n"
    )
}

fn v1alpha1_policy_yaml(service: &Service, name: &str, mode: &str) -> String {
    format!(
        "apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  targets:\n  - name: {svc}\n  peers:\n  - mtls:\n      mode: {mode}\n",
        name = yaml_str(name),
        ns = yaml_str(&service.namespace),
        svc = yaml_str(&service.name),
    )
}

fn destination_rule_yaml(service: &Service, name: &str, mode: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  host: {host}\n  trafficPolicy:\n    tls:\n      mode: {mode}\n",
        name = yaml_str(name),
        ns = yaml_str(&service.namespace),
        host = yaml_str(&service.fqdn.0),
    )
}
