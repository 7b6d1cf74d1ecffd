//! The client side: what a client's sidecar originates towards a service port.
//!
//! Order: the DestinationRule TLS setting if any rule sets one (then auto mTLS is off for that
//! port), else auto mTLS (when on), else plaintext. A client without a sidecar always sends plaintext.

use crate::explain::{Side, Step};
use crate::hosts;
use crate::mesh::Mesh;
use crate::model::{DestinationRule, MtlsMode, PortRef, Service, ServicePort, TlsMode, Workload, selector_matches};
use crate::resolve::server;

/// What the client sends, for every endpoint or decided per endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origination {
    Plaintext,
    /// Istio mTLS (ISTIO_MUTUAL) to every endpoint, with or without a sidecar.
    Mtls,
    /// User TLS from a DestinationRule (SIMPLE or MUTUAL) to every endpoint.
    UserTls(TlsMode),
    /// Auto mTLS: mTLS to endpoints with a sidecar, plaintext to the rest; from 1.10 also
    /// plaintext to an endpoint whose policy for the target port is DISABLE.
    AutoPerEndpoint {
        honour_disable: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientChoice {
    pub origination: Origination,
    pub steps: Vec<Step>,
}

/// The DestinationRules that decide for one client and host: merged rules of one namespace.
#[derive(Debug)]
pub struct RuleChoice<'a> {
    /// Same host, same namespace, oldest first; the first with a `trafficPolicy` supplies it.
    pub rules: Vec<&'a DestinationRule>,
    pub found_in: &'static str,
    /// Rules that match the host too but lose to `rules` (a namespace earlier in the lookup wins).
    pub shadowed: Vec<&'a DestinationRule>,
}

pub fn client_choice(mesh: &Mesh, client: &Workload, service: &Service, port: &ServicePort) -> ClientChoice {
    if !client.sidecar.present {
        return ClientChoice {
            origination: Origination::Plaintext,
            steps: vec![Step::new(
                Side::Client,
                None,
                format!(
                    "{} has no sidecar ({}): it sends plaintext, and no DestinationRule applies",
                    client.id, client.sidecar.reason
                ),
            )],
        };
    }
    let mut steps = vec![Step::new(
        Side::Client,
        None,
        format!("{} has a sidecar ({})", client.id, client.sidecar.reason),
    )];
    let version = mesh.settings.istio_version;
    let choice = destination_rules(mesh, client, service);
    let mut port_entry_without_tls: Option<Option<TlsMode>> = None;
    if let Some(choice) = &choice {
        for loser in &choice.shadowed {
            steps.push(Step::new(
                Side::Client,
                Some(loser.meta.display_ref()),
                format!(
                    "host `{}` also matches, but is shadowed: the lookup stops at the first namespace with a match",
                    loser.host
                ),
            ));
        }
        let names: Vec<String> = choice.rules.iter().map(|r| r.meta.display_ref()).collect();
        match choice.rules.iter().find(|r| r.has_traffic_policy) {
            None => steps.push(Step::new(
                Side::Client,
                Some(names.join(" + ")),
                format!("found in the {}, but it has no trafficPolicy", choice.found_in),
            )),
            Some(rule) => {
                let level = rule.port_level.iter().find(|pl| match &pl.port {
                    PortRef::Number(n) => *n == port.port,
                    PortRef::Name(name) => version.port_level_by_name() && port.name.as_deref() == Some(name.as_str()),
                });
                let (tls, where_) = match level {
                    Some(pl) => (pl.tls, format!("portLevelSettings for port {}", port.port)),
                    None => (rule.tls, "trafficPolicy".to_owned()),
                };
                let merged = if names.len() > 1 {
                    format!(" (merged with {})", names.join(", "))
                } else {
                    String::new()
                };
                match tls {
                    Some(mode) => {
                        steps.push(Step::new(
                            Side::Client,
                            Some(rule.meta.display_ref()),
                            format!(
                                "found in the {}{merged}: {where_} sets tls.mode {mode}",
                                choice.found_in
                            ),
                        ));
                        return ClientChoice {
                            origination: origination_for(mode),
                            steps,
                        };
                    }
                    None => {
                        steps.push(Step::new(
                            Side::Client,
                            Some(rule.meta.display_ref()),
                            format!(
                                "found in the {}{merged}: {where_} sets no tls, so the rule does not choose TLS",
                                choice.found_in
                            ),
                        ));
                        if level.is_some() {
                            port_entry_without_tls = Some(rule.tls);
                        }
                    }
                }
            }
        }
    } else {
        steps.push(Step::new(
            Side::Client,
            None,
            format!("no DestinationRule matches `{}`", service.fqdn),
        ));
    }
    let (origination, text) = auto_mtls(mesh, service, port_entry_without_tls);
    steps.push(text);
    ClientChoice { origination, steps }
}

fn origination_for(mode: TlsMode) -> Origination {
    match mode {
        TlsMode::Disable => Origination::Plaintext,
        TlsMode::IstioMutual => Origination::Mtls,
        user => Origination::UserTls(user),
    }
}

/// Auto mTLS, or plaintext when it is off: plaintext when the service's namespace- or mesh-wide mode
/// is DISABLE, else mTLS to the endpoints with a sidecar; port entries without `tls` and headless
/// services as the selected release treats them.
fn auto_mtls(mesh: &Mesh, service: &Service, port_entry_without_tls: Option<Option<TlsMode>>) -> (Origination, Step) {
    let settings = &mesh.settings;
    let version = settings.istio_version;
    let step = |text: String| Step::new(Side::Client, None, text);
    if !settings.auto_mtls {
        let why = if version.minor() < 4 {
            format!("Istio {version} has no auto mTLS")
        } else {
            "auto mTLS is off".to_owned()
        };
        return (
            Origination::Plaintext,
            step(format!("{why}: the sidecar sends plaintext")),
        );
    }
    let service_mode = service_mtls_mode(mesh, service);
    if matches!(service_mode, MtlsMode::Disable) {
        return (
            Origination::Plaintext,
            step("auto mTLS: the service namespace's mode is DISABLE, so the sidecar sends plaintext".to_owned()),
        );
    }
    // 1.10+: a port-level entry without tls keeps the rule's top-level mode for every endpoint.
    if version.auto_mtls_honours_workload_disable()
        && let Some(top) = port_entry_without_tls
        && let Some(top) = top
    {
        let origination = if top == TlsMode::IstioMutual {
            Origination::Mtls
        } else {
            Origination::Plaintext
        };
        return (
            origination,
            step(format!(
                "auto mTLS, but the rule's top-level tls.mode {top} decides every endpoint"
            )),
        );
    }
    if service.headless {
        let endpoints = mesh.endpoints_of(service);
        return match version.minor() {
            4 => (
                Origination::Plaintext,
                step("auto mTLS (1.4) sends plaintext to headless services".to_owned()),
            ),
            5..=7 => (
                Origination::Mtls,
                step("auto mTLS (1.5–1.7) sends mTLS to every endpoint of a headless service".to_owned()),
            ),
            _ if endpoints.is_empty() || endpoints.iter().any(|w| !w.sidecar.present) => (
                Origination::Plaintext,
                step(
                    "auto mTLS: a headless service with an endpoint without a sidecar gets plaintext to all endpoints"
                        .to_owned(),
                ),
            ),
            _ => (
                Origination::Mtls,
                step("auto mTLS: every endpoint of the headless service has a sidecar: mTLS to all".to_owned()),
            ),
        };
    }
    let honour_disable = version.auto_mtls_honours_workload_disable();
    (
        Origination::AutoPerEndpoint { honour_disable },
        step(format!(
            "auto mTLS (service mode {service_mode}): mTLS to endpoints with a sidecar, plaintext to the others{}",
            if honour_disable {
                " and to ports whose policy is DISABLE"
            } else {
                ""
            }
        )),
    )
}

/// `BestEffortInferServiceMTLSMode` without the headless part: namespace/mesh PeerAuthentication
/// mode; in 1.4 (and 1.5 without PeerAuthentication) the v1alpha1 policy of the service.
fn service_mtls_mode(mesh: &Mesh, service: &Service) -> MtlsMode {
    let version = mesh.settings.istio_version;
    if version.has_peer_authentication()
        && let Some((mode, _)) = server::namespace_mode(mesh, &service.namespace)
    {
        return mode;
    }
    if version.has_v1alpha1_authn() {
        // The 1.4 rule keys by service; every port of a service shares the decision here unless
        // a port-specific Policy says otherwise, so use the first port's policy.
        if let Some(port) = service.ports.first() {
            return server::v1alpha1_mode(mesh, service, port).mode;
        }
    }
    MtlsMode::Permissive
}

/// The DestinationRule a client's sidecar uses: client namespace, then service namespace (rules
/// exported to the client), then root namespace; the first namespace with any match wins, even by a
/// less specific wildcard; within it the most specific host; rules for the same host merge.
pub fn destination_rules<'a>(mesh: &'a Mesh, client: &Workload, service: &Service) -> Option<RuleChoice<'a>> {
    let version = mesh.settings.istio_version;
    let client_ns = client.id.namespace.as_str();
    let visible_matches = |dr: &&DestinationRule| visible(dr, client_ns, mesh) && rule_match(dr, service).is_some();
    if version.global_destination_rules() {
        // 1.0: rules are global; the most specific host wins, the newest among equals.
        let best = mesh.destination_rules.iter().filter(visible_matches).max_by(|a, b| {
            rule_match(a, service)
                .cmp(&rule_match(b, service))
                .then(a.meta.age_key().cmp(&b.meta.age_key()))
        })?;
        let shadowed = mesh
            .destination_rules
            .iter()
            .filter(visible_matches)
            .filter(|d| !std::ptr::eq(*d, best))
            .collect();
        return Some(RuleChoice {
            rules: vec![best],
            found_in: "global rule set (Istio 1.0: newest most specific)",
            shadowed,
        });
    }
    let root = mesh.settings.root_namespace.as_str();
    let mut order = vec![(client_ns, "client namespace")];
    if service.namespace != client_ns {
        order.push((service.namespace.as_str(), "service namespace"));
    }
    if root != client_ns && root != service.namespace {
        order.push((root, "root namespace"));
    }
    let matching: Vec<&DestinationRule> = mesh
        .destination_rules_for(&service.fqdn)
        .filter(|d| rule_match(d, service).is_some())
        .collect();
    let mut chosen: Option<RuleChoice<'a>> = None;
    for (namespace, label) in order {
        let in_ns: Vec<&DestinationRule> = matching
            .iter()
            .copied()
            .filter(|d| d.meta.namespace == namespace)
            .filter(|d| match &d.workload_selector {
                // A rule with a workloadSelector applies only to matching clients in its namespace.
                Some(sel) => namespace == client_ns && selector_matches(sel, &client.labels),
                None => true,
            })
            .collect();
        let candidates: Vec<&DestinationRule> = if version.export_to_namespaces() {
            // 1.7+: the most specific host decides the namespace; if it is not exported to the
            // client, the namespace yields nothing (`getExportedDestinationRuleFromNamespace`).
            let best = in_ns.iter().map(|d| rule_match(d, service)).max().flatten();
            in_ns
                .into_iter()
                .filter(|d| rule_match(d, service) == best)
                .filter(|d| visible(d, client_ns, mesh))
                .collect()
        } else {
            let visible_rules: Vec<&DestinationRule> =
                in_ns.into_iter().filter(|d| visible(d, client_ns, mesh)).collect();
            let best = visible_rules.iter().map(|d| rule_match(d, service)).max().flatten();
            visible_rules
                .into_iter()
                .filter(|d| rule_match(d, service) == best)
                .collect()
        };
        match &mut chosen {
            None if !candidates.is_empty() => {
                let mut rules = candidates;
                rules.sort_by(|a, b| a.meta.age_key().cmp(&b.meta.age_key()));
                chosen = Some(RuleChoice {
                    rules,
                    found_in: label,
                    shadowed: Vec::new(),
                });
            }
            Some(choice) => choice.shadowed.extend(candidates),
            None => {}
        }
    }
    chosen
}

/// Specificity of a rule's resolved host against the service, if it matches.
pub(crate) fn rule_match(dr: &DestinationRule, service: &Service) -> Option<(bool, usize)> {
    if dr.host.contains('.') || dr.host.starts_with('*') {
        return hosts::match_specificity(&dr.host, &service.fqdn);
    }
    // A short name resolves to `host.namespace.svc.<domain>` and matches only that FQDN: compare
    // it without building the name (this runs for every rule of a namespace on every lookup).
    let fqdn = service.fqdn.0.as_str();
    let rest = fqdn
        .strip_prefix(dr.host.as_str())
        .and_then(|r| r.strip_prefix('.'))
        .and_then(|r| r.strip_prefix(dr.meta.namespace.as_str()))
        .and_then(|r| r.strip_prefix(".svc."))?;
    (rest == crate::settings::CLUSTER_DOMAIN).then_some((true, fqdn.len()))
}

/// `exportTo`: up to 1.6 only the first entry counts, `.` private, anything else
/// public; from 1.7 namespace names are honoured.
fn visible(dr: &DestinationRule, client_ns: &str, mesh: &Mesh) -> bool {
    let own = dr.meta.namespace == client_ns;
    if mesh.settings.istio_version.export_to_namespaces() {
        dr.export_to.is_empty()
            || dr
                .export_to
                .iter()
                .any(|e| e == "*" || e == client_ns || (e == "." && own))
    } else {
        own || dr.export_to.first().is_none_or(|e| e != ".")
    }
}
