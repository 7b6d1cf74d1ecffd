//! The boundary every surface shares, the one request layer: typed requests and answers
//! ([`request`]), how sources are named and read ([`sources`]), how edges are weighed ([`weigh`]),
//! JavaScript's names ([`js`]), the JSON twin of every operation ([`twin`]), one error shape and
//! a panic guard (here). Bindings only convert host values to these requests and map errors.

use serde::{Deserialize, Serialize};
use std::panic::{AssertUnwindSafe, catch_unwind};

mod both;
mod js;
mod request;
mod sources;
mod twin;
mod weigh;

pub use both::{Both, field_names};
pub use js::{from_js, js_request, keys_to_snake, to_camel_json};
pub use request::{
    Answer, CheckOptions, LoadOptions, MeshCall, MeshHandle, MeshRequest, NamedStep, Pair, PlanGoal, ReadyRequest,
    Render, RenderRequest, Rendering, Reply, Route, SimulateRequest, StepSpec, check, diff, text_source, tour,
};
pub use sources::{
    DEFAULT_SOURCE_NAME, FileStat, HostFiles, MetricsSpec, OneOrMany, OverlaySpec, Placement, SourceReader, SourceSpec,
    check_input_size, read_overlays, read_specs, set_host_files, source_from_file,
};
pub use twin::call_json;
pub use weigh::{
    WeighRequest, Weighed, Weighing, check_sources, check_weighed, diff_weighed, listable, matrix_between_weighed,
    matrix_weighed, namespace_map_weighed, plan_listing, plan_request, plan_weighed,
};

use crate::diagnostic::Diagnostic;
use crate::mesh::LoadError;
use crate::migrate::PlanError;
use crate::model::ProbeError;
use crate::seed::TourError;

/// The stable code of every failure, the same on every surface (`MeshlockError.code`, the JSON
/// twin's `code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The input does not load (or is past a limit): its diagnostics say where and why.
    InvalidInput,
    /// A request, option or setting the operation does not accept.
    BadRequest,
    /// A probe's client names no workload of the mesh.
    UnknownClient,
    /// A client that is not `NAMESPACE/NAME`.
    BadClient,
    /// A probe's target that is not `HOST:PORT[/PATH]`.
    BadTarget,
    /// A plan goal names a namespace the mesh does not have.
    UnknownNamespace,
    /// Observed traffic that does not parse: its diagnostics say where.
    InvalidMetrics,
    /// A file that cannot be read.
    Io,
    /// A bug: meshlock failed where it should not (a panic is caught as this).
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid-input",
            ErrorCode::BadRequest => "bad-request",
            ErrorCode::UnknownClient => "unknown-client",
            ErrorCode::BadClient => "bad-client",
            ErrorCode::BadTarget => "bad-target",
            ErrorCode::UnknownNamespace => "unknown-namespace",
            ErrorCode::InvalidMetrics => "invalid-metrics",
            ErrorCode::Io => "io",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The one error shape of every binding: a stable code, a message, and the input diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            diagnostics: Vec::new(),
        }
    }

    fn with_diagnostics(code: ErrorCode, message: String, diagnostics: Vec<Diagnostic>) -> Self {
        Self {
            code,
            message,
            diagnostics,
        }
    }

    /// A request, option or setting that is not accepted: `bad {what}: {why}`.
    pub fn bad_request(what: &str, why: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::BadRequest, format!("bad {what}: {why}"))
    }

    /// An answer that cannot be serialised (a bug).
    pub fn unserialisable(why: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, format!("cannot serialise the answer: {why}"))
    }
}

impl From<LoadError> for ApiError {
    fn from(e: LoadError) -> Self {
        Self::with_diagnostics(ErrorCode::InvalidInput, e.to_string(), e.diagnostics)
    }
}

impl From<ProbeError> for ApiError {
    fn from(e: ProbeError) -> Self {
        let code = match e {
            ProbeError::UnknownClient { .. } => ErrorCode::UnknownClient,
            ProbeError::BadClient(_) => ErrorCode::BadClient,
            ProbeError::BadTarget(_) => ErrorCode::BadTarget,
        };
        Self::new(code, e.to_string())
    }
}

impl From<PlanError> for ApiError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Internal(load) => {
                Self::with_diagnostics(ErrorCode::Internal, load.to_string(), load.diagnostics)
            }
            PlanError::UnknownNamespace(_) => Self::new(ErrorCode::UnknownNamespace, e.to_string()),
            PlanError::ShapeChanged => Self::new(ErrorCode::Internal, e.to_string()),
        }
    }
}

impl From<crate::telemetry::MetricsError> for ApiError {
    fn from(e: crate::telemetry::MetricsError) -> Self {
        Self::with_diagnostics(ErrorCode::InvalidMetrics, e.to_string(), e.diagnostics)
    }
}

impl From<TourError> for ApiError {
    fn from(e: TourError) -> Self {
        Self::new(ErrorCode::Internal, e.to_string())
    }
}
/// Runs `f`, turning a panic (a bug in meshlock) into an `internal` error, so that no panic
/// crosses a binding boundary.
pub fn guard<T>(f: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(ApiError::new(
            ErrorCode::Internal,
            format!("internal error in meshlock (please report it): {what}"),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Source;
    use crate::settings::Limits;
    use serde_json::{Value, json};

    #[test]
    fn probe_through_json() {
        let answer: Value = serde_json::from_str(&call_json(
            r#"{"op":"probe","sources":[{"builtin":"seed"}],"from":"legacy/sleep","to":"httpbin.foo:8000"}"#,
        ))
        .unwrap();
        assert_eq!(answer["type"], "success");
        assert_eq!(answer["status"], "200");
        assert_eq!(answer["transport"], "plaintext");
    }

    #[test]
    fn plan_through_json() {
        let answer: Value = serde_json::from_str(&call_json(
            r#"{"op":"plan","sources":[{"builtin":"seed"}],"goal":"strict","allow_break":["legacy/sleep"]}"#,
        ))
        .unwrap();
        assert_eq!(answer["type"], "success");
        assert!(
            answer["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == "06-lock-httpbin-foo")
        );
        let bad: Value = serde_json::from_str(&call_json(r#"{"op":"plan","sources":[],"goal":"lockdown"}"#)).unwrap();
        assert_eq!(bad["code"], "bad-request");
    }

    #[test]
    fn namespace_map_through_json() {
        let answer: Value =
            serde_json::from_str(&call_json(r#"{"op":"namespace-map","sources":[{"builtin":"seed"}]}"#)).unwrap();
        assert_eq!(answer["type"], "success");
        let pairs = answer["pairs"].as_array().unwrap();
        let sum: u64 = pairs.iter().map(|p| p["edges"].as_u64().unwrap()).sum();
        assert_eq!(Some(sum), answer["edges"].as_u64());
        let pair: Value = serde_json::from_str(&call_json(
            r#"{"op":"matrix-between","sources":[{"builtin":"seed"}],"client_namespace":"legacy","service_namespace":"foo"}"#,
        ))
        .unwrap();
        assert_eq!(pair["clients"].as_array().unwrap().len(), 1);
        assert!(
            pair["edges"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["from"] == "legacy/sleep")
        );
    }

    #[test]
    fn listed_edges_are_limited_counts_are_not() {
        let call = |op: &str, limit: u64, extra: &str| -> Value {
            let request = format!(
                r#"{{"op":"{op}","sources":[{{"builtin":"seed"}}],"settings":{{"limits":{{"max_listed_edges":{limit}}}}}{extra}}}"#
            );
            serde_json::from_str(&call_json(&request)).unwrap()
        };
        let ml106 = |answer: &Value| {
            answer["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["code"] == "ML106")
                .count()
        };
        // The seed's 25 edges are all plaintext: `check` would list each as a plaintext caller.
        let within = call("check", 25, "");
        assert_eq!((within["summary"]["edges"].as_u64(), ml106(&within)), (Some(25), 0));
        assert_eq!(within["exposure"][0]["plaintext_callers"].as_array().unwrap().len(), 5);
        let past = call("check", 24, "");
        assert_eq!((past["summary"]["edges"].as_u64(), ml106(&past)), (Some(25), 1));
        assert_eq!(past["exposure"][0]["plaintext_callers"].as_array().unwrap().len(), 0);
        assert_eq!(past["exposure"][0]["plaintext_clients"], 5);
        let counts_only = call("check", 24, r#","counts_only":true"#);
        assert_eq!(
            (counts_only["summary"]["edges"].as_u64(), ml106(&counts_only)),
            (Some(25), 0)
        );

        assert_eq!(call("matrix", 25, "")["edges"].as_array().unwrap().len(), 25);
        let refused = call("matrix", 24, "");
        assert_eq!(
            (refused["type"].as_str(), refused["code"].as_str()),
            (Some("failure"), Some("invalid-input"))
        );
        assert_eq!(refused["diagnostics"][0]["code"], "ML106");
        assert!(refused["message"].as_str().unwrap().contains("max_listed_edges"));

        let listed = call("plan", 25, "");
        let held = call("plan", 24, "");
        assert_eq!(listed["blocked_edges"], held["blocked_edges"]);
        assert_eq!(listed["blockers"].as_array().unwrap().len(), 4);
        assert!(held["blockers"].as_array().unwrap().is_empty());
        let notes = held["notes"].as_array().unwrap();
        assert!(notes.iter().any(|n| n.as_str().unwrap().contains("`max_listed_edges`")));
    }

    #[test]
    fn errors_are_data() {
        let answer: Value = serde_json::from_str(&call_json(r#"{"op":"probe"}"#)).unwrap();
        assert_eq!(answer["type"], "failure");
        assert_eq!(answer["code"], "bad-request");
        let answer: Value = serde_json::from_str(&call_json(
            r#"{"op":"matrix","sources":[{"name":"x.yaml","text":"kind: Policy\napiVersion: authentication.istio.io/v1alpha1\nmetadata: {name: p}\nspec: {peers: [{mtls: {mode: STRIKT}}]}"}]}"#,
        ))
        .unwrap();
        assert_eq!(answer["code"], "invalid-input");
        assert_eq!(answer["diagnostics"][0]["code"], "ML102");
        assert_eq!(answer["diagnostics"][0]["line"], 4);
    }

    #[test]
    fn javascript_names_both_ways() {
        let value =
            json!({"curl_exit": 0, "istio_version_origin": "mesh_config", "_x": [{"a_b_c": "d_e"}], "status": "200"});
        assert_eq!(
            to_camel_json(&value).unwrap(),
            r#"{"_x":[{"aBC":"d_e"}],"curlExit":0,"istioVersionOrigin":"mesh_config","status":"200"}"#
        );
        assert_eq!(
            keys_to_snake(json!({"istioVersion": "1.1", "a": [{"autoMtls": true}]})),
            Ok(json!({"istio_version": "1.1", "a": [{"auto_mtls": true}]}))
        );
        let err = from_js::<MeshRequest>("options", json!({"op": "plan", "allow_break": []})).unwrap_err();
        assert!(err.message.contains("`allowBreak`"), "{}", err.message);
        let err = from_js::<MeshRequest>("options", json!({"op": "plan", "allowBrake": []})).unwrap_err();
        assert!(err.message.contains("unknown field `allowBrake`"), "{}", err.message);
    }

    #[test]
    fn files_are_read_as_the_cli_reads_them() {
        let err = source_from_file("x.yaml", b"a: 1\nb: \xFF\n".to_vec()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        let d = &err.diagnostics[0];
        assert_eq!(
            (d.code.id(), d.location.line, d.location.column),
            ("ML101", Some(2), Some(4))
        );
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a: 1\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(source_from_file("x.yaml", utf16).unwrap().text, "a: 1\r\n");
        assert_eq!(
            source_from_file("x.yaml", b"\xEF\xBB\xBFa: 1\n".to_vec()).unwrap().text,
            "a: 1\n"
        );
        assert_eq!(
            read_path("/nonexistent/x.yaml", &Limits::default()).unwrap_err().code,
            ErrorCode::Io
        );
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/hostile/cases/crlf.yaml");
        let source = read_path(path, &Limits::default()).unwrap().remove(0);
        assert!(source.text.contains("\r\n") && source.name == path);
        let err = read_path(path, &Limits::default().with_max_input_bytes(10)).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.diagnostics[0].code.id()),
            ("invalid-input", "ML106")
        );
        assert_eq!(err.diagnostics[0].location.source, path);
    }

    fn read_path(path: &str, limits: &Limits) -> Result<Vec<Source>, ApiError> {
        let mut reader = SourceReader::new(limits);
        reader.read_path(std::path::Path::new(path))?;
        Ok(reader.into_sources())
    }

    #[test]
    fn directories_are_their_manifests_in_name_order_under_one_limit() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios/intent");
        let names: Vec<String> = read_path(dir, &Limits::default().with_max_input_bytes(u64::MAX))
            .map(|s| s.into_iter().map(|s| s.name).collect())
            .unwrap_or_else(|e| vec![e.message]);
        let mut sorted = names.clone();
        sorted.sort();
        assert!(names.len() > 3 && names == sorted, "{names:?}");
        assert!(
            names
                .iter()
                .all(|n| n.ends_with(".yaml") || n.ends_with(".yml") || n.ends_with(".json"))
        );
        let small = Limits::default().with_max_input_bytes(10);
        let mut reader = SourceReader::new(&small);
        reader.push(Source::new("a.yaml", "a: 1\n")).unwrap();
        let err = reader.push(Source::new("b.yaml", "bb: 2\n")).unwrap_err();
        assert_eq!(
            (err.code, err.diagnostics[0].code.id()),
            (ErrorCode::InvalidInput, "ML106")
        );
    }

    /// A host's file system: two files and a directory, in memory.
    struct MemoryFiles;

    impl HostFiles for MemoryFiles {
        fn stat(&self, path: &std::path::Path) -> std::io::Result<FileStat> {
            let file = |len: usize| FileStat {
                is_dir: false,
                is_file: true,
                len: len as u64,
            };
            match path.to_str() {
                Some("/m") => Ok(FileStat {
                    is_dir: true,
                    is_file: false,
                    len: 0,
                }),
                Some(p) => self.read(std::path::Path::new(p)).map(|b| file(b.len())),
                None => Err(std::io::ErrorKind::NotFound.into()),
            }
        }

        fn read_dir(&self, _: &std::path::Path) -> std::io::Result<Vec<String>> {
            Ok(["z.yaml", "notes.txt", "a.yml"].map(String::from).to_vec())
        }

        fn read(&self, path: &std::path::Path) -> std::io::Result<Vec<u8>> {
            match path.to_str() {
                Some("/m/a.yml") => Ok(b"a: 1\n".to_vec()),
                Some("/m/z.yaml") => Ok(b"\xEF\xBB\xBFz: 2\n".to_vec()),
                Some("/m/notes.txt") => Ok(vec![0]),
                _ => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "not in memory")),
            }
        }
    }

    #[test]
    fn paths_are_read_through_the_installed_host_files() {
        set_host_files(Some(std::rc::Rc::new(MemoryFiles)));
        let read = read_path("/m", &Limits::default());
        let missing = read_path("/m/gone.yaml", &Limits::default()).unwrap_err();
        let big = read_path("/m", &Limits::default().with_max_input_bytes(8)).unwrap_err();
        set_host_files(None);
        let names: Vec<(String, String)> = read.unwrap().into_iter().map(|s| (s.name, s.text)).collect();
        assert_eq!(
            names,
            [("/m/a.yml", "a: 1\n"), ("/m/z.yaml", "z: 2\n")].map(|(n, t)| (n.to_owned(), t.to_owned()))
        );
        assert_eq!(
            (missing.code, missing.message.as_str()),
            (ErrorCode::Io, "cannot read `/m/gone.yaml`: not in memory")
        );
        assert_eq!(big.diagnostics[0].location.source, "/m/z.yaml");
        // Back to std::fs.
        assert!(read_path("/m", &Limits::default()).is_err());
    }

    fn ask(handle: &MeshHandle, request: Value) -> Result<Value, ApiError> {
        handle
            .answer(serde_json::from_value(request).map_err(|e| ApiError::bad_request("request", e))?)?
            .to_value()
    }

    #[test]
    fn one_request_per_operation_own_keys_and_nothing_else() {
        let seed = MeshHandle::new(crate::seed::mesh().unwrap());
        let outcome = ask(
            &seed,
            json!({"op": "probe", "from": "legacy/sleep", "to": "httpbin.foo:8000"}),
        )
        .unwrap();
        assert_eq!(outcome["status"], "200");
        let explained = ask(
            &seed,
            json!({"op": "explain", "from": "legacy/sleep", "to": "httpbin.foo:8000"}),
        )
        .unwrap();
        assert!(explained["text"].as_str().unwrap().contains("plaintext"));
        let only_text = ask(
            &seed,
            json!({"op": "explain", "from": "legacy/sleep", "to": "httpbin.foo:8000", "render": "text"}),
        );
        assert_eq!(only_text.unwrap(), explained["text"]);
        // The weighing keys belong to the operations that weigh; a plan's goal to the plan.
        let plan = ask(
            &seed,
            json!({"op": "plan", "goal": "strict", "allow_break": "legacy/sleep", "counts_only": true}),
        )
        .unwrap();
        assert!(
            plan["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == "06-lock-httpbin-foo")
        );
        for bad in [
            json!({"op": "stages", "goal": "strict"}),
            json!({"op": "probe", "from": "legacy/sleep"}),
            json!({"op": "plan", "gaol": "strict"}),
            json!({"op": "matrix-between", "client_namespace": "legacy", "edge": "all"}),
            json!({"op": "stages", "render": "sarif"}),
            json!({"op": "lockdown"}),
        ] {
            assert_eq!(
                ask(&seed, bad.clone()).map_err(|e| e.code),
                Err(ErrorCode::BadRequest),
                "{bad}"
            );
        }
        let pair = ask(
            &seed,
            json!({"op": "matrix-between", "client_namespace": "legacy", "edges": "all"}),
        )
        .unwrap();
        assert!(
            pair["edges"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["from"] == "legacy/sleep")
        );
        let csv = ask(&seed, json!({"op": "matrix", "render": "csv"})).unwrap();
        assert!(csv.as_str().unwrap().starts_with("from,to,status"));
    }

    #[test]
    fn a_step_is_sources_or_a_named_step() {
        let seed = MeshHandle::new(crate::seed::mesh().unwrap());
        let strict_foo = "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: foo}\nspec: {mtls: {mode: STRICT}}\n";
        let steps = ask(
            &seed,
            json!({"op": "simulate", "steps": [strict_foo, {"name": "undo", "delete": [strict_foo]}]}),
        )
        .unwrap();
        let names: Vec<&str> = steps
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["step 1", "undo"]);
        let err = ask(
            &seed,
            json!({"op": "simulate", "steps": [{"name": "a.yaml", "text": "x"}]}),
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::BadRequest);
    }

    #[test]
    fn the_twin_keeps_the_diagnostics_of_a_list_answer() {
        let request = json!({"op": "simulate", "sources": [{"builtin": "seed"}], "steps": []});
        let answer: Value = serde_json::from_str(&call_json(&request.to_string())).unwrap();
        assert_eq!(answer["type"], "success", "{answer}");
        assert_eq!(answer["value"], json!([]));
        assert!(answer["diagnostics"].is_array(), "{answer}");
    }

    #[test]
    fn both_reads_each_part_and_refuses_the_rest() {
        assert_eq!(field_names::<Pair>(), ["client_namespace", "service_namespace"]);
        let Both(placement, settings): LoadOptions =
            serde_json::from_value(json!({"namespace": "foo", "istio_version": "1.1"})).unwrap();
        assert_eq!(
            (placement.namespace.as_deref(), settings.istio_version.is_some()),
            (Some("foo"), true)
        );
        assert!(serde_json::from_value::<LoadOptions>(json!({"namespace": "foo", "istio_versio": "1.1"})).is_err());
    }

    #[test]
    fn guard_turns_panics_into_internal_errors() {
        let result: Result<(), ApiError> = guard(|| -> Result<(), ApiError> { std::panic::panic_any("boom") });
        assert_eq!(result.unwrap_err().code, ErrorCode::Internal);
    }
}
