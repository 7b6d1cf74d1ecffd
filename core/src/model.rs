//! The domain model: what meshlock knows about a cluster after ingest, independent of YAML.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

use crate::diagnostic::Location;
use crate::settings::CLUSTER_DOMAIN;

pub type Labels = BTreeMap<String, String>;

/// A TCP port number, 1..=65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Port(pub u16);

impl Port {
    pub fn parse(value: i64) -> Option<Port> {
        u16::try_from(value).ok().filter(|p| *p != 0).map(Port)
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A workload's identity: `namespace/name`, where name is the controller's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadId {
    pub namespace: String,
    pub name: String,
}

impl WorkloadId {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for WorkloadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl Serialize for WorkloadId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// As serialised: `namespace/name`.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for WorkloadId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WorkloadId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A workload: `namespace/name`, where name is the controller's name.",
            "type": "string",
            "pattern": "^[^/]+/[^/]+$",
        })
    }
}

/// A fully qualified service host, `name.namespace.svc.cluster.local`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Fqdn(pub String);

impl Fqdn {
    pub fn for_service(name: &str, namespace: &str) -> Self {
        Fqdn(format!("{name}.{namespace}.svc.{CLUSTER_DOMAIN}"))
    }
}

impl fmt::Display for Fqdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The document a resource came from, for explanations and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Origin {
    pub source: String,
    pub document: usize,
    /// YAML path prefix inside the document (`items[3]` for a `kind: List` item).
    pub path: String,
    /// 1-based line and column where the document (or `kind: List` item) starts in the source:
    /// findings about the resource point there (SARIF regions).
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Origin {
    /// Where a finding about this resource points: its source, document and first line.
    pub fn location(&self) -> Location {
        Location {
            source: self.source.clone(),
            document: Some(self.document),
            path: (!self.path.is_empty()).then(|| self.path.clone()),
            line: self.line,
            column: self.column,
        }
    }
}

/// Identity and age of an Istio resource; age decides ties (the oldest wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub api_version: String,
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    pub created: Option<String>,
    /// Input order: stands in for age when there are no timestamps.
    pub seq: u64,
    pub origin: Origin,
    /// The resource as written, so that a plan can restore it exactly on rollback; without the
    /// unknown fields it had (ML104), as the API server stores it after pruning them.
    pub yaml: String,
}

impl Meta {
    /// Oldest first: by `creationTimestamp` (then name), resources without one after those with
    /// one, in input order. RFC 3339 timestamps in UTC (`…Z`) sort correctly as strings.
    pub fn age_key(&self) -> (bool, &str, &str, u64) {
        match &self.created {
            Some(ts) => (false, ts.as_str(), self.name.as_str(), self.seq),
            None => (true, "", "", self.seq),
        }
    }

    pub fn display_ref(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MtlsMode {
    Unset,
    Disable,
    Permissive,
    Strict,
}

impl MtlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MtlsMode::Unset => "UNSET",
            MtlsMode::Disable => "DISABLE",
            MtlsMode::Permissive => "PERMISSIVE",
            MtlsMode::Strict => "STRICT",
        }
    }
}

impl fmt::Display for MtlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A DestinationRule's client TLS mode, read and written as Istio spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TlsMode {
    Disable,
    Simple,
    Mutual,
    IstioMutual,
}

impl TlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Disable => "DISABLE",
            TlsMode::Simple => "SIMPLE",
            TlsMode::Mutual => "MUTUAL",
            TlsMode::IstioMutual => "ISTIO_MUTUAL",
        }
    }
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub labels: Labels,
}

/// Why a workload has, or lacks, a sidecar: an `istio-proxy` container or the injection status
/// annotation, or injection predicted from the namespace and pod labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sidecar {
    pub present: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedPort {
    pub name: Option<String>,
    pub port: Port,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub id: WorkloadId,
    pub kind: &'static str,
    pub labels: Labels,
    pub service_account: String,
    pub container_ports: Vec<NamedPort>,
    pub sidecar: Sidecar,
    pub origin: Origin,
    /// `None`: may call any service (a pod). `Some`: a caller outside the mesh that calls only
    /// these service ports (`fqdn:port`).
    pub calls: Option<Vec<String>>,
    /// Ports the kubelet probes over plaintext through the sidecar (HTTP probes not rewritten).
    pub unrewritten_probes: Vec<TargetPort>,
    /// A declared caller's IP address (`ExternalCaller` `spec.address`), for NetworkPolicy
    /// `ipBlock` peers; pods have none in the model.
    pub address: Option<std::net::IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetPort {
    Number(Port),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePort {
    pub name: Option<String>,
    /// `appProtocol` (Kubernetes 1.18+): names the protocol when the name does not.
    pub app_protocol: Option<String>,
    pub port: Port,
    pub target: TargetPort,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    pub fqdn: Fqdn,
    /// `None`: no selector, endpoints are managed by hand (meshlock sees none).
    pub selector: Option<Labels>,
    pub ports: Vec<ServicePort>,
    pub headless: bool,
    pub origin: Origin,
}

/// A port named in a v1alpha1 target or a DestinationRule port-level entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PortRef {
    Number(Port),
    Name(String),
}

impl PortRef {
    pub fn matches(&self, port: &ServicePort) -> bool {
        match self {
            PortRef::Number(n) => *n == port.port,
            PortRef::Name(name) => port.name.as_deref() == Some(name.as_str()),
        }
    }
}

impl fmt::Display for PortRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortRef::Number(n) => write!(f, "{n}"),
            PortRef::Name(name) => write!(f, "{name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyTarget {
    /// As written; resolved against the policy's namespace when matching.
    pub name: String,
    pub ports: Vec<PortRef>,
}

/// `authentication.istio.io/v1alpha1` Policy or MeshPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnPolicy {
    pub meta: Meta,
    pub mesh_wide: bool,
    pub targets: Vec<PolicyTarget>,
    /// From the first `mtls` peer; `Disable` when there is none (no TLS filter chain at all).
    pub mode: MtlsMode,
    /// End-user (JWT) authentication, which meshlock does not evaluate, only reports.
    pub origin: OriginAuthn,
}

/// What a v1alpha1 Policy's `origins` / `principalBinding` ask of a request's JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OriginAuthn {
    /// No `origins`, or optional ones: a request without a token passes.
    #[default]
    None,
    /// `origins` listed and not optional: a request without a valid JWT gets 401.
    Required,
    /// `principalBinding: USE_ORIGIN` with no `origins`: Istio's authentication filter fails every
    /// request (401); its validation was meant to reject such a Policy but does not.
    BoundToMissingOrigin,
}

/// `security.istio.io` RequestAuthentication: which workloads validate JWTs. The tokens themselves
/// are not evaluated; the resource only tells which `requestPrincipals` can ever match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAuthentication {
    pub meta: Meta,
    pub selector: Option<Labels>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerAuthentication {
    pub meta: Meta,
    /// `None` or empty: namespace-wide (mesh-wide in the root namespace).
    pub selector: Option<Labels>,
    pub mode: MtlsMode,
    /// Keyed by container (target) port.
    pub port_level: BTreeMap<Port, MtlsMode>,
}

impl PeerAuthentication {
    pub fn is_namespace_wide(&self) -> bool {
        self.selector.as_ref().is_none_or(|s| s.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortTls {
    pub port: PortRef,
    pub tls: Option<TlsMode>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationRule {
    pub meta: Meta,
    /// As written.
    pub host: String,
    pub export_to: Vec<String>,
    pub workload_selector: Option<Labels>,
    /// Whether the rule has a top-level `trafficPolicy` at all (merge takes the first that has one).
    pub has_traffic_policy: bool,
    pub tls: Option<TlsMode>,
    pub port_level: Vec<PortTls>,
}

/// Whether `selector` ⊆ `labels`.
pub fn selector_matches(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A Kubernetes label selector (`matchLabels` and `matchExpressions`, all required); an empty one
/// selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    pub match_labels: Labels,
    pub match_expressions: Vec<LabelExpression>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LabelExpression {
    pub key: String,
    pub operator: SelectorOperator,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelectorOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl LabelSelector {
    /// Kubernetes' `LabelSelectorAsSelector`: every `matchLabels` pair and every expression must
    /// hold; `NotIn` and `DoesNotExist` hold for a label that is absent.
    pub fn matches(&self, labels: &Labels) -> bool {
        selector_matches(&self.match_labels, labels)
            && self.match_expressions.iter().all(|e| {
                let value = labels.get(&e.key);
                match e.operator {
                    SelectorOperator::In => value.is_some_and(|v| e.values.contains(v)),
                    SelectorOperator::NotIn => value.is_none_or(|v| !e.values.contains(v)),
                    SelectorOperator::Exists => value.is_some(),
                    SelectorOperator::DoesNotExist => value.is_none(),
                }
            })
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
}

impl fmt::Display for LabelSelector {
    /// `{}` for the empty selector, else `{app=web, tier in (a, b), !legacy}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self.match_labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for e in &self.match_expressions {
            parts.push(match e.operator {
                SelectorOperator::In => format!("{} in ({})", e.key, e.values.join(", ")),
                SelectorOperator::NotIn => format!("{} notin ({})", e.key, e.values.join(", ")),
                SelectorOperator::Exists => e.key.clone(),
                SelectorOperator::DoesNotExist => format!("!{}", e.key),
            });
        }
        write!(f, "{{{}}}", parts.join(", "))
    }
}

/// An IP range (`10.0.0.0/8`, `::/0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub address: std::net::IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = text.trim().split_once('/')?;
        let address: std::net::IpAddr = address.parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Self { address, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// `0.0.0.0/0` or `::/0`: every address of its family.
    pub fn is_everything(&self) -> bool {
        self.prefix == 0
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// One peer of a NetworkPolicy rule (`from` / `to` entry).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NetPeer {
    /// `podSelector` and/or `namespaceSelector`. Without a namespace selector: pods of the
    /// policy's namespace; without a pod selector: every pod of the selected namespaces.
    Pods {
        pods: Option<LabelSelector>,
        namespaces: Option<LabelSelector>,
    },
    IpBlock {
        cidr: Cidr,
        except: Vec<Cidr>,
    },
    /// A peer the API server rejects (none, or `ipBlock` with a selector): it admits nothing.
    Invalid,
}

/// One `ports` entry of a NetworkPolicy rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetPort {
    /// `TCP` (the default), `UDP` or `SCTP`, upper case.
    pub protocol: String,
    /// `None`: every port of that protocol.
    pub port: Option<PortRef>,
    /// With a numeric `port`: the range `port..=end_port`.
    pub end_port: Option<Port>,
}

/// One ingress or egress rule: the traffic it admits. Empty `ports`: every port; empty `peers`
/// (a missing or empty `from`/`to`): every source or destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetRule {
    pub ports: Vec<NetPort>,
    pub peers: Vec<NetPeer>,
}

/// `networking.k8s.io/v1` NetworkPolicy, with `policyTypes` defaulted as the API server does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPolicy {
    pub meta: Meta,
    pub pod_selector: LabelSelector,
    /// `Some`: the selected pods are isolated for ingress and admit what these rules allow
    /// (none when empty); `None`: the policy says nothing about ingress.
    pub ingress: Option<Vec<NetRule>>,
    pub egress: Option<Vec<NetRule>>,
}

/// An AuthorizationPolicy's action, read and written as Istio spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthzAction {
    Allow,
    Deny,
    Audit,
    Custom,
}

impl AuthzAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthzAction::Allow => "ALLOW",
            AuthzAction::Deny => "DENY",
            AuthzAction::Audit => "AUDIT",
            AuthzAction::Custom => "CUSTOM",
        }
    }
}

/// A value list with its negation, as AuthorizationPolicy fields come (`principals`/`notPrincipals`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Match {
    pub values: Vec<String>,
    pub not_values: Vec<String>,
}

impl Match {
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.not_values.is_empty()
    }
}

/// One `from` entry; only the attributes meshlock can know from YAML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMatch {
    pub principals: Match,
    pub namespaces: Match,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationMatch {
    pub ports: Match,
    pub methods: Match,
    pub paths: Match,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthzRule {
    pub from: Vec<SourceMatch>,
    pub to: Vec<OperationMatch>,
    /// `when` conditions on `source.principal` / `source.namespace`, keyed by those names.
    pub when: Vec<(String, Match)>,
    /// Fields meshlock cannot evaluate from YAML (ipBlocks, JWT, headers…): the rule never matches.
    pub unsupported: Vec<String>,
    /// Conditions that exist only in HTTP (`methods`, `paths`, `hosts`, `request.*` keys): on a TCP
    /// port Istio drops the rule (ALLOW) or the condition (DENY).
    pub http_only: Vec<String>,
}

/// `security.istio.io` AuthorizationPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationPolicy {
    pub meta: Meta,
    pub selector: Option<Labels>,
    pub action: AuthzAction,
    pub rules: Vec<AuthzRule>,
}

/// Where legacy RBAC is on, read and written as Istio spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RbacMode {
    Off,
    On,
    OnWithInclusion,
    OnWithExclusion,
}

/// Legacy RBAC (`rbac.istio.io/v1alpha1`, Istio 1.0–1.5): where it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RbacConfig {
    pub meta: Meta,
    pub mode: RbacMode,
    pub inclusion_services: Vec<String>,
    pub inclusion_namespaces: Vec<String>,
    pub exclusion_services: Vec<String>,
    pub exclusion_namespaces: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RbacRule {
    pub services: Vec<String>,
    pub methods: Vec<String>,
    pub paths: Vec<String>,
    pub ports: Vec<Port>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRole {
    pub meta: Meta,
    pub rules: Vec<RbacRule>,
}

/// A subject: `user` (a principal, or `*`) and `source.namespace`; both but `user: "*"` need mTLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RbacSubject {
    pub user: Option<String>,
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRoleBinding {
    pub meta: Meta,
    pub role: String,
    pub subjects: Vec<RbacSubject>,
}

/// Names one resource, for deletions and rollbacks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct ResourceRef {
    pub api_version: String,
    pub kind: String,
    /// Empty for cluster-scoped kinds (MeshPolicy).
    pub namespace: String,
    pub name: String,
}

impl ResourceRef {
    pub fn of(meta: &Meta) -> Self {
        Self {
            api_version: meta.api_version.clone(),
            kind: meta.kind.to_owned(),
            namespace: meta.namespace.clone(),
            name: meta.name.clone(),
        }
    }

    /// A manifest `kubectl delete -f` accepts.
    pub fn to_yaml(&self) -> String {
        let ns = if self.namespace.is_empty() {
            String::new()
        } else {
            format!("\n  namespace: {}", yaml_str(&self.namespace))
        };
        format!(
            "apiVersion: {}\nkind: {}\nmetadata:\n  name: {}{ns}\n",
            yaml_str(&self.api_version),
            yaml_str(&self.kind),
            yaml_str(&self.name)
        )
    }
}

/// `text` as a YAML string scalar in the YAML meshlock writes: bare when no YAML reader (1.2, or
/// the 1.1 of Kubernetes' `sigs.k8s.io/yaml`) could take it for anything but that string, else
/// double-quoted. A namespace `null`, a name `123` or a label value `true` stays a string.
pub fn yaml_str(text: &str) -> String {
    let plain = text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null"
        );
    if plain {
        text.to_owned()
    } else {
        // JSON's string syntax is YAML's double-quoted scalar.
        serde_json::Value::String(text.to_owned()).to_string()
    }
}

impl std::fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Legacy RBAC (`rbac.istio.io/v1alpha1`, Istio 1.0–1.5): once on, everything is denied unless
/// bound, and its subjects (`user`, `source.namespace`) need mTLS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegacyRbac {
    pub configs: Vec<RbacConfig>,
    pub roles: Vec<ServiceRole>,
    pub bindings: Vec<ServiceRoleBinding>,
}

impl LegacyRbac {
    pub fn metas(&self) -> impl Iterator<Item = &Meta> {
        self.configs
            .iter()
            .map(|c| &c.meta)
            .chain(self.roles.iter().map(|r| &r.meta))
            .chain(self.bindings.iter().map(|b| &b.meta))
    }
}

/// Service port → targetPort (number or container port name) → container port.
impl Workload {
    pub fn container_port(&self, port: &ServicePort) -> Option<Port> {
        match &port.target {
            TargetPort::Number(n) => Some(*n),
            TargetPort::Name(name) => self
                .container_ports
                .iter()
                .find(|p| p.name.as_deref() == Some(name))
                .map(|p| p.port),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("unknown client workload `{given}`{}", suggest(.known))]
    UnknownClient { given: String, known: Vec<String> },
    #[error("bad client `{0}`: write it as NAMESPACE/WORKLOAD, e.g. `legacy/sleep`")]
    BadClient(String),
    #[error("bad target `{0}`: write it as HOST:PORT[/PATH], e.g. `httpbin.foo:8000`")]
    BadTarget(String),
}

fn suggest(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!("; known workloads: {}", known.join(", "))
    }
}

/// `meshlock.dev/v1alpha1` TrafficIntent, or one line of an intents CSV: callers a team expects of
/// its services. Intents change no outcome; they are evidence (`evidence`): a declared edge that
/// cannot work is reported, undeclared plaintext callers are exposure, and a scope of
/// `declared` edges limits what the planner, `check` and `diff` weigh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficIntent {
    /// `TrafficIntent ns/name`, or `file.csv:LINE` for a CSV line.
    pub display: String,
    /// The namespace `to` hosts are resolved from (Kubernetes DNS, as from a pod there).
    pub namespace: String,
    pub from: Vec<IntentPeer>,
    pub to: Vec<IntentTarget>,
    pub origin: Origin,
}

/// Who is expected to call: one workload, a namespace (optionally narrowed by labels), or a
/// caller outside the mesh (an `ExternalCaller`, an ingress controller, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentPeer {
    pub namespace: String,
    /// `None`: every workload of the namespace (that the labels select).
    pub workload: Option<String>,
    pub labels: Option<Labels>,
    /// Must name a caller outside the mesh (`caller: NS/NAME`).
    pub external: bool,
    /// Where the entry is written, for diagnostics.
    pub location: Location,
}

/// What is expected to be called: a service (a host resolved from the intent's namespace) and
/// some of its ports (none listed: every port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentTarget {
    pub host: String,
    pub ports: Vec<Port>,
    pub location: Location,
}

/// A parsed probe target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: Port,
    /// The request path, `/` when none is given.
    pub path: String,
    /// `https://`: curl itself speaks TLS (without a client certificate).
    pub https: bool,
}

impl Target {
    /// `[http://|https://]HOST[:PORT][/PATH]`; the port defaults to 80 (443 for https) as in curl.
    pub fn parse(text: &str) -> Result<Self, ProbeError> {
        let bad = || ProbeError::BadTarget(text.to_owned());
        let rest = text.trim();
        let (https, rest) = match rest.strip_prefix("https://") {
            Some(r) => (true, r),
            None => (false, rest.strip_prefix("http://").unwrap_or(rest)),
        };
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(authority_end);
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<i64>().ok().and_then(Port::parse).ok_or_else(bad)?),
            None => (authority, Port(if https { 443 } else { 80 })),
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(bad());
        }
        let path = path
            .split('?')
            .next()
            .filter(|p| !p.is_empty())
            .unwrap_or("/")
            .to_owned();
        Ok(Self {
            host: host.to_owned(),
            port,
            path,
            https,
        })
    }
}

pub fn parse_client(text: &str) -> Result<WorkloadId, ProbeError> {
    match text.trim().split_once('/') {
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => Ok(WorkloadId::new(ns, name)),
        _ => Err(ProbeError::BadClient(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_str_keeps_strings_strings() {
        for plain in [
            "foo",
            "httpbin.foo.svc.cluster.local",
            "security.istio.io/v1beta1",
            "a-b_c",
            "v1",
        ] {
            assert_eq!(yaml_str(plain), plain);
        }
        for (text, quoted) in [
            ("null", "\"null\""),
            ("True", "\"True\""),
            ("on", "\"on\""),
            ("123", "\"123\""),
            ("1.0", "\"1.0\""),
            ("", "\"\""),
            ("*.local", "\"*.local\""),
            ("a: b", "\"a: b\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
        ] {
            assert_eq!(yaml_str(text), quoted);
            let read: String = yaml_serde::from_str(&yaml_str(text)).unwrap();
            assert_eq!(read, text);
        }
        let delete = ResourceRef {
            api_version: "security.istio.io/v1beta1".to_owned(),
            kind: "PeerAuthentication".to_owned(),
            namespace: "null".to_owned(),
            name: "123".to_owned(),
        };
        assert_eq!(
            delete.to_yaml(),
            "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: \"123\"\n  namespace: \"null\"\n"
        );
    }
}
