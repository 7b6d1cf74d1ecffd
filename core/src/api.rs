//! The boundary every binding shares: one error shape, a panic guard, and a JSON twin of each
//! operation (`call_json`: a JSON request in, a JSON answer out).
//!
//! Ops: `load`, `probe`, `explain`, `matrix`, `namespace-map`, `matrix-between` (`client_namespace`,
//! `service_namespace`, each optional), `check`, `ready` (`metrics`: a source), `stages`, `plan` (`goal`, `allow_break`), `diff`
//! (`against`), `simulate` (`steps`: a list of source lists), `tour`. `matrix`, `check`, `plan` and
//! `diff` weigh edges ([`Weighing`]): `edges` (a scope: `all`, `possible`, `declared,observed`…),
//! `intents` (sources: `TrafficIntent` YAML or intents CSV), `metrics` (observed traffic).
//! Request: `{"op": "probe", "sources": [{"name", "text", "namespace"?} | {"builtin": "seed"}],
//! "settings": {...}, "apply": [sources]?, "from": "...", "to": "..."}`.
//! Answer: `{"type": "success", "diagnostics": [...], ...result}` or
//! `{"type": "failure", "code": "...", "message": "...", "diagnostics": [...]}`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::classes::ClassTable;
use crate::diagnostic::Diagnostic;
use crate::evidence::{EdgeEvidence, EdgeScope};
use crate::ingest::Source;
use crate::mesh::{LoadError, Mesh};
use crate::migrate::{Goal, PlanError, StepInput};
use crate::model::WorkloadId;
use crate::model::{ProbeError, parse_client};
use crate::render::{self, Style};
use crate::seed::{self, TourError};
use crate::settings::{Limits, MeshSettings};

/// The stable code of every failure, the same on every surface (`MeshlockError.code`, the JSON
/// twin's `code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// A source from the bytes of a file, as the CLI reads a file argument
/// ([`crate::ingest::source_from_bytes`]: a UTF-8 byte order mark dropped, UTF-16 with a byte order
/// mark decoded, anything else must be UTF-8). Bytes that are not text are `invalid-input`, with
/// the located ML101 diagnostic, as a load error would be. Plain UTF-8 becomes the text in place
/// (no copy: a cluster dump can be hundreds of megabytes).
pub fn source_from_file(name: &str, bytes: Vec<u8>) -> Result<Source, ApiError> {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) if !text.starts_with('\u{feff}') => return Ok(Source::new(name, text)),
        Ok(text) => text.into_bytes(),
        Err(not_utf8) => not_utf8.into_bytes(),
    };
    crate::ingest::source_from_bytes(name, &bytes).map_err(|diagnostic| {
        LoadError {
            diagnostics: vec![*diagnostic],
        }
        .into()
    })
}

/// Refuses input of `size` bytes (a file named `name`, with what was read before it) when it is
/// larger than `limits.max_input_bytes`, before it is read: `invalid-input`, ML106, as loading it
/// would answer after reading it all.
pub fn check_input_size(name: &str, size: u64, limits: &Limits) -> Result<(), ApiError> {
    match crate::ingest::input_bytes_exceeded(size, limits) {
        None => Ok(()),
        Some(diagnostic) => Err(LoadError {
            diagnostics: vec![diagnostic.at(crate::diagnostic::Location {
                source: name.to_owned(),
                ..crate::diagnostic::Location::default()
            })],
        }
        .into()),
    }
}

/// Reads paths as every surface with a file system reads them (the CLI's `-f`, Python's and Node's
/// paths): a file is one source named by its path, decoded by [`source_from_file`]; a directory is
/// its `*.yaml`, `*.yml` and `*.json` files in name order (not recursive, as `kubectl apply -f
/// DIR`). All that is read together is refused past `limits.max_input_bytes` before a file is read.
/// Inline sources join in order (`push`), and count towards the limit too.
pub struct SourceReader<'a> {
    limits: &'a Limits,
    total: u64,
    sources: Vec<Source>,
    namespace: Option<String>,
}

impl<'a> SourceReader<'a> {
    pub fn new(limits: &'a Limits) -> Self {
        Self {
            limits,
            total: 0,
            sources: Vec::new(),
            namespace: None,
        }
    }

    /// The namespace of the documents without one in the files read from now on (`kubectl
    /// apply -n`).
    pub fn set_namespace(&mut self, namespace: Option<String>) {
        self.namespace = namespace;
    }

    /// A source given inline (its text, not a path).
    pub fn push(&mut self, source: Source) -> Result<(), ApiError> {
        self.total = self.total.saturating_add(source.text.len() as u64);
        check_input_size(&source.name, self.total, self.limits)?;
        self.sources.push(source);
        Ok(())
    }

    /// Reads a file or a directory.
    pub fn read_path(&mut self, path: &std::path::Path) -> Result<(), ApiError> {
        if !path.is_dir() {
            return self.read_file(path);
        }
        let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(path)
            .map_err(|e| cannot_read(path, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json"))
            .collect();
        entries.sort();
        entries.iter().try_for_each(|entry| self.read_file(entry))
    }

    fn read_file(&mut self, path: &std::path::Path) -> Result<(), ApiError> {
        let name = path.display().to_string();
        let size = std::fs::metadata(path).map_err(|e| cannot_read(path, e))?.len();
        check_input_size(&name, self.total.saturating_add(size), self.limits)?;
        let bytes = std::fs::read(path).map_err(|e| cannot_read(path, e))?;
        self.read_bytes(&name, bytes)
    }

    /// Bytes read by the host (stdin), named `name`.
    pub fn read_bytes(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
        self.total = self.total.saturating_add(bytes.len() as u64);
        check_input_size(name, self.total, self.limits)?;
        let mut source = source_from_file(name, bytes)?;
        source.namespace.clone_from(&self.namespace);
        self.sources.push(source);
        Ok(())
    }

    /// How many more bytes may be read before the limit is passed (one more: to tell it was).
    pub fn room(&self) -> u64 {
        self.limits.max_input_bytes.saturating_sub(self.total).saturating_add(1)
    }

    /// The sources read so far, in order.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    pub fn into_sources(self) -> Vec<Source> {
        self.sources
    }
}

fn cannot_read(path: &std::path::Path, e: std::io::Error) -> ApiError {
    ApiError::new(ErrorCode::Io, format!("cannot read `{}`: {e}", path.display()))
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

/// Results for JavaScript (Node and WASM): compact JSON with object keys turned `snake_case` →
/// `camelCase` as they are written, in the core's field order. Besides field names, the only keys
/// are data that Kubernetes and curl never spell with `_` (namespaces, `fqdn:port`, statuses,
/// change groups such as `mtls → fail`), so they pass unchanged.
pub fn to_camel_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    let mut out = Vec::with_capacity(256);
    value
        .serialize(&mut serde_json::Serializer::with_formatter(
            &mut out,
            CamelKeys::default(),
        ))
        .map_err(ApiError::unserialisable)?;
    String::from_utf8(out).map_err(ApiError::unserialisable)
}

/// JavaScript options (`istioVersion`) back to the core's names (`istio_version`), recursively.
pub fn keys_to_snake(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (snake(&k), keys_to_snake(v))).collect()),
        Value::Array(items) => Value::Array(items.into_iter().map(keys_to_snake).collect()),
        other => other,
    }
}

fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// serde_json's compact formatter, writing object keys in camelCase.
#[derive(Default)]
struct CamelKeys {
    in_key: bool,
    key_started: bool,
    upper_next: bool,
}

impl serde_json::ser::Formatter for CamelKeys {
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        *self = CamelKeys {
            in_key: true,
            key_started: false,
            upper_next: false,
        };
        serde_json::ser::CompactFormatter.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.in_key = false;
        serde_json::ser::CompactFormatter.end_object_key(writer)
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        if !self.in_key {
            return writer.write_all(fragment.as_bytes());
        }
        let mut buf = [0u8; 4];
        for c in fragment.chars() {
            let out = match c {
                '_' if self.key_started => {
                    self.upper_next = true;
                    continue;
                }
                c if self.upper_next => c.to_ascii_uppercase(),
                c => c,
            };
            self.key_started = true;
            self.upper_next = false;
            writer.write_all(out.encode_utf8(&mut buf).as_bytes())?;
        }
        Ok(())
    }
}

/// A source in a request: inline text, or a built-in cluster.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SourceSpec {
    Builtin { builtin: String },
    Inline(Source),
}

impl SourceSpec {
    fn resolve(self) -> Result<Source, ApiError> {
        match self {
            SourceSpec::Inline(s) => Ok(s),
            SourceSpec::Builtin { builtin } if builtin == "seed" => Ok(seed::cluster_source()),
            SourceSpec::Builtin { builtin } => Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("unknown built-in source `{builtin}`: the only one is `seed`"),
            )),
        }
    }
}

pub fn resolve_sources(specs: Vec<SourceSpec>) -> Result<Vec<Source>, ApiError> {
    specs.into_iter().map(SourceSpec::resolve).collect()
}

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
enum Call {
    Load {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        #[serde(default)]
        apply: Vec<SourceSpec>,
    },
    Probe {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        #[serde(default)]
        apply: Vec<SourceSpec>,
        from: String,
        to: String,
    },
    Explain {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        #[serde(default)]
        apply: Vec<SourceSpec>,
        from: String,
        to: String,
    },
    Matrix {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        #[serde(default)]
        apply: Vec<SourceSpec>,
        #[serde(default)]
        edges: Option<String>,
        #[serde(default)]
        intents: Vec<SourceSpec>,
        #[serde(default)]
        metrics: Option<Source>,
    },
    /// The namespace × namespace map: edges per outcome class for each pair, and the worst.
    NamespaceMap {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        #[serde(default)]
        apply: Vec<SourceSpec>,
    },
    /// The matrix of one namespace pair (a side left out: every namespace).
    MatrixBetween {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        #[serde(default)]
        apply: Vec<SourceSpec>,
        #[serde(default)]
        client_namespace: Option<String>,
        #[serde(default)]
        service_namespace: Option<String>,
    },
    Stages {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        #[serde(default)]
        apply: Vec<SourceSpec>,
    },
    Plan {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        #[serde(default)]
        apply: Vec<SourceSpec>,
        /// `strict`, `mesh-strict` or `namespace=NS[,NS…]`.
        #[serde(default = "default_goal")]
        goal: String,
        #[serde(default)]
        allow_break: Vec<String>,
        #[serde(default)]
        edges: Option<String>,
        #[serde(default)]
        intents: Vec<SourceSpec>,
        #[serde(default)]
        metrics: Option<Source>,
        /// Counts and groups only, no blockers listed.
        #[serde(default)]
        counts_only: bool,
    },
    Diff {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        /// The other configuration (complete, not an overlay).
        against: Vec<SourceSpec>,
        #[serde(default)]
        edges: Option<String>,
        #[serde(default)]
        intents: Vec<SourceSpec>,
        #[serde(default)]
        metrics: Option<Source>,
    },
    Simulate {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        /// Each step: sources to apply.
        steps: Vec<Vec<SourceSpec>>,
    },
    Ready {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        /// Prometheus text exposition or API JSON.
        metrics: Source,
    },
    Check {
        sources: Vec<SourceSpec>,
        #[serde(default)]
        settings: MeshSettings,
        #[serde(default)]
        edges: Option<String>,
        #[serde(default)]
        intents: Vec<SourceSpec>,
        #[serde(default)]
        metrics: Option<Source>,
        /// Counts and groups only, no failing edges or plaintext callers listed.
        #[serde(default)]
        counts_only: bool,
    },
    Tour,
}

/// How an operation weighs edges (every binding passes these once, here): `edges`, the scope
/// (`all`, `possible`, `declared,observed`, …); `intents`, sources of declared traffic
/// (`TrafficIntent` YAML or intents CSV) applied to the mesh; `observations`, observed traffic;
/// `counts_only`: `check` and `plan` answer with counts and groups, no per-edge lists (what a
/// large cluster needs).
#[derive(Debug, Clone, Default)]
pub struct Weighing {
    pub edges: Option<String>,
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
pub fn scope_request(edges: Option<&str>) -> Result<EdgeScope, ApiError> {
    edges
        .map(|e| {
            e.parse::<EdgeScope>()
                .map_err(|e| ApiError::new(ErrorCode::BadRequest, e.to_string()))
        })
        .transpose()
        .map(Option::unwrap_or_default)
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
        let scope = scope_request(self.edges.as_deref())?;
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

/// The JSON form of [`Weighing`] the bindings pass: `{"edges"?, "intents"?: [sources],
/// "metrics"?: {"name", "text"}}` (`null` or absent keys: not given).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeighingRequest {
    #[serde(default)]
    pub edges: Option<String>,
    #[serde(default)]
    pub intents: Option<Vec<SourceSpec>>,
    #[serde(default)]
    pub metrics: Option<Source>,
    #[serde(default)]
    pub counts_only: bool,
}

impl WeighingRequest {
    pub fn into_weighing(self) -> Result<Weighing, ApiError> {
        Ok(Weighing {
            counts_only: self.counts_only,
            ..weighing(self.edges, self.intents.unwrap_or_default(), self.metrics)?
        })
    }
}

/// A [`WeighingRequest`] from a JSON value (`null`: nothing given).
pub fn weighing_value(value: Value) -> Result<Weighing, ApiError> {
    if value.is_null() {
        return Ok(Weighing::default());
    }
    serde_json::from_value::<WeighingRequest>(keys_to_snake(value))
        .map_err(|e| ApiError::bad_request("options", e))?
        .into_weighing()
}

fn weighing(edges: Option<String>, intents: Vec<SourceSpec>, metrics: Option<Source>) -> Result<Weighing, ApiError> {
    Ok(Weighing {
        edges,
        intents: resolve_sources(intents)?,
        observations: metrics
            .map(|m| crate::telemetry::Observations::parse(&m.name, &m.text))
            .transpose()?,
        counts_only: false,
    })
}

fn default_goal() -> String {
    "strict".to_owned()
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

fn load(
    sources: Vec<SourceSpec>,
    settings: &MeshSettings,
    apply: Vec<SourceSpec>,
) -> Result<(Mesh, Vec<Diagnostic>), ApiError> {
    let loaded = Mesh::load(&resolve_sources(sources)?, settings)?;
    if apply.is_empty() {
        return Ok((loaded.mesh, loaded.diagnostics));
    }
    let applied = loaded.mesh.apply(&resolve_sources(apply)?)?;
    let mut diagnostics = loaded.diagnostics;
    diagnostics.extend(applied.diagnostics);
    Ok((applied.mesh, diagnostics))
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(ApiError::unserialisable)
}

/// Adds fields to a serialised struct (always a JSON object).
fn with_fields(mut value: Value, fields: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    if let Value::Object(map) = &mut value {
        for (key, field) in fields {
            map.insert(key.to_owned(), field);
        }
    }
    value
}

fn dispatch(call: Call) -> Result<Value, ApiError> {
    Ok(match call {
        Call::Load {
            sources,
            settings,
            apply,
        } => {
            let (mesh, diagnostics) = load(sources, &settings, apply)?;
            let matrix = mesh.matrix();
            json!({"settings": to_value(&matrix.settings)?, "clients": to_value(&matrix.clients)?,
                   "services": to_value(&matrix.services)?, "diagnostics": to_value(&diagnostics)?})
        }
        Call::Probe {
            sources,
            settings,
            apply,
            from,
            to,
        } => {
            let (mesh, diagnostics) = load(sources, &settings, apply)?;
            with_fields(
                to_value(&mesh.probe(&from, &to)?)?,
                [("diagnostics", to_value(&diagnostics)?)],
            )
        }
        Call::Explain {
            sources,
            settings,
            apply,
            from,
            to,
        } => {
            let (mesh, diagnostics) = load(sources, &settings, apply)?;
            let outcome = mesh.probe(&from, &to)?;
            let text = Value::String(render::explain(&outcome, Style::PLAIN));
            with_fields(
                to_value(&outcome)?,
                [("text", text), ("diagnostics", to_value(&diagnostics)?)],
            )
        }
        Call::Matrix {
            sources,
            settings,
            apply,
            edges,
            intents,
            metrics,
        } => {
            let (mesh, diagnostics) = load(sources, &settings, apply)?;
            let matrix = matrix_weighed(&mesh, weighing(edges, intents, metrics)?)?;
            with_fields(to_value(&matrix)?, [("diagnostics", to_value(&diagnostics)?)])
        }
        Call::NamespaceMap {
            sources,
            settings,
            apply,
        } => {
            let (mesh, diagnostics) = load(sources, &settings, apply)?;
            with_fields(
                to_value(&mesh.namespace_map())?,
                [("diagnostics", to_value(&diagnostics)?)],
            )
        }
        Call::MatrixBetween {
            sources,
            settings,
            apply,
            client_namespace,
            service_namespace,
        } => {
            let (mesh, diagnostics) = load(sources, &settings, apply)?;
            let matrix = mesh.matrix_between(client_namespace.as_deref(), service_namespace.as_deref());
            with_fields(to_value(&matrix)?, [("diagnostics", to_value(&diagnostics)?)])
        }
        Call::Stages {
            sources,
            settings,
            apply,
        } => {
            let (mesh, diagnostics) = load(sources, &settings, apply)?;
            with_fields(to_value(&mesh.stages())?, [("diagnostics", to_value(&diagnostics)?)])
        }
        Call::Plan {
            sources,
            settings,
            apply,
            goal,
            allow_break,
            edges,
            intents,
            metrics,
            counts_only,
        } => {
            let (mesh, diagnostics) = load(sources, &settings, apply)?;
            let (goal, allow) = plan_request(&goal, &allow_break)?;
            let weighing = Weighing {
                counts_only,
                ..weighing(edges, intents, metrics)?
            };
            let plan = plan_weighed(&mesh, &goal, &allow, weighing)?;
            let text = Value::String(render::plan(&plan));
            with_fields(
                to_value(&plan)?,
                [("text", text), ("diagnostics", to_value(&diagnostics)?)],
            )
        }
        Call::Diff {
            sources,
            settings,
            against,
            edges,
            intents,
            metrics,
        } => {
            let (before, mut diagnostics) = load(sources, &settings, Vec::new())?;
            let (after, more) = load(against, &settings, Vec::new())?;
            diagnostics.extend(more);
            // The diff's own findings (ML402) join the loading diagnostics under one key.
            let diff = diff_weighed(&before, &after, weighing(edges, intents, metrics)?)?;
            diagnostics.extend(diff.diagnostics.iter().cloned());
            with_fields(to_value(&diff)?, [("diagnostics", to_value(&diagnostics)?)])
        }
        Call::Simulate {
            sources,
            settings,
            steps,
        } => {
            let (mesh, diagnostics) = load(sources, &settings, Vec::new())?;
            let inputs = steps
                .into_iter()
                .enumerate()
                .map(|(i, step)| {
                    Ok(StepInput {
                        name: format!("step {}", i + 1),
                        apply: resolve_sources(step)?,
                        delete: Vec::new(),
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            json!({"steps": to_value(&mesh.simulate(&inputs)?)?, "diagnostics": to_value(&diagnostics)?})
        }
        Call::Ready {
            sources,
            settings,
            metrics,
        } => {
            let (mesh, diagnostics) = load(sources, &settings, Vec::new())?;
            let observations = crate::telemetry::Observations::parse(&metrics.name, &metrics.text)?;
            with_fields(
                to_value(&mesh.ready(&observations))?,
                [("diagnostics", to_value(&diagnostics)?)],
            )
        }
        Call::Check {
            sources,
            settings,
            edges,
            intents,
            metrics,
            counts_only,
        } => {
            let weighing = Weighing {
                counts_only,
                ..weighing(edges, intents, metrics)?
            };
            let report = check_sources(resolve_sources(sources), &settings, weighing)?;
            let sarif = render::sarif(&report);
            with_fields(to_value(&report)?, [("sarif", sarif)])
        }
        Call::Tour => {
            let tour = seed::tour()?;
            let text = Value::String(render::tour(&tour, Style::PLAIN));
            with_fields(to_value(&tour)?, [("text", text), ("diagnostics", json!([]))])
        }
    })
}

/// The JSON twin of every operation; never panics, always answers JSON.
pub fn call_json(request: &str) -> String {
    let answer = guard(|| {
        let call: Call = serde_json::from_str(request).map_err(|e| ApiError::bad_request("request", e))?;
        dispatch(call)
    });
    let value = match answer {
        Ok(value) => with_fields(value, [("type", Value::String("success".to_owned()))]),
        Err(e) => json!({"type": "failure", "code": e.code, "message": e.message,
                         "diagnostics": serde_json::to_value(&e.diagnostics).unwrap_or(Value::Null)}),
    };
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
            json!({"istio_version": "1.1", "a": [{"auto_mtls": true}]})
        );
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

    #[test]
    fn guard_turns_panics_into_internal_errors() {
        let result: Result<(), ApiError> = guard(|| -> Result<(), ApiError> { std::panic::panic_any("boom") });
        assert_eq!(result.unwrap_err().code, ErrorCode::Internal);
    }
}
