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
//! - SARIF: written as the core builds it, its keys (SARIF's own) never renamed.
//!
//! Exposing a new core operation is one method: `answer(&env, || Ok(core_call()?))`.
//! The TypeScript interfaces of the results live in `types.d.ts`, the header of the generated
//! `index.d.ts`.

use std::sync::Arc;

use meshlock::api::{self, ApiError, ErrorCode, SourceSpec};
use meshlock::check::CheckReport;
use meshlock::migrate::{Plan, StepInput};
use meshlock::render::{self, Style};
use meshlock::telemetry::Observations;
use meshlock::{MeshSettings, Source};
use napi::bindgen_prelude::{AsyncTask, FnArgs, Function, FunctionRef, JsObjectValue, Object, ToNapiValue, Unknown};
use napi::{Env, JsValue, ScopedTask, sys};
use napi_derive::napi;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The source name given to YAML text passed without `name`.
const DEFAULT_SOURCE_NAME: &str = "input.yaml";

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

    /// A JSON value written as it is, keys untouched (SARIF).
    fn plain(value: &Value) -> Self {
        Json(value.to_string())
    }

    fn parse(self, env: &Env) -> napi::Result<Unknown<'_>> {
        let json: Object = env.get_global()?.get_named_property("JSON")?;
        let parse: Function<String, Unknown> = json.get_named_property("parse")?;
        parse.call(self.0)
    }
}

/// Options shared by every entry point: where text without a name or namespace goes, and the
/// mesh settings (`istioVersion`, `autoMtls`, `rootNamespace`, `trustDomain`).
struct Options {
    name: Option<String>,
    namespace: Option<String>,
    settings: MeshSettings,
}

fn options(value: Option<Value>) -> Result<Options, ApiError> {
    let mut map = match value {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(ApiError::bad_request(
                "options",
                format!("expected an object, got {other}"),
            ));
        }
    };
    let mut text = |key: &str| match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ApiError::bad_request(
            "options",
            format!("`{key}` must be a string, got {other}"),
        )),
    };
    let (name, namespace) = (text("name")?, text("namespace")?);
    let settings = serde_json::from_value(api::keys_to_snake(Value::Object(map)))
        .map_err(|e| ApiError::bad_request("options", e))?;
    Ok(Options {
        name,
        namespace,
        settings,
    })
}

/// `text`: YAML, named by the options. Objects: `{name, text, namespace?}` or `{builtin: 'seed'}`.
fn inline_source(value: Value, opts: &Options) -> Result<Source, ApiError> {
    match value {
        Value::String(text) => Ok(Source {
            name: opts.name.clone().unwrap_or_else(|| DEFAULT_SOURCE_NAME.to_owned()),
            text,
            namespace: opts.namespace.clone(),
        }),
        other => {
            let spec: SourceSpec = serde_json::from_value(other).map_err(|e| ApiError::bad_request("source", e))?;
            api::resolve_sources(vec![spec])?
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::new(ErrorCode::Internal, "no source"))
        }
    }
}

fn read_file(path: &str) -> Result<String, ApiError> {
    std::fs::read_to_string(path).map_err(|e| ApiError::new(ErrorCode::Io, format!("cannot read `{path}`: {e}")))
}

/// Sources in order: a string is a file or directory path, read as the CLI reads `-f` (bytes
/// decoded as kubectl decodes them; all together refused past the input limit before a file is
/// read); an object is an inline source.
fn read_sources(values: Vec<Value>, opts: &Options) -> Result<Vec<Source>, ApiError> {
    let mut reader = api::SourceReader::new(&opts.settings.limits);
    reader.set_namespace(opts.namespace.clone());
    for value in values {
        match value {
            Value::String(path) => reader.read_path(std::path::Path::new(&path))?,
            other => reader.push(inline_source(other, opts)?)?,
        }
    }
    Ok(reader.into_sources())
}

/// Metrics given inline: the name is the source name in the metrics' diagnostics.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricsInput {
    name: String,
    text: String,
}

/// Observed traffic: a file path, or `{name, text}`; Prometheus text exposition or API JSON.
fn observations(value: Value) -> Result<Observations, ApiError> {
    let MetricsInput { name, text } = match value {
        Value::String(path) => MetricsInput {
            text: read_file(&path)?,
            name: path,
        },
        other => serde_json::from_value(other).map_err(|e| ApiError::bad_request("metrics", e))?,
    };
    Ok(Observations::parse(&name, &text)?)
}

/// `plan()` options: `goal` (`strict`, `mesh-strict`, `namespace=NS[,NS]`; default `strict`),
/// `allowBreak` (`ns/workload` clients that may break), `metrics` (observed traffic).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PlanOptions {
    goal: Option<String>,
    allow_break: Option<Vec<String>>,
    metrics: Option<Value>,
    edges: Option<String>,
    intents: Option<Value>,
    #[serde(default)]
    counts_only: bool,
}

/// `check()`, `matrix()` and `diff()` options: `edges` (a scope: `all`, `possible`,
/// `declared,observed`…), `intents` (sources of TrafficIntent YAML or intents CSV), `metrics`
/// (observed traffic), `countsOnly` (`check`: no per-edge lists).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WeighOptions {
    edges: Option<String>,
    intents: Option<Value>,
    metrics: Option<Value>,
    #[serde(default)]
    counts_only: bool,
}

/// The core's [`api::Weighing`] of these options.
fn weighing(edges: Option<String>, intents: Option<Value>, metrics: Option<Value>) -> Result<api::Weighing, ApiError> {
    let opts = options(None)?;
    Ok(api::Weighing {
        edges,
        intents: read_sources(intents.filter(|v| !v.is_null()).map(list).unwrap_or_default(), &opts)?,
        observations: metrics.filter(|m| !m.is_null()).map(observations).transpose()?,
        counts_only: false,
    })
}

fn weigh_options(options: Option<Value>) -> Result<api::Weighing, ApiError> {
    let opts: WeighOptions = match options {
        None | Some(Value::Null) => WeighOptions::default(),
        Some(value) => serde_json::from_value(value).map_err(|e| ApiError::bad_request("options", e))?,
    };
    Ok(api::Weighing {
        counts_only: opts.counts_only,
        ..weighing(opts.edges, opts.intents, opts.metrics)?
    })
}

fn plan(mesh: &meshlock::Mesh, options: Option<Value>) -> Result<Plan, ApiError> {
    let opts: PlanOptions = match options {
        None | Some(Value::Null) => PlanOptions::default(),
        Some(value) => serde_json::from_value(value).map_err(|e| ApiError::bad_request("plan options", e))?,
    };
    let (goal, allow) = api::plan_request(
        opts.goal.as_deref().unwrap_or("strict"),
        &opts.allow_break.unwrap_or_default(),
    )?;
    let weighing = api::Weighing {
        counts_only: opts.counts_only,
        ..weighing(opts.edges, opts.intents, opts.metrics)?
    };
    api::plan_weighed(mesh, &goal, &allow, weighing)
}

/// One `simulate()` step: a list of sources to apply (named `step N`), or
/// `{name?, apply?, delete?}`. A string is YAML text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepSpec {
    name: Option<String>,
    apply: Option<Value>,
    delete: Option<Value>,
}

fn step_input(index: usize, value: Value) -> Result<StepInput, ApiError> {
    let spec = match value {
        Value::Object(_) => {
            serde_json::from_value(value).map_err(|e| ApiError::bad_request(&format!("step {}", index + 1), e))?
        }
        sources => StepSpec {
            name: None,
            apply: Some(sources),
            delete: None,
        },
    };
    // Step sources are inline only: a string is YAML text named `input.yaml`.
    let opts = options(None)?;
    let sources = |value: Option<Value>| -> Result<Vec<Source>, ApiError> {
        value
            .filter(|v| !v.is_null())
            .map(list)
            .unwrap_or_default()
            .into_iter()
            .map(|s| inline_source(s, &opts))
            .collect()
    };
    Ok(StepInput {
        name: spec.name.unwrap_or_else(|| format!("step {}", index + 1)),
        apply: sources(spec.apply)?,
        delete: sources(spec.delete)?,
    })
}

/// `check` of sources: an input that does not load is reported in the report, not thrown.
/// `countsOnly` in the options: no per-edge lists.
fn check_sources(sources: Value, mut opts: Option<Value>) -> Result<CheckReport, ApiError> {
    let counts_only = match opts
        .as_mut()
        .and_then(Value::as_object_mut)
        .and_then(|o| o.remove("countsOnly"))
    {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(other) => {
            return Err(ApiError::bad_request(
                "options",
                format!("`countsOnly` must be a boolean, got {other}"),
            ));
        }
    };
    let opts = options(opts)?;
    let weighing = api::Weighing {
        counts_only,
        ..api::Weighing::default()
    };
    api::check_sources(read_sources(list(sources), &opts), &opts.settings, weighing)
}

fn list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        one => vec![one],
    }
}

fn load_mesh(sources: Value, opts: Option<Value>) -> Result<Mesh, ApiError> {
    let opts = options(opts)?;
    let sources = read_sources(list(sources), &opts)?;
    Ok(Mesh::new(meshlock::Mesh::load(&sources, &opts.settings)?.mesh))
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
    inner: Arc<meshlock::Mesh>,
}

impl Mesh {
    fn new(mesh: meshlock::Mesh) -> Self {
        Self { inner: Arc::new(mesh) }
    }
}

#[napi]
impl Mesh {
    /// Loads YAML text (one or more documents). `options.name` names it in diagnostics
    /// (default `input.yaml`); `options.namespace` is the namespace of documents without one.
    #[napi(factory, ts_args_type = "text: string, options?: YamlOptions")]
    pub fn from_yaml(env: Env, text: String, options: Option<Value>) -> napi::Result<Mesh> {
        run(&env, || {
            let opts = self::options(options)?;
            let source = inline_source(Value::String(text), &opts)?;
            Ok(Mesh::new(meshlock::Mesh::load(&[source], &opts.settings)?.mesh))
        })
    }

    /// The guide's built-in cluster (`foo`, `bar`, `legacy`) under Istio 1.1 rules.
    #[napi(factory)]
    pub fn seed(env: Env) -> napi::Result<Mesh> {
        run(&env, || {
            Ok(Mesh::new(
                meshlock::Mesh::load(&[meshlock::seed::cluster_source()], &meshlock::seed::settings())?.mesh,
            ))
        })
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
            let opts = self::options(options)?;
            let sources = list(sources)
                .into_iter()
                .map(|s| inline_source(s, &opts))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Mesh::new(self.inner.apply(&sources)?.mesh))
        })
    }

    /// `curl http://TO` from a pod of workload `from` (`namespace/name`).
    #[napi(ts_return_type = "Outcome")]
    pub fn probe<'env>(&self, env: &'env Env, from: String, to: String) -> napi::Result<Unknown<'env>> {
        answer(env, || Ok(self.inner.probe(&from, &to)?))
    }

    /// The probe's decision chain as plain text, as `meshlock explain` prints it.
    #[napi]
    pub fn explain(&self, env: Env, from: String, to: String) -> napi::Result<String> {
        run(&env, || {
            Ok(render::explain(&self.inner.probe(&from, &to)?, Style::PLAIN))
        })
    }

    /// Every client workload × every service port. With `edges`, `intents` or `metrics`, only the
    /// edges in the scope, each with its `evidence`.
    #[napi(ts_args_type = "options?: WeighOptions", ts_return_type = "Matrix")]
    pub fn matrix<'env>(&self, env: &'env Env, options: Option<Value>) -> napi::Result<Unknown<'env>> {
        answer(env, || api::matrix_weighed(&self.inner, weigh_options(options)?))
    }

    /// `matrix()` computed on the libuv thread pool, off the event loop.
    #[napi(ts_return_type = "Promise<Matrix>")]
    pub fn matrix_async(&self) -> AsyncTask<Job<Json>> {
        let mesh = Arc::clone(&self.inner);
        Job::task(move || Json::of(&mesh.matrix()))
    }

    /// Namespace × namespace: per (client namespace, service namespace) pair, the edges per outcome
    /// class and the worst (`meshlock matrix --by namespace`). Memory does not grow with the edges.
    /// With `edges`, `intents` or `metrics`: the edges in that scope only.
    #[napi(ts_args_type = "options?: WeighOptions", ts_return_type = "NamespaceMap")]
    pub fn namespace_map<'env>(&self, env: &'env Env, options: Option<Value>) -> napi::Result<Unknown<'env>> {
        answer(env, || {
            let table = meshlock::classes::ClassTable::new(&self.inner);
            api::namespace_map_weighed(&self.inner, &table, weigh_options(options)?)
        })
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
        answer(env, || {
            let table = meshlock::classes::ClassTable::new(&self.inner);
            api::matrix_between_weighed(
                &self.inner,
                &table,
                client_ns.as_deref(),
                service_ns.as_deref(),
                weigh_options(options)?,
            )
        })
    }

    /// The matrix as a fixed-width text table.
    #[napi]
    pub fn matrix_table(&self, env: Env) -> napi::Result<String> {
        run(&env, || Ok(render::matrix_table(&self.inner.matrix(), Style::PLAIN)))
    }

    /// The matrix as CSV.
    #[napi]
    pub fn matrix_csv(&self, env: Env) -> napi::Result<String> {
        run(&env, || Ok(render::matrix_csv(&self.inner.matrix())))
    }

    /// The static checker to run in CI: the input's diagnostics, plus the findings that need the
    /// evaluated matrix (traffic that breaks, ports ready to lock, authorization that depends on
    /// mTLS), a summary, the failing edges and who may call what in plaintext.
    /// With `edges`, `intents` or `metrics`: the scope's counts, declared edges that fail and
    /// undeclared plaintext callers under `scope`.
    #[napi(ts_args_type = "options?: WeighOptions", ts_return_type = "CheckReport")]
    pub fn check<'env>(&self, env: &'env Env, options: Option<Value>) -> napi::Result<Unknown<'env>> {
        answer(env, || api::check_weighed(&self.inner, weigh_options(options)?))
    }

    /// `check()` computed on the libuv thread pool, off the event loop.
    #[napi(ts_return_type = "Promise<CheckReport>")]
    pub fn check_async(&self) -> AsyncTask<Job<Json>> {
        let mesh = Arc::clone(&self.inner);
        Job::task(move || Json::of(&mesh.check()))
    }

    /// `check()` as SARIF 2.1.0, for code-scanning uploads (`github/codeql-action/upload-sarif`).
    #[napi(ts_return_type = "SarifLog")]
    pub fn check_sarif<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        run(env, || Ok(Json::plain(&render::sarif(&self.inner.check()))))?.parse(env)
    }

    /// The migration stage of every service port, of each namespace and of the mesh.
    #[napi(ts_return_type = "Stages")]
    pub fn stages<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        answer(env, || Ok(self.inner.stages()))
    }

    /// Ordered steps towards STRICT that never break a working edge, unless its client is in
    /// `allowBreak`; what would break is reported as blockers with remedies. With `metrics`,
    /// observed plaintext senders hold a lock-down back too.
    #[napi(ts_args_type = "options?: PlanOptions", ts_return_type = "Plan")]
    pub fn plan<'env>(&self, env: &'env Env, options: Option<Value>) -> napi::Result<Unknown<'env>> {
        answer(env, || plan(&self.inner, options))
    }

    /// `plan()` computed on the libuv thread pool, off the event loop.
    #[napi(ts_args_type = "options?: PlanOptions", ts_return_type = "Promise<Plan>")]
    pub fn plan_async(&self, options: Option<Value>) -> AsyncTask<Job<Json>> {
        let mesh = Arc::clone(&self.inner);
        Job::task(move || Json::of(&plan(&mesh, options)?))
    }

    /// Applies the steps in order (each deletes, then applies) and reports, after each, the edges
    /// that changed, the stages and the matrix. This mesh is unchanged.
    #[napi(ts_args_type = "steps: Array<StepInput>", ts_return_type = "Array<SimulatedStep>")]
    pub fn simulate<'env>(&self, env: &'env Env, steps: Vec<Value>) -> napi::Result<Unknown<'env>> {
        answer(env, || {
            let steps = steps
                .into_iter()
                .enumerate()
                .map(|(i, step)| step_input(i, step))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(self.inner.simulate(&steps)?)
        })
    }

    /// Readiness per service from observed traffic (a file path, or `{name, text}`: Prometheus
    /// text exposition or the JSON of its HTTP API), reconciled with the model.
    #[napi(ts_args_type = "metrics: MetricsInput", ts_return_type = "Reconciliation")]
    pub fn ready<'env>(&self, env: &'env Env, metrics: Value) -> napi::Result<Unknown<'env>> {
        answer(env, || Ok(self.inner.ready(&observations(metrics)?)))
    }

    /// The diagnostics found while loading this mesh (warnings and notes).
    #[napi(getter, ts_return_type = "Array<Diagnostic>")]
    pub fn diagnostics<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        answer(env, || Ok(self.inner.diagnostics()))
    }

    /// The settings in force, and where each came from.
    #[napi(getter, ts_return_type = "ResolvedSettings")]
    pub fn settings<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        answer(env, || Ok(self.inner.settings()))
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
        api::diff_weighed(&before.inner, &after.inner, weigh_options(options)?)
    })
}

/// The static checker on files and inline sources, as `meshlock check`: an input that does not
/// load is reported (its diagnostics, nothing else), not thrown.
#[napi(
    ts_args_type = "sources: Array<string | SourceInput>, options?: MeshOptions & { countsOnly?: boolean }",
    ts_return_type = "CheckReport"
)]
pub fn check<'env>(env: &'env Env, sources: Value, options: Option<Value>) -> napi::Result<Unknown<'env>> {
    answer(env, || check_sources(sources, options))
}

/// `check(sources, options)` as SARIF 2.1.0.
#[napi(
    ts_args_type = "sources: Array<string | SourceInput>, options?: MeshOptions",
    ts_return_type = "SarifLog"
)]
pub fn check_sarif<'env>(env: &'env Env, sources: Value, options: Option<Value>) -> napi::Result<Unknown<'env>> {
    run(env, || {
        Ok(Json::plain(&render::sarif(&check_sources(sources, options)?)))
    })?
    .parse(env)
}

/// The seed guide replayed step by step on the built-in cluster.
#[napi(ts_return_type = "Tour")]
pub fn tour(env: &Env) -> napi::Result<Unknown<'_>> {
    answer(env, || Ok(meshlock::seed::tour()?))
}

/// The guide's tour as plain text, as `meshlock tour` prints it.
#[napi]
pub fn tour_text(env: Env) -> napi::Result<String> {
    run(&env, || Ok(render::tour(&meshlock::seed::tour()?, Style::PLAIN)))
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
    fn plan_options_default_to_strict_and_reject_typos() {
        let seed = meshlock::seed::mesh().unwrap();
        let default = plan(&seed, None).unwrap();
        assert_eq!(default.goal, meshlock::migrate::Goal::Strict);
        assert_eq!(plan(&seed, Some(serde_json::json!({"goal": null}))).unwrap(), default);
        let allowed = plan(&seed, Some(serde_json::json!({"allowBreak": ["legacy/sleep"]}))).unwrap();
        assert!(allowed.steps.iter().any(|s| s.name == "06-lock-httpbin-foo"));
        let code = |options: Value| plan(&seed, Some(options)).err().unwrap().code.as_str();
        assert_eq!(code(serde_json::json!({"allow_break": []})), "bad-request");
        assert_eq!(code(serde_json::json!({"goal": "lockdown"})), "bad-request");
        assert_eq!(code(serde_json::json!({"allowBreak": ["sleep"]})), "bad-client");
        assert_eq!(
            code(serde_json::json!({"metrics": {"name": "m.prom", "text": "{"}})),
            "invalid-metrics"
        );
        assert_eq!(code(serde_json::json!({"metrics": "/nonexistent/m.prom"})), "io");
    }

    #[test]
    fn a_step_is_sources_or_a_named_step() {
        let step = step_input(
            1,
            serde_json::json!(["kind: Namespace", {"name": "a.yaml", "text": "x"}]),
        )
        .unwrap();
        assert_eq!(step.name, "step 2");
        assert_eq!(step.apply.len(), 2);
        assert_eq!(step.apply[0].name, DEFAULT_SOURCE_NAME);
        assert!(step.delete.is_empty());
        let named = step_input(0, serde_json::json!({"name": "lock", "delete": "kind: Namespace"})).unwrap();
        assert_eq!(
            (named.name.as_str(), named.apply.len(), named.delete.len()),
            ("lock", 0, 1)
        );
        let err = step_input(0, serde_json::json!({"name": "a.yaml", "text": "x"}))
            .err()
            .unwrap();
        assert_eq!(err.code.as_str(), "bad-request");
        assert!(err.message.contains("step 1"), "{}", err.message);
    }

    #[test]
    fn sarif_keys_are_not_renamed() {
        let value = serde_json::json!({"$schema": "s", "ruleId": "ML105", "a_b": 1});
        let text = Json::plain(&value).0;
        for key in [r#""$schema":"s""#, r#""ruleId":"ML105""#, r#""a_b":1"#] {
            assert!(text.contains(key), "{text}");
        }
    }

    #[test]
    fn options_become_settings_and_reject_typos() {
        let opts = options(Some(
            serde_json::json!({"istioVersion": "1.1", "autoMtls": false, "namespace": "foo"}),
        ))
        .unwrap();
        assert_eq!(
            opts.settings.istio_version.map(|v| v.to_string()).as_deref(),
            Some("1.1")
        );
        assert_eq!(opts.settings.auto_mtls, Some(false));
        assert_eq!(opts.namespace.as_deref(), Some("foo"));
        let err = options(Some(serde_json::json!({"istioVersio": "1.1"}))).err().unwrap();
        assert_eq!(err.code.as_str(), "bad-request");
        assert_eq!(
            options(Some(serde_json::json!({"istioVersion": "9.9"})))
                .err()
                .unwrap()
                .code,
            ErrorCode::BadRequest
        );
    }
}
