//! `meshlock._meshlock`: the compiled half of the Python package `meshlock`.
//!
//! Thin by design (style.md R3–R5): each method runs one core operation inside
//! [`meshlock::api::guard`] with the GIL released, serialises the answer to JSON while still
//! detached, and maps [`ApiError`] to `meshlock.MeshlockError`. Structured inputs (sources,
//! settings) arrive as JSON and are read by the core's own serde types, so the binding never
//! re-implements validation. The pure-Python package (`python/meshlock/`) turns the JSON into
//! frozen result classes.
//!
//! Exposing a new core operation is one method built on [`run`] (or [`detached`] when it returns
//! a new `Mesh`), its line in `_meshlock.pyi`, and its result class in Python. Rendered text (the
//! CLI's output) travels beside the result under extra keys (`text`, `table`, `sarif`, …), which
//! the result classes keep out of `to_dict()`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use meshlock::api::{self, ApiError, SourceSpec};
use meshlock::check::CheckReport;
use meshlock::migrate::StepInput;
use meshlock::render::{self, Style};
use meshlock::settings::Limits;
use meshlock::telemetry::Observations;
use meshlock::{Matrix, MeshSettings, Outcome, seed};

/// Runs `f` without the GIL and behind the panic guard; a failure becomes `MeshlockError`.
fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> Result<T, ApiError> + Send) -> PyResult<T> {
    py.detach(|| api::guard(f)).map_err(|e| raise(py, &e))
}

/// [`detached`], answering the result as JSON text (serialised before the GIL is taken back).
fn run<T: Serialize>(py: Python<'_>, f: impl FnOnce() -> Result<T, ApiError> + Send) -> PyResult<String> {
    detached(py, || to_json(&f()?))
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::unserialisable)
}

fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(ApiError::unserialisable)
}

/// Reads a JSON argument with the core's serde types; a bad one is the JSON twin's `bad-request`.
fn parse<T: DeserializeOwned>(what: &str, json: &str) -> Result<T, ApiError> {
    serde_json::from_str(json).map_err(|e| ApiError::bad_request(what, e))
}

fn sources(json: &str, limits: &Limits) -> Result<Vec<meshlock::Source>, ApiError> {
    api::read_specs(parse::<Vec<SourceSpec>>("sources", json)?, limits)
}

/// Metrics (Prometheus text exposition or API JSON), given as a JSON `Source`; malformed metrics
/// are `invalid-metrics`, with a diagnostic per problem.
/// The JSON `{"edges"?, "intents"?, "metrics"?}` of an operation that weighs edges.
fn weighing_of(json: Option<&str>, limits: &Limits) -> Result<api::Weighing, ApiError> {
    match json {
        None => Ok(api::Weighing::default()),
        Some(json) => parse::<api::WeighRequest>("weighing", json)?.resolve(limits),
    }
}

fn observations(json: &str) -> Result<Observations, ApiError> {
    let source: meshlock::Source = parse("metrics", json)?;
    Ok(Observations::parse(&source.name, &source.text)?)
}

/// A serialised struct (always a JSON object) with extra fields.
fn with_fields(mut value: Value, fields: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    if let Some(object) = value.as_object_mut() {
        for (key, field) in fields {
            object.insert(key.to_owned(), field);
        }
    }
    value
}

/// `value` serialised, with its rendering under `text`.
fn rendered<T: Serialize>(value: &T, text: String) -> Result<Value, ApiError> {
    Ok(with_fields(to_value(value)?, [("text", Value::String(text))]))
}

/// An outcome with its rendered explanation (`meshlock explain`) under `text`.
fn explained(outcome: &Outcome) -> Result<Value, ApiError> {
    rendered(outcome, render::explain(outcome, Style::PLAIN))
}

/// A matrix with its renderings under `table` and `csv`.
fn tabled(matrix: &Matrix) -> Result<Value, ApiError> {
    Ok(with_fields(
        to_value(matrix)?,
        [
            ("table", Value::String(render::matrix_table(matrix, Style::PLAIN))),
            ("csv", Value::String(render::matrix_csv(matrix))),
        ],
    ))
}

/// A check report with `meshlock check`'s text under `text` and its SARIF 2.1.0 log under `sarif`.
fn checked(report: &CheckReport) -> Result<Value, ApiError> {
    Ok(with_fields(
        to_value(report)?,
        [
            ("text", Value::String(render::check(report, Style::PLAIN))),
            ("sarif", render::sarif(report)),
        ],
    ))
}

/// Builds `meshlock.MeshlockError(message, code, diagnostics)`, the class the Python package defines.
fn raise(py: Python<'_>, error: &ApiError) -> PyErr {
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let built = || -> PyResult<PyErr> {
        let class = CLASS.import(py, "meshlock._errors", "MeshlockError")?;
        let diagnostics = py.import("json")?.call_method1(
            "loads",
            (serde_json::to_string(&error.diagnostics).unwrap_or_default(),),
        )?;
        Ok(PyErr::from_value(class.call1((
            error.message.as_str(),
            error.code.as_str(),
            diagnostics,
        ))?))
    };
    built().unwrap_or_else(|e| e)
}

/// A loaded mesh: immutable, shareable between threads (every method releases the GIL).
#[pyclass(frozen, module = "meshlock._meshlock", name = "Mesh")]
struct PyMesh {
    inner: api::MeshHandle,
}

#[pymethods]
impl PyMesh {
    /// `sources`: JSON list of `{"name", "text", "namespace"?}` or `{"builtin": "seed"}`;
    /// `settings`: JSON object of `MeshSettings`.
    #[staticmethod]
    fn load(py: Python<'_>, sources: &str, settings: &str) -> PyResult<Self> {
        detached(py, || {
            let settings: MeshSettings = parse("settings", settings)?;
            Ok(Self {
                inner: api::MeshHandle::new(
                    meshlock::Mesh::load(&self::sources(sources, &settings.limits)?, &settings)?.mesh,
                ),
            })
        })
    }

    /// What-if: a new mesh with `sources` applied (same kind/namespace/name replaces).
    fn apply(&self, py: Python<'_>, sources: &str) -> PyResult<Self> {
        detached(py, || {
            Ok(Self {
                inner: api::MeshHandle::new(
                    self.inner
                        .mesh()
                        .apply(&self::sources(sources, self.inner.mesh().limits())?)?
                        .mesh,
                ),
            })
        })
    }

    /// JSON: the outcome of one probe, with its rendered explanation under `text`.
    #[pyo3(signature = (from_, to))]
    fn probe(&self, py: Python<'_>, from_: &str, to: &str) -> PyResult<String> {
        run(py, || explained(&self.inner.mesh().probe(from_, to)?))
    }

    /// JSON: the core's `Matrix`, its two renderings under `table` and `csv`. `weighing`: JSON
    /// `{"edges"?, "intents"?, "metrics"?}`: only the edges in the scope, each with its evidence.
    #[pyo3(signature = (weighing=None))]
    fn matrix(&self, py: Python<'_>, weighing: Option<&str>) -> PyResult<String> {
        run(py, || {
            tabled(&api::matrix_weighed(
                self.inner.mesh(),
                weighing_of(weighing, self.inner.mesh().limits())?,
            )?)
        })
    }

    /// JSON: the core's `Stages` (per service port, namespace, mesh), rendered under `text`.
    fn stages(&self, py: Python<'_>) -> PyResult<String> {
        run(py, || {
            let stages = self.inner.mesh().stages();
            rendered(&stages, render::stages(&stages))
        })
    }

    /// JSON: the core's `Plan` towards `goal` (`strict`, `mesh-strict`, `namespace=NS[,NS]`),
    /// allowing the `ns/workload` clients of `allow_break` to break, with observed traffic
    /// (`metrics`: a JSON `Source`) as extra evidence; the runbook under `text`.
    /// `weighing`: JSON `{"edges"?, "intents"?}`: the edges the plan protects, declared traffic.
    #[pyo3(signature = (goal, allow_break, metrics=None, weighing=None))]
    fn plan(
        &self,
        py: Python<'_>,
        goal: &str,
        allow_break: Vec<String>,
        metrics: Option<&str>,
        weighing: Option<&str>,
    ) -> PyResult<String> {
        run(py, || {
            let (goal, allow) = api::plan_request(goal, &allow_break)?;
            let mut weighing = weighing_of(weighing, self.inner.mesh().limits())?;
            weighing.observations = metrics.map(observations).transpose()?;
            let plan = api::plan_weighed(self.inner.mesh(), &goal, &allow, weighing)?;
            rendered(&plan, render::plan(&plan))
        })
    }

    /// JSON: the core's `CheckReport`, rendered under `text`, its SARIF log under `sarif`.
    /// `weighing`: JSON `{"edges"?, "intents"?, "metrics"?}` (`CheckReport.scope`).
    #[pyo3(signature = (weighing=None))]
    fn check(&self, py: Python<'_>, weighing: Option<&str>) -> PyResult<String> {
        run(py, || {
            checked(&api::check_weighed(
                self.inner.mesh(),
                weighing_of(weighing, self.inner.mesh().limits())?,
            )?)
        })
    }

    /// JSON: a list of the core's `SimulatedStep`, one per step of `steps` (JSON: a list of source
    /// lists, each applied on the result of the previous one); each step's stages rendered under
    /// `stages.text`, its matrix under `matrix.table` and `matrix.csv`.
    fn simulate(&self, py: Python<'_>, steps: &str) -> PyResult<String> {
        run(py, || {
            let inputs = parse::<Vec<Vec<SourceSpec>>>("steps", steps)?
                .into_iter()
                .enumerate()
                .map(|(i, step)| {
                    Ok(StepInput {
                        name: format!("step {}", i + 1),
                        apply: api::read_specs(step, self.inner.mesh().limits())?,
                        ..StepInput::default()
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            self.inner
                .mesh()
                .simulate(&inputs)?
                .iter()
                .map(|step| {
                    Ok(with_fields(
                        to_value(step)?,
                        [
                            ("stages", rendered(&step.stages, render::stages(&step.stages))?),
                            ("matrix", tabled(&step.matrix)?),
                        ],
                    ))
                })
                .collect::<Result<Vec<Value>, ApiError>>()
        })
    }

    /// JSON: the core's `Reconciliation` of this mesh with observed traffic (`metrics`: a JSON
    /// `Source`), rendered under `text`. Malformed metrics raise `invalid-metrics`.
    fn ready(&self, py: Python<'_>, metrics: &str) -> PyResult<String> {
        run(py, || {
            let reconciliation = self.inner.mesh().ready(&observations(metrics)?);
            rendered(&reconciliation, render::ready(&reconciliation))
        })
    }

    /// JSON: the answer of any operation on this mesh, `request` being the core's JSON request
    /// (`{"op": "namespace-map", ...}`, `meshlock::api::MeshCall`).
    fn call(&self, py: Python<'_>, request: &str) -> PyResult<String> {
        run(py, || self.inner.answer(parse("request", request)?))
    }

    /// JSON: the diagnostics of the input this mesh was built from.
    fn diagnostics(&self, py: Python<'_>) -> PyResult<String> {
        run(py, || Ok(self.inner.mesh().diagnostics()))
    }

    /// JSON: the resolved settings in force.
    fn settings(&self, py: Python<'_>) -> PyResult<String> {
        run(py, || Ok(self.inner.mesh().settings()))
    }

    fn __repr__(&self) -> String {
        let settings = self.inner.mesh().settings();
        format!(
            "<meshlock.Mesh: {} workloads, {} services, Istio {}, {} diagnostics>",
            self.inner.mesh().workloads().len(),
            self.inner.mesh().services().len(),
            settings.istio_version,
            self.inner.mesh().diagnostics().len()
        )
    }
}

/// JSON: the guide replayed on the built-in cluster, rendered under `text`, each row's outcome
/// with its explanation under `text`.
#[pyfunction]
fn tour(py: Python<'_>) -> PyResult<String> {
    run(py, || {
        let tour = seed::tour()?;
        let mut value = to_value(&tour)?;
        let steps = value
            .get_mut("steps")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten();
        for (step, step_value) in tour.steps.iter().zip(steps) {
            let rows = step_value
                .get_mut("rows")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten();
            for (row, row_value) in step.rows.iter().zip(rows) {
                if let Some(slot) = row_value.get_mut("outcome") {
                    *slot = explained(&row.outcome)?;
                }
            }
        }
        if let Some(object) = value.as_object_mut() {
            object.insert("text".to_owned(), Value::String(render::tour(&tour, Style::PLAIN)));
        }
        Ok(value)
    })
}

/// JSON: the core's `Diff` from `before` to `after` (changed edges grouped, with their causes;
/// `diagnostics`: transitions the migration refuses, ML402), rendered under `text`.
#[pyfunction]
#[pyo3(signature = (before, after, weighing=None))]
fn diff(
    py: Python<'_>,
    before: PyRef<'_, PyMesh>,
    after: PyRef<'_, PyMesh>,
    weighing: Option<&str>,
) -> PyResult<String> {
    let (before, after) = (before.inner.mesh(), after.inner.mesh());
    run(py, || {
        let diff = api::diff_weighed(before, after, weighing_of(weighing, before.limits())?)?;
        rendered(&diff, render::diff(&diff))
    })
}

/// JSON: `check` of `sources` (as in `Mesh.load`) under `settings`: the core's `CheckReport`, as
/// `Mesh.check`. An input that does not load is reported (its diagnostics), not raised.
/// `counts_only`: no per-edge lists.
#[pyfunction]
#[pyo3(signature = (sources, settings, counts_only=false))]
fn check(py: Python<'_>, sources: &str, settings: &str, counts_only: bool) -> PyResult<String> {
    run(py, || {
        let settings: MeshSettings = parse("settings", settings)?;
        let weighing = api::Weighing {
            counts_only,
            ..api::Weighing::default()
        };
        checked(&api::check_sources(
            self::sources(sources, &settings.limits),
            &settings,
            weighing,
        )?)
    })
}

/// JSON: the `CheckReport` of input that does not load, from its diagnostics (a JSON list, as
/// `MeshlockError.diagnostics` holds them): what `check` answers for a file that is not text.
/// `settings` are checked as `check` checks them.
#[pyfunction]
fn check_diagnostics(py: Python<'_>, diagnostics: &str, settings: &str) -> PyResult<String> {
    run(py, || {
        parse::<MeshSettings>("settings", settings)?;
        checked(&CheckReport::from_diagnostics(parse("diagnostics", diagnostics)?))
    })
}

/// JSON: the sources of `path` (a file, or a directory's manifests in name order), read as the
/// CLI reads `-f` under the limits of `settings` (JSON `MeshSettings`): past the input limit,
/// refused before a file is read; bytes that are not text, `invalid-input` with the located ML101.
#[pyfunction]
fn read_path(py: Python<'_>, path: &str, settings: &str) -> PyResult<String> {
    run(py, || {
        let settings: MeshSettings = parse("settings", settings)?;
        let mut reader = api::SourceReader::new(&settings.limits);
        reader.read_path(std::path::Path::new(path))?;
        Ok(reader.into_sources())
    })
}

/// JSON: the source of the built-in seed cluster (`{"name", "text", "namespace"}`).
#[pyfunction]
fn seed_source(py: Python<'_>) -> PyResult<String> {
    run(py, || Ok(seed::cluster_source()))
}

/// JSON: the settings of the built-in seed cluster (Istio 1.1).
#[pyfunction]
fn seed_settings(py: Python<'_>) -> PyResult<String> {
    run(py, || Ok(seed::settings()))
}

/// JSON: every reason code the core knows (`Reason::ALL`), so a test can hold the Python enum to it.
#[pyfunction]
fn _reasons(py: Python<'_>) -> PyResult<String> {
    run(py, || Ok(meshlock::Reason::ALL.map(meshlock::Reason::as_str)))
}

/// JSON: every migration stage the core knows (`Stage::ALL`), so a test can hold the Python enum to it.
#[pyfunction]
fn _stages(py: Python<'_>) -> PyResult<String> {
    run(py, || {
        Ok(meshlock::migrate::Stage::ALL.map(meshlock::migrate::Stage::as_str))
    })
}

/// The JSON twin of every operation (`meshlock::api::call_json`): JSON request in, JSON answer out.
#[pyfunction]
fn call_json(py: Python<'_>, request: &str) -> String {
    py.detach(|| api::call_json(request))
}

/// Test hook: unwinds inside the guard exactly as a panic in core would, to prove that it
/// surfaces as `MeshlockError` with code `internal` (never pyo3's `PanicException`).
#[pyfunction]
fn _unwind(py: Python<'_>, message: &str) -> PyResult<String> {
    run(py, || -> Result<(), ApiError> {
        std::panic::resume_unwind(Box::new(message.to_owned()))
    })
}

#[pymodule]
fn _meshlock(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyMesh>()?;
    m.add_function(wrap_pyfunction!(tour, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(check_diagnostics, m)?)?;
    m.add_function(wrap_pyfunction!(read_path, m)?)?;
    m.add_function(wrap_pyfunction!(seed_source, m)?)?;
    m.add_function(wrap_pyfunction!(seed_settings, m)?)?;
    m.add_function(wrap_pyfunction!(call_json, m)?)?;
    m.add_function(wrap_pyfunction!(_reasons, m)?)?;
    m.add_function(wrap_pyfunction!(_stages, m)?)?;
    m.add_function(wrap_pyfunction!(_unwind, m)?)?;
    Ok(())
}
