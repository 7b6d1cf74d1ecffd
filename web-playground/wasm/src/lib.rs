//! meshlock for WebAssembly: a thin, class-shaped API over `meshlock-core` (style.md R10), with the
//! names and signatures of the native Node package (bindings-node/src/lib.rs): with `--features
//! full` it is that package's second engine (bindings-node/wasm.cjs wraps it), without it the
//! playground's (the operations the page calls, under a size budget). Browser-only extras are
//! marked as such.
//!
//! Conversion and error mapping only; every decision is in the core. Inputs cross through
//! `serde-wasm-bindgen` (keys camelCase → snake_case, then the core's serde types, so a misspelt
//! option is rejected); results cross as JSON text with camelCase keys and are `JSON.parse`d into
//! plain objects (one crossing, the core's field order kept); errors are thrown
//! as JS `Error`s named `MeshlockError` carrying `.code` and `.diagnostics` (data, never a bare
//! string). Every entry point runs inside [`meshlock::api::guard`]; on wasm32 a panic aborts (there
//! is no unwinding), so the JS side maps the resulting `WebAssembly.RuntimeError` to the error code
//! `internal` (`bindings-node/wasm.cjs`, `web-playground/src/worker.ts`), and
//! `console_error_panic_hook` logs the panic message first.
//!
//! Every operation on a mesh is a core request (`meshlock::api::MeshCall`): exposing a new one is
//! one method below, `self.ask(with_op("op-name", options))`, and its type in `types.d.ts`; in the
//! `full` block unless the playground calls it (the browser's module has a size budget; the Node
//! package's build has every operation). A string source is a path, read through the host's files
//! ([`api::HostFiles`]): Node's `node:fs`, installed by `setHostFiles`; the browser has none, so a
//! path is an `io` error there.

use meshlock::api::{self, ApiError, ErrorCode, SourceSpec};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

/// The host's file functions, which only the Node engine installs (the other parameter types are
/// the native package's, from types.d.ts).
#[cfg(feature = "full")]
#[wasm_bindgen(typescript_custom_section)]
const HOST_FILES_TYPE: &str = r#"
/** The host's file functions (`setHostFiles`); each throws an `Error` when it cannot read. */
export interface HostFiles {
  stat(path: string): { isDir: boolean; isFile: boolean; size: number };
  readDir(path: string): string[];
  read(path: string): Uint8Array;
}
"#;

#[wasm_bindgen(start)]
fn start() {
    #[cfg(feature = "console_error_panic_hook")]
    console_error_panic_hook::set_once();
}

/// A loaded mesh: the model of one cluster under one set of settings (`Mesh`, as on every surface).
#[wasm_bindgen]
pub struct Mesh {
    handle: api::MeshHandle,
}

impl Mesh {
    fn new(handle: api::MeshHandle) -> Self {
        Mesh { handle }
    }

    /// Answers the core request `request` (`{op, ...}`, JavaScript names) on this mesh.
    fn ask(&self, request: Result<Value, ApiError>) -> Result<JsValue, JsValue> {
        run_js(|| self.handle.answer(api::from_js("options", request?)?))
    }
}

#[wasm_bindgen]
impl Mesh {
    /// Loads files (paths, read through the host's files) and inline sources, in order, like
    /// several `-f` flags. Browser extra: an item may be a file's content as `{name, bytes:
    /// Uint8Array, namespace?}`, decoded as the CLI decodes a file. Throws a `MeshlockError` (code
    /// `invalid-input`, with diagnostics) when the input has errors.
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "Array<string | SourceInput | FileSourceInput>")] sources: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "MeshOptions | null")] options: Option<JsValue>,
    ) -> Result<Mesh, JsValue> {
        run(|| load_mesh(sources, options))
    }

    /// What-if: a new mesh with these resources added; one with the kind, namespace and name of an
    /// existing resource replaces it. A string is YAML text.
    pub fn apply(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | SourceInput | Array<string | SourceInput>")] sources: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SourceOptions | null")] options: Option<JsValue>,
    ) -> Result<Mesh, JsValue> {
        run(|| {
            let overlays = sources_from(sources)?.into_iter().map(api::OverlaySpec::from).collect();
            Ok(Mesh::new(self.handle.apply(overlays, options_from(options)?)?))
        })
    }

    /// The diagnostics found while loading this mesh (warnings and notes; errors make `load` throw).
    #[wasm_bindgen(getter, unchecked_return_type = "Diagnostic[]")]
    pub fn diagnostics(&self) -> Result<JsValue, JsValue> {
        self.ask(Ok(json!({"op": "diagnostics"})))
    }

    /// The settings in force, and where each came from.
    #[wasm_bindgen(getter, unchecked_return_type = "ResolvedSettings")]
    pub fn settings(&self) -> Result<JsValue, JsValue> {
        self.ask(Ok(json!({"op": "settings"})))
    }

    /// `curl http://TO` from a pod of workload `from` (`namespace/name`).
    #[wasm_bindgen(unchecked_return_type = "Outcome")]
    pub fn probe(&self, from: &str, to: &str) -> Result<JsValue, JsValue> {
        self.ask(Ok(json!({"op": "probe", "from": from, "to": to})))
    }

    /// The decision chain of a probe, as plain text.
    #[wasm_bindgen(unchecked_return_type = "string")]
    pub fn explain(&self, from: &str, to: &str) -> Result<JsValue, JsValue> {
        self.ask(Ok(json!({"op": "explain", "from": from, "to": to, "render": "text"})))
    }

    /// The namespace × namespace map: per (client namespace, service namespace) pair, the edges
    /// per outcome class and the worst. Streamed from the class table: memory does not grow with
    /// the number of edges, and nothing per edge crosses to JavaScript. With `options`, only the
    /// edges in its scope (`edges`) count.
    #[wasm_bindgen(js_name = namespaceMap, unchecked_return_type = "NamespaceMap")]
    pub fn namespace_map(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "WeighOptions | null")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        self.ask(with_op("namespace-map", options, []))
    }

    /// The matrix of the clients in `clientNs` × the service ports in `serviceNs` (`null`: every
    /// namespace on that side): one cell of the map, drilled into. With `options`, each edge
    /// carries its evidence and only those in the scope are listed.
    #[wasm_bindgen(js_name = matrixBetween, unchecked_return_type = "Matrix")]
    pub fn matrix_between(
        &self,
        client_ns: Option<String>,
        service_ns: Option<String>,
        #[wasm_bindgen(unchecked_optional_param_type = "WeighOptions | null")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let pair = [
            ("clientNamespace", json!(client_ns)),
            ("serviceNamespace", json!(service_ns)),
        ];
        self.ask(with_op("matrix-between", options, pair))
    }

    /// The static checker: the input's diagnostics plus the matrix-level findings, a summary,
    /// the failing edges and who may call what in plaintext.
    /// With `edges`, `intents` or `metrics`: the scope's counts, the declared edges that fail and
    /// the undeclared plaintext callers under `scope`.
    #[wasm_bindgen(unchecked_return_type = "CheckReport")]
    pub fn check(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "WeighOptions | null")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        self.ask(with_op("check", options, []))
    }

    /// Ordered steps towards the goal that never break a working edge, unless its client is in
    /// `allowBreak`; what would break is reported as blockers with remedies. With `metrics`,
    /// observed plaintext senders hold a lock-down back too.
    #[wasm_bindgen(unchecked_return_type = "Plan")]
    pub fn plan(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "PlanOptions | null")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        self.ask(with_op("plan", options, []))
    }

    /// Applies the steps in order (each deletes, then applies) and reports, after each, the edges
    /// that changed, the stages and the matrix. This mesh is unchanged.
    #[wasm_bindgen(unchecked_return_type = "SimulatedStep[]")]
    pub fn simulate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StepInput[]")] steps: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.ask(js_value(steps).map(|steps| json!({"op": "simulate", "steps": steps})))
    }

    /// Where each service port, each namespace and the mesh are on the way to STRICT.
    #[wasm_bindgen(unchecked_return_type = "Stages")]
    pub fn stages(&self) -> Result<JsValue, JsValue> {
        self.ask(Ok(json!({"op": "stages"})))
    }

    /// The matrix as CSV (`from,to,status,curl_exit,transport,verdict,reason`).
    #[wasm_bindgen(js_name = matrixCsv, unchecked_return_type = "string")]
    pub fn matrix_csv(&self) -> Result<JsValue, JsValue> {
        self.ask(Ok(json!({"op": "matrix", "render": "csv"})))
    }
}

/// The operations the playground does not call: in the `full` build (the Node package's), left out
/// of the browser's module to keep its download within budget (web-playground/README.md, "Size").
/// The `…Async` variants are promises computed on the calling thread: WebAssembly here has no
/// threads (use a worker to keep an event loop free).
#[cfg(feature = "full")]
#[wasm_bindgen]
impl Mesh {
    /// Loads YAML text (one or more documents). `options.name` names it in diagnostics
    /// (default `input.yaml`); `options.namespace` is the namespace of documents without one.
    #[wasm_bindgen(js_name = fromYaml)]
    pub fn from_yaml(
        text: String,
        #[wasm_bindgen(unchecked_optional_param_type = "MeshOptions | null")] options: Option<JsValue>,
    ) -> Result<Mesh, JsValue> {
        run(|| {
            let api::Both(placement, settings): api::LoadOptions = options_from(options)?;
            let source = api::text_source(text, &placement);
            let options = api::Both(api::Placement::default(), settings);
            Ok(Mesh::new(api::MeshHandle::load(
                vec![SourceSpec::Inline(source)],
                options,
            )?))
        })
    }

    /// The guide's built-in cluster (`foo`, `bar`, `legacy`) under Istio 1.1 rules.
    pub fn seed() -> Result<Mesh, JsValue> {
        run(|| Ok(Mesh::new(api::MeshHandle::new(meshlock::seed::mesh()?))))
    }

    /// Every client workload × every service port (the playground reads `matrixBetween(null,
    /// null)`, which shares the map's class table).
    #[wasm_bindgen(unchecked_return_type = "Matrix")]
    pub fn matrix(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "WeighOptions | null")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        self.ask(with_op("matrix", options, []))
    }

    /// `matrix()` as a promise.
    #[wasm_bindgen(js_name = matrixAsync, unchecked_return_type = "Promise<Matrix>")]
    pub fn matrix_async(&self) -> js_sys::Promise {
        promise(self.ask(Ok(json!({"op": "matrix"}))))
    }

    /// `check()` as a promise.
    #[wasm_bindgen(js_name = checkAsync, unchecked_return_type = "Promise<CheckReport>")]
    pub fn check_async(&self) -> js_sys::Promise {
        promise(self.ask(Ok(json!({"op": "check"}))))
    }

    /// `check()` as SARIF 2.1.0, for code-scanning uploads.
    #[wasm_bindgen(js_name = checkSarif, unchecked_return_type = "SarifLog")]
    pub fn check_sarif(&self) -> Result<JsValue, JsValue> {
        self.ask(Ok(json!({"op": "check", "render": "sarif"})))
    }

    /// `plan()` as a promise.
    #[wasm_bindgen(js_name = planAsync, unchecked_return_type = "Promise<Plan>")]
    pub fn plan_async(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "PlanOptions | null")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        promise(self.ask(with_op("plan", options, [])))
    }

    /// Readiness per service from observed traffic (a path, or `{name, text}`: Prometheus text
    /// exposition or the JSON of its HTTP API), reconciled with the model.
    #[wasm_bindgen(unchecked_return_type = "Reconciliation")]
    pub fn ready(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MetricsInput")] metrics: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.ask(js_value(metrics).map(|metrics| json!({"op": "ready", "metrics": metrics})))
    }

    /// The matrix as a fixed-width text table.
    #[wasm_bindgen(js_name = matrixTable, unchecked_return_type = "string")]
    pub fn matrix_table(&self) -> Result<JsValue, JsValue> {
        self.ask(Ok(json!({"op": "matrix", "render": "table"})))
    }
}

/// Loads files (paths) and inline sources, in order, like several `-f` flags.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = load)]
pub fn load_sources(
    #[wasm_bindgen(unchecked_param_type = "Array<string | SourceInput>")] sources: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "MeshOptions | null")] options: Option<JsValue>,
) -> Result<Mesh, JsValue> {
    run(|| load_mesh(sources, options))
}

/// `load()` as a promise (computed on the calling thread).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = loadAsync, unchecked_return_type = "Promise<Mesh>")]
pub fn load_async(
    #[wasm_bindgen(unchecked_param_type = "Array<string | SourceInput>")] sources: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "MeshOptions | null")] options: Option<JsValue>,
) -> js_sys::Promise {
    promise(run(|| load_mesh(sources, options)).map(JsValue::from))
}

/// Every edge whose status or transport changes from `before` to `after`, grouped, each with
/// the resources that caused it; `diagnostics` holds the transitions the migration refuses.
/// With `edges`, `intents` or `metrics` (as `check`'s), the changes in the scope, each with its
/// evidence, and `scope` (the intents join both sides).
#[cfg(feature = "full")]
#[wasm_bindgen(unchecked_return_type = "Diff")]
pub fn diff(
    before: &Mesh,
    after: &Mesh,
    #[wasm_bindgen(unchecked_optional_param_type = "WeighOptions | null")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    run_js(|| api::diff(&before.handle, &after.handle, options_from(options)?))
}

/// The static checker on files and inline sources, as `meshlock check`: an input that does not
/// load is reported (its diagnostics, nothing else), not thrown.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = check, unchecked_return_type = "CheckReport")]
pub fn check_sources(
    #[wasm_bindgen(unchecked_param_type = "Array<string | SourceInput>")] sources: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "MeshOptions & WeighOptions | null")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    run_js(|| checked(sources, options_from(options)?, None))
}

/// `check(sources, options)` as SARIF 2.1.0.
#[wasm_bindgen(js_name = checkSarif, unchecked_return_type = "SarifLog")]
pub fn check_sarif(
    #[wasm_bindgen(unchecked_param_type = "Array<string | SourceInput | FileSourceInput>")] sources: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "MeshOptions | null")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    run_js(|| {
        // `load`'s options, as the signature says: read by the reader `load` links already (each
        // options type read costs the browser's module ~1 KB gzipped).
        let api::Both(placement, settings): api::LoadOptions = options_from(options)?;
        let options = api::Both(placement, api::Both(api::WeighRequest::default(), settings));
        checked(sources, options, Some(api::Render::Only(api::Rendering::Sarif)))
    })
}

/// `check` of sources: what reading refuses (a file past the size limit) is reported, not thrown.
fn checked(sources: JsValue, options: api::CheckOptions, render: Option<api::Render>) -> Result<api::Reply, ApiError> {
    api::check(sources_from(sources)?, options, render)
}

/// The seed guide replayed on the built-in cluster: steps, applied YAML and outcomes.
#[wasm_bindgen(unchecked_return_type = "Tour")]
pub fn tour() -> Result<JsValue, JsValue> {
    run_js(|| api::tour(None))
}

/// The tour as the CLI prints it.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = tourText, unchecked_return_type = "string")]
pub fn tour_text() -> Result<JsValue, JsValue> {
    run_js(|| api::tour(Some(api::Render::Only(api::Rendering::Text))))
}

/// Browser extra: throws a `MeshlockError` (code `invalid-input`, ML106) when `size` bytes of
/// input (the file `name` and what was read before it) are more than
/// `settings.limits.maxInputBytes` (default 256 MiB): called before a file is read, so that an
/// oversized file is refused without reading it. (Where the engine reads paths itself, it checks.)
#[cfg(not(feature = "full"))]
#[wasm_bindgen(js_name = checkInputSize)]
pub fn check_input_size(
    name: &str,
    size: f64,
    #[wasm_bindgen(unchecked_optional_param_type = "MeshOptions | null")] settings: Option<JsValue>,
) -> Result<(), JsValue> {
    run(|| {
        let api::Both(_, settings): api::LoadOptions = options_from(settings)?;
        // A JS number counts bytes exactly up to 2^53; `as` saturates anything stranger.
        api::check_input_size(name, size as u64, &settings.limits)
    })
}

/// Browser extra: the built-in seed cluster's source (what `{builtin: "seed"}` stands for), for
/// the editor.
#[cfg(not(feature = "full"))]
#[wasm_bindgen(js_name = seedSource, unchecked_return_type = "Source")]
pub fn seed_source() -> Result<JsValue, JsValue> {
    run_js(|| Ok(meshlock::seed::cluster_source()))
}

/// The JSON twin of every operation (`meshlock::api::call_json`): JSON in, JSON out, never throws.
/// Behind the `json-twin` feature (part of `full`): it costs about 27 KB gzipped, which the
/// playground's size budget cannot spare.
#[cfg(feature = "json-twin")]
#[wasm_bindgen(js_name = callJson)]
pub fn call_json(request: &str) -> String {
    api::call_json(request)
}

/// Test hook: panics inside the engine, to prove the boundary turns it into an `internal` error
/// (bindings-node's tests; the browser's module leaves it out).
#[cfg(feature = "full")]
#[doc(hidden)]
#[wasm_bindgen(js_name = __panicForTests)]
pub fn panic_for_tests() -> Result<(), JsValue> {
    run(|| -> Result<(), ApiError> {
        #[allow(clippy::panic, reason = "the point of this test hook")]
        {
            panic!("meshlock-wasm test hook")
        }
    })
}

// ---- the host's files -------------------------------------------------------------------------

#[cfg(feature = "full")]
#[wasm_bindgen]
extern "C" {
    /// The host's file functions (`HostFiles`, declared above): Node's `node:fs`, given by
    /// bindings-node/wasm.cjs. Each throws (an `Error` with a message) when the path cannot be read.
    #[wasm_bindgen(typescript_type = "HostFiles")]
    pub type JsHostFiles;
    #[wasm_bindgen(method, catch)]
    fn stat(this: &JsHostFiles, path: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = readDir)]
    fn read_dir(this: &JsHostFiles, path: &str) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn read(this: &JsHostFiles, path: &str) -> Result<js_sys::Uint8Array, JsValue>;
}

/// Installs the host's files: from now on a string source (a path) is read through them, as the
/// native package reads it with `std::fs`. Without them (the browser) a path is an `io` error.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = setHostFiles)]
pub fn set_host_files(files: JsHostFiles) {
    api::set_host_files(Some(std::rc::Rc::new(HostFilesFromJs(files))));
}

#[cfg(feature = "full")]
struct HostFilesFromJs(JsHostFiles);

#[cfg(feature = "full")]
impl api::HostFiles for HostFilesFromJs {
    fn stat(&self, path: &std::path::Path) -> std::io::Result<api::FileStat> {
        let stat = self.0.stat(&path.to_string_lossy()).map_err(io_error)?;
        let get = |key: &str| js_sys::Reflect::get(&stat, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
        Ok(api::FileStat {
            is_dir: get("isDir").is_truthy(),
            is_file: get("isFile").is_truthy(),
            // A JS number counts bytes exactly up to 2^53; `as` saturates anything stranger.
            len: get("size").as_f64().unwrap_or(0.0) as u64,
        })
    }

    fn read_dir(&self, path: &std::path::Path) -> std::io::Result<Vec<String>> {
        let names = self.0.read_dir(&path.to_string_lossy()).map_err(io_error)?;
        Ok(names.iter().filter_map(|name| name.as_string()).collect())
    }

    fn read(&self, path: &std::path::Path) -> std::io::Result<Vec<u8>> {
        Ok(self.0.read(&path.to_string_lossy()).map_err(io_error)?.to_vec())
    }
}

/// What a host's file function threw, as an I/O error with its message (Node's names the errno).
#[cfg(feature = "full")]
fn io_error(thrown: JsValue) -> std::io::Error {
    let message = js_sys::Reflect::get(&thrown, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{thrown:?}"));
    std::io::Error::other(message)
}

// ---- conversion and error mapping -------------------------------------------------------------

/// Runs `f` under the core's panic guard and maps its error to a thrown `MeshlockError`.
fn run<T>(f: impl FnOnce() -> Result<T, ApiError>) -> Result<T, JsValue> {
    api::guard(f).map_err(js_error)
}

/// [`run`], converting the result to a JS value.
fn run_js<T: Serialize>(f: impl FnOnce() -> Result<T, ApiError>) -> Result<JsValue, JsValue> {
    run(|| to_js(&f()?))
}

/// A core result as a JS value: JSON text with camelCase keys (written by serde, in the core's
/// field order), then `JSON.parse`. One boundary crossing per result: much faster than building a
/// large matrix object by object, and smaller code than a second serializer.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, ApiError> {
    let text = api::to_camel_json(value)?;
    js_sys::JSON::parse(&text).map_err(|_| ApiError::new(ErrorCode::Internal, "cannot convert the answer"))
}

/// A JS argument as the core's request type `T` (JavaScript names, see [`api::from_js`]).
fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue, what: &str) -> Result<T, ApiError> {
    let json: Value = serde_wasm_bindgen::from_value(value).map_err(|e| ApiError::bad_request(what, e))?;
    api::from_js(what, json)
}

/// A JS value as JSON (`undefined` becomes `null`).
fn js_value(value: JsValue) -> Result<Value, ApiError> {
    if value.is_undefined() {
        return Ok(Value::Null);
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| ApiError::bad_request("argument", e))
}

/// [`api::js_request`] of an optional options object.
fn with_op(
    op: &str,
    options: Option<JsValue>,
    keys: impl IntoIterator<Item = (&'static str, Value)>,
) -> Result<Value, ApiError> {
    api::js_request(op, js_value(options.unwrap_or(JsValue::NULL))?, keys)
}

fn load_mesh(sources: JsValue, options: Option<JsValue>) -> Result<Mesh, ApiError> {
    Ok(Mesh::new(api::MeshHandle::load(
        sources_from(sources)?,
        options_from(options)?,
    )?))
}

/// A settled promise of a result (its error: the rejection).
#[cfg(feature = "full")]
fn promise(result: Result<JsValue, JsValue>) -> js_sys::Promise {
    match result {
        Ok(value) => js_sys::Promise::resolve(&value),
        Err(error) => js_sys::Promise::reject(&error),
    }
}

/// One item or a list of them, as a list.
fn list(value: JsValue) -> JsValue {
    if js_sys::Array::is_array(&value) {
        value
    } else {
        js_sys::Array::of1(&value).into()
    }
}

const BAD_SOURCES: &str =
    "bad sources (a list of paths, {name, text, namespace?}, {name, bytes, namespace?} or {builtin: \"seed\"})";

/// Sources to load: one or a list of paths, `{name, text, namespace?}`, `{builtin: "seed"}`, or
/// (browser extra) a file's content as `{name, bytes: Uint8Array, namespace?}`, decoded as the CLI
/// decodes a file (bytes that are not text: `invalid-input`, with the located ML101).
fn sources_from(value: JsValue) -> Result<Vec<SourceSpec>, ApiError> {
    let items: js_sys::Array = list(value).unchecked_into();
    items
        .iter()
        .map(|item| {
            let bytes = js_sys::Reflect::get(&item, &JsValue::from_str("bytes"))
                .ok()
                .and_then(|b| b.dyn_into::<js_sys::Uint8Array>().ok());
            match bytes {
                Some(bytes) => Ok(SourceSpec::Inline(file_source(&item, bytes.to_vec())?)),
                None => from_js(item, BAD_SOURCES),
            }
        })
        .collect()
}

/// `{name, bytes, namespace?}`: the bytes decoded as the CLI decodes a file argument.
fn file_source(item: &JsValue, bytes: Vec<u8>) -> Result<meshlock::Source, ApiError> {
    let text = |key: &str| {
        js_sys::Reflect::get(item, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    };
    let name = text("name").ok_or_else(|| ApiError::bad_request(BAD_SOURCES, "`name` must be a string"))?;
    Ok(meshlock::Source {
        namespace: text("namespace"),
        ..api::source_from_file(&name, bytes)?
    })
}

/// Options (`undefined` or `null`: every option absent) as the core's request type `T`.
fn options_from<T: for<'de> Deserialize<'de>>(value: Option<JsValue>) -> Result<T, ApiError> {
    api::from_js("options", js_value(value.unwrap_or(JsValue::NULL))?)
}

/// `ApiError` → `Error { name: "MeshlockError", message, code, diagnostics }`.
fn js_error(e: ApiError) -> JsValue {
    let error = js_sys::Error::new(&e.message);
    error.set_name("MeshlockError");
    let diagnostics = to_js(&e.diagnostics).unwrap_or_else(|_| js_sys::Array::new().into());
    // Setting a property on a fresh Error object cannot fail; there is nothing better to do if it did.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(e.code.as_str()));
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("diagnostics"), &diagnostics);
    error.into()
}
