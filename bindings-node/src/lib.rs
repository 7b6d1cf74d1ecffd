//! Node bindings for meshlock (napi-rs): conversion and error mapping only, no meshlock logic.
//!
//! How a value crosses the boundary:
//! - results: core type → JSON text (serde, keys turned `snake_case` → `camelCase` as they are
//!   written; every key of a core result is a Rust field name) → `JSON.parse` in the engine, which
//!   keeps the core's field order and is faster than building objects through Node-API;
//! - options: JS object → keys turned `camelCase` → `snake_case` → core type through serde, so the
//!   core's `deny_unknown_fields` rejects a misspelt option;
//! - errors: every call into core runs inside [`meshlock::api::guard`]; an [`ApiError`] becomes a
//!   thrown `MeshlockError` (a real `Error` subclass) with `.code` and `.diagnostics`, and a panic
//!   becomes code `internal`;
//! - SARIF: written as the core builds it (its keys are camelCase already).
//!
//! Every operation on a mesh is a core request (`meshlock::api::MeshCall`): exposing a new one is
//! one method, `self.ask(env, with_op("op-name", options, []))`.
//! The TypeScript interfaces of the results live in `types.d.ts`, the header of the generated
//! `index.d.ts`.

use std::sync::Arc;

use meshlock::api::{self, ApiError, ErrorCode};
use napi::bindgen_prelude::{AsyncTask, FnArgs, Function, FunctionRef, JsObjectValue, Object, ToNapiValue, Unknown};
use napi::{Env, JsValue, ScopedTask, sys};
use napi_derive::napi;
use serde::Serialize;
use serde_json::{Value, json};

/// `MeshlockError`, created once per JS environment (main thread, each worker) at module load.
const ERROR_CLASS: &str = r"(() => {
  class MeshlockError extends Error {
    constructor(message, options) {
      super(message);
      this.code = (options && options.code) || 'internal';
      this.diagnostics = (options && options.diagnostics) || [];
    }
  }
  Object.defineProperty(MeshlockError.prototype, 'name', { value: 'MeshlockError', writable: true, configurable: true });
  return MeshlockError;
})()";

type ErrorClass = FunctionRef<FnArgs<(String, sys::napi_value)>, Unknown<'static>>;

#[napi(module_exports)]
pub fn module_exports(mut exports: Object, env: Env) -> napi::Result<()> {
    let class: Function<FnArgs<(String, sys::napi_value)>, Unknown> = env.run_script(ERROR_CLASS)?;
    env.set_instance_data::<ErrorClass, (), _>(class.create_ref()?, (), |_| {})?;
    exports.set("MeshlockError", class)?;
    Ok(())
}

/// The `MeshlockError` for `error`; falls back to a plain `Error` with the same code.
fn to_js_error(env: &Env, error: ApiError) -> napi::Error {
    let build = || -> napi::Result<napi::Error> {
        let class = env
            .get_instance_data::<ErrorClass>()?
            .ok_or_else(|| napi::Error::from_reason("MeshlockError is not registered"))?
            .borrow_back(env)?;
        #[derive(Serialize)]
        struct ErrorOptions<'a> {
            code: &'a str,
            diagnostics: &'a [meshlock::Diagnostic],
        }
        let options = Json::of(&ErrorOptions {
            code: error.code.as_str(),
            diagnostics: &error.diagnostics,
        })
        .map_err(|e| napi::Error::from_reason(e.message))?
        .parse(env)?;
        Ok(napi::Error::from(
            class.new_instance((error.message.clone(), options.raw()).into())?,
        ))
    };
    build().unwrap_or_else(|_| {
        napi::Error::new(
            napi::Status::GenericFailure,
            format!("[{}] {}", error.code, error.message),
        )
    })
}

/// Runs `f` behind the panic guard and throws its error as a `MeshlockError`.
fn run<T>(env: &Env, f: impl FnOnce() -> Result<T, ApiError>) -> napi::Result<T> {
    api::guard(f).map_err(|e| to_js_error(env, e))
}

/// Runs `f` behind the panic guard and answers its result as a plain JS object.
fn answer<'env, T: Serialize>(env: &'env Env, f: impl FnOnce() -> Result<T, ApiError>) -> napi::Result<Unknown<'env>> {
    run(env, || Json::of(&f()?))?.parse(env)
}

/// A core result as JSON text with camelCase keys, ready for `JSON.parse`.
pub struct Json(String);

impl Json {
    fn of<T: Serialize>(value: &T) -> Result<Self, ApiError> {
        api::to_camel_json(value).map(Json)
    }

    fn parse(self, env: &Env) -> napi::Result<Unknown<'_>> {
        let json: Object = env.get_global()?.get_named_property("JSON")?;
        let parse: Function<String, Unknown> = json.get_named_property("parse")?;
        parse.call(self.0)
    }
}

/// A JS argument read as the core's request type `T` (keys camelCase → snake_case; `undefined` or
/// `null`: an empty object, every option absent).
fn request<T: serde::de::DeserializeOwned>(what: &str, value: Option<Value>) -> Result<T, ApiError> {
    api::from_js(what, value.unwrap_or(Value::Null))
}

/// [`api::js_request`] of an optional options object.
fn with_op(
    op: &str,
    options: Option<Value>,
    keys: impl IntoIterator<Item = (&'static str, Value)>,
) -> Result<Value, ApiError> {
    api::js_request(op, options.unwrap_or(Value::Null), keys)
}

fn list(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items),
        one => Value::Array(vec![one]),
    }
}

fn load_mesh(sources: Value, options: Option<Value>) -> Result<Mesh, ApiError> {
    let sources: Vec<api::SourceSpec> = request("sources", Some(list(sources)))?;
    Ok(Mesh::new(api::MeshHandle::load(sources, request("options", options)?)?))
}

fn check_sources(sources: Value, options: Option<Value>, render: Option<api::Render>) -> Result<api::Reply, ApiError> {
    let sources: Vec<api::SourceSpec> = request("sources", Some(list(sources)))?;
    api::check(sources, request("options", options)?, render)
}

/// A result that becomes a JS value on the main thread, after a [`Job`] computed it.
pub trait IntoJs: Send + 'static {
    fn into_js(self, env: &Env) -> napi::Result<Unknown<'_>>;
}

impl IntoJs for Json {
    fn into_js(self, env: &Env) -> napi::Result<Unknown<'_>> {
        self.parse(env)
    }
}

impl IntoJs for Mesh {
    fn into_js(self, env: &Env) -> napi::Result<Unknown<'_>> {
        self.into_unknown(env)
    }
}

/// Work for the libuv thread pool: a core call behind the guard; an error rejects the promise
/// with a `MeshlockError`.
pub struct Job<T> {
    work: Option<Box<dyn FnOnce() -> Result<T, ApiError> + Send>>,
}

impl<T: IntoJs> Job<T> {
    fn task(work: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> AsyncTask<Self> {
        AsyncTask::new(Job {
            work: Some(Box::new(work)),
        })
    }
}

impl<T> Job<T> {
    /// The work, behind the panic guard (on a libuv thread).
    fn run(&mut self) -> Result<T, ApiError> {
        match self.work.take() {
            Some(work) => api::guard(work),
            None => Err(ApiError::new(ErrorCode::Internal, "the task ran twice")),
        }
    }
}

impl<'task, T: IntoJs> ScopedTask<'task> for Job<T> {
    type Output = Result<T, ApiError>;
    type JsValue = Unknown<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<Unknown<'task>> {
        output.map_err(|e| to_js_error(env, e))?.into_js(env)
    }
}

/// A loaded mesh: one cluster under one set of settings. Immutable: `apply` returns a new mesh.
#[napi]
pub struct Mesh {
    inner: Arc<api::MeshHandle>,
}

impl Mesh {
    fn new(handle: api::MeshHandle) -> Self {
        Self {
            inner: Arc::new(handle),
        }
    }

    /// Answers the core request `request` (a JS object: `{op, ...}`) on this mesh.
    fn ask<'env>(&self, env: &'env Env, request: Result<Value, ApiError>) -> napi::Result<Unknown<'env>> {
        answer(env, || self.inner.answer(api::from_js("options", request?)?))
    }

    /// [`Mesh::ask`] on the libuv thread pool, off the event loop.
    fn ask_async(&self, request: Result<Value, ApiError>) -> AsyncTask<Job<Json>> {
        let mesh = Arc::clone(&self.inner);
        Job::task(move || Json::of(&mesh.answer(api::from_js("options", request?)?)?))
    }
}

#[napi]
impl Mesh {
    /// Loads YAML text (one or more documents). `options.name` names it in diagnostics
    /// (default `input.yaml`); `options.namespace` is the namespace of documents without one.
    #[napi(factory, ts_args_type = "text: string, options?: YamlOptions")]
    pub fn from_yaml(env: Env, text: String, options: Option<Value>) -> napi::Result<Mesh> {
        run(&env, || {
            let api::Both(placement, settings): api::LoadOptions = request("options", options)?;
            let source = api::text_source(text, &placement);
            let options = api::Both(api::Placement::default(), settings);
            Ok(Mesh::new(api::MeshHandle::load(
                vec![api::SourceSpec::Inline(source)],
                options,
            )?))
        })
    }

    /// The guide's built-in cluster (`foo`, `bar`, `legacy`) under Istio 1.1 rules.
    #[napi(factory)]
    pub fn seed(env: Env) -> napi::Result<Mesh> {
        run(&env, || Ok(Mesh::new(api::MeshHandle::new(meshlock::seed::mesh()?))))
    }

    /// Loads files (paths) and inline sources, in order, like several `-f` flags.
    #[napi(
        factory,
        ts_args_type = "sources: Array<string | SourceInput>, options?: MeshOptions"
    )]
    pub fn load(env: Env, sources: Value, options: Option<Value>) -> napi::Result<Mesh> {
        run(&env, || load_mesh(sources, options))
    }

    /// What-if: a new mesh with these resources added; one with the kind, namespace and name of
    /// an existing resource replaces it. A string is YAML text.
    #[napi(ts_args_type = "sources: string | SourceInput | Array<string | SourceInput>, options?: SourceOptions")]
    pub fn apply(&self, env: Env, sources: Value, options: Option<Value>) -> napi::Result<Mesh> {
        run(&env, || {
            let overlays: Vec<api::OverlaySpec> = request("sources", Some(list(sources)))?;
            Ok(Mesh::new(self.inner.apply(overlays, request("options", options)?)?))
        })
    }

    /// `curl http://TO` from a pod of workload `from` (`namespace/name`).
    #[napi(ts_return_type = "Outcome")]
    pub fn probe<'env>(&self, env: &'env Env, from: String, to: String) -> napi::Result<Unknown<'env>> {
        self.ask(env, Ok(json!({"op": "probe", "from": from, "to": to})))
    }

    /// The probe's decision chain as plain text, as `meshlock explain` prints it.
    #[napi(ts_return_type = "string")]
    pub fn explain<'env>(&self, env: &'env Env, from: String, to: String) -> napi::Result<Unknown<'env>> {
        self.ask(
            env,
            Ok(json!({"op": "explain", "from": from, "to": to, "render": "text"})),
        )
    }

    /// Every client workload × every service port. With `edges`, `intents` or `metrics`, only the
    /// edges in the scope, each with its `evidence`.
    #[napi(ts_args_type = "options?: WeighOptions", ts_return_type = "Matrix")]
    pub fn matrix<'env>(&self, env: &'env Env, options: Option<Value>) -> napi::Result<Unknown<'env>> {
        self.ask(env, with_op("matrix", options, []))
    }

    /// `matrix()` computed on the libuv thread pool, off the event loop.
    #[napi(ts_return_type = "Promise<Matrix>")]
    pub fn matrix_async(&self) -> AsyncTask<Job<Json>> {
        self.ask_async(Ok(json!({"op": "matrix"})))
    }

    /// Namespace × namespace: per (client namespace, service namespace) pair, the edges per outcome
    /// class and the worst (`meshlock matrix --by namespace`). Memory does not grow with the edges.
    /// With `edges`, `intents` or `metrics`: the edges in that scope only.
    #[napi(ts_args_type = "options?: WeighOptions", ts_return_type = "NamespaceMap")]
    pub fn namespace_map<'env>(&self, env: &'env Env, options: Option<Value>) -> napi::Result<Unknown<'env>> {
        self.ask(env, with_op("namespace-map", options, []))
    }

    /// The matrix of the clients in `clientNs` × the service ports in `serviceNs` (`null`: every
    /// namespace on that side); with `options`, the edges in that scope with their evidence.
    #[napi(
        ts_args_type = "clientNs?: string | null, serviceNs?: string | null, options?: WeighOptions",
        ts_return_type = "Matrix"
    )]
    pub fn matrix_between<'env>(
        &self,
        env: &'env Env,
        client_ns: Option<String>,
        service_ns: Option<String>,
        options: Option<Value>,
    ) -> napi::Result<Unknown<'env>> {
        let pair = [
            ("clientNamespace", json!(client_ns)),
            ("serviceNamespace", json!(service_ns)),
        ];
        self.ask(env, with_op("matrix-between", options, pair))
    }

    /// The matrix as a fixed-width text table.
    #[napi(ts_return_type = "string")]
    pub fn matrix_table<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        self.ask(env, Ok(json!({"op": "matrix", "render": "table"})))
    }

    /// The matrix as CSV.
    #[napi(ts_return_type = "string")]
    pub fn matrix_csv<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        self.ask(env, Ok(json!({"op": "matrix", "render": "csv"})))
    }

    /// The static checker to run in CI: the input's diagnostics, plus the findings that need the
    /// evaluated matrix (traffic that breaks, ports ready to lock, authorization that depends on
    /// mTLS), a summary, the failing edges and who may call what in plaintext.
    /// With `edges`, `intents` or `metrics`: the scope's counts, declared edges that fail and
    /// undeclared plaintext callers under `scope`.
    #[napi(ts_args_type = "options?: WeighOptions", ts_return_type = "CheckReport")]
    pub fn check<'env>(&self, env: &'env Env, options: Option<Value>) -> napi::Result<Unknown<'env>> {
        self.ask(env, with_op("check", options, []))
    }

    /// `check()` computed on the libuv thread pool, off the event loop.
    #[napi(ts_return_type = "Promise<CheckReport>")]
    pub fn check_async(&self) -> AsyncTask<Job<Json>> {
        self.ask_async(Ok(json!({"op": "check"})))
    }

    /// `check()` as SARIF 2.1.0, for code-scanning uploads (`github/codeql-action/upload-sarif`).
    #[napi(ts_return_type = "SarifLog")]
    pub fn check_sarif<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        self.ask(env, Ok(json!({"op": "check", "render": "sarif"})))
    }

    /// The migration stage of every service port, of each namespace and of the mesh.
    #[napi(ts_return_type = "Stages")]
    pub fn stages<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        self.ask(env, Ok(json!({"op": "stages"})))
    }

    /// Ordered steps towards STRICT that never break a working edge, unless its client is in
    /// `allowBreak`; what would break is reported as blockers with remedies. With `metrics`,
    /// observed plaintext senders hold a lock-down back too.
    #[napi(ts_args_type = "options?: PlanOptions", ts_return_type = "Plan")]
    pub fn plan<'env>(&self, env: &'env Env, options: Option<Value>) -> napi::Result<Unknown<'env>> {
        self.ask(env, with_op("plan", options, []))
    }

    /// `plan()` computed on the libuv thread pool, off the event loop.
    #[napi(ts_args_type = "options?: PlanOptions", ts_return_type = "Promise<Plan>")]
    pub fn plan_async(&self, options: Option<Value>) -> AsyncTask<Job<Json>> {
        self.ask_async(with_op("plan", options, []))
    }

    /// Applies the steps in order (each deletes, then applies) and reports, after each, the edges
    /// that changed, the stages and the matrix. This mesh is unchanged.
    #[napi(ts_args_type = "steps: Array<StepInput>", ts_return_type = "Array<SimulatedStep>")]
    pub fn simulate<'env>(&self, env: &'env Env, steps: Value) -> napi::Result<Unknown<'env>> {
        self.ask(env, Ok(json!({"op": "simulate", "steps": steps})))
    }

    /// Readiness per service from observed traffic (a file path, or `{name, text}`: Prometheus
    /// text exposition or the JSON of its HTTP API), reconciled with the model.
    #[napi(ts_args_type = "metrics: MetricsInput", ts_return_type = "Reconciliation")]
    pub fn ready<'env>(&self, env: &'env Env, metrics: Value) -> napi::Result<Unknown<'env>> {
        self.ask(env, Ok(json!({"op": "ready", "metrics": metrics})))
    }

    /// The diagnostics found while loading this mesh (warnings and notes).
    #[napi(getter, ts_return_type = "Array<Diagnostic>")]
    pub fn diagnostics<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        self.ask(env, Ok(json!({"op": "diagnostics"})))
    }

    /// The settings in force, and where each came from.
    #[napi(getter, ts_return_type = "ResolvedSettings")]
    pub fn settings<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        self.ask(env, Ok(json!({"op": "settings"})))
    }
}

/// Loads files (paths) and inline sources, in order, like several `-f` flags.
#[napi(ts_args_type = "sources: Array<string | SourceInput>, options?: MeshOptions")]
pub fn load(env: Env, sources: Value, options: Option<Value>) -> napi::Result<Mesh> {
    run(&env, || load_mesh(sources, options))
}

/// `load()` on the libuv thread pool: reading and parsing large inputs off the event loop.
#[napi(
    ts_args_type = "sources: Array<string | SourceInput>, options?: MeshOptions",
    ts_return_type = "Promise<Mesh>"
)]
pub fn load_async(sources: Value, options: Option<Value>) -> AsyncTask<Job<Mesh>> {
    Job::task(move || load_mesh(sources, options))
}

/// Every edge whose status or transport changes from `before` to `after`, grouped, each with the
/// resources that caused it; `diagnostics` holds the transitions the migration refuses (ML402).
#[napi(
    ts_args_type = "before: Mesh, after: Mesh, options?: WeighOptions",
    ts_return_type = "Diff"
)]
pub fn diff<'env>(env: &'env Env, before: &Mesh, after: &Mesh, options: Option<Value>) -> napi::Result<Unknown<'env>> {
    answer(env, || {
        api::diff(&before.inner, &after.inner, request("options", options)?)
    })
}

/// The static checker on files and inline sources, as `meshlock check`: an input that does not
/// load is reported (its diagnostics, nothing else), not thrown.
#[napi(
    ts_args_type = "sources: Array<string | SourceInput>, options?: MeshOptions & WeighOptions",
    ts_return_type = "CheckReport"
)]
pub fn check<'env>(env: &'env Env, sources: Value, options: Option<Value>) -> napi::Result<Unknown<'env>> {
    answer(env, || check_sources(sources, options, None))
}

/// `check(sources, options)` as SARIF 2.1.0.
#[napi(
    ts_args_type = "sources: Array<string | SourceInput>, options?: MeshOptions",
    ts_return_type = "SarifLog"
)]
pub fn check_sarif<'env>(env: &'env Env, sources: Value, options: Option<Value>) -> napi::Result<Unknown<'env>> {
    answer(env, || {
        check_sources(sources, options, Some(api::Render::Only(api::Rendering::Sarif)))
    })
}

/// The seed guide replayed step by step on the built-in cluster.
#[napi(ts_return_type = "Tour")]
pub fn tour(env: &Env) -> napi::Result<Unknown<'_>> {
    answer(env, || api::tour(None))
}

/// The guide's tour as plain text, as `meshlock tour` prints it.
#[napi(ts_return_type = "string")]
pub fn tour_text(env: &Env) -> napi::Result<Unknown<'_>> {
    answer(env, || api::tour(Some(api::Render::Only(api::Rendering::Text))))
}

/// The JSON twin of every operation (`{"op": "probe", ...}`, see the core's `api` module): a JSON
/// request in, a JSON answer out (`{"type": "success" | "failure", ...}`, snake_case keys);
/// never throws.
#[napi]
pub fn call_json(request: String) -> String {
    api::call_json(&request)
}

/// Test hook: unwinds inside the guard exactly as a panic in core would, to prove that it reaches
/// JavaScript as a `MeshlockError` with code `internal`, never as a crash of the process.
#[doc(hidden)]
#[napi(js_name = "__unwindForTests")]
pub fn unwind_for_tests(env: Env, message: String) -> napi::Result<()> {
    run(&env, || -> Result<(), ApiError> {
        std::panic::resume_unwind(Box::new(message))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_a_job_becomes_an_internal_error() {
        let mut job: Job<Json> = Job {
            work: Some(Box::new(|| -> Result<Json, ApiError> { std::panic::panic_any("boom") })),
        };
        let error = job.run().err().unwrap();
        assert_eq!(error.code.as_str(), "internal");
        assert!(error.message.contains("boom"), "{}", error.message);
        assert_eq!(job.run().err().unwrap().code.as_str(), "internal");
    }

    #[test]
    fn options_must_be_an_object() {
        assert_eq!(with_op("plan", None, []).unwrap(), json!({"op": "plan"}));
        let err = with_op("plan", Some(json!("strict")), []).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadRequest);
    }
}
