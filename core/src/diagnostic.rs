//! Diagnostics: every finding meshlock reports about its input, with a stable code and a location.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The catalogue of diagnostic codes (`docs/diagnostics.md` is generated from it). The code
/// (`ML105`) and slug (`misplaced-peers`) are stable; messages may be reworded.
/// ML1xx input, ML2xx policy, ML3xx traffic, ML4xx migration, ML5xx authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    YamlSyntax,
    InvalidValue,
    IgnoredKind,
    UnknownField,
    MisplacedPeers,
    InputLimit,
    MissingField,
    RemovedApi,
    VersionInferred,
    InvalidResource,
    DuplicateResource,
    IgnoredPort,
    PolicyConflict,
    UnqualifiedHost,
    RootSelectorIgnored,
    PortNotExposed,
    DestinationRulesMerged,
    NamespaceNotInInput,
    SelectorMatchesNothing,
    DestinationRuleShadowed,
    RuleWithoutTls,
    RuleNotExported,
    MixedInjection,
    StrictPlaintextCallers,
    MtlsToNoSidecar,
    NamespaceDisableWorkloadStrict,
    HeadlessMixedEndpoints,
    UserTlsToSidecar,
    AmbientNotModelled,
    IpBlockPeer,
    DeclaredEdgeFails,
    UndeclaredPlaintext,
    IntentMatchesNothing,
    ReadyToLock,
    DisableToStrict,
    AuthzCustomSkipped,
    AuthzUnsupported,
    AllowNeedsMtls,
    DenyBypassedByPlaintext,
    PlaintextWithoutAuthorization,
    JwtNotEvaluated,
}

/// What the catalogue says about one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub id: &'static str,
    pub slug: &'static str,
    pub severity: Severity,
    /// Why it matters.
    pub why: &'static str,
    /// How to fix it (Markdown, with YAML where one exists).
    pub fix: &'static str,
}

impl Code {
    pub const ALL: [Code; 41] = [
        Code::YamlSyntax,
        Code::InvalidValue,
        Code::IgnoredKind,
        Code::UnknownField,
        Code::MisplacedPeers,
        Code::InputLimit,
        Code::MissingField,
        Code::RemovedApi,
        Code::VersionInferred,
        Code::InvalidResource,
        Code::DuplicateResource,
        Code::IgnoredPort,
        Code::PolicyConflict,
        Code::UnqualifiedHost,
        Code::RootSelectorIgnored,
        Code::PortNotExposed,
        Code::DestinationRulesMerged,
        Code::NamespaceNotInInput,
        Code::SelectorMatchesNothing,
        Code::DestinationRuleShadowed,
        Code::RuleWithoutTls,
        Code::RuleNotExported,
        Code::MixedInjection,
        Code::StrictPlaintextCallers,
        Code::MtlsToNoSidecar,
        Code::NamespaceDisableWorkloadStrict,
        Code::HeadlessMixedEndpoints,
        Code::UserTlsToSidecar,
        Code::AmbientNotModelled,
        Code::IpBlockPeer,
        Code::DeclaredEdgeFails,
        Code::UndeclaredPlaintext,
        Code::IntentMatchesNothing,
        Code::ReadyToLock,
        Code::DisableToStrict,
        Code::AuthzCustomSkipped,
        Code::AuthzUnsupported,
        Code::AllowNeedsMtls,
        Code::DenyBypassedByPlaintext,
        Code::PlaintextWithoutAuthorization,
        Code::JwtNotEvaluated,
    ];

    pub fn entry(self) -> Entry {
        match self {
            Code::YamlSyntax => Entry {
                id: "ML101",
                slug: "yaml-syntax",
                severity: Severity::Error,
                why: "The document is not valid YAML or JSON, so nothing in it can be modelled.",
                fix: "Fix the syntax at the reported line and column (indentation, quotes, a missing `:`).",
            },
            Code::InvalidValue => Entry {
                id: "ML102",
                slug: "invalid-value",
                severity: Severity::Error,
                why: "A field has the wrong type or an enum value Istio does not know (`mode: STRIKT`); the API server or Istio rejects the resource.",
                fix: "Use one of the values listed in the message; Istio enums are upper case (`STRICT`, `PERMISSIVE`, `DISABLE`, `ISTIO_MUTUAL`).",
            },
            Code::IgnoredKind => Entry {
                id: "ML103",
                slug: "ignored-kind",
                severity: Severity::Info,
                why: "meshlock models the kinds that decide mutual TLS; everything else is listed, never dropped silently.",
                fix: "Nothing to fix; the reason says why the kind does not take part.",
            },
            Code::UnknownField => Entry {
                id: "ML104",
                slug: "unknown-field",
                severity: Severity::Warning,
                why: "A field that the resource's schema does not have is ignored by Istio: a typo here silently changes the meaning (a misspelt `mtls` means UNSET).",
                fix: "Check the spelling and the indentation against the schema.",
            },
            Code::MisplacedPeers => Entry {
                id: "ML105",
                slug: "misplaced-peers",
                severity: Severity::Error,
                why: "The seed guide's own mistake: `peers:` indented under a target becomes an unknown target field, so the Policy sets no mTLS at all; Istio rejects it.",
                fix: "Move `peers:` two spaces left, as a sibling of `targets:` under `spec`:\n\n```yaml\nspec:\n  targets:\n  - name: httpbin\n  peers:\n  - mtls:\n      mode: PERMISSIVE\n```",
            },
            Code::InputLimit => Entry {
                id: "ML106",
                slug: "input-limit",
                severity: Severity::Error,
                why: "The input is larger, has more documents, nests deeper, expands more aliases or holds a longer string than meshlock accepts; it is refused before it is parsed, which protects the machine (and the browser tab). Or an answer would list more edges one by one than `max_listed_edges` (22.9 million edges at 10,000 pods): `check` keeps its counts and groups and leaves the lists out, `plan` leaves its blockers out (its notes say so), `matrix` is refused before it is evaluated.",
                fix: "The message names the limit. If the input is trusted, raise it: `--max-input-bytes`, `--max-documents`, `--max-depth`, `--max-alias-nodes`, `--max-string-bytes`, `--max-listed-edges` on the command line, `limits.max_…` in the settings of the bindings and the playground. Otherwise split the input, or remove anchors that expand exponentially. For the edges, ask for counts and groups only (`counts_only` / `countsOnly`), or read a large matrix by namespace pair (`matrix --by namespace`, `matrix-between`) or streamed (`meshlock matrix --format csv`).",
            },
            Code::MissingField => Entry {
                id: "ML107",
                slug: "missing-field",
                severity: Severity::Error,
                why: "A required field (`apiVersion`, `kind`, `metadata.name`, a DestinationRule `host`) is missing.",
                fix: "Add the field named in the message.",
            },
            Code::RemovedApi => Entry {
                id: "ML108",
                slug: "removed-api",
                severity: Severity::Warning,
                why: "`authentication.istio.io/v1alpha1` was removed in Istio 1.6 and PeerAuthentication arrived in 1.5: resources of the other era do nothing on the selected release.",
                fix: "Convert v1alpha1 Policies to PeerAuthentication (or pass the release the input was written for with `--istio-version`).",
            },
            Code::VersionInferred => Entry {
                id: "ML109",
                slug: "version-inferred",
                severity: Severity::Info,
                why: "Behaviour differs between Istio releases; without `--istio-version` meshlock infers 1.1 from v1alpha1 resources, else current.",
                fix: "Pass `--istio-version` to state the release your mesh runs.",
            },
            Code::InvalidResource => Entry {
                id: "ML110",
                slug: "invalid-resource",
                severity: Severity::Error,
                why: "Istio's validation rejects the resource (a namespace-wide PeerAuthentication with portLevelMtls, a targetless v1alpha1 Policy not named `default`, a port outside 1..65535).",
                fix: "Follow the help line; e.g. add a workload selector before using `portLevelMtls`.",
            },
            Code::DuplicateResource => Entry {
                id: "ML111",
                slug: "duplicate-resource",
                severity: Severity::Info,
                why: "The same kind, namespace and name appear twice; as with `kubectl apply`, the later one replaces the earlier.",
                fix: "Remove the stale copy if it was not meant as an update.",
            },
            Code::IgnoredPort => Entry {
                id: "ML112",
                slug: "ignored-port",
                severity: Severity::Info,
                why: "Istio's sidecars intercept TCP only: a UDP or SCTP Service port (DNS on 53/UDP) bypasses them, so mutual TLS does not apply and curl cannot reach it; meshlock leaves it out of the matrix.",
                fix: "Nothing to fix; a TCP port with the same number (53/TCP) is still modelled.",
            },
            Code::PolicyConflict => Entry {
                id: "ML201",
                slug: "policy-conflict",
                severity: Severity::Warning,
                why: "Several namespace-wide, mesh-wide or workload policies apply at one level; Istio keeps only the oldest, so the newer ones silently do nothing.",
                fix: "Keep one policy per level; delete or merge the others.",
            },
            Code::UnqualifiedHost => Entry {
                id: "ML202",
                slug: "unqualified-host",
                severity: Severity::Warning,
                why: "A dotted but not fully qualified name (`httpbin.foo`) is taken literally by Istio and matches no service: the rule or policy silently does nothing.",
                fix: "Write the FQDN (`httpbin.foo.svc.cluster.local`), or the short name inside the service's namespace.",
            },
            Code::RootSelectorIgnored => Entry {
                id: "ML203",
                slug: "root-selector-ignored",
                severity: Severity::Warning,
                why: "PeerAuthentications with a workload selector in the root namespace are ignored by Istio.",
                fix: "Move the policy to the workload's namespace, or drop the selector to make it mesh-wide.",
            },
            Code::PortNotExposed => Entry {
                id: "ML204",
                slug: "port-not-exposed",
                severity: Severity::Warning,
                why: "A policy names a port no workload or service exposes; the most common case is `portLevelMtls` keyed by the Service port (8000) when Istio uses the container port (80).",
                fix: "Key `portLevelMtls` by the container (target) port; v1alpha1 targets and DestinationRule portLevelSettings use the Service port.",
            },
            Code::DestinationRulesMerged => Entry {
                id: "ML205",
                slug: "destination-rules-merged",
                severity: Severity::Info,
                why: "Several DestinationRules for one host in one namespace are merged; the top-level trafficPolicy comes from the oldest that has one.",
                fix: "Merge them into one rule so the result is obvious.",
            },
            Code::NamespaceNotInInput => Entry {
                id: "ML206",
                slug: "namespace-not-in-input",
                severity: Severity::Info,
                why: "Injection is predicted from namespace labels; a namespace missing from the input is taken as unlabelled.",
                fix: "Add `kubectl get namespace NAME -o yaml` to the input.",
            },
            Code::SelectorMatchesNothing => Entry {
                id: "ML207",
                slug: "selector-matches-nothing",
                severity: Severity::Warning,
                why: "A policy's workload selector matches no workload in its namespace, so it applies to nothing.",
                fix: "Fix the labels (compare with `kubectl get pods --show-labels`).",
            },
            Code::DestinationRuleShadowed => Entry {
                id: "ML208",
                slug: "destination-rule-shadowed",
                severity: Severity::Warning,
                why: "Istio looks for a DestinationRule in the client's namespace, then the service's, then the root namespace, and stops at the first namespace with any match: a wildcard in a client namespace hides an exact rule elsewhere.",
                fix: "Put the TLS setting in the rule that wins for those clients, or narrow the shadowing rule's host.",
            },
            Code::RuleWithoutTls => Entry {
                id: "ML209",
                slug: "rule-without-tls",
                severity: Severity::Warning,
                why: "A DestinationRule with a trafficPolicy but no `tls` decides the client's TLS by saying nothing: without auto mTLS the client sends plaintext, and it hides any other rule with `tls`.",
                fix: "Add `tls: {mode: ISTIO_MUTUAL}` to the rule's trafficPolicy (and to its portLevelSettings).",
            },
            Code::RuleNotExported => Entry {
                id: "ML210",
                slug: "rule-not-exported",
                severity: Severity::Warning,
                why: "`exportTo` hides the rule from clients in other namespaces, which then fall back to another rule or to auto mTLS.",
                fix: "Export the rule (`exportTo: [\"*\"]`) or add a rule in the clients' namespace.",
            },
            Code::MixedInjection => Entry {
                id: "ML301",
                slug: "mixed-injection",
                severity: Severity::Warning,
                why: "Some pods of one workload have a sidecar and others do not (a rollout in progress); callers see a mix of outcomes.",
                fix: "Restart the workload so every replica is injected.",
            },
            Code::StrictPlaintextCallers => Entry {
                id: "ML302",
                slug: "strict-plaintext-callers",
                severity: Severity::Error,
                why: "A STRICT server refuses plaintext: callers without a sidecar get their connection reset (curl 000, exit 56), sidecar callers sending plaintext get 503.",
                fix: "Inject the callers, make their sidecars send mTLS, or keep the port PERMISSIVE.",
            },
            Code::MtlsToNoSidecar => Entry {
                id: "ML303",
                slug: "mtls-to-no-sidecar",
                severity: Severity::Error,
                why: "ISTIO_MUTUAL to a server without a sidecar: the app receives a TLS handshake it cannot answer and the client's sidecar returns 503.",
                fix: "Inject the server, or add a DestinationRule with `tls: {mode: DISABLE}` for its host.",
            },
            Code::NamespaceDisableWorkloadStrict => Entry {
                id: "ML304",
                slug: "namespace-disable-workload-strict",
                severity: Severity::Error,
                why: "Auto mTLS decides from the namespace/mesh mode only: with the namespace DISABLE, clients send plaintext even to a workload whose own policy is STRICT, and get 503.",
                fix: "Set the namespace to PERMISSIVE (or STRICT) instead of DISABLE, or add an ISTIO_MUTUAL DestinationRule for the workload's host.",
            },
            Code::HeadlessMixedEndpoints => Entry {
                id: "ML305",
                slug: "headless-mixed-endpoints",
                severity: Severity::Warning,
                why: "Auto mTLS treats a headless Service all-or-nothing: one endpoint without a sidecar makes clients send plaintext to every endpoint, so the STRICT ones fail.",
                fix: "Inject every endpoint of the headless Service, or keep them PERMISSIVE.",
            },
            Code::UserTlsToSidecar => Entry {
                id: "ML306",
                slug: "user-tls-to-sidecar",
                severity: Severity::Error,
                why: "A DestinationRule with SIMPLE or MUTUAL originates TLS that the server side does not terminate (the app speaks plaintext; Istio's inbound expects Istio mTLS): 503.",
                fix: "Use ISTIO_MUTUAL for mesh traffic; SIMPLE/MUTUAL are for servers that terminate TLS themselves.",
            },
            Code::AmbientNotModelled => Entry {
                id: "ML307",
                slug: "ambient-not-modelled",
                severity: Severity::Warning,
                why: "In ambient mode (`istio.io/dataplane-mode=ambient`) ztunnel, not a sidecar, carries mutual TLS; meshlock models sidecars only, so these workloads are shown as without one and their outcomes are not Istio's.",
                fix: "Check ambient workloads on the cluster itself; the sidecar workloads' answers stand.",
            },
            Code::IpBlockPeer => Entry {
                id: "ML308",
                slug: "ip-block-peer",
                severity: Severity::Warning,
                why: "Pod IPs are not in the input: meshlock assumes a NetworkPolicy `ipBlock` narrower than `0.0.0.0/0` (or `::/0`) holds no pod, and that its `except` ranges hold none either. It admits only `ExternalCaller`s declared with an `address` in it. If the range covers your pod network, the pods it admits are reported as denied (`network-policy`).",
                fix: "Select in-cluster callers with `podSelector` / `namespaceSelector` (pod IPs change with every restart), and keep `ipBlock` for callers outside the cluster; declare those with `spec.address` on an `ExternalCaller`.",
            },
            Code::DeclaredEdgeFails => Entry {
                id: "ML309",
                slug: "declared-edge-fails",
                severity: Severity::Error,
                why: "A `TrafficIntent` (or an intents CSV line) declares that this client calls this service port, but the model says the call fails: the traffic the team expects does not work (a NetworkPolicy or an authorization denies it, or mTLS settings break it), or, for a caller outside the mesh, it does not call that port at all.",
                fix: "`meshlock explain --from CLIENT --to HOST:PORT` shows the resource that decides; admit the caller there (NetworkPolicy ingress, AuthorizationPolicy rule, mTLS mode), declare the caller's target, or remove the intent if the edge is no longer expected.",
            },
            Code::UndeclaredPlaintext => Entry {
                id: "ML310",
                slug: "undeclared-plaintext",
                severity: Severity::Warning,
                why: "The service port has declared callers (a `TrafficIntent` names it), and clients that no intent declares reach it in plaintext: nothing authenticates them, and nobody expects them (exposure).",
                fix: "Declare the callers that are expected; lock the port to STRICT, or deny the others with an AuthorizationPolicy or a NetworkPolicy. `meshlock plan --edges declared` plans the lock-down on the declared edges alone.",
            },
            Code::IntentMatchesNothing => Entry {
                id: "ML311",
                slug: "intent-matches-nothing",
                severity: Severity::Warning,
                why: "An entry of a `TrafficIntent` (or an intents CSV line) names no workload, caller, service or port of the input: the edges it means are not declared, so a scope of `declared` edges leaves them out.",
                fix: "Check the names against `meshlock matrix` (clients as `NS/WORKLOAD`, services as `HOST:PORT`); a caller outside the mesh must be declared with an `ExternalCaller`.",
            },
            Code::ReadyToLock => Entry {
                id: "ML401",
                slug: "ready-to-lock",
                severity: Severity::Info,
                why: "Every client of this port sends mTLS and none lacks a sidecar: it can switch to STRICT without breaking anything.",
                fix: "Run `meshlock plan` to get the lock-down step and its rollback.",
            },
            Code::DisableToStrict => Entry {
                id: "ML402",
                slug: "disable-to-strict",
                severity: Severity::Error,
                why: "A port goes from DISABLE (plaintext only) straight to STRICT: every client that had no time to switch breaks at once.",
                fix: "Go through PERMISSIVE first, move the clients to mTLS, then lock.",
            },
            Code::AuthzCustomSkipped => Entry {
                id: "ML501",
                slug: "authz-custom-skipped",
                severity: Severity::Warning,
                why: "A CUSTOM AuthorizationPolicy delegates to an external authorizer whose answer is unknown from YAML.",
                fix: "Check the external authorizer's decision on the live cluster.",
            },
            Code::AuthzUnsupported => Entry {
                id: "ML502",
                slug: "authz-unsupported",
                severity: Severity::Warning,
                why: "The rule uses attributes meshlock cannot know from YAML (IP blocks, JWT principals, headers); it is treated as never matching.",
                fix: "Verify requests this rule targets on the live cluster.",
            },
            Code::AllowNeedsMtls => Entry {
                id: "ML503",
                slug: "allow-needs-mtls",
                severity: Severity::Warning,
                why: "An ALLOW rule keyed on principals or namespaces can only match mTLS: plaintext callers are denied (403 RBAC: access denied; on a TCP port the connection is closed).",
                fix: "Move those callers to mTLS (inject them), or allow them by another attribute.",
            },
            Code::DenyBypassedByPlaintext => Entry {
                id: "ML504",
                slug: "deny-bypassed-by-plaintext",
                severity: Severity::Error,
                why: "ISTIO-SECURITY-2021-004: a DENY rule on principals or namespaces does not match plaintext, so plaintext callers slip past it.",
                fix: "Lock the port to STRICT, or add a DENY rule with `notPrincipals: [\"*\"]` to refuse plaintext.",
            },
            Code::PlaintextWithoutAuthorization => Entry {
                id: "ML505",
                slug: "plaintext-without-authorization",
                severity: Severity::Info,
                why: "In PERMISSIVE mode plaintext requests carry no identity and get no authentication: the port is open to any caller in plaintext.",
                fix: "Lock the port to STRICT once its callers use mTLS, or restrict it with an AuthorizationPolicy.",
            },
            Code::JwtNotEvaluated => Entry {
                id: "ML506",
                slug: "jwt-not-evaluated",
                severity: Severity::Warning,
                why: "End-user authentication depends on the request's JWT, which YAML does not hold: a v1alpha1 Policy with `origins` (or `principalBinding: USE_ORIGIN`) answers 401 to a request without a valid token, and an AuthorizationPolicy on `requestPrincipals` matches only requests whose token a RequestAuthentication validated. meshlock models the mTLS outcome and says which outcomes assume which token.",
                fix: "Check the named ports with a real token (`curl -H \"Authorization: Bearer $TOKEN\"`); make `origins` optional (`originIsOptional: true`) where plaintext probes without a token must pass.",
            },
        }
    }

    pub fn id(self) -> &'static str {
        self.entry().id
    }

    pub fn slug(self) -> &'static str {
        self.entry().slug
    }
}

/// The catalogue as Markdown: `docs/diagnostics.md` (a test keeps the file in step with the code).
pub fn catalogue_markdown() -> String {
    let mut out = String::from(
        "# meshlock diagnostics\n\nGenerated from `core/src/diagnostic.rs` (`meshlock check --catalogue`); do not edit by hand.\n\n\
         Codes: ML1xx input, ML2xx policy, ML3xx traffic, ML4xx migration, ML5xx authorization.\n",
    );
    for code in Code::ALL {
        let e = code.entry();
        out.push_str(&format!(
            "\n## {} `{}` ({})\n\n{}\n\n**Fix.** {}\n",
            e.id, e.slug, e.severity, e.why, e.fix
        ));
    }
    out
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// As serialised: the id (`ML105`), one of the catalogue's.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Code {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Code".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let ids: Vec<&str> = Code::ALL.iter().map(|c| c.id()).collect();
        schemars::json_schema!({
            "description": "A diagnostic code of the catalogue (`docs/diagnostics.md`): ML1xx input, ML2xx policy, ML3xx traffic, ML4xx migration, ML5xx authorization.",
            "type": "string",
            "enum": ids,
        })
    }
}

/// `Diagnostic::name`: the code's slug, one of the catalogue's.
#[cfg(feature = "schema")]
fn slug_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let slugs: Vec<&str> = Code::ALL.iter().map(|c| c.slug()).collect();
    schemars::json_schema!({
        "description": "The code's stable slug (`misplaced-peers`).",
        "type": "string",
        "enum": slugs,
    })
}

/// A code read back from its id (`ML105`), as a binding hands back the diagnostics it was given.
impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        Code::ALL
            .into_iter()
            .find(|code| code.id() == id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown diagnostic code `{id}`")))
    }
}

/// Where a diagnostic points: the source (file name), the document in it (0-based), the YAML path
/// inside the document, and the 1-based line and column in the source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Location {
    pub source: String,
    pub document: Option<usize>,
    pub path: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// One finding about the input: a stable code and slug, a severity, a message (which may be
/// reworded), an optional help line, and where it points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Diagnostic {
    pub code: Code,
    #[cfg_attr(feature = "schema", schemars(schema_with = "slug_schema"))]
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    #[serde(flatten)]
    pub location: Location,
}

/// A diagnostic as it is read back (its `name` is the code's slug, whatever the input says).
#[derive(Deserialize)]
struct DiagnosticData {
    code: Code,
    severity: Severity,
    message: String,
    #[serde(default)]
    help: Option<String>,
    #[serde(flatten)]
    location: Location,
}

impl<'de> Deserialize<'de> for Diagnostic {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let data = DiagnosticData::deserialize(d)?;
        Ok(Diagnostic {
            help: data.help,
            location: data.location,
            ..Diagnostic::new(data.code, data.severity, data.message)
        })
    }
}

impl Diagnostic {
    pub fn new(code: Code, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            code,
            name: code.slug(),
            severity,
            message: message.into(),
            help: None,
            location: Location::default(),
        }
    }

    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }

    pub fn info(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = location;
        self
    }
}

impl fmt::Display for Diagnostic {
    /// `source:line:column: severity[ML105 misplaced-peers]: message (document 0, at spec.x)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = &self.location;
        if !loc.source.is_empty() {
            write!(f, "{}", loc.source)?;
            if let Some(line) = loc.line {
                write!(f, ":{line}")?;
                if let Some(col) = loc.column {
                    write!(f, ":{col}")?;
                }
            }
            write!(f, ": ")?;
        }
        write!(
            f,
            "{}[{} {}]: {}",
            self.severity,
            self.code.id(),
            self.name,
            self.message
        )?;
        match (loc.document, &loc.path) {
            (Some(doc), Some(path)) => write!(f, " (document {doc}, at `{path}`)")?,
            (Some(doc), None) => write!(f, " (document {doc})")?,
            (None, Some(path)) => write!(f, " (at `{path}`)")?,
            (None, None) => {}
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_slugs_are_unique() {
        let ids: HashSet<_> = Code::ALL.iter().map(|c| c.id()).collect();
        let slugs: HashSet<_> = Code::ALL.iter().map(|c| c.slug()).collect();
        assert_eq!(ids.len(), Code::ALL.len());
        assert_eq!(slugs.len(), Code::ALL.len());
    }

    #[test]
    fn diagnostics_read_back_as_they_were_written() {
        let written = Diagnostic::error(Code::YamlSyntax, "not text")
            .with_help("save it as UTF-8")
            .at(Location {
                source: "a.yaml".to_owned(),
                line: Some(3),
                column: Some(1),
                ..Location::default()
            });
        let json = serde_json::to_string(&written).unwrap();
        assert_eq!(serde_json::from_str::<Diagnostic>(&json).unwrap(), written);
        assert!(serde_json::from_str::<Diagnostic>(r#"{"code":"ML999","severity":"error","message":"x"}"#).is_err());
    }
}
