//! `networking.k8s.io/v1` NetworkPolicy: the wire schema (every field declared, so that a typo is
//! reported) and its reading into the model, with `policyTypes` defaulted as the API server does.

use serde::Deserialize;

use super::locate::YamlPath;
use super::wire::{IntOrString, Labels, ObjectMeta};
use super::{ObjectReader, Read, Resource};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{
    Cidr, LabelExpression, LabelSelector, NetPeer, NetPort, NetRule, NetworkPolicy, Port, PortRef, SelectorOperator,
};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Wire {
    pub metadata: ObjectMeta,
    pub spec: Spec,
    pub status: Option<super::wire::ReadPast>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Spec {
    pub pod_selector: Selector,
    pub policy_types: Vec<String>,
    pub ingress: Vec<IngressRule>,
    pub egress: Vec<EgressRule>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Selector {
    pub match_labels: Labels,
    pub match_expressions: Vec<Expression>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Expression {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IngressRule {
    pub from: Vec<Peer>,
    pub ports: Vec<WirePort>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EgressRule {
    pub to: Vec<Peer>,
    pub ports: Vec<WirePort>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Peer {
    pub pod_selector: Option<Selector>,
    pub namespace_selector: Option<Selector>,
    pub ip_block: Option<IpBlock>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IpBlock {
    pub cidr: String,
    pub except: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WirePort {
    pub protocol: Option<String>,
    pub port: Option<IntOrString>,
    pub end_port: Option<i64>,
}

impl ObjectReader<'_> {
    pub(super) fn network_policy(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((np, unknown)) = self.decode_spec::<Wire>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&np.metadata, &mut out) else {
            return out;
        };
        let spec = YamlPath::default().key("spec");
        let mut errors = Vec::new();
        let pod_selector = self.selector(&np.spec.pod_selector, spec.clone().key("podSelector"), &mut errors);
        // Kubernetes' defaulting (pkg/apis/networking/v1/defaults.go): without `policyTypes`, a
        // policy always affects ingress, and egress when it has at least one egress rule.
        let (mut ingress_type, mut egress_type) = (false, false);
        if np.spec.policy_types.is_empty() {
            ingress_type = true;
            egress_type = !np.spec.egress.is_empty();
        }
        for (i, t) in np.spec.policy_types.iter().enumerate() {
            match t.as_str() {
                "Ingress" => ingress_type = true,
                "Egress" => egress_type = true,
                other => errors.push(self.error(
                    Code::InvalidValue,
                    spec.clone().key("policyTypes").index(i),
                    format!("unknown policy type `{other}`"),
                    "`policyTypes` lists `Ingress` and/or `Egress`",
                )),
            }
        }
        let ingress: Vec<NetRule> = np
            .spec
            .ingress
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let path = spec.clone().key("ingress").index(i);
                self.rule(&r.from, "from", &r.ports, path, &mut errors, &mut out)
            })
            .collect();
        let egress: Vec<NetRule> = np
            .spec
            .egress
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let path = spec.clone().key("egress").index(i);
                self.rule(&r.to, "to", &r.ports, path, &mut errors, &mut out)
            })
            .collect();
        if !errors.is_empty() {
            out.extend(errors);
            return out;
        }
        let meta = self.meta("NetworkPolicy", &np.metadata, name);
        out.push(Read::Modelled(Resource::NetworkPolicy(NetworkPolicy {
            meta,
            pod_selector,
            ingress: ingress_type.then_some(ingress),
            egress: egress_type.then_some(egress),
        })));
        out
    }

    fn selector(&self, wire: &Selector, path: YamlPath, errors: &mut Vec<Read>) -> LabelSelector {
        let mut match_expressions = Vec::new();
        for (i, e) in wire.match_expressions.iter().enumerate() {
            let operator = match e.operator.as_str() {
                "In" => SelectorOperator::In,
                "NotIn" => SelectorOperator::NotIn,
                "Exists" => SelectorOperator::Exists,
                "DoesNotExist" => SelectorOperator::DoesNotExist,
                other => {
                    errors.push(self.error(
                        Code::InvalidValue,
                        path.clone().key("matchExpressions").index(i).key("operator"),
                        format!("unknown selector operator `{other}`"),
                        "use `In`, `NotIn`, `Exists` or `DoesNotExist`",
                    ));
                    continue;
                }
            };
            match_expressions.push(LabelExpression {
                key: e.key.clone(),
                operator,
                values: e.values.clone(),
            });
        }
        LabelSelector {
            match_labels: wire.match_labels.clone(),
            match_expressions,
        }
    }

    fn rule(
        &self,
        peers: &[Peer],
        field: &str,
        ports: &[WirePort],
        path: YamlPath,
        errors: &mut Vec<Read>,
        out: &mut Vec<Read>,
    ) -> NetRule {
        let mut rule = NetRule {
            ports: Vec::new(),
            peers: Vec::new(),
        };
        for (i, peer) in peers.iter().enumerate() {
            let at = path.clone().key(field).index(i);
            let peer = match (&peer.pod_selector, &peer.namespace_selector, &peer.ip_block) {
                (None, None, Some(block)) => match self.ip_block(block, at.clone().key("ipBlock"), errors) {
                    Some((cidr, except)) => {
                        if !cidr.is_everything() {
                            out.push(Read::Diagnostic(
                                Diagnostic::warning(
                                    Code::IpBlockPeer,
                                    format!(
                                        "`ipBlock` {cidr} admits only callers declared with an address in it: \
                                         meshlock assumes no pod has an IP in it"
                                    ),
                                )
                                .with_help(
                                    "pod IPs are not in the input; if this range covers your pod network, pods \
                                     it admits are reported as denied: select them with `podSelector` / \
                                     `namespaceSelector` instead",
                                )
                                .at(self.ctx.location(&at, None)),
                            ));
                        }
                        NetPeer::IpBlock { cidr, except }
                    }
                    None => NetPeer::Invalid,
                },
                (None, None, None) => {
                    out.push(self.note(
                        Code::InvalidValue,
                        at,
                        "an empty peer is rejected by the API server: it admits nothing here".to_owned(),
                        "give the peer a `podSelector`, a `namespaceSelector` or an `ipBlock`",
                    ));
                    NetPeer::Invalid
                }
                (pods, namespaces, None) => NetPeer::Pods {
                    pods: pods
                        .as_ref()
                        .map(|s| self.selector(s, at.clone().key("podSelector"), errors)),
                    namespaces: namespaces
                        .as_ref()
                        .map(|s| self.selector(s, at.clone().key("namespaceSelector"), errors)),
                },
                (_, _, Some(_)) => {
                    out.push(
                        self.note(
                            Code::InvalidValue,
                            at,
                            "`ipBlock` cannot be combined with a selector in one peer: the API server rejects it; \
                         it admits nothing here"
                                .to_owned(),
                            "write the `ipBlock` and the selectors as separate peers",
                        ),
                    );
                    NetPeer::Invalid
                }
            };
            rule.peers.push(peer);
        }
        for (i, p) in ports.iter().enumerate() {
            let at = path.clone().key("ports").index(i);
            let protocol = p
                .protocol
                .clone()
                .unwrap_or_else(|| "TCP".to_owned())
                .to_ascii_uppercase();
            let port = match &p.port {
                None => None,
                Some(IntOrString::Int(n)) => match Port::parse(*n) {
                    Some(n) => Some(PortRef::Number(n)),
                    None => {
                        errors.push(self.error(
                            Code::InvalidValue,
                            at.key("port"),
                            format!("port {n} is out of range"),
                            "a port is 1..65535",
                        ));
                        continue;
                    }
                },
                Some(IntOrString::String(s)) => match s.parse::<i64>().ok().and_then(Port::parse) {
                    Some(n) => Some(PortRef::Number(n)),
                    None => Some(PortRef::Name(s.clone())),
                },
            };
            let end_port = match (p.end_port, &port) {
                (None, _) => None,
                (Some(end), Some(PortRef::Number(start))) if Port::parse(end).is_some_and(|e| e >= *start) => {
                    Port::parse(end)
                }
                (Some(end), _) => {
                    errors.push(self.error(
                        Code::InvalidValue,
                        at.key("endPort"),
                        format!("`endPort: {end}` needs a numeric `port` no greater than it"),
                        "`endPort` closes a range that a numeric `port` opens",
                    ));
                    continue;
                }
            };
            rule.ports.push(NetPort {
                protocol,
                port,
                end_port,
            });
        }
        rule
    }

    fn ip_block(&self, block: &IpBlock, path: YamlPath, errors: &mut Vec<Read>) -> Option<(Cidr, Vec<Cidr>)> {
        let mut bad = |text: &str, at: YamlPath| {
            errors.push(self.error(
                Code::InvalidValue,
                at,
                format!("`{text}` is not a CIDR"),
                "write an IP range as ADDRESS/PREFIX, e.g. `10.0.0.0/8`",
            ));
        };
        let Some(cidr) = Cidr::parse(&block.cidr) else {
            bad(&block.cidr, path.key("cidr"));
            return None;
        };
        let mut except = Vec::new();
        for (i, e) in block.except.iter().enumerate() {
            match Cidr::parse(e) {
                Some(c) => except.push(c),
                None => bad(e, path.clone().key("except").index(i)),
            }
        }
        Some((cidr, except))
    }
}
