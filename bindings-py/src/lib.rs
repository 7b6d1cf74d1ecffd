//! `meshlock._meshlock`: the compiled half of the Python package `meshlock`.
//!
//! Thin by design (style.md R3–R5): every operation on a mesh is one core request
//! ([`meshlock::api::MeshRequest`], JSON with the core's snake_case keys) answered by
//! [`api::MeshHandle::answer`] inside [`api::guard`] with the GIL released; the answer is
//! serialised to JSON while still detached, and an [`ApiError`] becomes `meshlock.MeshlockError`.
//! What a source, a step, metrics, intents or a setting mean is decided by the core's serde types.
//! The pure-Python package (`python/meshlock/`) composes the requests and turns the JSON answers
//! into frozen result classes.
//!
//! Beside `Mesh.call` there are typed entries only where a request cannot say it: building a mesh
//! (`load`, `apply`), the operations on sources or on two meshes (`check`, `diff`, `tour`), and the
//! seed's built-ins.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use meshlock::api::{self, Answer, ApiError, Both, Placement, Render, Rendering, SourceSpec};
use meshlock::render::{self, Style};
use meshlock::settings::Limits;
use meshlock::{Source, seed};

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

/// Reads `sources` (JSON `SourceSpec`s: a string is a path) as `load` reads them, text placed by
/// `placement`. The binding reads them itself, rather than through `MeshHandle::load`, to keep
/// what was read: a pickled mesh is rebuilt from it, not from files that may have changed.
fn read(sources: &str, placement: Placement, limits: &Limits) -> Result<Vec<Source>, ApiError> {
    api::read_specs(parse::<Vec<SourceSpec>>("sources", sources)?, placement, limits)
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

/// Renderings the core has no request for (its `Answer::rendered` lacks them): a simulated
/// step's stages (`text`) and matrix (`table`, `csv`), a tour row's explanation (`text`), a
/// diff's report (`text`). They go once the core renders nested answers and diffs.
mod renderings {
    use super::*;

    pub fn steps(steps: &[meshlock::migrate::SimulatedStep]) -> Result<Value, ApiError> {
        let rendered = steps
            .iter()
            .map(|step| {
                let stages = with_fields(
                    to_value(&step.stages)?,
                    [("text", Value::String(render::stages(&step.stages)))],
                );
                let matrix = with_fields(
                    to_value(&step.matrix)?,
                    [
                        ("table", Value::String(render::matrix_table(&step.matrix, Style::PLAIN))),
                        ("csv", Value::String(render::matrix_csv(&step.matrix))),
                    ],
                );
                Ok(with_fields(to_value(step)?, [("stages", stages), ("matrix", matrix)]))
            })
            .collect::<Result<Vec<Value>, ApiError>>()?;
        Ok(Value::Array(rendered))
    }

    pub fn tour(tour: &meshlock::seed::Tour, mut value: Value) -> Result<Value, ApiError> {
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
                if let Some(outcome) = row_value.get_mut("outcome") {
                    let text = render::explain(&row.outcome, Style::PLAIN);
                    *outcome = with_fields(outcome.take(), [("text", Value::String(text))]);
                }
            }
        }
        Ok(value)
    }

    pub fn diff(diff: &meshlock::migrate::Diff, value: Value) -> Value {
        with_fields(value, [("text", Value::String(render::diff(diff)))])
    }
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
    /// `sources`: JSON list of the core's `SourceSpec`; `options`: JSON `LoadOptions` (placement
    /// and settings). Answers the mesh and the JSON of the sources read (to rebuild it from).
    #[staticmethod]
    fn load(py: Python<'_>, sources: &str, options: &str) -> PyResult<(Self, String)> {
        detached(py, || {
            let Both(placement, settings): api::LoadOptions = parse("options", options)?;
            let read = read(sources, placement, &settings.limits)?;
            let mesh = meshlock::Mesh::load(&read, &settings)?.mesh;
            Ok((
                Self {
                    inner: api::MeshHandle::new(mesh),
                },
                to_json(&read)?,
            ))
        })
    }

    /// What-if: a new mesh with `sources` (as in `load`) applied, a resource with the kind,
    /// namespace and name of an existing one replacing it; `options`: JSON `Placement`. Answers
    /// the mesh and the JSON of the sources read.
    fn apply(&self, py: Python<'_>, sources: &str, options: &str) -> PyResult<(Self, String)> {
        detached(py, || {
            let mesh = self.inner.mesh();
            let read = read(sources, parse("options", options)?, mesh.limits())?;
            Ok((
                Self {
                    inner: api::MeshHandle::new(mesh.apply(&read)?.mesh),
                },
                to_json(&read)?,
            ))
        })
    }

    /// JSON: the sources (`{"name", "text", "namespace"}`) that `apply` would read from `sources`
    /// under this mesh's limits: the steps of `simulate` hold sources, not paths.
    fn read(&self, py: Python<'_>, sources: &str, options: &str) -> PyResult<String> {
        run(py, || {
            read(sources, parse("options", options)?, self.inner.mesh().limits())
        })
    }

    /// JSON: the answer of the core request `request` (`{"op": "probe", ...}`,
    /// `meshlock::api::MeshRequest`), with the renderings it asks for.
    fn call(&self, py: Python<'_>, request: &str) -> PyResult<String> {
        run(py, || {
            let reply = self.inner.answer(parse("request", request)?)?;
            match &reply.answer {
                Answer::Steps(steps) => renderings::steps(steps),
                _ => reply.to_value(),
            }
        })
    }

    fn __repr__(&self) -> String {
        let mesh = self.inner.mesh();
        format!(
            "<meshlock.Mesh: {} workloads, {} services, Istio {}, {} diagnostics>",
            mesh.workloads().len(),
            mesh.services().len(),
            mesh.settings().istio_version,
            mesh.diagnostics().len()
        )
    }
}

/// JSON: the guide replayed on the built-in cluster, rendered under `text`, each row's outcome
/// with its explanation under `text`.
#[pyfunction]
fn tour(py: Python<'_>) -> PyResult<String> {
    run(py, || {
        let reply = api::tour(Some(Render::With(vec![Rendering::Text])))?;
        match &reply.answer {
            Answer::Tour(tour) => renderings::tour(tour, reply.to_value()?),
            _ => reply.to_value(),
        }
    })
}

/// JSON: the core's `Diff` from `before` to `after`, rendered under `text`; `options`: JSON
/// `WeighRequest`.
#[pyfunction]
fn diff(py: Python<'_>, before: PyRef<'_, PyMesh>, after: PyRef<'_, PyMesh>, options: &str) -> PyResult<String> {
    let (before, after) = (&before.inner, &after.inner);
    run(py, || {
        let reply = api::diff(before, after, parse("options", options)?)?;
        match &reply.answer {
            Answer::Diff(diff) => Ok(renderings::diff(diff, reply.to_value()?)),
            _ => reply.to_value(),
        }
    })
}

/// JSON: `check` of `sources` (as in `Mesh.load`) under `options` (JSON `CheckOptions`): the
/// core's `CheckReport` with `text` and `sarif`. Input that does not load is reported, not raised.
#[pyfunction]
fn check(py: Python<'_>, sources: &str, options: &str) -> PyResult<String> {
    run(py, || {
        api::check(
            parse("sources", sources)?,
            parse("options", options)?,
            Some(Render::With(vec![Rendering::Text, Rendering::Sarif])),
        )
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
    m.add_function(wrap_pyfunction!(seed_source, m)?)?;
    m.add_function(wrap_pyfunction!(seed_settings, m)?)?;
    m.add_function(wrap_pyfunction!(call_json, m)?)?;
    m.add_function(wrap_pyfunction!(_reasons, m)?)?;
    m.add_function(wrap_pyfunction!(_stages, m)?)?;
    m.add_function(wrap_pyfunction!(_unwind, m)?)?;
    Ok(())
}
