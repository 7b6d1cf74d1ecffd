//! Host names as Istio resolves and matches them.

use crate::model::Fqdn;
use crate::settings::CLUSTER_DOMAIN;

/// `ResolveShortnameToFQDN`: a name without a dot is expanded in `namespace`; anything with a dot
/// (including `httpbin.foo`) is taken literally, and wildcards stay as they are.
pub fn resolve_in_namespace(host: &str, namespace: &str) -> String {
    if host == "*" || host.contains('.') {
        host.to_owned()
    } else {
        format!("{host}.{namespace}.svc.{CLUSTER_DOMAIN}")
    }
}

/// `name.ns` or `name.ns.svc`: a service shorthand that Istio does not expand, so it matches no
/// Kubernetes service. Returns the namespace part, for the caller to check it exists.
pub fn unqualified_service_namespace(host: &str) -> Option<&str> {
    let parts: Vec<&str> = host.split('.').collect();
    match parts.as_slice() {
        [name, ns] | [name, ns, "svc"] if !name.starts_with('*') => Some(ns),
        _ => None,
    }
}

/// How specifically a (resolved) rule host matches a service: exact beats any wildcard, and a
/// longer wildcard beats a shorter one (`host.MoreSpecific`). `None` when it does not match.
pub fn match_specificity(rule_host: &str, service: &Fqdn) -> Option<(bool, usize)> {
    if rule_host == service.0 {
        return Some((true, rule_host.len()));
    }
    if rule_host == "*" {
        return Some((false, 0));
    }
    let suffix = rule_host.strip_prefix('*')?;
    service.0.ends_with(suffix).then_some((false, suffix.len()))
}

/// The probe's host as Kubernetes DNS resolves it from a pod in `client_namespace`:
/// `httpbin` → own namespace, `httpbin.foo` and `httpbin.foo.svc` → namespace foo.
/// `None` for names outside the cluster domain.
pub fn resolve_probe_host(host: &str, client_namespace: &str) -> Option<Fqdn> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let cluster_suffix = format!(".svc.{CLUSTER_DOMAIN}");
    if let Some(stem) = host.strip_suffix(&cluster_suffix) {
        let mut parts = stem.split('.');
        return match (parts.next(), parts.next(), parts.next()) {
            (Some(name), Some(ns), None) => Some(Fqdn::for_service(name, ns)),
            _ => None,
        };
    }
    let parts: Vec<&str> = host.split('.').collect();
    match parts.as_slice() {
        [name] => Some(Fqdn::for_service(name, client_namespace)),
        [name, ns] | [name, ns, "svc"] => Some(Fqdn::for_service(name, ns)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_expand_and_dotted_names_do_not() {
        assert_eq!(resolve_in_namespace("httpbin", "foo"), "httpbin.foo.svc.cluster.local");
        assert_eq!(resolve_in_namespace("httpbin.foo", "bar"), "httpbin.foo");
        assert_eq!(resolve_in_namespace("*.local", "bar"), "*.local");
        assert_eq!(unqualified_service_namespace("httpbin.foo"), Some("foo"));
        assert_eq!(unqualified_service_namespace("httpbin.foo.svc"), Some("foo"));
        assert_eq!(unqualified_service_namespace("httpbin.foo.svc.cluster.local"), None);
        assert_eq!(unqualified_service_namespace("*.local"), None);
    }

    #[test]
    fn exact_beats_wildcards_and_longer_wildcards_win() {
        let svc = Fqdn::for_service("httpbin", "foo");
        let exact = match_specificity("httpbin.foo.svc.cluster.local", &svc).unwrap();
        let ns_wild = match_specificity("*.foo.svc.cluster.local", &svc).unwrap();
        let local = match_specificity("*.local", &svc).unwrap();
        assert!(exact > ns_wild && ns_wild > local);
        assert_eq!(match_specificity("httpbin.foo", &svc), None);
        assert_eq!(match_specificity("*.bar.svc.cluster.local", &svc), None);
    }

    #[test]
    fn probe_hosts_follow_kubernetes_dns() {
        let foo = Some(Fqdn::for_service("httpbin", "foo"));
        assert_eq!(resolve_probe_host("httpbin", "foo"), foo);
        assert_eq!(resolve_probe_host("httpbin.foo", "legacy"), foo);
        assert_eq!(resolve_probe_host("httpbin.foo.svc", "legacy"), foo);
        assert_eq!(resolve_probe_host("httpbin.foo.svc.cluster.local.", "legacy"), foo);
        assert_eq!(resolve_probe_host("example.com.au.x", "legacy"), None);
    }
}
