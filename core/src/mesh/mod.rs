//! `Mesh`: the typed model of one cluster under one set of settings, and its public entry points.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::diagnostic::{Code, Diagnostic, Location, Severity};
use crate::ingest::{self, MeshConfigDoc, Resource, Source, Stored};
use crate::model::{
    AuthnPolicy, AuthorizationPolicy, DestinationRule, Fqdn, Meta, Namespace, Origin, PeerAuthentication, PortRef,
    ResourceRef, Service, ServicePort, Workload, WorkloadId,
};
use crate::settings::{DEFAULT_ROOT_NAMESPACE, IstioVersion, MeshSettings, ResolvedSettings, SettingOrigin};
use crate::workloads;

mod intent;
mod lint;
mod shared;

use shared::Shared;

/// Loading failed: the input holds errors. Every diagnostic (errors and the rest) is included.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{} error(s) in the input; first: {}", errors_of(.diagnostics).count(), first_error(.diagnostics))]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
}

fn errors_of(diagnostics: &[Diagnostic]) -> impl Iterator<Item = &Diagnostic> {
    diagnostics.iter().filter(|d| d.severity == Severity::Error)
}

fn first_error(diagnostics: &[Diagnostic]) -> String {
    errors_of(diagnostics)
        .next()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// A loaded mesh with the diagnostics of its input (warnings and notes; errors fail the load).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub mesh: Mesh,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone)]
pub struct Mesh {
    /// Shared, so that a what-if change copies pointers, not the input.
    resources: Vec<Arc<Stored>>,
    requested: MeshSettings,
    next_seq: u64,
    pub(crate) settings: ResolvedSettings,
    /// Namespaces and policies are shared too, kind by kind, with the what-if changes that do not
    /// change that kind (a planner's step changes one PeerAuthentication, say).
    pub(crate) namespaces: Arc<BTreeMap<String, Namespace>>,
    /// Workloads, services and endpoints are shared between a mesh and its policy-only what-if
    /// changes (the planner's candidates), which never change them.
    pub(crate) workloads: Arc<[Workload]>,
    pub(crate) services: Arc<[Service]>,
    services_by_fqdn: Arc<HashMap<Fqdn, usize>>,
    /// Per service (same index): the workloads its selector picks.
    pub(crate) endpoints: Arc<[Vec<usize>]>,
    pub(crate) authn_policies: Shared<AuthnPolicy>,
    pub(crate) peer_authentications: Shared<PeerAuthentication>,
    pub(crate) destination_rules: Shared<DestinationRule>,
    /// DestinationRules by the host they name, resolved in their namespace; wildcards apart: for
    /// the lookup every evaluation makes (`resolve::client::destination_rules`).
    rules_by_host: Arc<RulesByHost>,
    pub(crate) authorization_policies: Shared<AuthorizationPolicy>,
    /// Per namespace: its AuthorizationPolicies (indices, in order), for `authorization_at`.
    authorization_by_namespace: Arc<HashMap<String, Vec<usize>>>,
    pub(crate) rbac: Arc<crate::model::LegacyRbac>,
    /// Read only to report what depends on a JWT (end-user authentication is noted, never
    /// evaluated); no outcome uses them.
    pub(crate) request_authentications: Shared<crate::model::RequestAuthentication>,
    /// Kubernetes NetworkPolicies (`resolve::network`).
    pub(crate) network_policies: Shared<crate::model::NetworkPolicy>,
    /// Declared traffic (`TrafficIntent`s and intents CSV lines): evidence, never configuration.
    pub(crate) intents: Shared<crate::model::TrafficIntent>,
    diagnostics: Vec<Diagnostic>,
}

/// Per service FQDN, the DestinationRules whose host matches it (the exact name resolved in the
/// rule's namespace, or a wildcard), in input order.
#[derive(Debug, Clone, Default)]
struct RulesByHost {
    by_service: HashMap<String, Vec<usize>>,
}

impl RulesByHost {
    fn new(rules: &[DestinationRule], services: &[Service]) -> Self {
        let mut exact: HashMap<String, Vec<usize>> = HashMap::new();
        let mut wildcards = Vec::new();
        for (i, dr) in rules.iter().enumerate() {
            if dr.host.starts_with('*') {
                wildcards.push(i);
            } else {
                exact
                    .entry(crate::hosts::resolve_in_namespace(&dr.host, &dr.meta.namespace))
                    .or_default()
                    .push(i);
            }
        }
        let by_service = services
            .iter()
            .map(|service| {
                let mut matching: Vec<usize> = exact.get(&service.fqdn.0).cloned().unwrap_or_default();
                matching.extend(wildcards.iter().copied().filter(|&i| {
                    rules
                        .get(i)
                        .is_some_and(|dr| crate::hosts::match_specificity(&dr.host, &service.fqdn).is_some())
                }));
                matching.sort_unstable();
                (service.fqdn.0.clone(), matching)
            })
            .filter(|(_, matching)| !matching.is_empty())
            .collect();
        Self { by_service }
    }
}

/// Per namespace, the indices of the resources in it, in order.
fn index_by_namespace<'a>(metas: impl Iterator<Item = &'a crate::model::Meta>) -> HashMap<String, Vec<usize>> {
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, meta) in metas.enumerate() {
        index.entry(meta.namespace.clone()).or_default().push(i);
    }
    index
}

impl Mesh {
    /// The DestinationRules that may match the host `fqdn`, in input order: for a service of this
    /// mesh exactly those that match it, for another host every rule
    /// (`resolve::client::rule_match` decides).
    pub(crate) fn destination_rules_for<'a>(&'a self, fqdn: &Fqdn) -> impl Iterator<Item = &'a DestinationRule> + 'a {
        let (indices, all) = match self.rules_by_host.by_service.get(&fqdn.0) {
            Some(matching) => (matching.as_slice(), 0..0),
            None if self.services_by_fqdn.contains_key(fqdn) => (&[][..], 0..0),
            // Not a service of this mesh (never indexed): every rule may name it.
            None => (&[][..], 0..self.destination_rules.len()),
        };
        indices
            .iter()
            .copied()
            .chain(all)
            .filter_map(|i| self.destination_rules.get(i))
    }

    /// The AuthorizationPolicies of `namespace` and of the root namespace (the ones that can apply
    /// to a workload of `namespace`), in input order.
    pub(crate) fn authorization_in<'a>(
        &'a self,
        namespace: &str,
    ) -> impl Iterator<Item = &'a AuthorizationPolicy> + 'a {
        let of = |ns: &str| self.authorization_by_namespace.get(ns).map_or(&[][..], Vec::as_slice);
        let own = of(namespace);
        let root = if namespace == self.settings.root_namespace {
            &[][..]
        } else {
            of(&self.settings.root_namespace)
        };
        let mut indices: Vec<usize> = own.iter().chain(root).copied().collect();
        indices.sort_unstable();
        indices.into_iter().filter_map(|i| self.authorization_policies.get(i))
    }

    /// Reads every source and builds the model. Fails when any document has an error.
    pub fn load(sources: &[Source], settings: &MeshSettings) -> Result<Loaded, LoadError> {
        let ingested = ingest::ingest_limited(sources, 0, &settings.limits);
        let mut diagnostics = ingested.diagnostics;
        diagnostics.extend(root_namespace_error(settings));
        let resources = merge(Vec::new(), ingested.resources, Some(&mut diagnostics));
        finish(resources, settings.clone(), ingested_seq(sources, 0), diagnostics, None)
    }

    /// What-if: adds the resources of `sources`; one with the kind, namespace and name of an
    /// existing resource replaces it (as `kubectl apply` does) and keeps its age.
    pub fn apply(&self, sources: &[Source]) -> Result<Loaded, LoadError> {
        self.change(sources, &[])
    }

    /// What-if: deletes the resources named in `delete` (as `kubectl delete`), then applies `sources`.
    pub fn change(&self, sources: &[Source], delete: &[ResourceRef]) -> Result<Loaded, LoadError> {
        self.change_with(sources, delete, false)
    }

    /// `change` for the planner, which evaluates the result and never reports its diagnostics: when
    /// only policies change, the workloads, services and endpoints of this mesh still hold and are
    /// reused instead of derived again from every pod (their diagnostics are not repeated).
    pub(crate) fn change_policies(&self, sources: &[Source], delete: &[ResourceRef]) -> Result<Loaded, LoadError> {
        self.change_with(sources, delete, true)
    }

    fn change_with(&self, sources: &[Source], delete: &[ResourceRef], reuse: bool) -> Result<Loaded, LoadError> {
        let ingested = ingest::ingest_limited(sources, self.next_seq, &self.requested.limits);
        let next_seq = ingested_seq(sources, self.next_seq).max(self.next_seq + ingested.resources.len() as u64);
        let only_policies = reuse
            && ingested.resources.iter().all(|s| s.resource.is_policy())
            && self
                .resources
                .iter()
                .filter(|s| delete.iter().any(|d| names(d, &s.key)))
                .all(|s| s.resource.is_policy());
        let kept = self
            .resources
            .iter()
            .filter(|s| !delete.iter().any(|d| names(d, &s.key)))
            .cloned()
            .collect();
        let mut kinds = ChangedKinds::default();
        for stored in ingested.resources.iter().chain(
            self.resources
                .iter()
                .filter(|s| delete.iter().any(|d| names(d, &s.key)))
                .map(|s| &**s),
        ) {
            kinds.add(&stored.resource);
        }
        let resources = merge(kept, ingested.resources, None);
        finish(
            resources,
            self.requested.clone(),
            next_seq,
            ingested.diagnostics,
            only_policies.then_some((self, kinds)),
        )
    }

    /// Every Istio resource in force (policies, rules), for diffs and rollbacks.
    pub fn policy_metas(&self) -> impl Iterator<Item = &Meta> {
        self.authn_policies
            .iter()
            .map(|p| &p.meta)
            .chain(self.peer_authentications.iter().map(|p| &p.meta))
            .chain(self.destination_rules.iter().map(|d| &d.meta))
            .chain(self.authorization_policies.iter().map(|a| &a.meta))
            .chain(self.rbac.metas())
            .chain(self.network_policies.iter().map(|n| &n.meta))
    }

    /// The resource with this key as it was written, for rollbacks.
    pub fn resource_meta(&self, key: &ResourceRef) -> Option<&Meta> {
        self.resources
            .iter()
            .find(|s| names(key, &s.key))
            .and_then(|s| s.resource.meta())
    }

    pub fn settings(&self) -> &ResolvedSettings {
        &self.settings
    }

    /// The limits this mesh was loaded under; they also bound the edges an answer lists.
    pub fn limits(&self) -> &crate::settings::Limits {
        &self.requested.limits
    }

    /// The diagnostics found while loading (and resolving) this mesh.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    pub fn workloads(&self) -> &[Workload] {
        &self.workloads
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The declared traffic of the input (`TrafficIntent` documents, intents CSV lines).
    pub fn intents(&self) -> &[crate::model::TrafficIntent] {
        &self.intents
    }

    pub fn workload(&self, id: &WorkloadId) -> Option<&Workload> {
        self.workloads
            .binary_search_by(|w| w.id.cmp(id))
            .ok()
            .and_then(|i| self.workloads.get(i))
    }

    /// Service-specific Policies whose target (and port, if listed) matches.
    pub(crate) fn v1alpha1_targeting(
        &self,
        service: &Service,
        port: &ServicePort,
        same_namespace_only: bool,
    ) -> Vec<&AuthnPolicy> {
        self.authn_policies
            .iter()
            .filter(|p| !p.mesh_wide && (!same_namespace_only || p.meta.namespace == service.namespace))
            .filter(|p| {
                p.targets.iter().any(|t| {
                    crate::hosts::resolve_in_namespace(&t.name, &p.meta.namespace) == service.fqdn.0
                        && (t.ports.is_empty() || t.ports.iter().any(|r| r.matches(port)))
                })
            })
            .collect()
    }

    /// Whether `other` has the same clients, services, endpoints, authorization, NetworkPolicies,
    /// namespaces and settings, and the same DestinationRules with a `workloadSelector`: what the
    /// class table's groups and identity partitions are built from.
    pub(crate) fn same_clients_and_authorization(&self, other: &Mesh) -> bool {
        fn selector_rules(m: &Mesh) -> Vec<&DestinationRule> {
            m.destination_rules
                .iter()
                .filter(|d| d.workload_selector.is_some())
                .collect()
        }
        // Shared (a what-if change of this mesh) is the same without comparing.
        fn same<T: PartialEq + ?Sized>(a: &Arc<T>, b: &Arc<T>) -> bool {
            Arc::ptr_eq(a, b) || a == b
        }
        self.settings == other.settings
            && same(&self.workloads, &other.workloads)
            && same(&self.services, &other.services)
            && same(&self.endpoints, &other.endpoints)
            && self.authorization_policies == other.authorization_policies
            && same(&self.rbac, &other.rbac)
            && self.network_policies == other.network_policies
            && same(&self.namespaces, &other.namespaces)
            && selector_rules(self) == selector_rules(other)
    }

    /// The document of a resource named as explanations name it (`DestinationRule foo/to-legacy`,
    /// `MeshPolicy default`); of the first one for merged rules (`… + …`).
    pub(crate) fn origin_of_resource(&self, display: &str) -> Option<&Origin> {
        let first = display.split(" + ").next().unwrap_or(display);
        let first = first.split(", ").next().unwrap_or(first);
        let (kind, rest) = first.split_once(' ')?;
        let (namespace, name) = rest.split_once('/').unwrap_or(("", rest));
        self.resources
            .iter()
            .find(|s| s.key.0 == kind && s.key.1 == namespace && s.key.2 == name)
            .and_then(|s| s.resource.origin())
    }

    pub(crate) fn service_index(&self, fqdn: &Fqdn) -> Option<usize> {
        self.services_by_fqdn.get(fqdn).copied()
    }
}

/// Whether `reference` names the stored resource with this key.
fn names(reference: &ResourceRef, key: &ingest::ResourceKey) -> bool {
    key.0 == reference.kind && key.1 == reference.namespace && key.2 == reference.name
}

fn ingested_seq(sources: &[Source], start: u64) -> u64 {
    // Sequence numbers only need to grow; the number of bytes bounds the number of resources.
    start + sources.iter().map(|s| s.text.len() as u64 + 1).sum::<u64>()
}

/// Later resources replace earlier ones with the same key, keeping the earlier one's age.
fn merge(
    mut base: Vec<Arc<Stored>>,
    incoming: Vec<Stored>,
    mut duplicates: Option<&mut Vec<Diagnostic>>,
) -> Vec<Arc<Stored>> {
    // A what-if adds a few resources to many: look them up one by one rather than index the base.
    let few = incoming.len() <= 16;
    let mut index: HashMap<ingest::ResourceKey, usize> = if few {
        HashMap::new()
    } else {
        base.iter().enumerate().map(|(i, s)| (s.key.clone(), i)).collect()
    };
    for mut stored in incoming {
        let found = if few {
            base.iter().position(|s| s.key == stored.key)
        } else {
            index.get(&stored.key).copied()
        };
        match found.as_ref() {
            Some(&i) => {
                if let Some(diags) = duplicates.as_deref_mut() {
                    let (kind, ns, name) = &stored.key;
                    let shown = if ns.is_empty() {
                        name.clone()
                    } else {
                        format!("{ns}/{name}")
                    };
                    diags.push(
                        Diagnostic::info(
                            Code::DuplicateResource,
                            format!("{kind} `{shown}` appears again: the later document replaces the earlier"),
                        )
                        .with_help("as with `kubectl apply`, the last definition of a resource wins")
                        .at(origin_location(stored.resource.origin())),
                    );
                }
                if let Some(slot) = base.get_mut(i) {
                    stored.seq = slot.seq;
                    keep_age(&mut stored.resource, &slot.resource);
                    stamp(&mut stored);
                    *slot = Arc::new(stored);
                }
            }
            None => {
                if !few {
                    index.insert(stored.key.clone(), base.len());
                }
                stamp(&mut stored);
                base.push(Arc::new(stored));
            }
        }
    }
    base
}

/// The resource's age in input order goes into its meta: where several resources contend, the
/// oldest wins, and without creation timestamps input order stands in for age.
fn stamp(stored: &mut Stored) {
    if let Some(meta) = stored.resource.meta_mut() {
        meta.seq = stored.seq;
    }
}

/// A replaced resource keeps its creation timestamp, as the API server does.
fn keep_age(new: &mut Resource, old: &Resource) {
    let (Some(new_meta), Some(old_meta)) = (new.meta_mut(), old.meta()) else {
        return;
    };
    if new_meta.created.is_none() {
        new_meta.created = old_meta.created.clone();
    }
}

pub(crate) fn origin_location(origin: Option<&Origin>) -> Location {
    origin.map_or_else(Location::default, Origin::location)
}

/// The kinds of policy a what-if change adds, replaces or deletes: a mesh built from it shares
/// the others with the mesh it changes.
#[derive(Debug, Clone, Copy, Default)]
struct ChangedKinds {
    authn: bool,
    peer: bool,
    rules: bool,
    authorization: bool,
    rbac: bool,
    request_authentication: bool,
    network: bool,
}

impl ChangedKinds {
    fn add(&mut self, resource: &Resource) {
        match resource {
            Resource::AuthnPolicy(_) => self.authn = true,
            Resource::PeerAuthentication(_) => self.peer = true,
            Resource::DestinationRule(_) => self.rules = true,
            Resource::AuthorizationPolicy(_) => self.authorization = true,
            Resource::RbacConfig(_) | Resource::ServiceRole(_) | Resource::ServiceRoleBinding(_) => self.rbac = true,
            Resource::RequestAuthentication(_) => self.request_authentication = true,
            Resource::NetworkPolicy(_) => self.network = true,
            _ => {}
        }
    }
}

/// A root namespace setting that is no namespace name: the planner would write its mesh-wide
/// step into it, and every root-level rule would be keyed by it.
fn root_namespace_error(settings: &MeshSettings) -> Option<Diagnostic> {
    let root = settings.root_namespace.as_deref()?;
    let why = ingest::namespace_name_error(root)?;
    Some(
        Diagnostic::error(
            Code::InvalidValue,
            format!("the root namespace setting `{root}` is not a namespace name: {why}"),
        )
        .with_help(
            "give Istio's root namespace as the cluster names it (`--root-namespace istio-system`, `root_namespace` in the settings), or leave it out to read it from the mesh config",
        ),
    )
}

/// `reuse`: the mesh this one changes only the policies of (see `Mesh::change`), and the kinds
/// of policy changed.
fn finish(
    resources: Vec<Arc<Stored>>,
    requested: MeshSettings,
    next_seq: u64,
    mut diagnostics: Vec<Diagnostic>,
    reuse: Option<(&Mesh, ChangedKinds)>,
) -> Result<Loaded, LoadError> {
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err(LoadError { diagnostics });
    }
    let mesh = build(resources, requested, next_seq, &mut diagnostics, reuse);
    Ok(Loaded { mesh, diagnostics })
}

/// The input's mesh config, if it holds one.
fn mesh_config(resources: &[Arc<Stored>]) -> Option<&MeshConfigDoc> {
    resources.iter().find_map(|s| match &s.resource {
        Resource::MeshConfig(m) => Some(m),
        _ => None,
    })
}

fn resolve_settings(
    requested: &MeshSettings,
    resources: &[Arc<Stored>],
    diagnostics: &mut Vec<Diagnostic>,
) -> ResolvedSettings {
    let mesh_config = mesh_config(resources);
    let has_v1alpha1 = resources.iter().any(|s| matches!(s.resource, Resource::AuthnPolicy(_)));
    let (istio_version, istio_version_origin) = match requested.istio_version {
        Some(v) => (v, SettingOrigin::Explicit),
        None if has_v1alpha1 => {
            diagnostics.push(
                Diagnostic::info(
                    Code::VersionInferred,
                    "the input holds `authentication.istio.io/v1alpha1` resources: applying Istio 1.1 rules",
                )
                .with_help("pass `--istio-version` to choose the release your mesh runs"),
            );
            (IstioVersion::SEED, SettingOrigin::Inferred)
        }
        None => (IstioVersion::CURRENT, SettingOrigin::Default),
    };
    let (mut auto_mtls, auto_mtls_origin) =
        match (requested.auto_mtls, mesh_config.and_then(|m| m.config.enable_auto_mtls)) {
            (Some(on), _) => (on, SettingOrigin::Explicit),
            (None, Some(on)) => (on, SettingOrigin::MeshConfig),
            (None, None) => (istio_version.auto_mtls_default(), SettingOrigin::Default),
        };
    if auto_mtls && istio_version.minor() < 4 {
        diagnostics.push(
            Diagnostic::warning(
                Code::InvalidValue,
                format!("auto mTLS does not exist in Istio {istio_version} (it arrived in 1.4): treated as off"),
            )
            .with_help("choose `--istio-version 1.4` or later to model auto mTLS"),
        );
        auto_mtls = false;
    }
    let root_namespace = requested
        .root_namespace
        .clone()
        .or_else(|| mesh_config.and_then(|m| m.config.root_namespace.clone()))
        .or_else(|| mesh_config.map(|m| m.namespace.clone()))
        .unwrap_or_else(|| DEFAULT_ROOT_NAMESPACE.to_owned());
    let trust_domain = requested
        .trust_domain
        .clone()
        .or_else(|| mesh_config.and_then(|m| m.config.trust_domain.clone()))
        .unwrap_or_else(|| crate::settings::CLUSTER_DOMAIN.to_owned());
    ResolvedSettings {
        istio_version,
        istio_version_origin,
        auto_mtls,
        auto_mtls_origin,
        root_namespace,
        trust_domain,
    }
}

fn build(
    resources: Vec<Arc<Stored>>,
    requested: MeshSettings,
    next_seq: u64,
    diagnostics: &mut Vec<Diagnostic>,
    reuse: Option<(&Mesh, ChangedKinds)>,
) -> Mesh {
    let settings = resolve_settings(&requested, &resources, diagnostics);
    let (reuse, changed) = match reuse.filter(|(m, _)| m.settings == settings) {
        Some((m, changed)) => (Some(m), changed),
        None => (None, ChangedKinds::default()),
    };
    // What the previous mesh shares: every kind this change leaves as it was.
    let shared = |kind_changed: fn(&ChangedKinds) -> bool| reuse.filter(|_| !kind_changed(&changed));
    let version = settings.istio_version;
    let mut namespaces = BTreeMap::new();
    let mut services = Vec::new();
    let mut authn_policies = Vec::new();
    let mut peer_authentications = Vec::new();
    let mut destination_rules = Vec::new();
    let mut authorization_policies = Vec::new();
    let mut workload_docs = Vec::new();
    let mut callers = Vec::new();
    let mut rbac = crate::model::LegacyRbac::default();
    let mut request_authentications = Vec::new();
    let mut network_policies = Vec::new();
    let mut intents = Vec::new();
    let mut removed: BTreeMap<&'static str, (String, Vec<Location>)> = BTreeMap::new();
    // A resource of an API the selected release does not have: counted per kind, reported once.
    let mut not_on_this_release = |kind: &'static str, why: &str, stored: &Stored| {
        removed
            .entry(kind)
            .or_insert_with(|| (format!("{why}; the mesh runs {version}"), Vec::new()))
            .1
            .push(origin_location(stored.resource.origin()));
    };
    for stored in &resources {
        match &stored.resource {
            Resource::Namespace(_) | Resource::Intent(_) if reuse.is_some() => {}
            Resource::Namespace(n) => {
                namespaces.insert(n.name.clone(), n.clone());
            }
            Resource::Workload(_) | Resource::Service(_) | Resource::Caller(_) if reuse.is_some() => {}
            Resource::Workload(w) => workload_docs.push(w),
            Resource::Service(s) => services.push(s.clone()),
            Resource::AuthnPolicy(p) if !version.has_v1alpha1_authn() => {
                not_on_this_release(p.meta.kind, "removed in Istio 1.6", stored);
            }
            Resource::AuthnPolicy(_) if shared(|c| c.authn).is_some() => {}
            Resource::AuthnPolicy(p) => authn_policies.push(p.clone()),
            Resource::PeerAuthentication(_) if !version.has_peer_authentication() => {
                not_on_this_release("PeerAuthentication", "introduced in Istio 1.5", stored);
            }
            Resource::PeerAuthentication(_) if shared(|c| c.peer).is_some() => {}
            Resource::PeerAuthentication(p) => peer_authentications.push(p.clone()),
            Resource::DestinationRule(_) if shared(|c| c.rules).is_some() => {}
            Resource::DestinationRule(d) => destination_rules.push(d.clone()),
            Resource::AuthorizationPolicy(_) if shared(|c| c.authorization).is_some() => {}
            Resource::AuthorizationPolicy(a) => authorization_policies.push(a.clone()),
            Resource::Caller(c) => callers.push(c),
            Resource::RbacConfig(_) | Resource::ServiceRole(_) | Resource::ServiceRoleBinding(_)
                if !version.has_v1alpha1_authn() =>
            {
                not_on_this_release("rbac.istio.io", "legacy RBAC was removed in Istio 1.6", stored);
            }
            Resource::RbacConfig(_) | Resource::ServiceRole(_) | Resource::ServiceRoleBinding(_)
                if shared(|c| c.rbac).is_some() => {}
            Resource::RbacConfig(r) => rbac.configs.push(r.clone()),
            Resource::ServiceRole(r) => rbac.roles.push(r.clone()),
            Resource::ServiceRoleBinding(r) => rbac.bindings.push(r.clone()),
            Resource::RequestAuthentication(_) if !version.has_peer_authentication() => {
                not_on_this_release("RequestAuthentication", "introduced in Istio 1.5", stored);
            }
            Resource::RequestAuthentication(_) if shared(|c| c.request_authentication).is_some() => {}
            Resource::RequestAuthentication(r) => request_authentications.push(r.clone()),
            Resource::NetworkPolicy(_) if shared(|c| c.network).is_some() => {}
            Resource::NetworkPolicy(n) => network_policies.push(n.clone()),
            Resource::Intent(i) => intents.push(i.clone()),
            Resource::MeshConfig(_) => {}
        }
    }
    for (kind, (why, locations)) in removed {
        let first = locations.first().cloned().unwrap_or_default();
        diagnostics.push(
            Diagnostic::warning(
                Code::RemovedApi,
                format!("{} `{kind}` resource(s) ignored: {why}", locations.len()),
            )
            .with_help(match kind {
                "PeerAuthentication" => {
                    "use `authentication.istio.io/v1alpha1` Policy on this release, or pass a later `--istio-version`"
                }
                "RequestAuthentication" => {
                    "use v1alpha1 Policy `origins` on this release, or pass a later `--istio-version`"
                }
                "rbac.istio.io" => {
                    "convert them to `security.istio.io` AuthorizationPolicy, or pass the release they were written for"
                }
                _ => {
                    "convert them to `security.istio.io` PeerAuthentication, or pass the release they were written for"
                }
            })
            .at(first),
        );
    }

    let reused = reuse.is_some();
    let (workloads, services, services_by_fqdn, endpoints) = match reuse {
        Some(previous) => (
            previous.workloads.clone(),
            previous.services.clone(),
            previous.services_by_fqdn.clone(),
            previous.endpoints.clone(),
        ),
        None => {
            let mut workloads = workloads::derive(&workload_docs, &namespaces, version, diagnostics);
            services.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            let gateway = IngressGateway::new(&resources, &settings.root_namespace);
            workloads.extend(outside_callers(&callers, &workloads, &services, &gateway));
            workloads.sort_by(|a, b| a.id.cmp(&b.id));
            let services_by_fqdn = services.iter().enumerate().map(|(i, s)| (s.fqdn.clone(), i)).collect();
            let endpoints: Vec<Vec<usize>> = services
                .iter()
                .map(|svc| match &svc.selector {
                    // Workloads are sorted by id, so a namespace's are one run.
                    Some(selector) => {
                        let start = workloads.partition_point(|w| w.id.namespace < svc.namespace);
                        let end = workloads.partition_point(|w| w.id.namespace <= svc.namespace);
                        (start..end)
                            .filter(|&i| {
                                workloads
                                    .get(i)
                                    .is_some_and(|w| crate::model::selector_matches(selector, &w.labels))
                            })
                            .collect()
                    }
                    None if is_api_server_service(svc) => workloads
                        .iter()
                        .position(|w| w.id.namespace == API_SERVER.0 && w.id.name == API_SERVER.1)
                        .into_iter()
                        .collect(),
                    None => Vec::new(),
                })
                .collect();
            (
                workloads.into(),
                services.into(),
                Arc::new(services_by_fqdn),
                endpoints.into(),
            )
        }
    };
    let rules_by_host = match shared(|c| c.rules) {
        Some(previous) => Arc::clone(&previous.rules_by_host),
        None => Arc::new(RulesByHost::new(&destination_rules, &services)),
    };
    // A kind shared with the previous mesh, or the list just read.
    fn or_new<T>(previous: Option<&Shared<T>>, new: Vec<T>) -> Shared<T> {
        previous.map_or_else(|| new.into(), Shared::clone)
    }
    let authorization_by_namespace = match shared(|c| c.authorization) {
        Some(previous) => Arc::clone(&previous.authorization_by_namespace),
        None => Arc::new(index_by_namespace(authorization_policies.iter().map(|p| &p.meta))),
    };
    let mesh = Mesh {
        resources,
        requested,
        next_seq,
        settings,
        namespaces: reuse.map_or_else(|| Arc::new(namespaces), |m| Arc::clone(&m.namespaces)),
        workloads,
        services,
        services_by_fqdn,
        endpoints,
        authn_policies: or_new(shared(|c| c.authn).map(|m| &m.authn_policies), authn_policies),
        peer_authentications: or_new(
            shared(|c| c.peer).map(|m| &m.peer_authentications),
            peer_authentications,
        ),
        rules_by_host,
        destination_rules: or_new(shared(|c| c.rules).map(|m| &m.destination_rules), destination_rules),
        authorization_by_namespace,
        authorization_policies: or_new(
            shared(|c| c.authorization).map(|m| &m.authorization_policies),
            authorization_policies,
        ),
        rbac: shared(|c| c.rbac).map_or_else(|| Arc::new(rbac), |m| Arc::clone(&m.rbac)),
        request_authentications: or_new(
            shared(|c| c.request_authentication).map(|m| &m.request_authentications),
            request_authentications,
        ),
        network_policies: or_new(shared(|c| c.network).map(|m| &m.network_policies), network_policies),
        intents: or_new(reuse.map(|m| &m.intents), intents),
        diagnostics: Vec::new(),
    };
    // A policy-only what-if of the planner (`reuse`) is evaluated, never linted: nobody reads its
    // findings, and linting every candidate of a large plan costs more than evaluating it.
    if !reused {
        diagnostics.extend(lint::lint(&mesh));
    }
    let mut mesh = mesh;
    mesh.diagnostics = diagnostics.clone();
    mesh
}

/// The API server's identity as a caller (admission webhooks) and as the endpoint of `kubernetes.default`.
const API_SERVER: (&str, &str) = ("external", "kube-apiserver");

/// `default/kubernetes` without a selector: the Service the API server keeps for itself.
fn is_api_server_service(service: &Service) -> bool {
    service.namespace == "default" && service.name == "kubernetes" && service.selector.is_none()
}

/// Istio's ingress gateway as the server of `Ingress` resources: which of them it serves and where
/// it runs (mesh config `ingressClass`, `ingressService`, `ingressControllerMode`).
struct IngressGateway {
    class: String,
    /// `OFF`, `STRICT` or `DEFAULT`.
    mode: String,
    id: WorkloadId,
}

impl IngressGateway {
    fn new(resources: &[Arc<Stored>], root_namespace: &str) -> Self {
        let config = mesh_config(resources);
        let field = |get: fn(&MeshConfigDoc) -> Option<&String>, default: &str| {
            config.and_then(get).cloned().unwrap_or_else(|| default.to_owned())
        };
        Self {
            class: field(|m| m.config.ingress_class.as_ref(), "istio"),
            mode: field(|m| m.config.ingress_controller_mode.as_ref(), "STRICT").to_ascii_uppercase(),
            id: WorkloadId::new(
                root_namespace,
                field(|m| m.config.ingress_service.as_ref(), "istio-ingressgateway"),
            ),
        }
    }

    /// Istio's rule for an Ingress (its ingress controller's `shouldProcessIngressWithClass`):
    /// nothing when the mode is OFF; a class equal to the mesh's `ingressClass`; no class only in
    /// DEFAULT mode (the default mode, STRICT, leaves Ingresses without a class to other controllers).
    /// `spec.ingressClassName: istio` is taken as Istio's class: the IngressClass `istio` that
    /// Istio's docs create names Istio's controller.
    fn serves(&self, class: Option<&str>) -> bool {
        match (self.mode.as_str(), class) {
            ("OFF", _) => false,
            (_, Some(class)) => class == self.class,
            (mode, None) => mode == "DEFAULT",
        }
    }
}

/// Callers outside the mesh as clients that call only their targets: declared ones, ingress
/// controllers, the API server calling webhooks, and the kubelet probing through sidecars.
fn outside_callers(
    callers: &[&ingest::CallerDoc],
    workloads: &[Workload],
    services: &[Service],
    gateway: &IngressGateway,
) -> Vec<Workload> {
    let service_port = |host: &str, namespace: &str, port: &PortRef| -> Option<String> {
        let fqdn = crate::hosts::resolve_probe_host(host, namespace)?;
        let svc = services.iter().find(|s| s.fqdn == fqdn)?;
        let sp = svc.ports.iter().find(|p| port.matches(p))?;
        Some(format!("{}:{}", svc.fqdn, sp.port))
    };
    let mut by_id: BTreeMap<WorkloadId, Workload> = BTreeMap::new();
    let mut add =
        |id: WorkloadId, kind: &'static str, sidecar: bool, reason: &str, origin: &Origin, targets: Vec<String>| {
            let entry = by_id.entry(id.clone()).or_insert_with(|| Workload {
                id,
                kind,
                labels: Default::default(),
                service_account: "default".to_owned(),
                container_ports: Vec::new(),
                sidecar: crate::model::Sidecar {
                    present: sidecar,
                    reason: reason.to_owned(),
                },
                origin: origin.clone(),
                calls: Some(Vec::new()),
                unrewritten_probes: Vec::new(),
                address: None,
            });
            if let Some(calls) = entry.calls.as_mut() {
                calls.extend(targets);
                calls.sort();
                calls.dedup();
            }
        };
    // The gateway's pods when the input holds them: they call every service already.
    let gateway_in_input = workloads.iter().any(|w| w.id == gateway.id)
        || services
            .iter()
            .filter(|s| s.namespace == gateway.id.namespace && s.name == gateway.id.name)
            .filter_map(|s| s.selector.as_ref())
            .any(|sel| {
                workloads
                    .iter()
                    .any(|w| w.id.namespace == gateway.id.namespace && crate::model::selector_matches(sel, &w.labels))
            });
    let mut gateway_targets: Vec<String> = Vec::new();
    let mut gateway_origin: Option<&Origin> = None;
    let mut addresses = Vec::new();
    for c in callers {
        let targets = c
            .targets
            .iter()
            .filter_map(|(host, port)| service_port(host, &c.namespace, port))
            .collect();
        // Decision 16: an Ingress of Istio's class is served by Istio's ingress gateway, a proxy that
        // originates mTLS where a sidecar would (auto mTLS, DestinationRules), not by a sidecar-less caller.
        if c.kind == "IngressController" && gateway.serves(c.ingress_class.as_deref()) {
            gateway_targets.extend(targets);
            gateway_origin.get_or_insert(&c.origin);
            continue;
        }
        add(
            WorkloadId::new(c.namespace.clone(), c.name.clone()),
            c.kind,
            c.sidecar,
            &c.reason,
            &c.origin,
            targets,
        );
        if let Some(address) = c.address {
            addresses.push((WorkloadId::new(c.namespace.clone(), c.name.clone()), address));
        }
    }
    if let Some(origin) = gateway_origin.filter(|_| !gateway_in_input) {
        let reason = format!(
            "Istio's ingress gateway serving Ingress class `{}` (a proxy: it sends mTLS like a sidecar)",
            gateway.class
        );
        let id = gateway.id.clone();
        add(id, "IngressGateway", true, &reason, origin, gateway_targets);
    }
    // The Kubernetes API server serves the Service `default/kubernetes` (it keeps that Service's
    // endpoints itself, without a selector) and is never injected: an endpoint without a sidecar.
    if let Some(api) = services.iter().find(|s| is_api_server_service(s)) {
        add(
            WorkloadId::new(API_SERVER.0, API_SERVER.1),
            "KubeApiServer",
            false,
            "the Kubernetes API server runs without a sidecar",
            &api.origin,
            Vec::new(),
        );
    }
    // The kubelet probes pods directly; the edge is shown on the service port that reaches the probed
    // container port, which is what the sidecar decides on.
    let mut probed = Vec::new();
    for w in workloads.iter().filter(|w| !w.unrewritten_probes.is_empty()) {
        for svc in services.iter().filter(|s| s.namespace == w.id.namespace) {
            if !svc
                .selector
                .as_ref()
                .is_some_and(|sel| crate::model::selector_matches(sel, &w.labels))
            {
                continue;
            }
            for sp in &svc.ports {
                let Some(container_port) = w.container_port(sp) else {
                    continue;
                };
                let probed_here = w.unrewritten_probes.iter().any(|p| match p {
                    crate::model::TargetPort::Number(n) => *n == container_port,
                    crate::model::TargetPort::Name(name) => w
                        .container_ports
                        .iter()
                        .any(|cp| cp.name.as_deref() == Some(name.as_str()) && cp.port == container_port),
                });
                if probed_here {
                    probed.push((format!("{}:{}", svc.fqdn, sp.port), w.origin.clone()));
                }
            }
        }
    }
    if let Some((_, origin)) = probed.first() {
        let origin = origin.clone();
        let targets = probed.into_iter().map(|(t, _)| t).collect();
        add(
            WorkloadId::new("external", "kubelet"),
            "Kubelet",
            false,
            "the kubelet sends HTTP probes in plaintext (Istio did not rewrite them)",
            &origin,
            targets,
        );
    }
    for (id, address) in addresses {
        if let Some(w) = by_id.get_mut(&id) {
            w.address = Some(address);
        }
    }
    if let Some(w) = by_id.get_mut(&gateway.id).filter(|w| w.kind == "IngressGateway") {
        // The service account Istio's installers give the gateway (`<service>-service-account`).
        w.service_account = format!("{}-service-account", gateway.id.name);
    }
    by_id.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(mode: &str) -> IngressGateway {
        IngressGateway {
            class: "istio".to_owned(),
            mode: mode.to_owned(),
            id: WorkloadId::new("istio-system", "istio-ingressgateway"),
        }
    }

    #[test]
    fn resources_placed_by_the_source_namespace_are_written_back_with_it() {
        let text = "apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata:\n  name: default\nspec:\n  peers: [{mtls: {mode: PERMISSIVE}}]\n";
        let placed = Mesh::load(
            &[Source::new("p.yaml", text).in_namespace("foo")],
            &MeshSettings::default(),
        )
        .unwrap()
        .mesh;
        let meta = placed.policy_metas().next().unwrap();
        assert_eq!(meta.namespace, "foo");
        let again = Mesh::load(&[Source::new("p.yaml", meta.yaml.clone())], &MeshSettings::default()).unwrap();
        assert_eq!(again.mesh.policy_metas().next().unwrap().namespace, "foo");
        // A document with its namespace is written back as it was.
        let own = Mesh::load(
            &[Source::new("p.yaml", meta.yaml.clone()).in_namespace("bar")],
            &MeshSettings::default(),
        )
        .unwrap()
        .mesh;
        assert_eq!(own.policy_metas().next().unwrap().yaml, meta.yaml);
    }

    #[test]
    fn a_root_namespace_setting_must_be_a_namespace_name() {
        let settings = |root: &str| MeshSettings {
            root_namespace: Some(root.to_owned()),
            ..MeshSettings::default()
        };
        assert!(Mesh::load(&[], &settings("istio-config")).is_ok());
        for bad in ["Bad NS", "", "a.b", "x/y"] {
            let err = Mesh::load(&[], &settings(bad)).err().unwrap();
            assert_eq!(err.diagnostics[0].code, Code::InvalidValue, "{bad}");
            assert!(err.diagnostics[0].message.contains("root namespace"), "{bad}");
        }
    }

    #[test]
    fn which_ingresses_istio_serves() {
        let strict = gateway("STRICT");
        assert!(strict.serves(Some("istio")));
        assert!(!strict.serves(Some("nginx")));
        assert!(!strict.serves(None));
        let default = gateway("DEFAULT");
        assert!(default.serves(None));
        assert!(!default.serves(Some("nginx")));
        assert!(!gateway("OFF").serves(Some("istio")));
    }
}
