//! Serde structs that mirror the Kubernetes and Istio YAML field names.
//!
//! Kubernetes kinds keep only the fields meshlock reads and skip the rest quietly (a Deployment has
//! hundreds of fields that do not touch mTLS). The Istio specs meshlock models (Policy,
//! PeerAuthentication, DestinationRule TLS) declare every field of their schema, so that an unknown
//! field is reported by `serde_ignored` instead of being dropped.

use serde::Deserialize;
use serde::de::{self, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

use crate::model::{AuthzAction, RbacMode, TlsMode};

/// A field of a modelled schema that meshlock reads past: consumed node by node without keeping
/// anything. Not `serde::de::IgnoredAny`, because `serde_ignored` reports whatever that skips as an
/// unknown field; yaml_serde bounds the depth.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReadPast;

impl<'de> Deserialize<'de> for ReadPast {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ReadPast)
    }
}

impl<'de> Visitor<'de> for ReadPast {
    type Value = ReadPast;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<ReadPast, E> {
        Ok(ReadPast)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<ReadPast, E> {
        Ok(ReadPast)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<ReadPast, E> {
        Ok(ReadPast)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<ReadPast, E> {
        Ok(ReadPast)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<ReadPast, E> {
        Ok(ReadPast)
    }

    fn visit_unit<E: de::Error>(self) -> Result<ReadPast, E> {
        Ok(ReadPast)
    }

    fn visit_none<E: de::Error>(self) -> Result<ReadPast, E> {
        Ok(ReadPast)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<ReadPast, D::Error> {
        ReadPast::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ReadPast, A::Error> {
        while seq.next_element::<ReadPast>()?.is_some() {}
        Ok(ReadPast)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ReadPast, A::Error> {
        while map.next_entry::<ReadPast, ReadPast>()?.is_some() {}
        Ok(ReadPast)
    }

    /// A tagged node (`!Tag value`).
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<ReadPast, A::Error> {
        let (ReadPast, variant) = data.variant::<ReadPast>()?;
        variant.newtype_variant::<ReadPast>()
    }
}

pub type Labels = BTreeMap<String, String>;

/// `apiVersion`, `kind` and the identifying metadata: read first to pick the typed struct.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Head {
    pub api_version: Option<String>,
    pub kind: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub labels: Labels,
    #[serde(default, deserialize_with = "nullable")]
    pub annotations: Labels,
    pub creation_timestamp: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub owner_references: Vec<OwnerReference>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnerReference {
    pub kind: String,
    pub name: String,
    pub controller: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Namespace {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfigMap {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub data: BTreeMap<String, String>,
}

/// The `mesh` key of the `istio` ConfigMap (MeshConfig): only the fields that change mTLS.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MeshConfig {
    pub enable_auto_mtls: Option<bool>,
    pub root_namespace: Option<String>,
    pub trust_domain: Option<String>,
    /// The Ingress class Istio serves (`istio`) and the gateway Service that serves it.
    pub ingress_class: Option<String>,
    pub ingress_service: Option<String>,
    /// `OFF`, `STRICT` (the default: only Ingresses of Istio's class) or `DEFAULT` (also those without a class).
    pub ingress_controller_mode: Option<String>,
}

// ---------------------------------------------------------------- workloads

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Pod {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: PodSpec,
    /// Present when the Pod was read from a cluster (`kubectl get -o yaml`): only its presence counts.
    pub status: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    #[serde(default, deserialize_with = "nullable")]
    pub containers: Vec<Container>,
    #[serde(default, deserialize_with = "nullable")]
    pub init_containers: Vec<Container>,
    pub service_account_name: Option<String>,
    /// Deprecated alias of `serviceAccountName`, still printed by old clusters.
    pub service_account: Option<String>,
    pub host_network: bool,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    pub name: String,
    /// `auto` on an `istio-proxy` container is Istio's injection placeholder (gateway templates).
    pub image: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub ports: Vec<ContainerPort>,
    pub readiness_probe: Option<Probe>,
    pub liveness_probe: Option<Probe>,
    pub startup_probe: Option<Probe>,
    /// `Always` marks a native sidecar in `initContainers`.
    pub restart_policy: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub container_port: i64,
    pub protocol: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PodTemplate {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: PodSpec,
}

/// Deployment, StatefulSet, DaemonSet, ReplicaSet, Job: a pod template under `spec.template`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Controller {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: ControllerSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ControllerSpec {
    #[serde(default, deserialize_with = "nullable")]
    pub template: PodTemplate,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CronJob {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: CronJobSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CronJobSpec {
    pub job_template: JobTemplate,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct JobTemplate {
    #[serde(default, deserialize_with = "nullable")]
    pub spec: ControllerSpec,
}

// ---------------------------------------------------------------- services

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Service {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: ServiceSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceSpec {
    pub selector: Option<Labels>,
    #[serde(default, deserialize_with = "nullable")]
    pub ports: Vec<ServicePort>,
    #[serde(rename = "clusterIP")]
    pub cluster_ip: Option<String>,
    #[serde(rename = "type")]
    pub service_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: i64,
    pub target_port: Option<IntOrString>,
    pub protocol: Option<String>,
    pub app_protocol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    Int(i64),
    String(String),
}

// ---------------------------------------------------------------- authentication.istio.io/v1alpha1

/// `Policy` and `MeshPolicy` (Istio 1.0–1.5). Every field of the schema is declared.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthnPolicy {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: AuthnPolicySpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthnPolicySpec {
    #[serde(default, deserialize_with = "nullable")]
    pub targets: Vec<TargetSelector>,
    #[serde(default, deserialize_with = "nullable")]
    pub peers: Vec<PeerAuthenticationMethod>,
    pub peer_is_optional: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub origins: Vec<ReadPast>,
    pub origin_is_optional: Option<bool>,
    /// `USE_PEER` (0) or `USE_ORIGIN` (1).
    pub principal_binding: Option<IntOrString>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TargetSelector {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub ports: Vec<PortSelector>,
    /// Declared in the proto but hidden and not implemented by Istio.
    pub labels: Option<ReadPast>,
}

/// `{number: N}` or `{name: "http"}`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PortSelector {
    pub number: Option<i64>,
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeerAuthenticationMethod {
    /// `- mtls: {}` and `- mtls:` (null) both mean STRICT, so presence matters more than content.
    #[serde(deserialize_with = "present_even_if_null")]
    pub mtls: Option<MutualTls>,
    pub jwt: Option<ReadPast>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MutualTls {
    pub mode: Option<V1alpha1Mode>,
    pub allow_tls: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum V1alpha1Mode {
    Strict,
    Permissive,
}

/// Maps an explicit `null` to `Some(default)`, so `mtls:` with no value counts as present.
fn present_even_if_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Some(Option::<T>::deserialize(d)?.unwrap_or_default()))
}

// ---------------------------------------------------------------- security.istio.io

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeerAuthentication {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: PeerAuthenticationSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PeerAuthenticationSpec {
    pub selector: Option<WorkloadSelector>,
    pub mtls: Option<PeerMtls>,
    /// Keys are container (target) ports, written as numbers or numeric strings.
    pub port_level_mtls: Option<BTreeMap<String, PeerMtls>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WorkloadSelector {
    #[serde(default, deserialize_with = "nullable")]
    pub match_labels: Labels,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PeerMtls {
    pub mode: Option<PeerMode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PeerMode {
    Unset,
    Disable,
    Permissive,
    Strict,
}

// ---------------------------------------------------------------- networking.istio.io

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DestinationRule {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: DestinationRuleSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DestinationRuleSpec {
    pub host: Option<String>,
    pub traffic_policy: Option<TrafficPolicy>,
    pub subsets: Vec<Subset>,
    #[serde(default, deserialize_with = "nullable")]
    pub export_to: Vec<String>,
    pub workload_selector: Option<WorkloadSelector>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TrafficPolicy {
    pub load_balancer: Option<ReadPast>,
    pub connection_pool: Option<ReadPast>,
    pub outlier_detection: Option<ReadPast>,
    pub tls: Option<ClientTls>,
    #[serde(default, deserialize_with = "nullable")]
    pub port_level_settings: Vec<PortTrafficPolicy>,
    pub tunnel: Option<ReadPast>,
    pub proxy_protocol: Option<ReadPast>,
    pub retry_budget: Option<ReadPast>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PortTrafficPolicy {
    pub port: Option<PortSelector>,
    pub load_balancer: Option<ReadPast>,
    pub connection_pool: Option<ReadPast>,
    pub outlier_detection: Option<ReadPast>,
    pub tls: Option<ClientTls>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Subset {
    pub name: Option<String>,
    pub labels: Labels,
    #[serde(rename = "trafficPolicy")]
    pub traffic_policy: Option<TrafficPolicy>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientTls {
    pub mode: Option<TlsMode>,
    pub client_certificate: Option<ReadPast>,
    pub private_key: Option<ReadPast>,
    pub ca_certificates: Option<ReadPast>,
    pub ca_crl: Option<ReadPast>,
    pub credential_name: Option<ReadPast>,
    pub subject_alt_names: Option<ReadPast>,
    pub sni: Option<ReadPast>,
    pub insecure_skip_verify: Option<ReadPast>,
}

// ---------------------------------------------------------------- security.istio.io AuthorizationPolicy

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthorizationPolicy {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: AuthorizationPolicySpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthorizationPolicySpec {
    pub selector: Option<WorkloadSelector>,
    pub target_ref: Option<ReadPast>,
    pub target_refs: Option<ReadPast>,
    pub action: Option<AuthzAction>,
    pub provider: Option<ReadPast>,
    #[serde(default, deserialize_with = "nullable")]
    pub rules: Vec<AuthzRule>,
}

/// `security.istio.io` RequestAuthentication. Every field of the schema is declared.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestAuthentication {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: RequestAuthenticationSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RequestAuthenticationSpec {
    pub selector: Option<WorkloadSelector>,
    pub target_ref: Option<ReadPast>,
    pub target_refs: Option<ReadPast>,
    pub jwt_rules: Option<ReadPast>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthzRule {
    #[serde(default, deserialize_with = "nullable")]
    pub from: Vec<AuthzFrom>,
    #[serde(default, deserialize_with = "nullable")]
    pub to: Vec<AuthzTo>,
    #[serde(default, deserialize_with = "nullable")]
    pub when: Vec<AuthzCondition>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthzFrom {
    pub source: AuthzSource,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthzSource {
    #[serde(default, deserialize_with = "nullable")]
    pub principals: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_principals: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub namespaces: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_namespaces: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub service_accounts: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_service_accounts: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub request_principals: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_request_principals: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub ip_blocks: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_ip_blocks: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub remote_ip_blocks: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_remote_ip_blocks: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthzTo {
    pub operation: AuthzOperation,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthzOperation {
    #[serde(default, deserialize_with = "nullable")]
    pub hosts: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_hosts: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub ports: Vec<IntOrString>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_ports: Vec<IntOrString>,
    #[serde(default, deserialize_with = "nullable")]
    pub methods: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_methods: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub paths: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_paths: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthzCondition {
    pub key: String,
    #[serde(default, deserialize_with = "nullable")]
    pub values: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_values: Vec<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Probe {
    pub http_get: Option<HttpGet>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct HttpGet {
    pub port: Option<IntOrString>,
}

// ---------------------------------------------------------------- callers outside the mesh

/// `networking.k8s.io/v1` Ingress: its backends are called by an ingress controller.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Ingress {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: IngressSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IngressSpec {
    pub ingress_class_name: Option<String>,
    pub default_backend: Option<IngressBackend>,
    /// `networking.k8s.io/v1beta1` and `extensions/v1beta1`: the default backend.
    pub backend: Option<IngressBackend>,
    #[serde(default, deserialize_with = "nullable")]
    pub rules: Vec<IngressRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IngressRule {
    pub http: Option<IngressHttp>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IngressHttp {
    #[serde(default, deserialize_with = "nullable")]
    pub paths: Vec<IngressPath>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IngressPath {
    pub backend: IngressBackend,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IngressBackend {
    pub service: Option<IngressService>,
    /// `v1beta1`: `serviceName` and `servicePort` (a number or a port name).
    pub service_name: Option<String>,
    pub service_port: Option<IntOrString>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IngressService {
    pub name: String,
    pub port: PortSelector,
}

/// `admissionregistration.k8s.io/v1` Validating/MutatingWebhookConfiguration.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WebhookConfiguration {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub webhooks: Vec<Webhook>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Webhook {
    pub client_config: WebhookClientConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WebhookClientConfig {
    pub service: Option<WebhookService>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WebhookService {
    pub namespace: String,
    pub name: String,
    pub port: Option<i64>,
}

/// `meshlock.dev/v1alpha1` ExternalCaller: a client the dump cannot show (a load balancer,
/// Prometheus, a VM), declared by the user.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExternalCaller {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: ExternalCallerSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExternalCallerSpec {
    /// `HOST:PORT`, resolved from the caller's namespace like a probe target.
    #[serde(default, deserialize_with = "nullable")]
    pub targets: Vec<String>,
    /// Whether the caller has an Istio sidecar (default: no).
    pub sidecar: bool,
    /// Its IP address, for NetworkPolicy `ipBlock` peers (optional).
    pub address: Option<String>,
}

// ---------------------------------------------------------------- rbac.istio.io/v1alpha1 (Istio 1.0–1.5)

/// `ClusterRbacConfig` / `RbacConfig` named `default`: where RBAC is on.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RbacConfig {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: RbacConfigSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RbacConfigSpec {
    pub mode: Option<RbacMode>,
    pub inclusion: Option<RbacTarget>,
    pub exclusion: Option<RbacTarget>,
    pub enforcement_mode: Option<ReadPast>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct RbacTarget {
    #[serde(default, deserialize_with = "nullable")]
    pub services: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub namespaces: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServiceRole {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: ServiceRoleSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServiceRoleSpec {
    #[serde(default, deserialize_with = "nullable")]
    pub rules: Vec<AccessRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessRule {
    #[serde(default, deserialize_with = "nullable")]
    pub services: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub methods: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub paths: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub ports: Vec<i64>,
    pub constraints: Option<ReadPast>,
    pub hosts: Option<ReadPast>,
    pub not_hosts: Option<ReadPast>,
    pub not_methods: Option<ReadPast>,
    pub not_paths: Option<ReadPast>,
    pub not_ports: Option<ReadPast>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServiceRoleBinding {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: ServiceRoleBindingSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceRoleBindingSpec {
    #[serde(default, deserialize_with = "nullable")]
    pub subjects: Vec<RbacSubject>,
    pub role_ref: Option<RoleRef>,
    pub role: Option<String>,
    pub actions: Option<ReadPast>,
    pub mode: Option<ReadPast>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RbacSubject {
    pub user: Option<String>,
    pub group: Option<ReadPast>,
    #[serde(default, deserialize_with = "nullable")]
    pub properties: BTreeMap<String, String>,
    pub names: Option<ReadPast>,
    pub not_names: Option<ReadPast>,
    #[serde(default, deserialize_with = "nullable")]
    pub namespaces: Vec<String>,
    pub not_namespaces: Option<ReadPast>,
    pub ips: Option<ReadPast>,
    pub not_ips: Option<ReadPast>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleRef {
    pub kind: Option<String>,
    pub name: String,
}

/// `null` where a Kubernetes object has a map, a list or an object means "not set", as the API
/// server reads it (`spec: null`, `labels: null`).
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::decode::decode_object;

    #[test]
    fn fields_read_past_take_any_shape_and_are_not_unknown() {
        let text = "loadBalancer: {simple: ROUND_ROBIN, localityLbSetting: {distribute: [{from: a, to: {b: 100}}]}}
connectionPool: !custom {tcp: {maxConnections: 10}}
outlierDetection: [1, 2.5, true, null, ~, \"x\"]
tunnel:
proxyProtocol: {}
bogus: 1
";
        let Ok(decoded) = decode_object::<TrafficPolicy>(text) else {
            panic!("a valid trafficPolicy did not decode")
        };
        assert_eq!(decoded.value.load_balancer, Some(ReadPast));
        assert_eq!(decoded.value.connection_pool, Some(ReadPast));
        assert_eq!(decoded.value.outlier_detection, Some(ReadPast));
        let unknown: Vec<String> = decoded.unknown.iter().map(ToString::to_string).collect();
        assert_eq!(unknown, ["bogus"]);
    }
}
