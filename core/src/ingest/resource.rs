//! What ingest makes of a document: a [`Resource`] of one of the kinds meshlock models, keyed
//! for replacement ([`ResourceKey`]), and the documents that are read before the mesh derives
//! workloads and callers from them.

use std::collections::BTreeMap;

use super::wire;
use crate::model::{
    AuthnPolicy, AuthorizationPolicy, DestinationRule, Meta, Namespace, Origin, PeerAuthentication, PortRef,
    RbacConfig, RequestAuthentication, Service, ServiceRole, ServiceRoleBinding,
};

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

/// The mesh config, with the namespace of the ConfigMap that holds it.
#[derive(Debug, Clone)]
pub struct MeshConfigDoc {
    pub namespace: String,
    pub config: wire::MeshConfig,
}

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
    /// workloads, so that adding or removing them changes only the policies of a mesh. They are the
    /// kinds with a [`Meta`] (which [`Resource::meta`] decides for every kind).
    pub fn is_policy(&self) -> bool {
        self.meta().is_some()
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
