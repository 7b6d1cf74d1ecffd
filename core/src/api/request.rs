//! The typed request of every operation and its answer. What an operation does with its input is
//! decided here, once, for every surface: the bindings turn host values into these requests
//! (JavaScript through [`super::from_js`]) and answer what [`MeshHandle::answer`] and the
//! functions below return.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::ApiError;
use super::both::Both;
use super::sources::{DEFAULT_SOURCE_NAME, OneOrMany, OverlaySpec, Placement, SourceSpec, read_overlays, read_specs};
use super::weigh::{self, WeighRequest};
use crate::check::CheckReport;
use crate::classes::ClassTable;
use crate::diagnostic::Diagnostic;
use crate::ingest::Source;
use crate::mesh::Mesh;
use crate::migrate::{Diff, Plan, SimulatedStep, Stages, StepInput};
use crate::outcome::Outcome;
use crate::render::{self, Style};
use crate::settings::{MeshSettings, ResolvedSettings};

/// The options of `load`: the placement and the mesh settings, in one object
/// (`{namespace, istio_version, limits, …}`).
pub type LoadOptions = Both<Placement, MeshSettings>;

/// The options of `check` on sources: `load`'s and how edges are weighed.
pub type CheckOptions = Both<Placement, Both<WeighRequest, MeshSettings>>;

/// A probe's route: `curl http://TO` from a pod of workload `from` (`namespace/name`).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub from: String,
    pub to: String,
}

/// One namespace pair of the map (a side absent or `null`: every namespace).
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Pair {
    #[serde(default)]
    pub client_namespace: Option<String>,
    #[serde(default)]
    pub service_namespace: Option<String>,
}

/// A plan's goal (`strict`, `mesh-strict`, `namespace=NS[,NS…]`; default `strict`) and the
/// `namespace/workload` clients allowed to break.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanGoal {
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(regex(pattern = r"^\s*(strict|mesh-strict|(namespace|strict-namespaces)=.+)\s*$"))
    )]
    // TypeScript's type for the pattern (json-schema-to-typescript reads `tsType`).
    #[cfg_attr(
        feature = "schema",
        schemars(extend("tsType" = "\"strict\" | \"mesh-strict\" | `namespace=${string}` | null"))
    )]
    pub goal: Option<String>,
    #[serde(default)]
    pub allow_break: Option<OneOrMany<String>>,
}

/// One step of `simulate`: what to apply (one source or a list), or `{name?, apply?, delete?}`
/// (each step deletes, then applies; unnamed steps are `step N`).
#[derive(Debug)]
pub enum StepSpec {
    Sources(OneOrMany<OverlaySpec>),
    Named(NamedStep),
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NamedStep {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub apply: Option<OneOrMany<OverlaySpec>>,
    #[serde(default)]
    pub delete: Option<OneOrMany<OverlaySpec>>,
}

impl<'de> Deserialize<'de> for StepSpec {
    /// An object is a named step (so `{name, text}` is refused: a source goes in `apply`); anything
    /// else is sources.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let step = match value {
            Value::Object(_) => NamedStep::deserialize(value).map(StepSpec::Named),
            other => OneOrMany::deserialize(other).map(StepSpec::Sources),
        };
        step.map_err(serde::de::Error::custom)
    }
}

/// What [`StepSpec`]'s `Deserialize` accepts: YAML text, a list of sources, or a named step (an
/// object is always a named step, so a lone inline source is not a step).
#[cfg(feature = "schema")]
impl schemars::JsonSchema for StepSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StepSpec".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "One step of `simulate`: sources to apply, or a named step (`{name?, apply?, delete?}`: deletes, then applies; unnamed steps are `step N`).",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": generator.subschema_for::<OverlaySpec>() },
                generator.subschema_for::<NamedStep>(),
            ]
        })
    }
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SimulateRequest {
    pub steps: Vec<StepSpec>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReadyRequest {
    pub metrics: super::MetricsSpec,
}

/// Every operation on a loaded mesh, by its `op`. (Operations without keys are empty struct
/// variants: serde lets a unit variant ignore unknown keys.)
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MeshCall {
    /// What `curl` sees: an `Outcome`.
    Probe(Route),
    /// A probe with its decision chain in prose (rendering `text` unless asked otherwise).
    Explain(Route),
    /// Every client workload × every service port (refused past `limits.max_listed_edges`).
    Matrix(WeighRequest),
    /// Per (client namespace, service namespace) pair, the edges per outcome class and the worst.
    NamespaceMap(WeighRequest),
    /// The matrix of one namespace pair.
    MatrixBetween(Both<Pair, WeighRequest>),
    /// The static checker: diagnostics, findings, summary, failing edges, plaintext callers.
    Check(WeighRequest),
    /// Where each service port, each namespace and the mesh are on the way to STRICT.
    Stages {},
    /// Ordered steps towards the goal that never break a working edge.
    Plan(Both<PlanGoal, WeighRequest>),
    /// The mesh after each step: changed edges, stages, matrix.
    Simulate(SimulateRequest),
    /// Readiness per service from observed traffic.
    Ready(ReadyRequest),
    /// The diagnostics found while loading.
    Diagnostics {},
    /// The settings in force, each with its origin.
    Settings {},
}

/// A rendering of an answer, as the CLI prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Rendering {
    /// Prose or a report: `explain`, `check`, `plan`, `stages`, `ready`, `tour`.
    Text,
    /// The matrix as a fixed-width table.
    Table,
    /// The matrix as CSV.
    Csv,
    /// `check` as SARIF 2.1.0.
    Sarif,
}

impl Rendering {
    fn key(self) -> &'static str {
        match self {
            Rendering::Text => "text",
            Rendering::Table => "table",
            Rendering::Csv => "csv",
            Rendering::Sarif => "sarif",
        }
    }
}

/// `render`: one rendering (the answer is that rendering alone) or a list (the answer carries
/// each under its name: `text`, `table`, `csv`, `sarif`).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Render {
    Only(Rendering),
    With(Vec<Rendering>),
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RenderRequest {
    #[serde(default)]
    pub render: Option<Render>,
}

/// An operation on a loaded mesh and the renderings wanted.
pub type MeshRequest = Both<RenderRequest, MeshCall>;

/// What an operation answers.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Outcome(Outcome),
    Matrix(crate::matrix::Matrix),
    NamespaceMap(crate::heatmap::NamespaceMap),
    Check(CheckReport),
    Stages(Stages),
    Plan(Plan),
    Steps(Vec<SimulatedStep>),
    Ready(crate::observe::Reconciliation),
    Diff(Diff),
    Tour(crate::seed::Tour),
    Diagnostics(Vec<Diagnostic>),
    Settings(ResolvedSettings),
    /// A rendering asked for alone: text…
    Text(String),
    /// …or SARIF.
    Json(Value),
}

impl Answer {
    fn rendered(&self, rendering: Rendering) -> Result<Answer, ApiError> {
        let text = |s: String| Ok(Answer::Text(s));
        match (self, rendering) {
            (Answer::Outcome(o), Rendering::Text) => text(render::explain(o, Style::PLAIN)),
            (Answer::Matrix(m), Rendering::Table) => text(render::matrix_table(m, Style::PLAIN)),
            (Answer::Matrix(m), Rendering::Csv) => text(render::matrix_csv(m)),
            (Answer::Check(r), Rendering::Text) => text(render::check(r, Style::PLAIN)),
            (Answer::Check(r), Rendering::Sarif) => Ok(Answer::Json(render::sarif(r))),
            (Answer::Plan(p), Rendering::Text) => text(render::plan(p)),
            (Answer::Stages(s), Rendering::Text) => text(render::stages(s)),
            (Answer::Ready(r), Rendering::Text) => text(render::ready(r)),
            (Answer::Tour(t), Rendering::Text) => text(render::tour(t, Style::PLAIN)),
            (_, rendering) => Err(ApiError::bad_request(
                "render",
                format!("this answer has no `{}` rendering", rendering.key()),
            )),
        }
    }
}

/// An answer with the renderings asked for beside it.
#[derive(Debug)]
pub struct Reply {
    pub answer: Answer,
    pub renderings: Vec<(Rendering, Answer)>,
}

impl Reply {
    /// `answer`, rendered as `render` asks (`None`: `default`).
    pub fn new(answer: Answer, render: Option<Render>, default: &[Rendering]) -> Result<Self, ApiError> {
        let wanted = match render {
            Some(Render::Only(rendering)) => {
                return Ok(Reply {
                    answer: answer.rendered(rendering)?,
                    renderings: Vec::new(),
                });
            }
            Some(Render::With(list)) => list,
            None => default.to_vec(),
        };
        let renderings = wanted
            .into_iter()
            .map(|r| Ok((r, answer.rendered(r)?)))
            .collect::<Result<_, ApiError>>()?;
        Ok(Reply { answer, renderings })
    }

    /// The reply as a JSON value, with `extra` fields (the JSON twin's `diagnostics`).
    pub fn to_value(&self) -> Result<Value, ApiError> {
        serde_json::to_value(self).map_err(ApiError::unserialisable)
    }
}

impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.renderings.is_empty() {
            return self.answer.serialize(serializer);
        }
        let mut value = serde_json::to_value(&self.answer).map_err(serde::ser::Error::custom)?;
        let Value::Object(map) = &mut value else {
            return Err(serde::ser::Error::custom("only an object answer carries renderings"));
        };
        for (rendering, answer) in &self.renderings {
            map.insert(
                rendering.key().to_owned(),
                serde_json::to_value(answer).map_err(serde::ser::Error::custom)?,
            );
        }
        value.serialize(serializer)
    }
}

/// A loaded mesh as the bindings hold it: the mesh, and its class table built on first use (the
/// namespace map and the pair matrices of one mesh then read one table).
pub struct MeshHandle {
    mesh: Mesh,
    table: OnceLock<ClassTable>,
}

impl MeshHandle {
    pub fn new(mesh: Mesh) -> Self {
        Self {
            mesh,
            table: OnceLock::new(),
        }
    }

    pub fn mesh(&self) -> &Mesh {
        &self.mesh
    }

    fn table(&self) -> &ClassTable {
        self.table.get_or_init(|| ClassTable::new(&self.mesh))
    }

    /// Loads sources in order (paths read as `kubectl apply -f` reads them) under the settings.
    pub fn load(sources: Vec<SourceSpec>, options: LoadOptions) -> Result<Self, ApiError> {
        let Both(placement, settings) = options;
        let sources = read_specs(sources, placement, &settings.limits)?;
        Ok(Self::new(Mesh::load(&sources, &settings)?.mesh))
    }

    /// What-if: a new mesh with `overlays` applied (a resource with the kind, namespace and name
    /// of an existing one replaces it).
    pub fn apply(&self, overlays: Vec<OverlaySpec>, placement: Placement) -> Result<Self, ApiError> {
        let overlays = read_overlays(overlays, placement, self.mesh.limits())?;
        Ok(Self::new(self.mesh.apply(&overlays)?.mesh))
    }

    /// Answers one operation on this mesh.
    pub fn answer(&self, request: MeshRequest) -> Result<Reply, ApiError> {
        let Both(RenderRequest { render }, call) = request;
        let mut default: &[Rendering] = &[];
        let answer = match call {
            MeshCall::Probe(route) => Answer::Outcome(self.mesh.probe(&route.from, &route.to)?),
            MeshCall::Explain(route) => {
                default = &[Rendering::Text];
                Answer::Outcome(self.mesh.probe(&route.from, &route.to)?)
            }
            MeshCall::Matrix(weigh) => Answer::Matrix(weigh::matrix_weighed(&self.mesh, self.weighing(weigh)?)?),
            MeshCall::NamespaceMap(weigh) => Answer::NamespaceMap(weigh::namespace_map_weighed(
                &self.mesh,
                self.table(),
                self.weighing(weigh)?,
            )?),
            MeshCall::MatrixBetween(Both(pair, weigh)) => Answer::Matrix(weigh::matrix_between_weighed(
                &self.mesh,
                self.table(),
                pair.client_namespace.as_deref(),
                pair.service_namespace.as_deref(),
                self.weighing(weigh)?,
            )?),
            MeshCall::Check(weigh) => Answer::Check(weigh::check_weighed(&self.mesh, self.weighing(weigh)?)?),
            MeshCall::Stages {} => Answer::Stages(self.mesh.stages()),
            MeshCall::Plan(Both(goal, weigh)) => {
                let allow_break = goal.allow_break.map(OneOrMany::into_vec).unwrap_or_default();
                let (goal, allow) = weigh::plan_request(goal.goal.as_deref().unwrap_or("strict"), &allow_break)?;
                Answer::Plan(weigh::plan_weighed(&self.mesh, &goal, &allow, self.weighing(weigh)?)?)
            }
            MeshCall::Simulate(request) => Answer::Steps(self.mesh.simulate(&self.steps(request.steps)?)?),
            MeshCall::Ready(request) => Answer::Ready(self.mesh.ready(&request.metrics.parse()?)),
            MeshCall::Diagnostics {} => Answer::Diagnostics(self.mesh.diagnostics().to_vec()),
            MeshCall::Settings {} => Answer::Settings(self.mesh.settings().clone()),
        };
        Reply::new(answer, render, default)
    }

    fn weighing(&self, weigh: WeighRequest) -> Result<weigh::Weighing, ApiError> {
        weigh.resolve(self.mesh.limits())
    }

    fn steps(&self, specs: Vec<StepSpec>) -> Result<Vec<StepInput>, ApiError> {
        let overlays = |specs: Option<OneOrMany<OverlaySpec>>| {
            read_overlays(
                specs.map(OneOrMany::into_vec).unwrap_or_default(),
                Placement::default(),
                self.mesh.limits(),
            )
        };
        specs
            .into_iter()
            .enumerate()
            .map(|(i, spec)| {
                let step = match spec {
                    StepSpec::Sources(apply) => NamedStep {
                        name: None,
                        apply: Some(apply),
                        delete: None,
                    },
                    StepSpec::Named(step) => step,
                };
                Ok(StepInput {
                    name: step.name.unwrap_or_else(|| format!("step {}", i + 1)),
                    apply: overlays(step.apply)?,
                    delete: overlays(step.delete)?,
                })
            })
            .collect()
    }
}

/// `check` of sources as `meshlock check` runs it: input that does not load, or that reading
/// refused (not text, past a limit), is the report's findings, not an error.
pub fn check(sources: Vec<SourceSpec>, options: CheckOptions, render: Option<Render>) -> Result<Reply, ApiError> {
    let Both(placement, Both(weigh, settings)) = options;
    let read = read_specs(sources, placement, &settings.limits);
    let weighing = weigh.resolve(&settings.limits)?;
    let report = weigh::check_sources(read, &settings, weighing)?;
    Reply::new(Answer::Check(report), render, &[])
}

/// Every edge whose status or transport changes from `before` to `after`, grouped, each with the
/// resources that caused it; its `diagnostics` hold the transitions the migration refuses (ML402).
pub fn diff(before: &MeshHandle, after: &MeshHandle, weigh: WeighRequest) -> Result<Reply, ApiError> {
    let weighing = weigh.resolve(before.mesh.limits())?;
    Reply::new(
        Answer::Diff(weigh::diff_weighed(&before.mesh, &after.mesh, weighing)?),
        None,
        &[],
    )
}

/// The seed guide replayed on the built-in cluster.
pub fn tour(render: Option<Render>) -> Result<Reply, ApiError> {
    Reply::new(Answer::Tour(crate::seed::tour()?), render, &[])
}

/// YAML text as one source, named by `placement` (default `input.yaml`).
pub fn text_source(text: String, placement: &Placement) -> Source {
    Source {
        name: placement.name.clone().unwrap_or_else(|| DEFAULT_SOURCE_NAME.to_owned()),
        text,
        namespace: placement.namespace.clone(),
    }
}
