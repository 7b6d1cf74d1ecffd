//! meshlock for WebAssembly: a thin, class-shaped API over `meshlock-core` (style.md R10).
//!
//! Conversion and error mapping only; every decision is in the core. Inputs cross through
//! `serde-wasm-bindgen` (keys camelCase → snake_case, then the core's serde types, so a misspelt
//! option is rejected); results cross as JSON text with camelCase keys and are `JSON.parse`d into
//! plain objects (one crossing, the core's field order kept); errors are thrown
//! as JS `Error`s named `MeshlockError` carrying `.code` and `.diagnostics` (data, never a bare
//! string). Every entry point runs inside [`meshlock::api::guard`]; on wasm32 a panic aborts (there
//! is no unwinding), so the JS side maps the resulting `WebAssembly.RuntimeError` to the error code
//! `internal` (`web-playground/node/index.cjs`, `web-playground/src/worker.ts`), and
//! `console_error_panic_hook` logs the panic message first.
//!
//! Every operation on a mesh is a core request (`meshlock::api::MeshCall`): exposing a new one is
//! one method below, `self.ask(with_op("op-name", options))`, and its type in `types.d.ts`; in the
//! `full` block unless the playground calls it (the browser's module has a size budget; the Node
//! adapter's build has every operation).

use meshlock::api::{self, ApiError, ErrorCode, SourceSpec};
use meshlock::{MeshSettings, Source};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

#[wasm_bindgen(start)]
fn start() {
    #[cfg(feature = "console_error_panic_hook")]
    console_error_panic_hook::set_once();
}

/// The version of meshlock this module was built from.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// A loaded mesh: the model of one cluster under one set of settings (`Mesh`, as on every surface).
#[wasm_bindgen]
pub struct Mesh {
    handle: api::MeshHandle,
}

impl Mesh {
    fn new(mesh: meshlock::Mesh) -> Self {
        Mesh {
            handle: api::MeshHandle::new(mesh),
        }
    }

    /// Answers the core request `request` (`{op, ...}`, JavaScript names) on this mesh.
    fn ask(&self, request: Result<Value, ApiError>) -> Result<JsValue, JsValue> {
        run_js(|| self.handle.answer(api::from_js("options", request?)?))
    }
}

#[wasm_bindgen]
impl Mesh {
    /// Loads YAML (`text`, one source named `input.yaml`) or a list of sources (a file's bytes are
    /// decoded as the CLI decodes a file), under `settings`. Throws a `MeshlockError` (code
    /// `invalid-input`, with diagnostics) when the input has errors.
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "string | Array<SourceInput | FileSourceInput>")] sources: JsValue,
        #[wasm_bindgen(unchecked_param_type = "MeshSettingsInput | null")] settings: Option<JsValue>,
    ) -> Result<Mesh, JsValue> {
        run(|| {
            let settings = settings_from(settings)?;
            Ok(Mesh::new(
                meshlock::Mesh::load(&sources_from(sources, &settings.limits)?, &settings)?.mesh,
            ))
        })
    }

    /// What-if: a new mesh with `sources` applied (same kind/namespace/name replaces).
    pub fn apply(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Array<SourceInput | FileSourceInput>")] sources: JsValue,
    ) -> Result<Mesh, JsValue> {
        run(|| {
            let mesh = self.handle.mesh();
            Ok(Mesh::new(mesh.apply(&sources_from(sources, mesh.limits())?)?.mesh))
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
        #[wasm_bindgen(unchecked_param_type = "WeighInput | null")] options: Option<JsValue>,
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
        #[wasm_bindgen(unchecked_param_type = "WeighInput | null")] options: Option<JsValue>,
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
        #[wasm_bindgen(unchecked_param_type = "WeighInput | null")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        self.ask(with_op("check", options, []))
    }

    /// Ordered steps towards the goal that never break a working edge, unless its client is in
    /// `allowBreak`; what would break is reported as blockers with remedies. With `metrics`,
    /// observed plaintext senders hold a lock-down back too.
    #[wasm_bindgen(unchecked_return_type = "Plan")]
    pub fn plan(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PlanInput | null")] options: Option<JsValue>,
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

/// The operations the playground does not call: in the `full` build (the Node adapter's), left out
/// of the browser's module to keep its download within budget (web-playground/README.md, "Size").
#[cfg(feature = "full")]
#[wasm_bindgen]
impl Mesh {
    /// Every client workload × every service port (the playground reads `matrixBetween(null,
    /// null)`, which shares the map's class table).
    #[wasm_bindgen(unchecked_return_type = "Matrix")]
    pub fn matrix(
        &self,
        #[wasm_bindgen(unchecked_param_type = "WeighInput | null")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        self.ask(with_op("matrix", options, []))
    }

    /// `check()` as SARIF 2.1.0, for code-scanning uploads.
    #[wasm_bindgen(js_name = checkSarif, unchecked_return_type = "SarifLog")]
    pub fn check_sarif(&self) -> Result<JsValue, JsValue> {
        self.ask(Ok(json!({"op": "check", "render": "sarif"})))
    }

    /// Readiness per service from observed traffic (`{name, text}`: Prometheus text exposition or
    /// the JSON of its HTTP API), reconciled with the model.
    #[wasm_bindgen(unchecked_return_type = "Reconciliation")]
    pub fn ready(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MetricsText")] metrics: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.ask(js_value(metrics).map(|metrics| json!({"op": "ready", "metrics": metrics})))
    }

    /// Every edge whose status or transport changes from `before` to `after`, grouped, each with
    /// the resources that caused it; `diagnostics` holds the transitions the migration refuses.
    /// With `edges`, `intents` or `metrics` (as `check`'s), the changes in the scope, each with its
    /// evidence, and `scope` (the intents join both sides).
    #[wasm_bindgen(unchecked_return_type = "Diff")]
    pub fn diff(
        before: &Mesh,
        after: &Mesh,
        #[wasm_bindgen(unchecked_param_type = "WeighInput | null")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        run_js(|| {
            let options = js_value(options.unwrap_or(JsValue::NULL))?;
            api::diff(&before.handle, &after.handle, api::from_js("options", options)?)
        })
    }

    /// The matrix as a fixed-width text table.
    #[wasm_bindgen(js_name = matrixTable, unchecked_return_type = "string")]
    pub fn matrix_table(&self) -> Result<JsValue, JsValue> {
        self.ask(Ok(json!({"op": "matrix", "render": "table"})))
    }
}

/// The static checker on sources, as `meshlock check`: an input that does not load is reported
/// (its diagnostics, nothing else), not thrown. `countsOnly`: no per-edge lists.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = checkSources, unchecked_return_type = "CheckReport")]
pub fn check_sources(
    #[wasm_bindgen(unchecked_param_type = "string | Array<SourceInput | FileSourceInput>")] sources: JsValue,
    #[wasm_bindgen(unchecked_param_type = "MeshSettingsInput | null")] settings: Option<JsValue>,
    #[wasm_bindgen(js_name = countsOnly)] counts_only: Option<bool>,
) -> Result<JsValue, JsValue> {
    run_js(|| checked(Ok(sources), settings, counts_only.unwrap_or(false), None))
}

/// `checkSources` as SARIF 2.1.0.
#[wasm_bindgen(js_name = checkSourcesSarif, unchecked_return_type = "SarifLog")]
pub fn check_sources_sarif(
    #[wasm_bindgen(unchecked_param_type = "string | Array<SourceInput | FileSourceInput>")] sources: JsValue,
    #[wasm_bindgen(unchecked_param_type = "MeshSettingsInput | null")] settings: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    run_js(|| checked(Ok(sources), settings, false, Some(api::Rendering::Sarif)))
}

/// The report `checkSources` gives for input that could not be read (a file past the size limit),
/// from the diagnostics of the error it threw (`MeshlockError.diagnostics`): how the Node adapter's
/// `check` reports what it refused before reading.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = checkDiagnostics, unchecked_return_type = "CheckReport")]
pub fn check_diagnostics(
    #[wasm_bindgen(unchecked_param_type = "Diagnostic[]")] diagnostics: JsValue,
    #[wasm_bindgen(unchecked_param_type = "MeshSettingsInput | null")] settings: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    run_js(|| checked(Err(diagnostics), settings, false, None))
}

/// `checkDiagnostics` as SARIF 2.1.0.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = checkDiagnosticsSarif, unchecked_return_type = "SarifLog")]
pub fn check_diagnostics_sarif(
    #[wasm_bindgen(unchecked_param_type = "Diagnostic[]")] diagnostics: JsValue,
    #[wasm_bindgen(unchecked_param_type = "MeshSettingsInput | null")] settings: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    run_js(|| checked(Err(diagnostics), settings, false, Some(api::Rendering::Sarif)))
}

/// `check` of sources (`Ok`) or of input the host refused to read (`Err`: its diagnostics).
fn checked(
    input: Result<JsValue, JsValue>,
    settings: Option<JsValue>,
    counts_only: bool,
    render: Option<api::Rendering>,
) -> Result<api::Reply, ApiError> {
    let settings = settings_from(settings)?;
    let read = match input {
        Ok(sources) => sources_from(sources, &settings.limits),
        Err(diagnostics) => Err(ApiError {
            code: ErrorCode::InvalidInput,
            message: "input refused before it was read".to_owned(),
            diagnostics: from_js(diagnostics, "diagnostics")?,
        }),
    };
    let weigh = api::WeighRequest {
        counts_only,
        ..api::WeighRequest::default()
    };
    let options = api::Both(api::Placement::default(), api::Both(weigh, settings));
    api::check(read, options, render.map(api::Render::Only))
}

/// Throws a `MeshlockError` (code `invalid-input`, ML106) when `size` bytes of input (the file
/// `name` and what was read before it) are more than `settings.limits.maxInputBytes` (default
/// 256 MiB): called before a file is read, so that an oversized file is refused without reading it.
#[wasm_bindgen(js_name = checkInputSize)]
pub fn check_input_size(
    name: &str,
    size: f64,
    #[wasm_bindgen(unchecked_param_type = "MeshSettingsInput | null")] settings: Option<JsValue>,
) -> Result<(), JsValue> {
    // A JS number counts bytes exactly up to 2^53; `as` saturates anything stranger.
    run(|| api::check_input_size(name, size as u64, &settings_from(settings)?.limits))
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

/// The built-in seed cluster (what `{builtin: "seed"}` stands for).
#[wasm_bindgen(js_name = seedSource, unchecked_return_type = "Source")]
pub fn seed_source() -> Result<JsValue, JsValue> {
    run_js(|| Ok(meshlock::seed::cluster_source()))
}

/// The settings of the seed guide (Istio 1.1).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = seedSettings, unchecked_return_type = "MeshSettingsInput")]
pub fn seed_settings() -> Result<JsValue, JsValue> {
    run_js(|| Ok(meshlock::seed::settings()))
}

/// The JSON twin of every operation (`meshlock::api::call_json`): JSON in, JSON out, never throws.
/// Behind the `json-twin` feature: it costs about 27 KB gzipped, which the playground's size
/// budget cannot spare (the native package always has it).
#[cfg(feature = "json-twin")]
#[wasm_bindgen(js_name = callJson)]
pub fn call_json(request: &str) -> String {
    api::call_json(request)
}

/// Test hook: panics inside the engine, to prove the boundary turns it into an `internal` error.
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

/// One YAML text, or a list of `{name, text, namespace?}` / `{builtin: "seed"}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum SourcesInput {
    Text(String),
    List(Vec<SourceSpec>),
}

impl Default for SourcesInput {
    fn default() -> Self {
        SourcesInput::List(Vec::new())
    }
}

impl SourcesInput {
    fn resolve(self, limits: &meshlock::settings::Limits) -> Result<Vec<Source>, ApiError> {
        match self {
            SourcesInput::Text(text) => Ok(vec![Source::new("input.yaml", text)]),
            SourcesInput::List(specs) => api::read_specs(specs, limits),
        }
    }
}

const BAD_SOURCES: &str = "bad sources (a YAML string or a list of {name, text, namespace?} | {name, bytes, namespace?} | {builtin: \"seed\"})";

/// Sources to load: a YAML string, or a list whose items are `{name, text, namespace?}`,
/// `{builtin: "seed"}`, or a file's content as `{name, bytes: Uint8Array, namespace?}`, decoded as
/// the CLI decodes a file (bytes that are not text: `invalid-input`, with the located ML101).
fn sources_from(value: JsValue, limits: &meshlock::settings::Limits) -> Result<Vec<Source>, ApiError> {
    let Some(items) = value.dyn_ref::<js_sys::Array>() else {
        return from_js::<SourcesInput>(value, BAD_SOURCES)?.resolve(limits);
    };
    let mut sources = Vec::new();
    for item in items.iter() {
        let bytes = js_sys::Reflect::get(&item, &JsValue::from_str("bytes"))
            .ok()
            .and_then(|b| b.dyn_into::<js_sys::Uint8Array>().ok());
        match bytes {
            Some(bytes) => sources.push(file_source(&item, bytes.to_vec())?),
            None => sources.extend(api::read_specs(
                vec![from_js::<SourceSpec>(item, BAD_SOURCES)?],
                limits,
            )?),
        }
    }
    Ok(sources)
}

/// `{name, bytes, namespace?}`: the bytes decoded as the CLI decodes a file argument.
fn file_source(item: &JsValue, bytes: Vec<u8>) -> Result<Source, ApiError> {
    let text = |key: &str| {
        js_sys::Reflect::get(item, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    };
    let name = text("name").ok_or_else(|| ApiError::bad_request(BAD_SOURCES, "`name` must be a string"))?;
    Ok(Source {
        namespace: text("namespace"),
        ..api::source_from_file(&name, bytes)?
    })
}

/// `None` for an absent argument (`undefined` or `null`).
fn present(value: Option<JsValue>) -> Option<JsValue> {
    value.filter(|v| !v.is_null() && !v.is_undefined())
}

fn settings_from(value: Option<JsValue>) -> Result<MeshSettings, ApiError> {
    match present(value) {
        Some(v) => from_js(v, "bad settings"),
        None => Ok(MeshSettings::default()),
    }
}

/// Renames every object key of an input (JS names are camelCase, the core's serde names snake_case).
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
