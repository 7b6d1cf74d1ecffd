//! The server side: which mTLS mode a workload's sidecar enforces on an inbound port.
//!
//! Two eras, chosen by the selected Istio release: v1alpha1 Policy/MeshPolicy (1.0–1.5), keyed by
//! *service* and service port; PeerAuthentication (1.5+), keyed by *workload* and container port.

use crate::explain::{Side, Step};
use crate::mesh::Mesh;
use crate::model::{AuthnPolicy, MtlsMode, PeerAuthentication, Port, Service, ServicePort, Workload, selector_matches};

/// The mode in force (never `Unset`) and the explanation of who decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerMode {
    pub mode: MtlsMode,
    pub step: Step,
}

/// Effective mode for `workload` behind `service:port`, listening on `container_port`.
pub fn server_mode(
    mesh: &Mesh,
    service: &Service,
    port: &ServicePort,
    workload: &Workload,
    container_port: Port,
) -> ServerMode {
    let version = mesh.settings.istio_version;
    // 1.5: a PeerAuthentication applies when one reaches the workload, otherwise v1alpha1 does.
    if version.has_peer_authentication() && (!version.has_v1alpha1_authn() || reaches(mesh, workload)) {
        peer_authentication_mode(mesh, workload, container_port)
    } else {
        v1alpha1_mode(mesh, service, port)
    }
}

fn reaches(mesh: &Mesh, workload: &Workload) -> bool {
    let layers = peer_layers(mesh, workload);
    layers.mesh.is_some() || layers.namespace.is_some() || layers.workload.is_some()
}

/// The oldest of several contenders (by creation timestamp, then name; input order without
/// timestamps): Istio's tie-break.
pub fn oldest<'a, T>(items: impl Iterator<Item = &'a T>, meta: impl Fn(&T) -> &crate::model::Meta) -> Option<&'a T>
where
    T: 'a,
{
    items.min_by(|a, b| meta(a).age_key().cmp(&meta(b).age_key()))
}

/// The three PeerAuthentication levels that reach a workload, oldest winning at each level.
pub struct PeerLayers<'a> {
    pub mesh: Option<&'a PeerAuthentication>,
    pub namespace: Option<&'a PeerAuthentication>,
    pub workload: Option<&'a PeerAuthentication>,
}

pub fn peer_layers<'a>(mesh: &'a Mesh, workload: &Workload) -> PeerLayers<'a> {
    let root = mesh.settings.root_namespace.as_str();
    let ns = workload.id.namespace.as_str();
    let all = &mesh.peer_authentications;
    let wide = |namespace: &str| {
        oldest(
            all.iter()
                .filter(|p| p.meta.namespace == namespace && p.is_namespace_wide()),
            |p| &p.meta,
        )
    };
    PeerLayers {
        mesh: wide(root),
        namespace: if ns == root { None } else { wide(ns) },
        // Selector policies in the root namespace are ignored (Istio docs, `getConfigsForWorkload`).
        workload: if ns == root {
            None
        } else {
            oldest(
                all.iter().filter(|p| {
                    p.meta.namespace == ns
                        && p.selector
                            .as_ref()
                            .is_some_and(|s| !s.is_empty() && selector_matches(s, &workload.labels))
                }),
                |p| &p.meta,
            )
        },
    }
}

/// `GetNamespaceMutualTLSMode`: namespace mode, else mesh mode; `None` when neither is set.
pub fn namespace_mode<'a>(mesh: &'a Mesh, namespace: &str) -> Option<(MtlsMode, &'a PeerAuthentication)> {
    let root = mesh.settings.root_namespace.as_str();
    let all = &mesh.peer_authentications;
    let wide = |ns: &str| {
        oldest(
            all.iter().filter(|p| p.meta.namespace == ns && p.is_namespace_wide()),
            |p| &p.meta,
        )
    };
    let ns_policy = if namespace == root { None } else { wide(namespace) };
    let mesh_policy = wide(root);
    match (ns_policy, mesh_policy) {
        (Some(p), _) if p.mode != MtlsMode::Unset => Some((p.mode, p)),
        // Mesh UNSET counts as PERMISSIVE.
        (_, Some(m)) => Some((
            if m.mode == MtlsMode::Unset {
                MtlsMode::Permissive
            } else {
                m.mode
            },
            m,
        )),
        (Some(p), None) => Some((MtlsMode::Permissive, p)),
        (None, None) => None,
    }
}

/// `ComposePeerAuthentication`: PERMISSIVE, then mesh → namespace → workload, each skipped when
/// UNSET; then the workload policy's `portLevelMtls` for the container port.
pub fn peer_authentication_mode(mesh: &Mesh, workload: &Workload, container_port: Port) -> ServerMode {
    let layers = peer_layers(mesh, workload);
    let mut mode = MtlsMode::Permissive;
    let mut decided: Option<(&PeerAuthentication, &str)> = None;
    for (policy, level) in [
        (layers.mesh, "mesh-wide"),
        (layers.namespace, "namespace-wide"),
        (layers.workload, "workload"),
    ] {
        if let Some(p) = policy
            && p.mode != MtlsMode::Unset
        {
            mode = p.mode;
            decided = Some((p, level));
        }
    }
    if let Some(p) = layers.workload
        && let Some(port_mode) = p.port_level.get(&container_port).filter(|m| **m != MtlsMode::Unset)
    {
        return ServerMode {
            mode: *port_mode,
            step: Step::new(
                Side::Server,
                Some(p.meta.display_ref()),
                format!("portLevelMtls for container port {container_port} sets {port_mode}"),
            ),
        };
    }
    let step = match decided {
        Some((p, level)) => Step::new(
            Side::Server,
            Some(p.meta.display_ref()),
            format!("{level} policy sets {mode}"),
        ),
        None => Step::new(
            Side::Server,
            None,
            "no PeerAuthentication applies: PERMISSIVE by default".to_owned(),
        ),
    };
    ServerMode { mode, step }
}

/// The v1alpha1 policy that decides, by meshlock's rule (Istio's intended order): service-specific >
/// namespace `default` > MeshPolicy `default` > none (no TLS filter chain: plaintext only). Ties:
/// oldest, reported at load.
pub fn v1alpha1_mode(mesh: &Mesh, service: &Service, port: &ServicePort) -> ServerMode {
    let (policy, level) = v1alpha1_policy(mesh, service, port);
    match policy {
        Some(p) => ServerMode {
            mode: p.mode,
            step: Step::new(
                Side::Server,
                Some(p.meta.display_ref()),
                format!("{level} sets {}", describe_v1alpha1(p.mode)),
            ),
        },
        None => ServerMode {
            mode: MtlsMode::Disable,
            step: Step::new(
                Side::Server,
                None,
                "no Policy or MeshPolicy applies: the sidecar accepts plaintext only".to_owned(),
            ),
        },
    }
}

fn describe_v1alpha1(mode: MtlsMode) -> String {
    match mode {
        MtlsMode::Disable => "no mtls peer (plaintext only)".to_owned(),
        other => other.to_string(),
    }
}

/// The policy that applies to `service:port`, and the level it applies at.
pub fn v1alpha1_policy<'a>(
    mesh: &'a Mesh,
    service: &Service,
    port: &ServicePort,
) -> (Option<&'a AuthnPolicy>, &'static str) {
    let same_namespace_only = mesh.settings.istio_version.v1alpha1_service_namespace_only();
    let targeted = mesh.v1alpha1_targeting(service, port, same_namespace_only);
    if let Some(p) = oldest(targeted.into_iter(), |p| &p.meta) {
        return (Some(p), "service-specific Policy");
    }
    let ns_default = oldest(
        mesh.authn_policies
            .iter()
            .filter(|p| !p.mesh_wide && p.meta.namespace == service.namespace && p.targets.is_empty()),
        |p| &p.meta,
    );
    if ns_default.is_some() {
        return (ns_default, "namespace-wide Policy");
    }
    (
        oldest(mesh.authn_policies.iter().filter(|p| p.mesh_wide), |p| &p.meta),
        "MeshPolicy",
    )
}
