//! Kubernetes NetworkPolicy (`networking.k8s.io/v1`): whether the packets of a connection from a
//! client to one endpoint's container port get through at all. This is decided below Istio: the
//! sidecars use the pod's network, so their traffic is subject to the same rules, and a connection
//! the network drops never reaches the server's sidecar (no mTLS, no authorization).
//!
//! The rules followed (Kubernetes' NetworkPolicy API reference and "Network Policies" concept page):
//! - A pod is isolated for ingress (egress) only when some policy of its namespace selects it with
//!   `Ingress` (`Egress`) among its `policyTypes`; `policyTypes` defaults to `Ingress`, plus
//!   `Egress` when the policy has egress rules (applied when reading, `ingest::netpol`).
//! - An isolated pod admits what the union of its selecting policies' rules allows; a policy with
//!   no rules for a type admits nothing of it. A connection needs both the client's egress and the
//!   server's ingress to allow it.
//! - A rule admits a connection when a port entry matches (none: every port) and a peer matches
//!   (a missing or empty `from`/`to`: every peer). Ports are the destination pod's container
//!   ports: a named port is looked up among the destination pod's container ports; `endPort` makes
//!   a range; only `TCP` entries match (meshlock models TCP service ports only).
//! - A peer with `podSelector` alone selects pods of the policy's namespace; with
//!   `namespaceSelector` alone every pod of the matching namespaces; both together, pods matching
//!   the pod selector in the matching namespaces. Namespace labels come from Namespace documents,
//!   plus the `kubernetes.io/metadata.name` label the API server sets on every namespace.
//! - Traffic from the node where a pod runs is always allowed: the kubelet's probes get through.
//!
//! What meshlock cannot know, and assumes:
//! - Pod IPs are not in the input. An `ipBlock` peer matches a pod only when its CIDR is `/0`
//!   (every address); a narrower CIDR is assumed to hold no pod IP, and `except` ranges too
//!   (reported as ML308, `ip-block-peer`). `ipBlock` is meant for cluster-external addresses.
//! - Istio's ingress gateway, when its pods are not in the input, is a pod of the root namespace
//!   without labels. Other callers (declared `ExternalCaller`s, other ingress controllers, the
//!   API server calling webhooks) are outside the pod network:
//!   selectors never match them, only `ipBlock` peers do, by their declared `address` (without
//!   one, only a `/0` block). They are never isolated for egress.
//! - A workload's pods are evaluated as distinct pods (a pod's traffic to itself, always allowed
//!   by Kubernetes, is not told apart from traffic to a sibling pod).

use std::collections::HashMap;

use crate::explain::{Side, Step};
use crate::mesh::Mesh;
use crate::model::{Labels, NetPeer, NetPort, NetRule, NetworkPolicy, Port, PortRef, Workload};

/// The label the API server puts on every namespace (Kubernetes 1.21+).
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// What a workload is to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Party {
    /// A pod of the input: selectors can match it, policies can isolate it.
    Pod,
    /// The kubelet (the node): always admitted.
    Node,
    /// Anything else: matched only by `ipBlock` peers.
    Outside,
}

fn party(w: &Workload) -> Party {
    match (&w.calls, w.kind) {
        (None, _) => Party::Pod,
        // Istio's ingress gateway when its pods are not in the input: still a pod of its namespace
        // (labels unknown), so namespace selectors match it.
        (Some(_), "IngressGateway") => Party::Pod,
        (Some(_), "Kubelet") => Party::Node,
        (Some(_), _) => Party::Outside,
    }
}

/// Namespace labels, as policies' `namespaceSelector`s read them.
pub(crate) struct NamespaceLabels<'a> {
    mesh: &'a Mesh,
    cache: HashMap<String, Labels>,
}

impl<'a> NamespaceLabels<'a> {
    pub(crate) fn new(mesh: &'a Mesh) -> Self {
        Self {
            mesh,
            cache: HashMap::new(),
        }
    }

    fn get(&mut self, namespace: &str) -> &Labels {
        let mesh = self.mesh;
        self.cache.entry(namespace.to_owned()).or_insert_with(|| {
            let mut labels = mesh
                .namespaces
                .get(namespace)
                .map(|n| n.labels.clone())
                .unwrap_or_default();
            labels.insert(NAMESPACE_NAME_LABEL.to_owned(), namespace.to_owned());
            labels
        })
    }
}

/// Whether `policy` selects `w` (a pod of the policy's namespace matching its `podSelector`).
fn selects(policy: &NetworkPolicy, w: &Workload) -> bool {
    party(w) == Party::Pod && w.id.namespace == policy.meta.namespace && policy.pod_selector.matches(&w.labels)
}

/// Whether `peer` of a rule of a policy in `policy_namespace` matches the workload `other`.
fn peer_matches(
    peer: &NetPeer,
    policy_namespace: &str,
    other: &Workload,
    namespaces: &mut NamespaceLabels<'_>,
) -> bool {
    match peer {
        NetPeer::Pods { pods, namespaces: ns } => {
            party(other) == Party::Pod
                && match ns {
                    None => other.id.namespace == policy_namespace,
                    Some(selector) => selector.matches(namespaces.get(&other.id.namespace)),
                }
                && pods.as_ref().is_none_or(|s| s.matches(&other.labels))
        }
        NetPeer::IpBlock { cidr, except } => match other.address {
            Some(ip) => cidr.contains(ip) && !except.iter().any(|e| e.contains(ip)),
            // An unknown address (every pod's): only in a block of every address.
            None => cidr.is_everything(),
        },
        NetPeer::Invalid => false,
    }
}

/// Whether a port entry list admits `port` on the destination `dest`.
fn ports_match(ports: &[NetPort], dest: &Workload, port: Port) -> bool {
    ports.is_empty()
        || ports.iter().any(|p| {
            p.protocol == "TCP"
                && match &p.port {
                    None => true,
                    Some(PortRef::Number(start)) => match p.end_port {
                        Some(end) => *start <= port && port <= end,
                        None => *start == port,
                    },
                    Some(PortRef::Name(name)) => dest
                        .container_ports
                        .iter()
                        .any(|cp| cp.name.as_deref() == Some(name.as_str()) && cp.port == port),
                }
        })
}

fn rule_admits(
    rule: &NetRule,
    policy_namespace: &str,
    peer: &Workload,
    dest: &Workload,
    port: Port,
    namespaces: &mut NamespaceLabels<'_>,
) -> bool {
    ports_match(&rule.ports, dest, port)
        && (rule.peers.is_empty()
            || rule
                .peers
                .iter()
                .any(|p| peer_matches(p, policy_namespace, peer, namespaces)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    fn rules(self, policy: &NetworkPolicy) -> Option<&[NetRule]> {
        match self {
            Direction::Ingress => policy.ingress.as_deref(),
            Direction::Egress => policy.egress.as_deref(),
        }
    }
}

/// The network's verdict on one connection, with the steps that explain it (when asked).
#[derive(Debug, Clone, Default)]
pub struct NetworkVerdict {
    pub denied: bool,
    pub steps: Vec<Step>,
}

/// Whether the client's packets reach `server`'s container `port`: the client's egress, then the
/// server's ingress.
pub fn verdict(mesh: &Mesh, client: &Workload, server: &Workload, port: Port, explain: bool) -> NetworkVerdict {
    let mut out = NetworkVerdict::default();
    if mesh.network_policies.is_empty() {
        return out;
    }
    let mut namespaces = NamespaceLabels::new(mesh);
    for direction in [Direction::Egress, Direction::Ingress] {
        // Egress isolates the client and its rules match the server; ingress the other way round.
        let (isolated, peer) = match direction {
            Direction::Egress => (client, server),
            Direction::Ingress => (server, client),
        };
        if direction == Direction::Ingress && party(client) == Party::Node {
            if explain
                && mesh
                    .network_policies
                    .iter()
                    .any(|p| selects(p, server) && p.ingress.is_some())
            {
                out.steps.push(Step::new(
                    Side::Network,
                    None,
                    format!(
                        "traffic from the node is always allowed by NetworkPolicy: {} reaches {}",
                        client.id, server.id
                    ),
                ));
            }
            continue;
        }
        let policies: Vec<&NetworkPolicy> = mesh
            .network_policies
            .iter()
            .filter(|p| direction.rules(p).is_some() && selects(p, isolated))
            .collect();
        if policies.is_empty() {
            continue;
        }
        let admitting = policies.iter().find_map(|p| {
            let rules = direction.rules(p).unwrap_or_default();
            rules
                .iter()
                .position(|r| rule_admits(r, &p.meta.namespace, peer, server, port, &mut namespaces))
                .map(|i| (p, i))
        });
        let names: Vec<String> = policies.iter().map(|p| p.meta.display_ref()).collect();
        let what = match direction {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        };
        match admitting {
            Some((p, i)) => {
                if explain {
                    out.steps.push(Step::new(
                        Side::Network,
                        Some(p.meta.display_ref()),
                        format!(
                            "{} is isolated for {what} (by {}); {what} rule {i} admits {} on container port {port}",
                            isolated.id,
                            names.join(", "),
                            peer.id
                        ),
                    ));
                }
            }
            None => {
                out.denied = true;
                if explain {
                    let named = policies.len() > 1;
                    let why: Vec<String> = policies
                        .iter()
                        .map(|p| why_not(p, direction, server, port, named))
                        .collect();
                    let text = format!(
                        "{} is isolated for {what} (selected by {}); no rule admits {} {} {} on container port \
                         {port}: {}; the packets are dropped",
                        isolated.id,
                        names.join(", "),
                        match direction {
                            Direction::Ingress => "the connection from",
                            Direction::Egress => "the connection to",
                        },
                        peer.id,
                        describe_party(peer, &mut namespaces),
                        why.join("; ")
                    );
                    out.steps.push(Step::new(Side::Network, Some(names.join(", ")), text));
                }
                // Both sides' reasons are worth reading; the verdict is already known.
                if !explain {
                    return out;
                }
            }
        }
    }
    out
}

/// `(pod, labels {…}, namespace labels {…})` or what else the peer is.
fn describe_party(w: &Workload, namespaces: &mut NamespaceLabels<'_>) -> String {
    match party(w) {
        Party::Pod => format!(
            "(labels {}, namespace labels {})",
            labels_text(&w.labels),
            labels_text(namespaces.get(&w.id.namespace))
        ),
        Party::Node => "(the node)".to_owned(),
        Party::Outside => match w.address {
            Some(ip) => format!("(not a pod of the input; address {ip})"),
            None => "(not a pod of the input; no address declared)".to_owned(),
        },
    }
}

fn labels_text(labels: &Labels) -> String {
    let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

/// Why no rule of `policy` admits the pair, rule by rule.
fn why_not(policy: &NetworkPolicy, direction: Direction, dest: &Workload, port: Port, named: bool) -> String {
    let name = if named {
        format!("{}: ", policy.meta.display_ref())
    } else {
        String::new()
    };
    let rules = direction.rules(policy).unwrap_or_default();
    if rules.is_empty() {
        let what = match direction {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        };
        return format!("{name}no {what} rule (nothing is admitted)");
    }
    let mut parts = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if !ports_match(&rule.ports, dest, port) {
            let ports: Vec<String> = rule.ports.iter().map(port_text).collect();
            parts.push(format!("rule {i} admits other ports ({})", ports.join(", ")));
            continue;
        }
        let peers: Vec<String> = rule
            .peers
            .iter()
            .map(|p| peer_text(p, &policy.meta.namespace))
            .collect();
        parts.push(format!("rule {i} admits only {}", peers.join(" or ")));
    }
    format!("{name}{}", parts.join(", "))
}

fn port_text(p: &NetPort) -> String {
    let port = match (&p.port, p.end_port) {
        (None, _) => "any".to_owned(),
        (Some(PortRef::Number(n)), Some(end)) => format!("{n}-{end}"),
        (Some(port), _) => port.to_string(),
    };
    format!("{port}/{}", p.protocol)
}

fn peer_text(peer: &NetPeer, policy_namespace: &str) -> String {
    match peer {
        NetPeer::Pods { pods, namespaces } => {
            let pods = pods.as_ref().map_or("pods".to_owned(), |s| format!("pods {s}"));
            match namespaces {
                None => format!("{pods} in namespace {policy_namespace}"),
                Some(s) => format!("{pods} in namespaces {s}"),
            }
        }
        NetPeer::IpBlock { cidr, except } if except.is_empty() => format!("ipBlock {cidr}"),
        NetPeer::IpBlock { cidr, except } => {
            let except: Vec<String> = except.iter().map(ToString::to_string).collect();
            format!("ipBlock {cidr} except {}", except.join(", "))
        }
        NetPeer::Invalid => "an invalid peer (nothing)".to_owned(),
    }
}

/// Per workload, an id of everything NetworkPolicy evaluation reads of it as a client: what it is
/// (pod, node, outside), which egress-isolating policies select it, and which ingress peers match
/// it. Clients with the same id meet the same verdict on every connection (`classes`).
pub fn client_signatures(mesh: &Mesh) -> Vec<u32> {
    if mesh.network_policies.is_empty() {
        return vec![0; mesh.workloads.len()];
    }
    let mut namespaces = NamespaceLabels::new(mesh);
    let mut ids: HashMap<(Party, Vec<bool>), u32> = HashMap::new();
    mesh.workloads
        .iter()
        .map(|w| {
            let mut bits = Vec::new();
            for policy in &mesh.network_policies {
                if policy.egress.is_some() {
                    bits.push(selects(policy, w));
                }
                for rule in policy.ingress.iter().flatten() {
                    for peer in &rule.peers {
                        bits.push(peer_matches(peer, &policy.meta.namespace, w, &mut namespaces));
                    }
                }
            }
            let next = ids.len() as u32;
            *ids.entry((party(w), bits)).or_insert(next)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::model::{Cidr, LabelExpression, LabelSelector, Labels, SelectorOperator};

    #[test]
    fn label_selector_operators() {
        let labels: Labels = [("app".to_owned(), "web".to_owned())].into_iter().collect();
        let expr = |key: &str, operator, values: &[&str]| LabelSelector {
            match_labels: Labels::new(),
            match_expressions: vec![LabelExpression {
                key: key.to_owned(),
                operator,
                values: values.iter().map(|v| (*v).to_owned()).collect(),
            }],
        };
        assert!(LabelSelector::default().matches(&labels));
        assert!(expr("app", SelectorOperator::In, &["web", "api"]).matches(&labels));
        assert!(!expr("app", SelectorOperator::In, &["api"]).matches(&labels));
        assert!(!expr("tier", SelectorOperator::In, &["a"]).matches(&labels));
        assert!(expr("tier", SelectorOperator::NotIn, &["a"]).matches(&labels));
        assert!(!expr("app", SelectorOperator::NotIn, &["web"]).matches(&labels));
        assert!(expr("app", SelectorOperator::Exists, &[]).matches(&labels));
        assert!(expr("tier", SelectorOperator::DoesNotExist, &[]).matches(&labels));
        assert!(!expr("app", SelectorOperator::DoesNotExist, &[]).matches(&labels));
    }

    #[test]
    fn cidrs() {
        let net = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(net.contains("10.1.2.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().is_everything());
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("192.0.2.1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0.1").is_none());
        assert!(Cidr::parse("::/0").unwrap().contains("::1".parse().unwrap()));
        assert!(
            Cidr::parse("203.0.113.7/32")
                .unwrap()
                .contains("203.0.113.7".parse().unwrap())
        );
    }
}
