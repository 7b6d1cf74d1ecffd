//! Ingest: YAML/JSON sources → typed resources, with a diagnostic for everything not modelled.
//!
//! Each source is split into documents; each document (or each item of a `kind: List`) is decoded
//! into the typed struct for its kind, never into one generic tree for the whole input.
//!
//! Here: the entry points, the reading of documents and `kind: List` items, the dispatch by kind
//! (`read_object`) and the helpers every reader shares (`ObjectReader`). The readers themselves are
//! the submodules, one per group of kinds; what they make is in `resource`.

mod decode;
pub mod intent;
mod limits;
pub mod locate;
mod parallel;
mod resource;
mod split;
mod text;
pub(crate) mod wire;

// The readers, one module per group of kinds; each adds its `ObjectReader` methods.
mod authn;
mod authz;
mod callers;
mod destination_rule;
mod mesh_config;
mod netpol;
mod rbac;
mod service;
mod workloads;

use std::collections::BTreeMap;
use std::num::NonZeroUsize;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::{Meta, Origin, Port, PortRef};
use crate::settings::Limits;
use decode::{decode_object, decode_plain, pruned};
pub use limits::input_bytes as input_bytes_exceeded;
pub use limits::listed_edges as listed_edges_exceeded;
use locate::YamlPath;
pub use resource::{CallerDoc, MeshConfigDoc, Resource, ResourceKey, Stored, WorkloadDoc};
pub use text::source_from_bytes;
pub use wire::MeshConfig;

/// One input file (or stdin, or a string): a name for diagnostics and its text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Source {
    pub name: String,
    pub text: String,
    /// Namespace for namespaced documents without one (`kubectl apply -n`).
    #[serde(default)]
    pub namespace: Option<String>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            namespace: None,
        }
    }

    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }
}

#[derive(Debug, Default)]
pub struct Ingested {
    pub resources: Vec<Stored>,
    pub diagnostics: Vec<Diagnostic>,
    /// Documents seen and documents modelled, for the summary line.
    pub documents: usize,
}

/// Decodes every document of every source, on every available core, under the default
/// [`Limits`]. `first_seq` numbers resources in input order.
pub fn ingest(sources: &[Source], first_seq: u64) -> Ingested {
    ingest_limited(sources, first_seq, &Limits::default())
}

/// [`ingest`] under `limits`.
pub fn ingest_limited(sources: &[Source], first_seq: u64, limits: &Limits) -> Ingested {
    ingest_with(sources, first_seq, parallel::available(), limits)
}

/// [`ingest`] on at most `threads` threads (`1`: the single-threaded floor benchmarks compare
/// with). The result is the same for every thread count: documents, and the items of a
/// `kind: List`, are decoded independently and kept in input order.
pub fn ingest_with_threads(sources: &[Source], first_seq: u64, threads: NonZeroUsize) -> Ingested {
    ingest_with(sources, first_seq, threads, &Limits::default())
}

/// [`ingest_with_threads`] under `limits`: a source past a limit is refused with `ML106
/// input-limit` before any of it is decoded.
pub fn ingest_with(sources: &[Source], first_seq: u64, threads: NonZeroUsize, limits: &Limits) -> Ingested {
    let mut out = Ingested::default();
    let total: u64 = sources.iter().map(|s| s.text.len() as u64).sum();
    if let Some(diag) = limits::input_bytes(total, limits) {
        out.diagnostics.push(diag.at(Location {
            source: sources.first().map(|s| s.name.clone()).unwrap_or_default(),
            ..Location::default()
        }));
        return out;
    }
    let mut ignored: BTreeMap<(String, String), (String, Vec<usize>)> = BTreeMap::new();
    let mut seq = first_seq;
    let mut remaining = limits.max_documents;
    for source in sources {
        let documents = split::split(&source.text);
        if documents.len() as u64 > remaining {
            let index = usize::try_from(remaining).unwrap_or(usize::MAX);
            let line = documents.get(index).map(|d| d.start().0);
            out.diagnostics.push(limits::documents(limits).at(Location {
                source: source.name.clone(),
                document: Some(index),
                line,
                column: line.map(|_| 1),
                ..Location::default()
            }));
            return out;
        }
        remaining -= documents.len() as u64;
        // Declared traffic as CSV (`--intents FILE`): one intent per line, or the lines' problems.
        if intent::is_csv(&source.text) {
            out.documents += 1;
            let (intents, problems) = intent::read_csv(source);
            out.diagnostics.extend(problems);
            for resource in intents.into_iter().map(Resource::Intent) {
                let key = resource.key();
                out.resources.push(Stored { key, seq, resource });
                seq += 1;
            }
            continue;
        }
        let reads = read_documents(source, &documents, threads, limits, &mut remaining);
        for (index, reads) in reads.into_iter().enumerate() {
            out.documents += 1;
            for outcome in reads {
                match outcome {
                    Read::Modelled(resource) => {
                        let key = resource.key();
                        out.resources.push(Stored { key, seq, resource });
                        seq += 1;
                    }
                    Read::Ignored { kind, reason } => {
                        let entry = ignored
                            .entry((source.name.clone(), kind))
                            .or_insert((reason, Vec::new()));
                        entry.1.push(index);
                    }
                    Read::Diagnostic(d) => out.diagnostics.push(d),
                }
            }
        }
    }
    // One line per ignored kind and source, not one per document: a cluster dump holds thousands.
    for ((source, kind), (reason, docs)) in ignored {
        let shown: Vec<String> = docs.iter().take(8).map(usize::to_string).collect();
        let more = if docs.len() > 8 {
            format!(", … ({} in all)", docs.len())
        } else {
            String::new()
        };
        out.diagnostics.push(
            Diagnostic::info(
                Code::IgnoredKind,
                format!("ignored {} `{kind}` document(s): {reason}", docs.len()),
            )
            .with_help(format!("documents {}{more}", shown.join(", ")))
            .at(Location {
                source,
                document: docs.first().copied(),
                ..Location::default()
            }),
        );
    }
    out
}

/// The resources that manifests name (`kubectl delete -f`): only kind, namespace and name are read.
pub fn references(sources: &[Source]) -> Result<Vec<crate::model::ResourceRef>, Vec<Diagnostic>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Named {
        api_version: Option<String>,
        kind: Option<String>,
        #[serde(default)]
        metadata: wire::ObjectMeta,
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let limits = Limits::default();
    let total: u64 = sources.iter().map(|s| s.text.len() as u64).sum();
    if let Some(diag) = limits::input_bytes(total, &limits) {
        return Err(vec![diag]);
    }
    for source in sources {
        let documents = split::split(&source.text);
        for (index, doc) in documents.iter().enumerate() {
            let ctx = DocContext {
                source,
                index,
                doc,
                prefix: YamlPath::default(),
            };
            if let Err(exceeded) = limits::check(&doc.text, &limits) {
                let pos = exceeded.pos;
                errors.push(exceeded.into_diagnostic().at(ctx.location(&YamlPath::default(), pos)));
                continue;
            }
            match decode_plain::<Named>(&doc.text) {
                Ok(named) => {
                    let (Some(kind), Some(name)) = (named.kind, named.metadata.name) else {
                        errors.push(
                            Diagnostic::error(
                                Code::MissingField,
                                "a manifest to delete needs `kind` and `metadata.name`",
                            )
                            .at(ctx.location(&YamlPath::default(), None)),
                        );
                        continue;
                    };
                    let namespace = if matches!(kind.as_str(), "MeshPolicy" | "Namespace") {
                        String::new()
                    } else {
                        named
                            .metadata
                            .namespace
                            .or_else(|| source.namespace.clone())
                            .unwrap_or_else(|| "default".to_owned())
                    };
                    out.push(crate::model::ResourceRef {
                        api_version: named.api_version.unwrap_or_default(),
                        kind,
                        namespace,
                        name,
                    });
                }
                Err(err) => errors.push(err.into_diagnostic(&ctx)),
            }
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

struct DocContext<'a> {
    source: &'a Source,
    index: usize,
    doc: &'a split::Document<'a>,
    /// `items[N]` for a `kind: List` item: paths are located in the item, shown with the prefix.
    prefix: YamlPath,
}

impl DocContext<'_> {
    /// The location of `path` (relative to this document or item), or of `pos` when known.
    fn location(&self, path: &YamlPath, pos: Option<(usize, usize)>) -> Location {
        let pos = pos.or_else(|| locate::locate(&self.doc.text, path));
        let full = self.prefix.clone().join(path);
        Location {
            source: self.source.name.clone(),
            document: Some(self.index),
            path: (!full.segments().is_empty()).then(|| full.to_string()),
            line: pos.map(|(line, _)| line + self.doc.first_line - 1),
            column: pos.map(|(_, col)| col),
        }
    }

    fn origin(&self) -> Origin {
        let (line, column) = self.doc.start();
        Origin {
            source: self.source.name.clone(),
            document: self.index,
            path: self.prefix.to_string(),
            line: Some(line),
            column: Some(column),
        }
    }
}

enum Read {
    Modelled(Resource),
    Ignored { kind: String, reason: String },
    Diagnostic(Diagnostic),
}

/// What reading one document gives: its outcomes, or the items of a `kind: List` still to read.
enum Step {
    Read(Vec<Read>),
    List(Vec<split::Document<'static>>),
}

/// The outcomes of each document, in order. Documents are read in parallel, then the items of all
/// `kind: List` documents: a `kubectl get -o yaml` dump is one List of thousands of items.
fn read_documents(
    source: &Source,
    documents: &[split::Document<'_>],
    threads: NonZeroUsize,
    limits: &Limits,
    remaining: &mut u64,
) -> Vec<Vec<Read>> {
    let mut steps = parallel::map(documents, threads, |index, doc| {
        let ctx = DocContext {
            source,
            index,
            doc,
            prefix: YamlPath::default(),
        };
        // A large List is recognised without decoding it whole (which would hold its every
        // event), by parsers that stop at their own nesting limits; its items are checked against
        // the limits one by one (below): checking it whole would scan a dump of hundreds of
        // megabytes event by event, and its length alone passes the string limit.
        if let Some(items) = split::list_scan(doc) {
            return list_step(&ctx, items);
        }
        if let Err(exceeded) = within_limits(&ctx, limits) {
            return Step::Read(exceeded);
        }
        read_document(&ctx)
    });
    // List items count as documents: past the limit, a List is refused whole.
    for (index, step) in steps.iter_mut().enumerate() {
        if let Step::List(items) = step {
            match remaining.checked_sub(items.len() as u64) {
                Some(left) => *remaining = left,
                None => {
                    let location = documents.get(index).map(|doc| {
                        DocContext {
                            source,
                            index,
                            doc,
                            prefix: YamlPath::default(),
                        }
                        .location(&YamlPath::default().key("items"), None)
                    });
                    *step = Step::Read(vec![Read::Diagnostic(
                        limits::documents(limits).at(location.unwrap_or_default()),
                    )]);
                }
            }
        }
    }
    let items: Vec<(usize, usize, &split::Document<'_>)> = steps
        .iter()
        .enumerate()
        .filter_map(|(index, step)| match step {
            Step::List(items) => Some(items.iter().enumerate().map(move |(i, item)| (index, i, item))),
            Step::Read(_) => None,
        })
        .flatten()
        .collect();
    let mut item_reads = parallel::map(&items, threads, |_, &(index, i, doc)| {
        let ctx = DocContext {
            source,
            index,
            doc,
            prefix: YamlPath::default().key("items").index(i),
        };
        match within_limits(&ctx, limits) {
            Ok(()) => read_item(&ctx),
            Err(exceeded) => exceeded,
        }
    })
    .into_iter();
    steps
        .into_iter()
        .map(|step| match step {
            Step::Read(reads) => reads,
            Step::List(items) => item_reads.by_ref().take(items.len()).flatten().collect(),
        })
        .collect()
}

/// The document (or List item) against the nesting, alias and string limits, before it is decoded.
fn within_limits(ctx: &DocContext<'_>, limits: &Limits) -> Result<(), Vec<Read>> {
    limits::check(&ctx.doc.text, limits).map_err(|exceeded| {
        let pos = exceeded.pos;
        vec![Read::Diagnostic(
            exceeded.into_diagnostic().at(ctx.location(&YamlPath::default(), pos)),
        )]
    })
}

/// A document that is not plainly a List (`read_documents` has looked for one).
fn read_document(ctx: &DocContext<'_>) -> Step {
    let (head, quick) = match read_head(ctx) {
        Ok(head) => head,
        Err(reads) => return Step::Read(reads),
    };
    if head.kind.as_deref() != Some("List") {
        return Step::Read(read_object(ctx, head, quick));
    }
    list_step(ctx, split::list_items(ctx.doc))
}

/// The document's head, and whether it was only scanned ([`decode::quick_head`]) rather than
/// decoded.
fn read_head(ctx: &DocContext<'_>) -> Result<(wire::Head, bool), Vec<Read>> {
    if let Some(head) = decode::quick_head(&ctx.doc.text) {
        return Ok((head, true));
    }
    match decode_plain::<wire::Head>(&ctx.doc.text) {
        Ok(head) => Ok((head, false)),
        Err(err) => Err(vec![Read::Diagnostic(err.into_diagnostic(ctx))]),
    }
}

fn list_step(ctx: &DocContext<'_>, items: Result<Vec<split::Document<'static>>, &'static str>) -> Step {
    match items {
        Ok(items) => Step::List(items),
        Err(message) => {
            let path = YamlPath::default().key("items");
            Step::Read(vec![Read::Diagnostic(
                Diagnostic::error(Code::InvalidValue, message)
                    .with_help("a `kind: List` holds its objects under `items:`")
                    .at(ctx.location(&path, None)),
            )])
        }
    }
}

fn read_item(ctx: &DocContext<'_>) -> Vec<Read> {
    match read_head(ctx) {
        Ok((head, quick)) => read_object(ctx, head, quick),
        Err(reads) => reads,
    }
}

/// The API server's rules for names, as far as meshlock's identities depend on them (it is lenient
/// elsewhere: `tests/hostile/cases/unicode-names.yaml`).
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Any object: a path segment of the API (meshlock writes workloads `NAMESPACE/NAME`).
    Segment,
    /// A namespace or a Service (DNS labels): no `.` either, or `NAME.NAMESPACE.svc…` would name
    /// another host.
    Label,
}

/// `yaml` (one document) with `metadata.namespace` set; `None` when it has no `metadata` map.
fn with_namespace(yaml: &str, namespace: &str) -> Option<String> {
    let mut doc: yaml_serde::Value = yaml_serde::from_str(yaml).ok()?;
    let metadata = doc.get_mut("metadata")?.as_mapping_mut()?;
    metadata.insert("namespace".into(), namespace.into());
    yaml_serde::to_string(&doc).ok()
}

/// Why `name` is not a namespace name (a DNS label), when it is not one.
pub fn namespace_name_error(name: &str) -> Option<&'static str> {
    (!Rule::Label.accepts(name)).then(|| Rule::Label.says())
}

impl Rule {
    fn accepts(self, name: &str) -> bool {
        let segment = !name.is_empty()
            && !name.contains(['/', '%'])
            && !name.contains(char::is_whitespace)
            && name != "."
            && name != "..";
        match self {
            Rule::Segment => segment,
            // And no delimiter of a probe's target (`HOST:PORT/PATH?QUERY`).
            // Nor upper case: hosts are matched in lower case (DNS).
            Rule::Label => {
                segment && !name.contains(['.', ':', '?', '#']) && !name.contains(|c: char| c.is_ascii_uppercase())
            }
        }
    }

    fn says(self) -> &'static str {
        match self {
            Rule::Segment => "it is empty, contains `/`, `%` or a space, or is `.` or `..`",
            Rule::Label => {
                "a namespace's or a Service's name is a DNS label: no upper case, `.`, `:`, `/`, `%`, `?`, `#` or space"
            }
        }
    }
}

/// The kinds meshlock models, by API group (without version) and kind. Each reader decodes the
/// whole document first; an ignored kind is decoded here when its head was only scanned (`quick`),
/// so that a YAML error in it is reported all the same.
fn read_object(ctx: &DocContext<'_>, head: wire::Head, quick: bool) -> Vec<Read> {
    let (Some(api_version), Some(kind)) = (head.api_version.as_deref(), head.kind.as_deref()) else {
        let missing = if head.api_version.is_none() {
            "apiVersion"
        } else {
            "kind"
        };
        return vec![Read::Diagnostic(
            Diagnostic::error(Code::MissingField, format!("document has no `{missing}`"))
                .with_help("every Kubernetes document needs `apiVersion` and `kind`; remove stray text or add them")
                .at(ctx.location(&YamlPath::default(), None)),
        )];
    };
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let reader = ObjectReader {
        ctx,
        api_version,
        quick,
        pruned: std::cell::Cell::new(None),
    };
    match (group, kind) {
        ("", "Namespace") => reader.namespace(),
        ("", "Pod") => reader.pod(),
        ("apps" | "extensions", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch", "Job")
        // Kubernetes' and OpenShift's older controllers carry pod templates too: they make workloads.
        | ("", "ReplicationController")
        | ("apps.openshift.io", "DeploymentConfig") => reader.controller(kind),
        ("batch", "CronJob") => reader.cron_job(),
        ("", "Service") => reader.service(),
        ("", "ConfigMap") => reader.config_map(),
        ("authentication.istio.io", "Policy" | "MeshPolicy") => reader.authn_policy(kind),
        ("security.istio.io", "PeerAuthentication") => reader.peer_authentication(),
        ("security.istio.io", "AuthorizationPolicy") => reader.authorization_policy(),
        ("security.istio.io", "RequestAuthentication") => reader.request_authentication(),
        ("networking.istio.io", "DestinationRule") => reader.destination_rule(),
        ("networking.k8s.io" | "extensions", "Ingress") => reader.ingress(),
        ("networking.k8s.io", "NetworkPolicy") => reader.network_policy(),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => {
            reader.webhooks("ValidatingWebhookConfiguration")
        }
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => {
            reader.webhooks("MutatingWebhookConfiguration")
        }
        ("meshlock.dev", "ExternalCaller") => reader.external_caller(),
        ("meshlock.dev", "TrafficIntent") => reader.traffic_intent(),
        ("rbac.istio.io", "ClusterRbacConfig") => reader.rbac_config("ClusterRbacConfig"),
        ("rbac.istio.io", "RbacConfig") => reader.rbac_config("RbacConfig"),
        ("rbac.istio.io", "ServiceRole") => reader.service_role(),
        ("rbac.istio.io", "ServiceRoleBinding") => reader.service_role_binding(),
        _ => {
            if quick && let Err(err) = decode_plain::<wire::Head>(&ctx.doc.text) {
                return vec![Read::Diagnostic(err.into_diagnostic(ctx))];
            }
            vec![Read::Ignored {
                kind: kind.to_owned(),
                reason: ignore_reason(group, kind).to_owned(),
            }]
        }
    }
}

fn ignore_reason(group: &str, kind: &str) -> &'static str {
    match (group, kind) {
        ("", "ServiceAccount") => "service accounts are read from each pod's `serviceAccountName`",
        ("", "Endpoints") | ("discovery.k8s.io", "EndpointSlice") => {
            "endpoints are derived from Service selectors and workload labels"
        }
        ("networking.istio.io", _) => "this Istio networking kind does not change which TLS a sidecar uses",
        ("security.istio.io", _) => "this security kind does not change mTLS",
        ("authentication.istio.io", _) => "only Policy and MeshPolicy decide mTLS in this API",
        _ => "this kind does not take part in mutual TLS",
    }
}

struct ObjectReader<'a> {
    api_version: &'a str,
    ctx: &'a DocContext<'a>,
    /// The head was only scanned, not decoded.
    quick: bool,
    /// The document without its unknown fields, when it has some: the `yaml` of its [`Meta`].
    pruned: std::cell::Cell<Option<String>>,
}

impl ObjectReader<'_> {
    /// The error a head decode reports first (a YAML syntax error after a type error, say), when
    /// the head was only scanned: the same diagnostic as with a decoded head.
    fn decode_error(&self, err: decode::DecodeError) -> Read {
        let err = match self.quick {
            true => decode_plain::<wire::Head>(&self.ctx.doc.text).err().unwrap_or(err),
            false => err,
        };
        Read::Diagnostic(err.into_diagnostic(self.ctx))
    }

    fn error(&self, code: Code, path: YamlPath, message: String, help: &str) -> Read {
        Read::Diagnostic(
            Diagnostic::error(code, message)
                .with_help(help)
                .at(self.ctx.location(&path, None)),
        )
    }

    /// Decodes the object; the unknown fields under `spec` are returned for the Istio kinds to report.
    fn decode_spec<T: serde::de::DeserializeOwned>(&self, out: &mut Vec<Read>) -> Option<(T, Vec<YamlPath>)> {
        match decode_object::<T>(&self.ctx.doc.text) {
            Ok(decoded) => {
                let unknown = decoded
                    .unknown
                    .into_iter()
                    .filter(|p| p.starts_with_key("spec"))
                    .collect();
                Some((decoded.value, unknown))
            }
            Err(err) => {
                out.push(self.decode_error(err));
                None
            }
        }
    }

    /// Decodes a Kubernetes kind, of which meshlock reads a few fields and skips the rest.
    fn decode<T: serde::de::DeserializeOwned>(&self, out: &mut Vec<Read>) -> Option<T> {
        match decode_plain::<T>(&self.ctx.doc.text) {
            Ok(value) => Some(value),
            Err(err) => {
                out.push(self.decode_error(err));
                None
            }
        }
    }

    /// Reports the unknown fields; the resource's [`Meta::yaml`] is then written without them.
    fn report_unknown(&self, unknown: Vec<YamlPath>, out: &mut Vec<Read>) {
        self.pruned.set(pruned(&self.ctx.doc.text, &unknown));
        for path in unknown {
            let field = match path.segments().last() {
                Some(locate::Segment::Key(k)) => k.clone(),
                _ => path.to_string(),
            };
            out.push(Read::Diagnostic(
                Diagnostic::warning(Code::UnknownField, format!("unknown field `{field}` is ignored"))
                    .with_help("check the spelling and indentation against the resource's schema")
                    .at(self.ctx.location(&path, None)),
            ));
        }
    }

    /// The object's name, when it has one that Kubernetes accepts, as are its namespace and owners'
    /// names: a name is a path segment of the API (no `/` or `%`, not `.` or `..`), and meshlock
    /// writes workloads as `NAMESPACE/NAME`.
    fn name(&self, meta: &wire::ObjectMeta, out: &mut Vec<Read>) -> Option<String> {
        let metadata = || YamlPath::default().key("metadata");
        // An empty name is a missing one (below); an empty namespace is the default one. An owner
        // without a name would name its pods' workload `` (the client `NAMESPACE/`).
        let mut names = vec![(metadata().key("name"), meta.name.as_deref().filter(|n| !n.is_empty()))];
        let namespace = meta.namespace.as_deref().or(self.ctx.source.namespace.as_deref());
        names.push((metadata().key("namespace"), namespace.filter(|n| !n.is_empty())));
        for (i, owner) in meta.owner_references.iter().enumerate() {
            let item = metadata().key("ownerReferences").index(i);
            let path = if owner.name.is_empty() { item } else { item.key("name") };
            names.push((path, Some(&owner.name)));
        }
        for (i, (path, name)) in names.into_iter().enumerate() {
            // The second is the namespace: a DNS label, as the Namespace's own name.
            let rule = if i == 1 { Rule::Label } else { Rule::Segment };
            if let Some(name) = name
                && !self.valid_name(name, rule, path, out)
            {
                return None;
            }
        }
        match meta.name.as_deref().filter(|n| !n.is_empty()) {
            Some(name) => Some(name.to_owned()),
            None => {
                out.push(self.error(
                    Code::MissingField,
                    YamlPath::default().key("metadata"),
                    "resource has no `metadata.name`".to_owned(),
                    "add `metadata.name`",
                ));
                None
            }
        }
    }

    /// Whether `name` follows `rule`; if not, says so at `path`.
    fn valid_name(&self, name: &str, rule: Rule, path: YamlPath, out: &mut Vec<Read>) -> bool {
        if rule.accepts(name) {
            return true;
        }
        out.push(self.error(
            Code::InvalidValue,
            path,
            format!("`{name}` is not a name Kubernetes accepts: {}", rule.says()),
            "Kubernetes names are DNS names: lower-case letters, digits and `-` (and `.` outside namespaces and Services)",
        ));
        false
    }

    fn namespace_of(&self, meta: &wire::ObjectMeta) -> String {
        meta.namespace
            .clone()
            .or_else(|| self.ctx.source.namespace.clone())
            .unwrap_or_else(|| "default".to_owned())
    }

    fn meta(&self, kind: &'static str, meta: &wire::ObjectMeta, name: String) -> Meta {
        let yaml = self
            .pruned
            .take()
            .unwrap_or_else(|| self.ctx.doc.text.clone().into_owned());
        let mut namespaced = self.namespace_of(meta);
        if kind == "MeshPolicy" {
            namespaced.clear();
        }
        // Placed by the source's namespace (`kubectl apply -n`): written back (rollbacks) with
        // it, so that they land where the resource is, applied with or without `-n`.
        let yaml = match (&meta.namespace, &self.ctx.source.namespace) {
            (None, Some(_)) if !namespaced.is_empty() => with_namespace(&yaml, &namespaced).unwrap_or(yaml),
            _ => yaml,
        };
        Meta {
            api_version: self.api_version.to_owned(),
            yaml,
            kind,
            namespace: namespaced,
            name,
            created: meta.creation_timestamp.clone(),
            seq: 0,
            origin: self.ctx.origin(),
        }
    }

    fn port_refs(&self, ports: &[wire::PortSelector], path: YamlPath, out: &mut Vec<Read>) -> Option<Vec<PortRef>> {
        let mut refs = Vec::new();
        for (i, p) in ports.iter().enumerate() {
            match (p.number, &p.name) {
                (Some(n), _) => match Port::parse(n) {
                    Some(port) => refs.push(PortRef::Number(port)),
                    None => {
                        out.push(self.error(
                            Code::InvalidResource,
                            path.clone().index(i),
                            format!("port `{n}` is not in 1..65535"),
                            "use a Service port number",
                        ));
                        return None;
                    }
                },
                (None, Some(name)) => refs.push(PortRef::Name(name.clone())),
                (None, None) => {
                    out.push(self.error(
                        Code::MissingField,
                        path.clone().index(i),
                        "port selector has neither `number` nor `name`".to_owned(),
                        "write `{number: 8000}` or `{name: http}`",
                    ));
                    return None;
                }
            }
        }
        Some(refs)
    }

    fn note(&self, code: Code, path: YamlPath, message: String, help: &str) -> Read {
        Read::Diagnostic(
            Diagnostic::warning(code, message)
                .with_help(help)
                .at(self.ctx.location(&path, None)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_do_not_change_the_result() {
        let mut stream = String::new();
        let mut list = String::from("apiVersion: v1\nkind: List\nitems:\n");
        for i in 0..150 {
            stream.push_str(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: n{}}}\nspec: {{containers: [{{name: c}}]}}\n---\n",
                i % 7
            ));
            list.push_str(&format!(
                "- apiVersion: v1\n  kind: Service\n  metadata: {{name: s{i}}}\n"
            ));
            match i % 30 {
                0 => stream.push_str("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\n"),
                1 => stream.push_str("apiVersion: v1\nkind: Pod\nmetadata: [\n---\n"),
                2 => list.push_str("- apiVersion: v1\n  kind: Service\n  spec: {ports: [{port: 99999}]}\n"),
                3 => list.push_str("- {apiVersion: v1, kind: Endpoints}\n"),
                _ => {}
            }
        }
        stream.push_str(&list);
        let json = format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{}]}}",
            (0..100)
                .map(|i| format!(
                    "{{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {{\"name\": \"j{i}\"}}}}"
                ))
                .collect::<Vec<_>>()
                .join(",\n")
        );
        let sources = [Source::new("a.yaml", stream), Source::new("b.json", json)];
        let one = ingest_with_threads(&sources, 5, NonZeroUsize::MIN);
        assert_eq!(one.resources.len(), 150 + 150 + 100);
        assert!(one.diagnostics.len() > 5);
        let expected = format!("{one:?}");
        for threads in [2, 3, 8] {
            let many = ingest_with_threads(&sources, 5, NonZeroUsize::new(threads).unwrap());
            assert_eq!(format!("{many:?}"), expected);
        }
    }
}
