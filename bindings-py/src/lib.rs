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
//! a new `Mesh`), its line in `_meshlock.pyi`, and its result class in Python.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use meshlock::api::{self, ApiError, SourceSpec};
use meshlock::render::{self, Style};
use meshlock::{MeshSettings, Outcome, seed};

/// Runs `f` without the GIL and behind the panic guard; a failure becomes `MeshlockError`.
fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> Result<T, ApiError> + Send) -> PyResult<T> {
    py.detach(|| api::guard(f)).map_err(|e| raise(py, &e))
}

/// [`detached`], answering the result as JSON text (serialised before the GIL is taken back).
fn run<T: Serialize>(py: Python<'_>, f: impl FnOnce() -> Result<T, ApiError> + Send) -> PyResult<String> {
    detached(py, || to_json(&f()?))
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::new("internal", format!("cannot serialise the answer: {e}")))
}

fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::new("internal", format!("cannot serialise the answer: {e}")))
}

/// Reads a JSON argument with the core's serde types; a bad one is the JSON twin's `bad-request`.
fn parse<T: DeserializeOwned>(what: &str, json: &str) -> Result<T, ApiError> {
    serde_json::from_str(json).map_err(|e| ApiError::new("bad-request", format!("bad {what}: {e}")))
}

fn sources(json: &str) -> Result<Vec<meshlock::Source>, ApiError> {
    api::resolve_sources(parse::<Vec<SourceSpec>>("sources", json)?)
}

/// An outcome with its rendered explanation (`meshlock explain`) under `text`.
fn explained(outcome: &Outcome) -> Result<Value, ApiError> {
    let mut value = to_value(outcome)?;
    if let Some(object) = value.as_object_mut() {
        object.insert("text".to_owned(), Value::String(render::explain(outcome, Style::PLAIN)));
    }
    Ok(value)
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
    inner: meshlock::Mesh,
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
                inner: meshlock::Mesh::load(&self::sources(sources)?, &settings)?.mesh,
            })
        })
    }

    /// What-if: a new mesh with `sources` applied (same kind/namespace/name replaces).
    fn apply(&self, py: Python<'_>, sources: &str) -> PyResult<Self> {
        detached(py, || {
            Ok(Self {
                inner: self.inner.apply(&self::sources(sources)?)?.mesh,
            })
        })
    }

    /// JSON: the outcome of one probe, with its rendered explanation under `text`.
    #[pyo3(signature = (from_, to))]
    fn probe(&self, py: Python<'_>, from_: &str, to: &str) -> PyResult<String> {
        run(py, || explained(&self.inner.probe(from_, to)?))
    }

    /// JSON: `{"matrix", "table", "csv"}`, the matrix and its two renderings.
    fn matrix(&self, py: Python<'_>) -> PyResult<String> {
        run(py, || {
            let matrix = self.inner.matrix();
            Ok(serde_json::json!({
                "matrix": to_value(&matrix)?,
                "table": render::matrix_table(&matrix, Style::PLAIN),
                "csv": render::matrix_csv(&matrix),
            }))
        })
    }

    /// JSON: the diagnostics of the input this mesh was built from.
    fn diagnostics(&self, py: Python<'_>) -> PyResult<String> {
        run(py, || Ok(self.inner.diagnostics()))
    }

    /// JSON: the resolved settings in force.
    fn settings(&self, py: Python<'_>) -> PyResult<String> {
        run(py, || Ok(self.inner.settings()))
    }

    fn __repr__(&self) -> String {
        let settings = self.inner.settings();
        format!(
            "<meshlock.Mesh: {} workloads, {} services, Istio {}, {} diagnostics>",
            self.inner.workloads().len(),
            self.inner.services().len(),
            settings.istio_version,
            self.inner.diagnostics().len()
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
    m.add_function(wrap_pyfunction!(seed_source, m)?)?;
    m.add_function(wrap_pyfunction!(seed_settings, m)?)?;
    m.add_function(wrap_pyfunction!(call_json, m)?)?;
    m.add_function(wrap_pyfunction!(_reasons, m)?)?;
    m.add_function(wrap_pyfunction!(_unwind, m)?)?;
    Ok(())
}
