//! The narrowest ways out for a blocked edge, in order: inject the client, fix the DestinationRule
//! that decides it, keep the port PERMISSIVE, accept the break. Injecting and accepting depend on
//! the client alone and keeping a port PERMISSIVE on the port alone, so they are built per client
//! or per port, never per edge: a 10,000-pod plan has millions of blocked edges.

use crate::mesh::Mesh;
use crate::migrate::diff::EdgeState;
use crate::migrate::plan::{Remedy, RemedyKind};
use crate::model::{Service, ServicePort, Workload, WorkloadId, yaml_str};
use crate::outcome::Reason;
use crate::resolve::server;

pub(crate) fn service_port<'a>(mesh: &'a Mesh, to: &str) -> Option<(&'a Service, &'a ServicePort)> {
    let (fqdn, port) = to.rsplit_once(':')?;
    let svc = mesh
        .service_index(&crate::model::Fqdn(fqdn.to_owned()))
        .and_then(|i| mesh.services.get(i))?;
    let port = svc.ports.iter().find(|p| p.port.to_string() == port)?;
    Some((svc, port))
}

/// Injecting a sidecar into `client` (when it has none and is a workload of the cluster), and
/// accepting that it breaks.
pub(crate) fn client_remedies(client: &Workload) -> (Option<Remedy>, Remedy) {
    let id = &client.id;
    let mut inject = None;
    if injectable(client) {
        let restart = match client.kind {
            "Deployment" | "StatefulSet" | "DaemonSet" => {
                format!(
                    "kubectl rollout restart {} {} -n {}",
                    client.kind.to_ascii_lowercase(),
                    id.name,
                    id.namespace
                )
            }
            "Job" | "CronJob" => format!(
                "re-run {} `{}`: pods created after the label are injected",
                client.kind, id.name
            ),
            _ => format!("delete and recreate pod `{}` in `{}`", id.name, id.namespace),
        };
        inject = Some(Remedy {
            kind: RemedyKind::InjectClient,
            target: id.namespace.clone(),
            description: format!("inject a sidecar into `{id}`; it then sends mTLS"),
            action: Some(format!(
                "kubectl label namespace {} istio-injection=enabled && {restart}",
                id.namespace
            )),
        });
    }
    let allow = Remedy {
        kind: RemedyKind::AllowBreak,
        target: id.to_string(),
        description: format!("accept that `{id}` breaks"),
        action: Some(format!("--allow-break {id}")),
    };
    (inject, allow)
}

/// Whether `client_remedies` offers injecting `client`.
pub(crate) fn injectable(client: &Workload) -> bool {
    !client.sidecar.present && client.calls.is_none()
}

/// The DestinationRule that keeps a sidecar client in plaintext, as the fix names it: the same
/// for every client and port it decides, so it is stored once and worded per edge (`remedy`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RuleFix {
    /// `DestinationRule ns/name`: the remedy's target.
    pub rule: String,
    pub found_in: &'static str,
}

impl RuleFix {
    /// The rule to fix for the edge from `client` to `service` when it would get `after`.
    pub(crate) fn of(mesh: &Mesh, client: &Workload, service: &Service, after: EdgeState) -> Option<Self> {
        // A sidecar client still sending plaintext: a DestinationRule decides it.
        if after.response.reason != Reason::PlaintextToStrict || !client.sidecar.present {
            return None;
        }
        let choice = crate::resolve::client::destination_rules(mesh, client, service)?;
        let rule = choice.rules.first()?;
        Some(Self {
            rule: rule.meta.display_ref(),
            found_in: choice.found_in,
        })
    }

    /// The remedy for the edge from `client` to the service `fqdn`.
    pub(crate) fn remedy(&self, client: &WorkloadId, fqdn: &str) -> Remedy {
        Remedy {
            kind: RemedyKind::FixDestinationRule,
            target: self.rule.clone(),
            description: format!(
                "`{}` (found in the {}) decides `{client}`'s TLS to `{fqdn}` without ISTIO_MUTUAL: set `trafficPolicy.tls.mode: ISTIO_MUTUAL` in it (and in its portLevelSettings)",
                self.rule, self.found_in,
            ),
            action: None,
        }
    }
}

/// Keeping the service port `to` PERMISSIVE while the rest locks down (before 1.5: not locking
/// its service).
pub(crate) fn keep_permissive(mesh: &Mesh, to: &str) -> Option<Remedy> {
    let (svc, port) = service_port(mesh, to)?;
    if !mesh.uses_peer_authentication() {
        // In 1.1 a port-specific Policy does not reliably beat a port-less one (store order
        // decides), so the narrowest safe choice is not locking this service.
        return Some(Remedy {
            kind: RemedyKind::KeepPermissive,
            target: svc.fqdn.to_string(),
            description: format!(
                "keep `{}` PERMISSIVE: skip this lock step (to lock its other ports, list them in the Policy's `targets[].ports`); plaintext stays unauthenticated there",
                svc.fqdn
            ),
            action: None,
        });
    }
    let endpoint = mesh.endpoints_of(svc).first().copied();
    // A workload-specific PeerAuthentication that already selects the endpoints is older than
    // a new one and would win (the oldest decides): the fix rewrites that one instead.
    let existing = endpoint.and_then(|w| server::peer_layers(mesh, w).workload);
    let (name, selector) = match existing {
        Some(p) => (p.meta.name.clone(), p.selector.clone().unwrap_or_default()),
        None => (
            format!("{}-keep-permissive", svc.name),
            svc.selector.clone().unwrap_or_default(),
        ),
    };
    let labels: Vec<String> = selector
        .iter()
        .map(|(k, v)| format!("{}: {}", yaml_str(k), yaml_str(v)))
        .collect();
    let target = endpoint
        .and_then(|w| w.container_port(port))
        .map_or_else(|| port.port.to_string(), |p| p.to_string());
    let action = format!(
        "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels: {{{labels}}}\n  mtls:\n    mode: STRICT\n  portLevelMtls:\n    {target}:\n      mode: PERMISSIVE\n",
        name = yaml_str(&name),
        ns = yaml_str(&svc.namespace),
        labels = labels.join(", "),
    );
    Some(Remedy {
        kind: RemedyKind::KeepPermissive,
        target: to.to_owned(),
        description: format!(
            "keep `{}` port {} PERMISSIVE (container port {target}) while the rest locks down; plaintext stays unauthenticated there",
            svc.fqdn, port.port
        ),
        action: Some(action),
    })
}
