//! Findings about the loaded mesh that do not stop the analysis: ambiguity (several contenders where
//! one wins: the oldest, and every one is named), dotted host names that Istio does not expand and
//! so match nothing, ports that no workload exposes, root-namespace selectors.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Code, Diagnostic};
use crate::hosts;
use crate::mesh::{Mesh, origin_location};
use crate::model::{Meta, Port, PortRef, selector_matches};

pub fn lint(mesh: &Mesh) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    unqualified_hosts(mesh, &mut out);
    peer_authentication_conflicts(mesh, &mut out);
    v1alpha1_conflicts(mesh, &mut out);
    merged_destination_rules(mesh, &mut out);
    unexposed_ports(mesh, &mut out);
    if !mesh.intents.is_empty() {
        out.extend(mesh.declared_edges().1);
    }
    out
}

fn contenders(metas: &[&Meta]) -> String {
    let mut sorted = metas.to_vec();
    sorted.sort_by(|a, b| a.age_key().cmp(&b.age_key()));
    sorted
        .iter()
        .map(|m| format!("`{}`", m.display_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn conflict(metas: &[&Meta], what: &str) -> Diagnostic {
    let mut sorted = metas.to_vec();
    sorted.sort_by(|a, b| a.age_key().cmp(&b.age_key()));
    let winner = sorted.first().map(|m| m.display_ref()).unwrap_or_default();
    Diagnostic::warning(Code::PolicyConflict, format!("{} {what}: {}; the oldest, `{winner}`, wins", metas.len(), contenders(metas)))
        .with_help("keep one policy per level: Istio picks the oldest (by creationTimestamp, then name); without timestamps meshlock takes input order")
        .at(origin_location(sorted.first().map(|m| &m.origin)))
}

/// A dotted but not fully qualified host (`httpbin.foo`) is taken literally by Istio and matches
/// nothing; say so.
fn unqualified_hosts(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let known: BTreeSet<&str> = mesh
        .namespaces
        .keys()
        .map(String::as_str)
        .chain(mesh.services.iter().map(|s| s.namespace.as_str()))
        .chain(mesh.workloads.iter().map(|w| w.id.namespace.as_str()))
        .collect();
    let mut warn = |meta: &Meta, host: &str, what: &str| {
        if let Some(ns) = hosts::unqualified_service_namespace(host)
            && known.contains(ns)
        {
            let name = host.split('.').next().unwrap_or(host);
            out.push(
                Diagnostic::warning(
                    Code::UnqualifiedHost,
                    format!("{what} `{host}` is dotted but not fully qualified: Istio takes it literally and it matches no service"),
                )
                .with_help(format!("write `{name}.{ns}.svc.cluster.local` (or `{name}` inside namespace `{ns}`)"))
                .at(origin_location(Some(&meta.origin))),
            );
        }
    };
    for dr in &mesh.destination_rules {
        warn(&dr.meta, &dr.host, "DestinationRule host");
    }
    for policy in &mesh.authn_policies {
        for target in &policy.targets {
            warn(&policy.meta, &target.name, "Policy target");
        }
    }
}

fn peer_authentication_conflicts(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let root = mesh.settings.root_namespace.as_str();
    let mut wide: BTreeMap<&str, Vec<&Meta>> = BTreeMap::new();
    for pa in &mesh.peer_authentications {
        if pa.is_namespace_wide() {
            wide.entry(pa.meta.namespace.as_str()).or_default().push(&pa.meta);
        } else if pa.meta.namespace == root {
            out.push(
                Diagnostic::warning(
                    Code::RootSelectorIgnored,
                    format!(
                        "`{}` has a workload selector in the root namespace `{root}`: Istio ignores it",
                        pa.meta.display_ref()
                    ),
                )
                .with_help("move it to the workload's namespace, or drop the selector to make it mesh-wide")
                .at(origin_location(Some(&pa.meta.origin))),
            );
        }
    }
    for (ns, metas) in wide.into_iter().filter(|(_, m)| m.len() > 1) {
        let level = if ns == root {
            "mesh-wide PeerAuthentications"
        } else {
            "namespace-wide PeerAuthentications"
        };
        out.push(conflict(&metas, &format!("{level} in `{ns}`")));
    }
    for workload in mesh.workloads.iter() {
        let matching: Vec<&Meta> = mesh
            .peer_authentications
            .iter()
            .filter(|p| p.meta.namespace == workload.id.namespace && p.meta.namespace != root)
            .filter(|p| {
                p.selector
                    .as_ref()
                    .is_some_and(|s| !s.is_empty() && selector_matches(s, &workload.labels))
            })
            .map(|p| &p.meta)
            .collect();
        if matching.len() > 1 {
            out.push(conflict(
                &matching,
                &format!("workload PeerAuthentications select `{}`", workload.id),
            ));
        }
    }
}

fn v1alpha1_conflicts(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let mut defaults: BTreeMap<&str, Vec<&Meta>> = BTreeMap::new();
    for p in mesh
        .authn_policies
        .iter()
        .filter(|p| !p.mesh_wide && p.targets.is_empty())
    {
        defaults.entry(p.meta.namespace.as_str()).or_default().push(&p.meta);
    }
    for (ns, metas) in defaults.into_iter().filter(|(_, m)| m.len() > 1) {
        out.push(conflict(&metas, &format!("namespace-wide Policies in `{ns}`")));
    }
    let same_ns = mesh.settings.istio_version.v1alpha1_service_namespace_only();
    for service in mesh.services.iter() {
        for port in &service.ports {
            let targeting = mesh.v1alpha1_targeting(service, port, same_ns);
            if targeting.len() > 1 {
                let metas: Vec<&Meta> = targeting.iter().map(|p| &p.meta).collect();
                out.push(conflict(
                    &metas,
                    &format!("service-specific Policies target `{}:{}`", service.fqdn, port.port),
                ));
            }
        }
    }
}

fn merged_destination_rules(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let mut by_host: BTreeMap<(&str, String), Vec<&Meta>> = BTreeMap::new();
    for dr in &mesh.destination_rules {
        let host = hosts::resolve_in_namespace(&dr.host, &dr.meta.namespace);
        by_host
            .entry((dr.meta.namespace.as_str(), host))
            .or_default()
            .push(&dr.meta);
    }
    for ((ns, host), metas) in by_host.into_iter().filter(|(_, m)| m.len() > 1) {
        out.push(
            Diagnostic::info(
                Code::DestinationRulesMerged,
                format!("{} DestinationRules for `{host}` in `{ns}` are merged: {}; the top-level trafficPolicy comes from the oldest that has one", metas.len(), contenders(&metas)),
            )
            .with_help("merge them into one DestinationRule to make the result obvious")
            .at(origin_location(metas.first().map(|m| &m.origin))),
        );
    }
}

/// A port named by a policy that no workload or service exposes: the most common silent mistake
/// (PeerAuthentication `portLevelMtls` names the container port, the others the Service port).
fn unexposed_ports(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for pa in &mesh.peer_authentications {
        let Some(selector) = pa.selector.as_ref() else { continue };
        let selected: Vec<(usize, &crate::model::Workload)> = mesh
            .workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| w.id.namespace == pa.meta.namespace && selector_matches(selector, &w.labels))
            .collect();
        if selected.is_empty() {
            continue;
        }
        // Only the Services in front of the selected workloads say which Service port leads to
        // which container port: another Service of the namespace (sleep's port 80) is no hint.
        let fronting: Vec<(&crate::model::ServicePort, Port)> = mesh
            .services
            .iter()
            .zip(mesh.endpoints.iter())
            .filter(|(_, endpoints)| endpoints.iter().any(|i| selected.iter().any(|(j, _)| i == j)))
            .flat_map(|(s, endpoints)| {
                s.ports.iter().filter_map(move |sp| {
                    endpoints
                        .iter()
                        .filter_map(|i| mesh.workloads.get(*i))
                        .find_map(|w| w.container_port(sp))
                        .map(|target| (sp, target))
                })
            })
            .collect();
        for port in pa.port_level.keys() {
            if selected
                .iter()
                .any(|(_, w)| w.container_ports.iter().any(|p| p.port == *port))
            {
                continue;
            }
            // The common mistake: the Service port instead of the container port.
            let service_hint = match fronting.iter().find(|(sp, _)| sp.port == *port) {
                Some((_, target)) => format!("{port} is the Service port; the workload port is {target}"),
                None if fronting.is_empty() => format!("no selected workload declares container port {port}"),
                None => {
                    let routes: Vec<String> = fronting.iter().map(|(sp, t)| format!("{}→{t}", sp.port)).collect();
                    format!(
                        "no selected workload declares container port {port} (its Services route {})",
                        routes.join(", ")
                    )
                }
            };
            out.push(
                Diagnostic::warning(
                    Code::PortNotExposed,
                    format!(
                        "`{}` sets portLevelMtls for port {port}, which no selected workload exposes: {service_hint}",
                        pa.meta.display_ref()
                    ),
                )
                .with_help("portLevelMtls is keyed by the container (target) port, not the Service port")
                .at(origin_location(Some(&pa.meta.origin))),
            );
        }
    }
    for policy in &mesh.authn_policies {
        for target in &policy.targets {
            let fqdn = hosts::resolve_in_namespace(&target.name, &policy.meta.namespace);
            let Some(service) = mesh.services.iter().find(|s| s.fqdn.0 == fqdn) else {
                continue;
            };
            for port in &target.ports {
                if !service.ports.iter().any(|sp| port.matches(sp)) {
                    out.push(unexposed_service_port(&policy.meta, port, &service.fqdn.0));
                }
            }
        }
    }
    for dr in &mesh.destination_rules {
        let host = hosts::resolve_in_namespace(&dr.host, &dr.meta.namespace);
        let matching: Vec<_> = mesh
            .services
            .iter()
            .filter(|s| hosts::match_specificity(&host, &s.fqdn).is_some())
            .collect();
        if matching.is_empty() || host.starts_with('*') {
            continue;
        }
        for level in &dr.port_level {
            if !matching.iter().any(|s| s.ports.iter().any(|sp| level.port.matches(sp))) {
                out.push(unexposed_service_port(&dr.meta, &level.port, &host));
            }
        }
    }
}

fn unexposed_service_port(meta: &Meta, port: &PortRef, host: &str) -> Diagnostic {
    Diagnostic::warning(
        Code::PortNotExposed,
        format!(
            "`{}` names port {port}, which Service `{host}` does not expose",
            meta.display_ref()
        ),
    )
    .with_help("v1alpha1 targets and DestinationRule portLevelSettings use the Service port")
    .at(origin_location(Some(&meta.origin)))
}
