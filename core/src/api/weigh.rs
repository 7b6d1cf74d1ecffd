//! How operations weigh edges (scope, intents, observed traffic) and how much they list.

use serde::Deserialize;

use super::sources::{MetricsSpec, OneOrMany, Placement, SourceSpec, read_specs};
use super::{ApiError, ErrorCode};
use crate::classes::ClassTable;
use crate::evidence::{EdgeEvidence, EdgeScope};
use crate::ingest::Source;
use crate::mesh::{LoadError, Mesh};
use crate::migrate::{Goal, PlanError};
use crate::model::{WorkloadId, parse_client};
use crate::settings::{Limits, MeshSettings};

/// The options of every operation that weighs edges: `edges` (a scope: `all`, `possible`,
/// `declared,observed`…), `intents` (sources of `TrafficIntent` YAML or intents CSV), `metrics`
/// (observed traffic), `counts_only` (`check` and `plan`: counts and groups, no per-edge lists).
/// Absent or `null`: not given.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WeighRequest {
    #[serde(default)]
    pub edges: Option<String>,
    #[serde(default)]
    pub intents: Option<OneOrMany<SourceSpec>>,
    #[serde(default)]
    pub metrics: Option<MetricsSpec>,
    #[serde(default)]
    pub counts_only: bool,
}

impl WeighRequest {
    /// Parses the scope and the metrics and reads the intents (paths under `limits`).
    pub fn resolve(self, limits: &Limits) -> Result<Weighing, ApiError> {
        Ok(Weighing {
            edges: scope_request(self.edges.as_deref())?,
            intents: read_specs(
                self.intents.map(OneOrMany::into_vec).unwrap_or_default(),
                Placement::default(),
                limits,
            )?,
            observations: self.metrics.map(MetricsSpec::parse).transpose()?,
            counts_only: self.counts_only,
        })
    }
}

/// How an operation weighs edges (every binding passes these once, here): `edges`, the scope
/// (`all`, `possible`, `declared,observed`, …); `intents`, sources of declared traffic
/// (`TrafficIntent` YAML or intents CSV) applied to the mesh; `observations`, observed traffic;
/// `counts_only`: `check` and `plan` answer with counts and groups, no per-edge lists (what a
/// large cluster needs).
#[derive(Debug, Clone, Default)]
pub struct Weighing {
    pub edges: Option<EdgeScope>,
    pub intents: Vec<Source>,
    pub observations: Option<crate::telemetry::Observations>,
    pub counts_only: bool,
}

/// A [`Weighing`] resolved on a mesh: the mesh with the intents, the evidence, the scope.
pub struct Weighed {
    /// The mesh with the intents applied (`None`: no intents, the mesh as given).
    with_intents: Option<Mesh>,
    pub evidence: EdgeEvidence,
    pub scope: EdgeScope,
    pub observations: Option<crate::telemetry::Observations>,
    /// Whether anything was given: without, operations answer as they always did.
    pub weighs: bool,
    /// Per-edge lists are wanted (not `counts_only`).
    pub list_edges: bool,
}

impl Weighed {
    pub fn mesh<'a>(&'a self, base: &'a Mesh) -> &'a Mesh {
        self.with_intents.as_ref().unwrap_or(base)
    }

    /// Whether intents were applied: the weighed mesh is then another mesh, with its own class table.
    pub fn applied_intents(&self) -> bool {
        self.with_intents.is_some()
    }
}

/// Parses an edge scope (`all`, `possible`, `declared,observed`, …).
fn scope_request(edges: Option<&str>) -> Result<Option<EdgeScope>, ApiError> {
    edges
        .map(|e| {
            e.parse::<EdgeScope>()
                .map_err(|e| ApiError::new(ErrorCode::BadRequest, e.to_string()))
        })
        .transpose()
}

impl Weighing {
    /// Nothing weighs the edges (`counts_only` changes what is listed, not what is counted).
    pub fn is_empty(&self) -> bool {
        self.edges.is_none() && self.intents.is_empty() && self.observations.is_none()
    }

    /// Applies the intents to `mesh` and gathers the evidence: the declared edges of its intents
    /// and the observed traffic.
    pub fn resolve(self, mesh: &Mesh) -> Result<Weighed, ApiError> {
        let weighs = !self.is_empty();
        let scope = self.edges.unwrap_or_default();
        let with_intents = if self.intents.is_empty() {
            None
        } else {
            Some(mesh.apply(&self.intents)?.mesh)
        };
        let mut evidence = EdgeEvidence::of_mesh(with_intents.as_ref().unwrap_or(mesh));
        if let Some(observations) = &self.observations {
            evidence.observe(observations);
        }
        Ok(Weighed {
            with_intents,
            evidence,
            scope,
            observations: self.observations,
            weighs,
            list_edges: !self.counts_only,
        })
    }
}

/// `plan` weighing edges; `observations` also hold lock-downs back by observed plaintext senders.
pub fn plan_weighed(
    mesh: &Mesh,
    goal: &Goal,
    allow: &[WorkloadId],
    weighing: Weighing,
) -> Result<crate::migrate::Plan, ApiError> {
    let w = weighing.resolve(mesh)?;
    let mesh = w.mesh(mesh);
    plan_listing(mesh, w.list_edges, |list_edges| {
        mesh.plan_in_scope(goal, allow, w.observations.as_ref(), list_edges, &w.evidence, w.scope)
    })
}

/// Runs `plan(list_edges)` with the blockers listed when `list_edges` is asked for and every edge
/// of `mesh` could be one within `limits.max_listed_edges`; else the plan's notes say that they
/// are left out (its counts, groups and remedies are complete).
pub fn plan_listing(
    mesh: &Mesh,
    list_edges: bool,
    plan: impl FnOnce(bool) -> Result<crate::migrate::Plan, PlanError>,
) -> Result<crate::migrate::Plan, ApiError> {
    let edges = mesh.edge_count();
    let limit = mesh.limits().max_listed_edges;
    let fits = edges <= limit;
    let mut plan = plan(list_edges && fits)?;
    if list_edges && !fits && plan.blocked_edges > 0 {
        plan.notes
            .push(crate::ingest::listed_edges_exceeded("plan", edges, limit).message);
    }
    Ok(plan)
}

/// `check` weighing edges (`CheckReport::scope`).
pub fn check_weighed(mesh: &Mesh, weighing: Weighing) -> Result<crate::check::CheckReport, ApiError> {
    let w = weighing.resolve(mesh)?;
    Ok(w.mesh(mesh).check_in_scope(w.list_edges, &w.evidence, &w.scope))
}

/// `check` of the sources a host has read (`read`): input that does not load, or that reading
/// refused (not text, past a limit: an `invalid-input` error), is the report's findings, not a
/// failure of the call, as a linter reports in CI; other errors (`io`, `bad-request`) fail the
/// call. The weighing's intents join the sources.
pub fn check_sources(
    read: Result<Vec<Source>, ApiError>,
    settings: &MeshSettings,
    weighing: Weighing,
) -> Result<crate::check::CheckReport, ApiError> {
    let mut sources = match read {
        Err(err) if err.code == ErrorCode::InvalidInput => {
            return Ok(crate::check::CheckReport::from_diagnostics(err.diagnostics));
        }
        other => other?,
    };
    sources.extend(weighing.intents.iter().cloned());
    match Mesh::load(&sources, settings) {
        Ok(loaded) => check_weighed(
            &loaded.mesh,
            Weighing {
                intents: Vec::new(),
                ..weighing
            },
        ),
        Err(err) => Ok(crate::check::CheckReport::from_diagnostics(err.diagnostics)),
    }
}

/// The matrix weighing edges: only those in the scope, each with its evidence. Refused when the
/// mesh has more edges (workloads × service ports) than `limits.max_listed_edges`: the matrix
/// lists every edge (`namespace-map` and `matrix-between` answer a large mesh).
pub fn matrix_weighed(mesh: &Mesh, weighing: Weighing) -> Result<crate::matrix::Matrix, ApiError> {
    if weighing.is_empty() {
        listable(mesh, "matrix")?;
        return Ok(mesh.matrix());
    }
    let w = weighing.resolve(mesh)?;
    let mesh = w.mesh(mesh);
    listable(mesh, "matrix")?;
    Ok(mesh.matrix_in_scope(&w.evidence, w.scope))
}

/// Refuses an operation that lists every edge of a mesh with more than `max_listed_edges` edges,
/// before it is evaluated (`invalid-input`, ML106 naming the limit).
pub fn listable(mesh: &Mesh, operation: &str) -> Result<(), ApiError> {
    let limit = mesh.limits().max_listed_edges;
    let edges = mesh.edge_count();
    if edges <= limit {
        return Ok(());
    }
    Err(LoadError {
        diagnostics: vec![crate::ingest::listed_edges_exceeded(operation, edges, limit)],
    }
    .into())
}

/// The namespace map weighing edges: each pair counts the edges in the scope. `table` is `mesh`'s
/// class table (the playground keeps one per mesh); intents, making another mesh, get their own.
pub fn namespace_map_weighed(
    mesh: &Mesh,
    table: &ClassTable,
    weighing: Weighing,
) -> Result<crate::heatmap::NamespaceMap, ApiError> {
    if weighing.is_empty() {
        return Ok(crate::heatmap::namespace_map_of(mesh, table));
    }
    on_weighed_table(mesh, table, weighing, |mesh, table, in_scope| {
        crate::heatmap::namespace_map_in_scope(mesh, table, in_scope)
    })
}

/// The matrix of one namespace pair weighing edges: only those in the scope, each with its
/// evidence (see [`namespace_map_weighed`] for `table`).
pub fn matrix_between_weighed(
    mesh: &Mesh,
    table: &ClassTable,
    client_ns: Option<&str>,
    service_ns: Option<&str>,
    weighing: Weighing,
) -> Result<crate::matrix::Matrix, ApiError> {
    if weighing.is_empty() {
        return Ok(crate::heatmap::matrix_between_of(mesh, table, client_ns, service_ns));
    }
    on_weighed_table(mesh, table, weighing, |mesh, table, in_scope| {
        crate::heatmap::matrix_between_in_scope(mesh, table, client_ns, service_ns, in_scope)
    })
}

/// Runs `f` on the weighed mesh, its class table and the evidence resolved on that table.
fn on_weighed_table<T>(
    mesh: &Mesh,
    table: &ClassTable,
    weighing: Weighing,
    f: impl FnOnce(&Mesh, &ClassTable, crate::heatmap::InScope<'_>) -> T,
) -> Result<T, ApiError> {
    let w = weighing.resolve(mesh)?;
    let own_table;
    let table = if w.applied_intents() {
        own_table = ClassTable::new(w.mesh(mesh));
        &own_table
    } else {
        table
    };
    let mesh = w.mesh(mesh);
    let evidence = w.evidence.resolve(mesh, table);
    Ok(f(
        mesh,
        table,
        crate::heatmap::InScope {
            evidence: &evidence,
            scope: &w.scope,
        },
    ))
}

/// `diff` weighing edges (`Diff::scope`); the intents join both sides.
pub fn diff_weighed(before: &Mesh, after: &Mesh, weighing: Weighing) -> Result<crate::migrate::Diff, ApiError> {
    if weighing.is_empty() {
        return Ok(Mesh::diff(before, after));
    }
    let intents = weighing.intents.clone();
    let w = weighing.resolve(before)?;
    let after_with = if intents.is_empty() {
        None
    } else {
        Some(after.apply(&intents)?.mesh)
    };
    Ok(Mesh::diff_in_scope(
        w.mesh(before),
        after_with.as_ref().unwrap_or(after),
        &w.evidence,
        w.scope,
    ))
}

/// Parses `strict` / `mesh-strict` / `namespace=…` and the `NS/WORKLOAD` clients allowed to break.
pub fn plan_request(goal: &str, allow_break: &[String]) -> Result<(Goal, Vec<WorkloadId>), ApiError> {
    let goal = goal
        .parse::<Goal>()
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, e.to_string()))?;
    let allow = allow_break
        .iter()
        .map(|w| parse_client(w).map_err(ApiError::from))
        .collect::<Result<_, _>>()?;
    Ok((goal, allow))
}
