//! Ingest: YAML/JSON sources → typed resources, with a diagnostic for everything not modelled.
//!
//! Each source is split into documents; each document (or each item of a `kind: List`) is decoded
//! into the typed struct for its kind, never into one generic tree for the whole input.

mod decode;
pub mod intent;
mod limits;
pub mod locate;
mod netpol;
mod parallel;
mod split;
mod text;
pub(crate) mod wire;

use std::collections::BTreeMap;
use std::num::NonZeroUsize;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::{
    AuthnPolicy, AuthorizationPolicy, AuthzAction, AuthzRule, DestinationRule, Fqdn, Match, Meta, MtlsMode, Namespace,
    OperationMatch, Origin, OriginAuthn, PeerAuthentication, PolicyTarget, Port, PortRef, PortTls, RbacConfig,
    RbacMode, RbacRule, RbacSubject, RequestAuthentication, Service, ServicePort, ServiceRole, ServiceRoleBinding,
    SourceMatch, TargetPort, TlsMode,
};
use crate::settings::Limits;
use decode::{decode_object, decode_plain, pruned};
pub use limits::input_bytes as input_bytes_exceeded;
pub use limits::listed_edges as listed_edges_exceeded;
use locate::YamlPath;
pub use text::source_from_bytes;

/// One input file (or stdin, or a string): a name for diagnostics and its text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// A workload-bearing document (Pod or controller) before workloads are derived.
#[derive(Debug, Clone)]
pub struct WorkloadDoc {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    pub owners: Vec<(String, String)>,
    /// A Pod that ran: it has `ownerReferences` or a `status`, as `kubectl get` prints it. A Pod
    /// without either is a manifest (like a Deployment as written); controllers are always templates.
    pub ran: bool,
    pub template_labels: BTreeMap<String, String>,
    pub template_annotations: BTreeMap<String, String>,
    pub spec: wire::PodSpec,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct MeshConfigDoc {
    pub namespace: String,
    pub enable_auto_mtls: Option<bool>,
    pub root_namespace: Option<String>,
    pub trust_domain: Option<String>,
    pub ingress_class: Option<String>,
    pub ingress_service: Option<String>,
    pub ingress_controller_mode: Option<String>,
}

/// The Ingress annotation that names its class (read before `spec.ingressClassName`).
const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// A caller outside the mesh: declared (`ExternalCaller`) or inferred (Ingress backends, admission
/// webhooks). Targets are resolved to service ports when the mesh is built.
#[derive(Debug, Clone)]
pub struct CallerDoc {
    /// The document it comes from (kind, namespace, name): a newer one replaces it.
    pub source_key: ResourceKey,
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    pub sidecar: bool,
    pub reason: String,
    /// Host (resolved from `namespace` like a probe) and service port.
    pub targets: Vec<(String, PortRef)>,
    /// An Ingress's class: the `kubernetes.io/ingress.class` annotation (read first, as Istio does),
    /// else `spec.ingressClassName`; `None` for other callers and for an Ingress without a class.
    pub ingress_class: Option<String>,
    /// A declared caller's IP address (`spec.address`), matched by NetworkPolicy `ipBlock` peers.
    pub address: Option<std::net::IpAddr>,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub enum Resource {
    Namespace(Namespace),
    Workload(WorkloadDoc),
    Service(Service),
    AuthnPolicy(AuthnPolicy),
    PeerAuthentication(PeerAuthentication),
    DestinationRule(DestinationRule),
    AuthorizationPolicy(AuthorizationPolicy),
    RbacConfig(RbacConfig),
    ServiceRole(ServiceRole),
    ServiceRoleBinding(ServiceRoleBinding),
    RequestAuthentication(RequestAuthentication),
    Caller(CallerDoc),
    MeshConfig(MeshConfigDoc),
    NetworkPolicy(crate::model::NetworkPolicy),
    /// Declared traffic (`TrafficIntent`, or a line of an intents CSV): evidence, not configuration.
    Intent(crate::model::TrafficIntent),
}

// Every method matches every kind, with no catch-all arm: a new kind must say what it has, or a
// replaced resource would silently lose its age, and a rollback its text.
impl Resource {
    /// (kind, namespace, name): a later resource with the same key replaces this one.
    pub fn key(&self) -> ResourceKey {
        match self {
            Resource::Namespace(n) => ("Namespace", String::new(), n.name.clone()),
            Resource::Workload(w) => (w.kind, w.namespace.clone(), w.name.clone()),
            Resource::Service(s) => ("Service", s.namespace.clone(), s.name.clone()),
            Resource::MeshConfig(m) => ("MeshConfig", m.namespace.clone(), "istio".to_owned()),
            Resource::Caller(c) => c.source_key.clone(),
            Resource::Intent(i) => ("TrafficIntent", i.namespace.clone(), i.display.clone()),
            Resource::AuthnPolicy(p) => meta_key(&p.meta),
            Resource::PeerAuthentication(p) => meta_key(&p.meta),
            Resource::DestinationRule(d) => meta_key(&d.meta),
            Resource::AuthorizationPolicy(a) => meta_key(&a.meta),
            Resource::RbacConfig(r) => meta_key(&r.meta),
            Resource::ServiceRole(r) => meta_key(&r.meta),
            Resource::ServiceRoleBinding(r) => meta_key(&r.meta),
            Resource::RequestAuthentication(r) => meta_key(&r.meta),
            Resource::NetworkPolicy(n) => meta_key(&n.meta),
        }
    }

    /// The identity, age and text (for rollbacks) of a policy; `None` for the kinds that have no [`Meta`].
    pub fn meta(&self) -> Option<&Meta> {
        match self {
            Resource::AuthnPolicy(p) => Some(&p.meta),
            Resource::PeerAuthentication(p) => Some(&p.meta),
            Resource::DestinationRule(d) => Some(&d.meta),
            Resource::AuthorizationPolicy(a) => Some(&a.meta),
            Resource::RbacConfig(r) => Some(&r.meta),
            Resource::ServiceRole(r) => Some(&r.meta),
            Resource::ServiceRoleBinding(r) => Some(&r.meta),
            Resource::RequestAuthentication(r) => Some(&r.meta),
            Resource::NetworkPolicy(n) => Some(&n.meta),
            Resource::Namespace(_)
            | Resource::Workload(_)
            | Resource::Service(_)
            | Resource::Caller(_)
            | Resource::MeshConfig(_)
            | Resource::Intent(_) => None,
        }
    }

    /// [`Resource::meta`], to change.
    pub fn meta_mut(&mut self) -> Option<&mut Meta> {
        match self {
            Resource::AuthnPolicy(p) => Some(&mut p.meta),
            Resource::PeerAuthentication(p) => Some(&mut p.meta),
            Resource::DestinationRule(d) => Some(&mut d.meta),
            Resource::AuthorizationPolicy(a) => Some(&mut a.meta),
            Resource::RbacConfig(r) => Some(&mut r.meta),
            Resource::ServiceRole(r) => Some(&mut r.meta),
            Resource::ServiceRoleBinding(r) => Some(&mut r.meta),
            Resource::RequestAuthentication(r) => Some(&mut r.meta),
            Resource::NetworkPolicy(n) => Some(&mut n.meta),
            Resource::Namespace(_)
            | Resource::Workload(_)
            | Resource::Service(_)
            | Resource::Caller(_)
            | Resource::MeshConfig(_)
            | Resource::Intent(_) => None,
        }
    }

    /// Where the resource was read, for diagnostics to point at.
    pub fn origin(&self) -> Option<&Origin> {
        match self {
            Resource::Workload(w) => Some(&w.origin),
            Resource::Service(s) => Some(&s.origin),
            Resource::Intent(i) => Some(&i.origin),
            // Not kept by these kinds' models. A caller keeps its document's origin, but
            // diagnostics about callers have so far been placed without it.
            Resource::Namespace(_) | Resource::MeshConfig(_) | Resource::Caller(_) => None,
            Resource::AuthnPolicy(_)
            | Resource::PeerAuthentication(_)
            | Resource::DestinationRule(_)
            | Resource::AuthorizationPolicy(_)
            | Resource::RbacConfig(_)
            | Resource::ServiceRole(_)
            | Resource::ServiceRoleBinding(_)
            | Resource::RequestAuthentication(_)
            | Resource::NetworkPolicy(_) => self.meta().map(|m| &m.origin),
        }
    }

    /// Server policies, DestinationRules, authorization: the kinds that neither make nor select
    /// workloads, so that adding or removing them changes only the policies of a mesh.
    pub fn is_policy(&self) -> bool {
        match self {
            Resource::AuthnPolicy(_)
            | Resource::PeerAuthentication(_)
            | Resource::DestinationRule(_)
            | Resource::AuthorizationPolicy(_)
            | Resource::RbacConfig(_)
            | Resource::ServiceRole(_)
            | Resource::ServiceRoleBinding(_)
            | Resource::RequestAuthentication(_)
            | Resource::NetworkPolicy(_) => true,
            Resource::Namespace(_)
            | Resource::Workload(_)
            | Resource::Service(_)
            | Resource::Caller(_)
            | Resource::MeshConfig(_)
            | Resource::Intent(_) => false,
        }
    }
}

fn meta_key(meta: &Meta) -> ResourceKey {
    (meta.kind, meta.namespace.clone(), meta.name.clone())
}

/// (kind, namespace, name): a second resource with the same key replaces the first.
pub type ResourceKey = (&'static str, String, String);

#[derive(Debug, Clone)]
pub struct Stored {
    pub key: ResourceKey,
    pub seq: u64,
    pub resource: Resource,
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
        // Part A decision 15: Kubernetes' and OpenShift's older controllers carry pod templates too.
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

    fn namespace(&self) -> Vec<Read> {
        let mut out = Vec::new();
        if let Some(ns) = self.decode::<wire::Namespace>(&mut out)
            && let Some(name) = self.name(&ns.metadata, &mut out)
            && self.valid_name(&name, Rule::Label, YamlPath::parse("metadata.name"), &mut out)
        {
            out.push(Read::Modelled(Resource::Namespace(Namespace {
                name,
                labels: ns.metadata.labels,
            })));
        }
        out
    }

    fn workload(
        &self,
        kind: &'static str,
        meta: wire::ObjectMeta,
        template: wire::PodTemplate,
        has_status: bool,
        out: &mut Vec<Read>,
    ) {
        let Some(name) = self.name(&meta, out) else { return };
        out.push(Read::Modelled(Resource::Workload(WorkloadDoc {
            kind,
            namespace: self.namespace_of(&meta),
            name,
            ran: kind == "Pod" && (has_status || !meta.owner_references.is_empty()),
            owners: meta
                .owner_references
                .iter()
                .map(|o| (o.kind.clone(), o.name.clone()))
                .collect(),
            template_labels: template.metadata.labels,
            template_annotations: template.metadata.annotations,
            spec: template.spec,
            origin: self.ctx.origin(),
        })));
    }

    fn pod(&self) -> Vec<Read> {
        let mut out = Vec::new();
        if let Some(pod) = self.decode::<wire::Pod>(&mut out) {
            let template = wire::PodTemplate {
                metadata: pod.metadata.clone(),
                spec: pod.spec,
            };
            self.workload("Pod", pod.metadata, template, pod.status.is_some(), &mut out);
        }
        out
    }

    fn controller(&self, kind: &str) -> Vec<Read> {
        let kind: &'static str = match kind {
            "Deployment" => "Deployment",
            "StatefulSet" => "StatefulSet",
            "DaemonSet" => "DaemonSet",
            "ReplicaSet" => "ReplicaSet",
            "ReplicationController" => "ReplicationController",
            "DeploymentConfig" => "DeploymentConfig",
            _ => "Job",
        };
        let mut out = Vec::new();
        if let Some(c) = self.decode::<wire::Controller>(&mut out) {
            self.workload(kind, c.metadata, c.spec.template, false, &mut out);
        }
        out
    }

    fn cron_job(&self) -> Vec<Read> {
        let mut out = Vec::new();
        if let Some(c) = self.decode::<wire::CronJob>(&mut out) {
            self.workload(
                "CronJob",
                c.metadata,
                c.spec.job_template.spec.template,
                false,
                &mut out,
            );
        }
        out
    }

    fn service(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some(svc) = self.decode::<wire::Service>(&mut out) else {
            return out;
        };
        let Some(name) = self.name(&svc.metadata, &mut out) else {
            return out;
        };
        // `NAME.NAMESPACE.svc…`: a dot in either would make another host.
        if !self.valid_name(&name, Rule::Label, YamlPath::parse("metadata.name"), &mut out) {
            return out;
        }
        if svc.spec.service_type.as_deref() == Some("ExternalName") {
            out.push(Read::Ignored {
                kind: "Service (ExternalName)".to_owned(),
                reason: "an ExternalName Service is a DNS alias with no mesh endpoints".to_owned(),
            });
            return out;
        }
        let mut ports = Vec::new();
        for (i, p) in svc.spec.ports.iter().enumerate() {
            let path = YamlPath::default().key("spec").key("ports").index(i);
            // Kubernetes' default protocol is TCP; sidecars redirect TCP only (istio-iptables).
            if let Some(protocol) = p.protocol.as_deref().filter(|p| !p.eq_ignore_ascii_case("TCP")) {
                out.push(Read::Diagnostic(
                    Diagnostic::info(
                        Code::IgnoredPort,
                        format!(
                            "service port {}/{protocol} is left out: Istio's sidecars intercept TCP only",
                            p.port
                        ),
                    )
                    .with_help("nothing to fix: mutual TLS does not apply to it")
                    .at(self.ctx.location(&path.key("protocol"), None)),
                ));
                continue;
            }
            let Some(port) = Port::parse(p.port) else {
                out.push(self.error(
                    Code::InvalidResource,
                    path.key("port"),
                    format!("service port `{}` is not in 1..65535", p.port),
                    "use a port number between 1 and 65535",
                ));
                continue;
            };
            let target = match &p.target_port {
                None => TargetPort::Number(port),
                Some(wire::IntOrString::Int(n)) => match Port::parse(*n) {
                    Some(t) => TargetPort::Number(t),
                    None => {
                        out.push(self.error(
                            Code::InvalidResource,
                            path.key("targetPort"),
                            format!("targetPort `{n}` is not in 1..65535"),
                            "use a container port number or a container port name",
                        ));
                        continue;
                    }
                },
                Some(wire::IntOrString::String(s)) => match s.parse::<i64>().ok().and_then(Port::parse) {
                    Some(t) => TargetPort::Number(t),
                    None => TargetPort::Name(s.clone()),
                },
            };
            ports.push(ServicePort {
                name: p.name.clone(),
                app_protocol: p.app_protocol.clone(),
                port,
                target,
            });
        }
        let namespace = self.namespace_of(&svc.metadata);
        out.push(Read::Modelled(Resource::Service(Service {
            fqdn: Fqdn::for_service(&name, &namespace),
            namespace,
            name,
            selector: svc.spec.selector.filter(|s| !s.is_empty()),
            ports,
            headless: svc.spec.cluster_ip.as_deref() == Some("None"),
            origin: self.ctx.origin(),
        })));
        out
    }

    fn config_map(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some(cm) = self.decode::<wire::ConfigMap>(&mut out) else {
            return out;
        };
        if cm.metadata.name.as_deref() != Some("istio") {
            out.push(Read::Ignored {
                kind: "ConfigMap".to_owned(),
                reason: "only the mesh config (`ConfigMap istio`, key `mesh`) takes part in mTLS".to_owned(),
            });
            return out;
        }
        // Its namespace is the root namespace unless the config names one: a name like any other.
        if self.name(&cm.metadata, &mut out).is_none() {
            return out;
        }
        let namespace = self.namespace_of(&cm.metadata);
        let mesh = cm.data.get("mesh").map(String::as_str).unwrap_or_default();
        match yaml_serde::from_str::<Option<wire::MeshConfig>>(mesh) {
            Ok(config) => {
                let config = config.unwrap_or_default();
                // The planner writes its mesh-wide step into the root namespace.
                let path = YamlPath::default().key("data").key("mesh");
                if let Some(root) = &config.root_namespace
                    && !self.valid_name(root, Rule::Label, path, &mut out)
                {
                    return out;
                }
                out.push(Read::Modelled(Resource::MeshConfig(MeshConfigDoc {
                    namespace,
                    enable_auto_mtls: config.enable_auto_mtls,
                    root_namespace: config.root_namespace,
                    trust_domain: config.trust_domain,
                    ingress_class: config.ingress_class,
                    ingress_service: config.ingress_service,
                    ingress_controller_mode: config.ingress_controller_mode,
                })));
            }
            Err(e) => out.push(self.error(
                Code::InvalidValue,
                YamlPath::default().key("data").key("mesh"),
                format!("the mesh config in `data.mesh` does not parse: {e}"),
                "`data.mesh` must hold MeshConfig YAML, e.g. `enableAutoMtls: true`",
            )),
        }
        out
    }

    fn authn_policy(&self, kind: &str) -> Vec<Read> {
        let mesh_wide = kind == "MeshPolicy";
        let mut out = Vec::new();
        let Some((policy, unknown)) = self.decode_spec::<wire::AuthnPolicy>(&mut out) else {
            return out;
        };
        if let Some(misplaced) = misplaced_peers(&unknown) {
            // The seed's own manifest: `peers:` indented under the target. Istio's validation
            // rejects the unknown field, so the document is reported and not applied.
            out.push(self.error(
                Code::MisplacedPeers,
                misplaced,
                "`peers` is indented under a target, so Istio reads it as an unknown target field".to_owned(),
                "`peers` belongs under `spec`, as a sibling of `targets`: move `peers:` and its items \
                 two spaces left; as written, Istio rejects the Policy",
            ));
            return out;
        }
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&policy.metadata, &mut out) else {
            return out;
        };
        let kind: &'static str = if mesh_wide { "MeshPolicy" } else { "Policy" };
        let spec_path = YamlPath::default().key("spec");
        // Validation rules of `ValidateAuthenticationPolicy` (Istio 1.1).
        if mesh_wide && (name != "default" || !policy.spec.targets.is_empty()) {
            out.push(self.error(
                Code::InvalidResource,
                spec_path,
                "a MeshPolicy must be named `default` and have no targets".to_owned(),
                "rename it to `default` and remove `targets`, or use a namespaced Policy",
            ));
            return out;
        }
        if !mesh_wide && policy.spec.targets.is_empty() != (name == "default") {
            out.push(self.error(
                Code::InvalidResource,
                spec_path,
                format!("Policy `{name}`: a Policy without targets must be named `default`, and only it"),
                "name the namespace-wide Policy `default`; give every other Policy `targets`",
            ));
            return out;
        }
        let mut targets = Vec::new();
        for (i, t) in policy.spec.targets.iter().enumerate() {
            let Some(target_name) = t.name.clone().filter(|n| !n.is_empty()) else {
                out.push(self.error(
                    Code::MissingField,
                    spec_path.clone().key("targets").index(i),
                    "policy target has no `name`".to_owned(),
                    "set `name` to the Service name",
                ));
                return out;
            };
            let Some(ports) = self.port_refs(
                &t.ports,
                spec_path.clone().key("targets").index(i).key("ports"),
                &mut out,
            ) else {
                return out;
            };
            targets.push(PolicyTarget {
                name: target_name,
                ports,
            });
        }
        // The first `mtls` peer decides; `mtls: {}` and `mtls:` mean STRICT; none means no TLS.
        let mode = policy
            .spec
            .peers
            .iter()
            .find_map(|p| p.mtls.as_ref())
            .map_or(MtlsMode::Disable, |m| match (m.mode, m.allow_tls) {
                (Some(wire::V1alpha1Mode::Permissive), _) | (_, Some(true)) => MtlsMode::Permissive,
                _ => MtlsMode::Strict,
            });
        // Part A decision 17: end-user JWTs are not evaluated, only noted. Istio's authentication
        // filter answers 401 to a request without a valid token when `origins` are required, and
        // to every request when the principal is bound to an origin that no method provides.
        let use_origin = matches!(&policy.spec.principal_binding, Some(wire::IntOrString::Int(1)))
            || matches!(&policy.spec.principal_binding, Some(wire::IntOrString::String(s)) if s == "USE_ORIGIN");
        let origin = match (policy.spec.origins.is_empty(), use_origin) {
            (true, true) => OriginAuthn::BoundToMissingOrigin,
            (false, _) if policy.spec.origin_is_optional != Some(true) => OriginAuthn::Required,
            _ => OriginAuthn::None,
        };
        let meta = self.meta(kind, &policy.metadata, name);
        let meta = if mesh_wide {
            Meta {
                namespace: String::new(),
                ..meta
            }
        } else {
            meta
        };
        out.push(Read::Modelled(Resource::AuthnPolicy(AuthnPolicy {
            meta,
            mesh_wide,
            targets,
            mode,
            origin,
        })));
        out
    }

    fn request_authentication(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((ra, unknown)) = self.decode_spec::<wire::RequestAuthentication>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&ra.metadata, &mut out) else {
            return out;
        };
        let meta = self.meta("RequestAuthentication", &ra.metadata, name);
        let selector = ra.spec.selector.map(|s| s.match_labels).filter(|s| !s.is_empty());
        out.push(Read::Modelled(Resource::RequestAuthentication(RequestAuthentication {
            meta,
            selector,
        })));
        out
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

    fn peer_authentication(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((pa, unknown)) = self.decode_spec::<wire::PeerAuthentication>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&pa.metadata, &mut out) else {
            return out;
        };
        let spec_path = YamlPath::default().key("spec");
        let selector = pa.spec.selector.map(|s| s.match_labels).filter(|s| !s.is_empty());
        let mut port_level = BTreeMap::new();
        if let Some(ports) = &pa.spec.port_level_mtls {
            // `ValidatePeerAuthentication`: only selector policies may have portLevelMtls, and it
            // must be non-empty with ports in 1..65535.
            let path = spec_path.clone().key("portLevelMtls");
            if selector.is_none() {
                out.push(self.error(
                    Code::InvalidResource,
                    path,
                    "portLevelMtls requires a workload selector".to_owned(),
                    "add `selector.matchLabels` for the workload, or move the port rule to a workload policy",
                ));
                return out;
            }
            if ports.is_empty() {
                out.push(self.error(
                    Code::InvalidResource,
                    path,
                    "portLevelMtls is empty".to_owned(),
                    "remove `portLevelMtls` or give it at least one port",
                ));
                return out;
            }
            for (key, value) in ports {
                let Some(port) = key.trim().parse::<i64>().ok().and_then(Port::parse) else {
                    out.push(self.error(
                        Code::InvalidResource,
                        path.key(key.clone()),
                        format!("portLevelMtls key `{key}` is not a port number in 1..65535"),
                        "key portLevelMtls by the workload's container port number (not the Service port)",
                    ));
                    return out;
                };
                port_level.insert(port, peer_mode(value.mode));
            }
        }
        let mode = pa.spec.mtls.as_ref().map_or(MtlsMode::Unset, |m| peer_mode(m.mode));
        let meta = self.meta("PeerAuthentication", &pa.metadata, name);
        out.push(Read::Modelled(Resource::PeerAuthentication(PeerAuthentication {
            meta,
            selector,
            mode,
            port_level,
        })));
        out
    }

    fn destination_rule(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((dr, unknown)) = self.decode_spec::<wire::DestinationRule>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&dr.metadata, &mut out) else {
            return out;
        };
        let Some(host) = dr.spec.host.clone().filter(|h| !h.is_empty()) else {
            out.push(self.error(
                Code::MissingField,
                YamlPath::default().key("spec"),
                format!("DestinationRule `{name}` has no `host`"),
                "set `spec.host` to the service host, e.g. `httpbin.foo.svc.cluster.local`",
            ));
            return out;
        };
        let policy = dr.spec.traffic_policy.as_ref();
        let mut port_level = Vec::new();
        let levels = policy.map(|p| p.port_level_settings.as_slice()).unwrap_or_default();
        let levels_path = YamlPath::default()
            .key("spec")
            .key("trafficPolicy")
            .key("portLevelSettings");
        for (i, level) in levels.iter().enumerate() {
            let selector = level.port.clone().unwrap_or_default();
            let Some(mut refs) = self.port_refs(
                std::slice::from_ref(&selector),
                levels_path.clone().index(i).key("port"),
                &mut out,
            ) else {
                return out;
            };
            if let Some(port) = refs.pop() {
                port_level.push(PortTls {
                    port,
                    tls: level.tls.as_ref().and_then(|t| t.mode).map(tls_mode),
                });
            }
        }
        let meta = self.meta("DestinationRule", &dr.metadata, name);
        out.push(Read::Modelled(Resource::DestinationRule(DestinationRule {
            meta,
            host,
            export_to: dr.spec.export_to,
            workload_selector: dr
                .spec
                .workload_selector
                .map(|s| s.match_labels)
                .filter(|s| !s.is_empty()),
            has_traffic_policy: policy.is_some(),
            tls: policy.and_then(|p| p.tls.as_ref()).and_then(|t| t.mode).map(tls_mode),
            port_level,
        })));
        out
    }
}

impl ObjectReader<'_> {
    fn authorization_policy(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((ap, unknown)) = self.decode_spec::<wire::AuthorizationPolicy>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&ap.metadata, &mut out) else {
            return out;
        };
        let spec_path = YamlPath::default().key("spec");
        let action = match ap.spec.action {
            None | Some(wire::AuthzAction::Allow) => AuthzAction::Allow,
            Some(wire::AuthzAction::Deny) => AuthzAction::Deny,
            Some(wire::AuthzAction::Audit) => AuthzAction::Audit,
            Some(wire::AuthzAction::Custom) => AuthzAction::Custom,
        };
        if action == AuthzAction::Custom {
            out.push(self.note(
                Code::AuthzCustomSkipped,
                spec_path.clone().key("action"),
                format!("AuthorizationPolicy `{name}` delegates to an external authorizer (CUSTOM): meshlock skips it"),
                "the external authorizer's answer is unknown from YAML; check it on the live cluster",
            ));
        }
        let mut rules = Vec::new();
        for (i, rule) in ap.spec.rules.iter().enumerate() {
            let rule_path = spec_path.clone().key("rules").index(i);
            let mut unsupported = Vec::new();
            let mut http_only = Vec::new();
            let from = rule
                .from
                .iter()
                .map(|f| {
                    let s = &f.source;
                    for (field, used) in [
                        (
                            "requestPrincipals",
                            !s.request_principals.is_empty() || !s.not_request_principals.is_empty(),
                        ),
                        ("ipBlocks", !s.ip_blocks.is_empty() || !s.not_ip_blocks.is_empty()),
                        (
                            "remoteIpBlocks",
                            !s.remote_ip_blocks.is_empty() || !s.not_remote_ip_blocks.is_empty(),
                        ),
                        (
                            "serviceAccounts",
                            !s.service_accounts.is_empty() || !s.not_service_accounts.is_empty(),
                        ),
                    ] {
                        if used {
                            unsupported.push(format!("from.source.{field}"));
                        }
                    }
                    SourceMatch {
                        principals: Match {
                            values: s.principals.clone(),
                            not_values: s.not_principals.clone(),
                        },
                        namespaces: Match {
                            values: s.namespaces.clone(),
                            not_values: s.not_namespaces.clone(),
                        },
                    }
                })
                .collect();
            let to = rule
                .to
                .iter()
                .map(|t| {
                    let o = &t.operation;
                    if !o.hosts.is_empty() || !o.not_hosts.is_empty() {
                        unsupported.push("to.operation.hosts".to_owned());
                        http_only.push("to.operation.hosts".to_owned());
                    }
                    for (field, used) in [
                        ("methods", !o.methods.is_empty() || !o.not_methods.is_empty()),
                        ("paths", !o.paths.is_empty() || !o.not_paths.is_empty()),
                    ] {
                        if used {
                            http_only.push(format!("to.operation.{field}"));
                        }
                    }
                    let text = |ports: &[wire::IntOrString]| {
                        ports
                            .iter()
                            .map(|p| match p {
                                wire::IntOrString::Int(n) => n.to_string(),
                                wire::IntOrString::String(s) => s.clone(),
                            })
                            .collect()
                    };
                    OperationMatch {
                        ports: Match {
                            values: text(&o.ports),
                            not_values: text(&o.not_ports),
                        },
                        methods: Match {
                            values: o.methods.clone(),
                            not_values: o.not_methods.clone(),
                        },
                        paths: Match {
                            values: o.paths.clone(),
                            not_values: o.not_paths.clone(),
                        },
                    }
                })
                .collect();
            let mut when = Vec::new();
            for condition in &rule.when {
                let values = Match {
                    values: condition.values.clone(),
                    not_values: condition.not_values.clone(),
                };
                match condition.key.as_str() {
                    "source.principal" | "source.namespace" => when.push((condition.key.clone(), values)),
                    other => {
                        unsupported.push(format!("when key `{other}`"));
                        if other.starts_with("request.") {
                            http_only.push(format!("when key `{other}`"));
                        }
                    }
                }
            }
            if !unsupported.is_empty() {
                out.push(self.note(
                    Code::AuthzUnsupported,
                    rule_path,
                    format!("AuthorizationPolicy `{name}` rule {i} uses {}: meshlock cannot evaluate it from YAML and treats the rule as never matching", unsupported.join(", ")),
                    "the result for requests this rule targets may differ on the live cluster",
                ));
            }
            http_only.sort();
            http_only.dedup();
            rules.push(AuthzRule {
                from,
                to,
                when,
                unsupported,
                http_only,
            });
        }
        let meta = self.meta("AuthorizationPolicy", &ap.metadata, name);
        let selector = ap.spec.selector.map(|s| s.match_labels).filter(|s| !s.is_empty());
        out.push(Read::Modelled(Resource::AuthorizationPolicy(AuthorizationPolicy {
            meta,
            selector,
            action,
            rules,
        })));
        out
    }

    fn rbac_config(&self, kind: &'static str) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((config, unknown)) = self.decode_spec::<wire::RbacConfig>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&config.metadata, &mut out) else {
            return out;
        };
        let mode = match config.spec.mode {
            None | Some(wire::RbacMode::Off) => RbacMode::Off,
            Some(wire::RbacMode::On) => RbacMode::On,
            Some(wire::RbacMode::OnWithInclusion) => RbacMode::OnWithInclusion,
            Some(wire::RbacMode::OnWithExclusion) => RbacMode::OnWithExclusion,
        };
        let inclusion = config.spec.inclusion.unwrap_or_default();
        let exclusion = config.spec.exclusion.unwrap_or_default();
        let mut meta = self.meta(kind, &config.metadata, name);
        if kind == "ClusterRbacConfig" {
            meta.namespace.clear();
        }
        out.push(Read::Modelled(Resource::RbacConfig(RbacConfig {
            meta,
            mode,
            inclusion_services: inclusion.services,
            inclusion_namespaces: inclusion.namespaces,
            exclusion_services: exclusion.services,
            exclusion_namespaces: exclusion.namespaces,
        })));
        out
    }

    fn service_role(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((role, unknown)) = self.decode_spec::<wire::ServiceRole>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&role.metadata, &mut out) else {
            return out;
        };
        let rules = role
            .spec
            .rules
            .iter()
            .map(|r| RbacRule {
                services: r.services.clone(),
                methods: r.methods.clone(),
                paths: r.paths.clone(),
                ports: r.ports.iter().filter_map(|p| Port::parse(*p)).collect(),
            })
            .collect();
        let meta = self.meta("ServiceRole", &role.metadata, name);
        out.push(Read::Modelled(Resource::ServiceRole(ServiceRole { meta, rules })));
        out
    }

    fn service_role_binding(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((binding, unknown)) = self.decode_spec::<wire::ServiceRoleBinding>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&binding.metadata, &mut out) else {
            return out;
        };
        let Some(role) = binding
            .spec
            .role_ref
            .map(|r| r.name)
            .or(binding.spec.role)
            .filter(|r| !r.is_empty())
        else {
            out.push(self.error(
                Code::MissingField,
                YamlPath::default().key("spec"),
                format!("ServiceRoleBinding `{name}` has no `roleRef`"),
                "set `roleRef: {kind: ServiceRole, name: ...}`",
            ));
            return out;
        };
        let subjects = binding
            .spec
            .subjects
            .iter()
            .map(|s| {
                let mut namespaces = s.namespaces.clone();
                namespaces.extend(s.properties.get("source.namespace").cloned());
                RbacSubject {
                    user: s.user.clone(),
                    namespaces,
                }
            })
            .collect();
        let meta = self.meta("ServiceRoleBinding", &binding.metadata, name);
        out.push(Read::Modelled(Resource::ServiceRoleBinding(ServiceRoleBinding {
            meta,
            role,
            subjects,
        })));
        out
    }

    fn external_caller(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((caller, unknown)) = self.decode_spec::<wire::ExternalCaller>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&caller.metadata, &mut out) else {
            return out;
        };
        let mut targets = Vec::new();
        for (i, target) in caller.spec.targets.iter().enumerate() {
            match crate::model::Target::parse(target) {
                Ok(t) => targets.push((t.host, PortRef::Number(t.port))),
                Err(e) => {
                    out.push(self.error(
                        Code::InvalidValue,
                        YamlPath::default().key("spec").key("targets").index(i),
                        e.to_string(),
                        "write targets as HOST:PORT, e.g. `httpbin.foo:8000`",
                    ));
                    return out;
                }
            }
        }
        let address = match caller
            .spec
            .address
            .as_deref()
            .map(|a| a.trim().parse::<std::net::IpAddr>())
        {
            None => None,
            Some(Ok(ip)) => Some(ip),
            Some(Err(_)) => {
                out.push(self.error(
                    Code::InvalidValue,
                    YamlPath::default().key("spec").key("address"),
                    format!(
                        "`{}` is not an IP address",
                        caller.spec.address.as_deref().unwrap_or_default()
                    ),
                    "write the caller's address as an IPv4 or IPv6 address, e.g. `203.0.113.7`",
                ));
                return out;
            }
        };
        let sidecar = caller.spec.sidecar;
        let namespace = self.namespace_of(&caller.metadata);
        out.push(Read::Modelled(Resource::Caller(CallerDoc {
            source_key: ("ExternalCaller", namespace.clone(), name.clone()),
            kind: "ExternalCaller",
            namespace,
            name,
            sidecar,
            reason: if sidecar {
                "declared external caller with a sidecar"
            } else {
                "declared external caller without a sidecar"
            }
            .to_owned(),
            targets,
            ingress_class: None,
            address,
            origin: self.ctx.origin(),
        })));
        out
    }

    fn ingress(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some(ingress) = self.decode::<wire::Ingress>(&mut out) else {
            return out;
        };
        let Some(name) = self.name(&ingress.metadata, &mut out) else {
            return out;
        };
        let namespace = self.namespace_of(&ingress.metadata);
        let backends = ingress.spec.default_backend.iter().chain(&ingress.spec.backend).chain(
            ingress
                .spec
                .rules
                .iter()
                .filter_map(|r| r.http.as_ref())
                .flat_map(|h| h.paths.iter().map(|p| &p.backend)),
        );
        let mut targets = Vec::new();
        for backend in backends {
            let (service, port) = match (&backend.service, &backend.service_name) {
                (Some(svc), _) => {
                    let port = match (svc.port.number.and_then(Port::parse), &svc.port.name) {
                        (Some(n), _) => PortRef::Number(n),
                        (None, Some(n)) => PortRef::Name(n.clone()),
                        (None, None) => continue,
                    };
                    (&svc.name, port)
                }
                (None, Some(service)) => {
                    let port = match &backend.service_port {
                        Some(wire::IntOrString::Int(n)) => match Port::parse(*n) {
                            Some(n) => PortRef::Number(n),
                            None => continue,
                        },
                        Some(wire::IntOrString::String(n)) => PortRef::Name(n.clone()),
                        None => continue,
                    };
                    (service, port)
                }
                (None, None) => continue,
            };
            targets.push((format!("{service}.{namespace}"), port));
        }
        let ingress_class = ingress
            .metadata
            .annotations
            .get(INGRESS_CLASS_ANNOTATION)
            .or(ingress.spec.ingress_class_name.as_ref())
            .cloned();
        let reason = match &ingress_class {
            Some(class) => {
                format!(
                    "the ingress controller serving Ingress {namespace}/{name} (class `{class}`; assumed without a sidecar)"
                )
            }
            None => format!("the ingress controller serving Ingress {namespace}/{name} (assumed without a sidecar)"),
        };
        out.push(Read::Modelled(Resource::Caller(CallerDoc {
            source_key: ("Ingress", namespace.clone(), name.clone()),
            kind: "IngressController",
            namespace: "external".to_owned(),
            name: format!("ingress-{namespace}-{name}"),
            sidecar: false,
            reason,
            targets,
            ingress_class,
            address: None,
            origin: self.ctx.origin(),
        })));
        out
    }

    fn webhooks(&self, kind: &'static str) -> Vec<Read> {
        let mut out = Vec::new();
        let Some(config) = self.decode::<wire::WebhookConfiguration>(&mut out) else {
            return out;
        };
        let name = config.metadata.name.clone().unwrap_or_default();
        let targets = config
            .webhooks
            .iter()
            .filter_map(|w| w.client_config.service.as_ref())
            .map(|s| {
                let port = s.port.and_then(Port::parse).unwrap_or(Port(443));
                (format!("{}.{}", s.name, s.namespace), PortRef::Number(port))
            })
            .collect();
        out.push(Read::Modelled(Resource::Caller(CallerDoc {
            source_key: (kind, String::new(), name.clone()),
            kind: "KubeApiServer",
            namespace: "external".to_owned(),
            name: "kube-apiserver".to_owned(),
            sidecar: false,
            reason: "the Kubernetes API server (no sidecar) calls admission webhooks".to_owned(),
            targets,
            ingress_class: None,
            address: None,
            origin: self.ctx.origin(),
        })));
        out
    }

    fn note(&self, code: Code, path: YamlPath, message: String, help: &str) -> Read {
        Read::Diagnostic(
            Diagnostic::warning(code, message)
                .with_help(help)
                .at(self.ctx.location(&path, None)),
        )
    }
}

/// The seed's mistake: `peers` indented under a target (`spec.targets[N].peers`).
fn misplaced_peers(unknown: &[YamlPath]) -> Option<YamlPath> {
    use locate::Segment::{Index, Key};
    unknown
        .iter()
        .find(|p| {
            matches!(p.segments(), [Key(spec), Key(targets), Index(_), Key(peers)]
                if spec == "spec" && targets == "targets" && peers == "peers")
        })
        .cloned()
}

fn peer_mode(mode: Option<wire::PeerMode>) -> MtlsMode {
    match mode {
        None | Some(wire::PeerMode::Unset) => MtlsMode::Unset,
        Some(wire::PeerMode::Disable) => MtlsMode::Disable,
        Some(wire::PeerMode::Permissive) => MtlsMode::Permissive,
        Some(wire::PeerMode::Strict) => MtlsMode::Strict,
    }
}

fn tls_mode(mode: wire::TlsMode) -> TlsMode {
    match mode {
        wire::TlsMode::Disable => TlsMode::Disable,
        wire::TlsMode::Simple => TlsMode::Simple,
        wire::TlsMode::Mutual => TlsMode::Mutual,
        wire::TlsMode::IstioMutual => TlsMode::IstioMutual,
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
