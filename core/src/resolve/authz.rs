//! Authorization at the server's sidecar: CUSTOM (skipped), then DENY, then ALLOW.
//!
//! The mTLS-only attributes (`principals`, `namespaces`, `source.principal`, `source.namespace`)
//! are absent for plaintext: a positive match on them fails, a negative one (`notNamespaces`)
//! succeeds. That is ISTIO-SECURITY-2021-004: ALLOW-by-principal denies plaintext with 403,
//! DENY-by-namespace lets plaintext through.

use crate::explain::{Side, Step};
use crate::hosts;
use crate::mesh::Mesh;
use crate::model::{
    AuthorizationPolicy, AuthzAction, AuthzRule, LegacyRbac, Match, Port, RbacConfig, RbacMode, Workload,
    selector_matches,
};

/// What the server's sidecar knows about one request.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// `<trust-domain>/ns/<ns>/sa/<sa>`, only over mTLS.
    pub principal: Option<String>,
    /// The client's namespace, only over mTLS.
    pub namespace: Option<&'a str>,
    /// The container port the request arrives on.
    pub port: Port,
    /// The server's sidecar carries the port as TCP: HTTP-only conditions cannot be evaluated.
    pub tcp: bool,
    pub method: &'a str,
    pub path: &'a str,
    /// The service's FQDN and port, for legacy RBAC rules.
    pub host: &'a str,
    pub service_port: Port,
}

impl LegacyRbac {
    /// Whether RBAC is on for this service (the `default` config decides).
    pub fn enforced(&self, namespace: &str, host: &str) -> Option<&RbacConfig> {
        let config = self.configs.iter().find(|c| c.meta.name == "default")?;
        let listed = |services: &[String], namespaces: &[String]| {
            services.iter().any(|s| glob(s, host)) || namespaces.iter().any(|n| n == namespace)
        };
        let on = match config.mode {
            RbacMode::Off => false,
            RbacMode::On => true,
            RbacMode::OnWithInclusion => listed(&config.inclusion_services, &config.inclusion_namespaces),
            RbacMode::OnWithExclusion => !listed(&config.exclusion_services, &config.exclusion_namespaces),
        };
        on.then_some(config)
    }

    /// `None`: allowed (or RBAC off); `Some`: 403, and why. Once on, everything is denied unless a
    /// binding of a matching role names the caller; `user` (other than `*`) and `source.namespace`
    /// need mTLS.
    fn denial(&self, namespace: &str, request: &Request<'_>) -> Option<Step> {
        let config = self.enforced(namespace, request.host)?;
        let short = request.host.split('.').next().unwrap_or(request.host);
        let allowed = self
            .bindings
            .iter()
            .filter(|b| b.meta.namespace == namespace)
            .any(|binding| {
                let role_matches = self
                    .roles
                    .iter()
                    .filter(|r| r.meta.namespace == namespace && r.meta.name == binding.role)
                    .any(|role| {
                        role.rules.iter().any(|rule| {
                            rule.services.iter().any(|s| {
                                s == "*"
                                    || glob(s, request.host)
                                    || hosts::resolve_in_namespace(s, namespace) == request.host
                                    || s == short
                            }) && (rule.methods.is_empty() || rule.methods.iter().any(|m| glob(m, request.method)))
                                && (rule.paths.is_empty() || rule.paths.iter().any(|p| glob(p, request.path)))
                                && (rule.ports.is_empty() || rule.ports.contains(&request.service_port))
                        })
                    });
                role_matches
                    && binding.subjects.iter().any(|subject| {
                        let user = match subject.user.as_deref() {
                            None | Some("*") => true,
                            Some(user) => request.principal.as_deref().is_some_and(|p| glob(user, p)),
                        };
                        let namespace_ok = subject.namespaces.is_empty()
                            || request
                                .namespace
                                .is_some_and(|n| subject.namespaces.iter().any(|s| glob(s, n)));
                        user && namespace_ok
                    })
            });
        (!allowed).then(|| {
            let over = if request.principal.is_some() {
                "mTLS"
            } else {
                "plaintext (no peer identity for `user` or `source.namespace`)"
            };
            Step::new(
                Side::Server,
                Some(config.meta.display_ref()),
                format!(
                    "RBAC is on for `{}` and no ServiceRoleBinding allows this {over} request: denied",
                    request.host
                ),
            )
        })
    }
}

/// `None`: allowed; `Some(step)`: denied with 403, and why.
pub fn denial(mesh: &Mesh, endpoint: &Workload, request: &Request<'_>) -> Option<Step> {
    if let Some(step) = mesh.rbac.denial(&endpoint.id.namespace, request) {
        return Some(step);
    }
    let applicable: Vec<&AuthorizationPolicy> = mesh
        .authorization_in(&endpoint.id.namespace)
        .filter(|p| applies(mesh, p, endpoint))
        .collect();
    let over = if request.principal.is_some() {
        "mTLS"
    } else {
        "plaintext"
    };
    for policy in applicable.iter().filter(|p| p.action == AuthzAction::Deny) {
        if let Some(i) = policy
            .rules
            .iter()
            .position(|r| rule_matches(r, request, AuthzAction::Deny))
        {
            let dropped = dropped_on_tcp(&policy.rules, request, AuthzAction::Deny);
            return Some(Step::new(
                Side::Server,
                Some(policy.meta.display_ref()),
                format!("DENY rule {i} matches this {over} request{dropped}: denied"),
            ));
        }
    }
    let allows: Vec<&&AuthorizationPolicy> = applicable.iter().filter(|p| p.action == AuthzAction::Allow).collect();
    if allows.is_empty()
        || allows
            .iter()
            .any(|p| p.rules.iter().any(|r| rule_matches(r, request, AuthzAction::Allow)))
    {
        return None;
    }
    let names: Vec<String> = allows.iter().map(|p| p.meta.display_ref()).collect();
    let dropped: String = allows
        .iter()
        .map(|p| dropped_on_tcp(&p.rules, request, AuthzAction::Allow))
        .collect();
    let hint = if request.principal.is_none() && allows.iter().any(|p| uses_peer_identity(p)) {
        " (its principals and namespaces can only match mTLS: plaintext carries no peer identity)"
    } else {
        ""
    };
    Some(Step::new(
        Side::Server,
        Some(names.join(", ")),
        format!("ALLOW policies apply but no rule matches this {over} request{hint}{dropped}: denied"),
    ))
}

/// `{trust domain}/ns/{namespace}/sa/{service account}`: the peer identity mTLS carries.
pub fn principal_of(mesh: &Mesh, namespace: &str, service_account: &str) -> String {
    format!("{}/ns/{namespace}/sa/{service_account}", mesh.settings.trust_domain)
}

/// The patterns against which authorization at one endpoint matches a client's principal and
/// namespace (`rule_matches`, legacy RBAC subjects). Two clients that match the same patterns
/// get the same decision: the class table groups clients by this signature.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct IdentityPatterns {
    principals: Vec<String>,
    namespaces: Vec<String>,
}

impl IdentityPatterns {
    pub fn extend(&mut self, other: IdentityPatterns) {
        self.principals.extend(other.principals);
        self.namespaces.extend(other.namespaces);
    }

    pub fn is_empty(&self) -> bool {
        self.principals.is_empty() && self.namespaces.is_empty()
    }

    pub fn normalise(&mut self) {
        for list in [&mut self.principals, &mut self.namespaces] {
            list.sort();
            list.dedup();
        }
    }

    /// The principal patterns, then the namespace patterns (the order of `signature`).
    pub fn patterns(&self) -> (&[String], &[String]) {
        (&self.principals, &self.namespaces)
    }

    /// Which patterns the client's principal and namespace match.
    pub fn signature(&self, principal: &str, namespace: &str) -> Vec<bool> {
        self.principals
            .iter()
            .map(|p| glob(p, principal))
            .chain(self.namespaces.iter().map(|p| glob(p, namespace)))
            .collect()
    }
}

/// Every principal and namespace pattern that authorization at `endpoint` compares a client with.
pub fn identity_patterns(mesh: &Mesh, endpoint: &Workload) -> IdentityPatterns {
    let mut out = IdentityPatterns::default();
    let mut add = |m: &Match, list: fn(&mut IdentityPatterns) -> &mut Vec<String>| {
        list(&mut out).extend(m.values.iter().chain(&m.not_values).cloned());
    };
    for policy in mesh
        .authorization_in(&endpoint.id.namespace)
        .filter(|p| applies(mesh, p, endpoint))
    {
        for rule in &policy.rules {
            for from in &rule.from {
                add(&from.principals, |o| &mut o.principals);
                add(&from.namespaces, |o| &mut o.namespaces);
            }
            // As `rule_matches` reads `when`: `source.principal`, else the namespace.
            for (key, m) in &rule.when {
                if key == "source.principal" {
                    add(m, |o| &mut o.principals);
                } else {
                    add(m, |o| &mut o.namespaces);
                }
            }
        }
    }
    if !mesh.rbac.configs.is_empty() {
        for binding in mesh
            .rbac
            .bindings
            .iter()
            .filter(|b| b.meta.namespace == endpoint.id.namespace)
        {
            for subject in &binding.subjects {
                out.principals.extend(subject.user.iter().cloned());
                out.namespaces.extend(subject.namespaces.iter().cloned());
            }
        }
    }
    out
}

/// Root-namespace policies apply mesh-wide; others to their namespace; a selector narrows both.
pub fn applies(mesh: &Mesh, policy: &AuthorizationPolicy, endpoint: &Workload) -> bool {
    let scope = policy.meta.namespace == mesh.settings.root_namespace || policy.meta.namespace == endpoint.id.namespace;
    scope
        && policy
            .selector
            .as_ref()
            .is_none_or(|s| selector_matches(s, &endpoint.labels))
}

pub fn uses_peer_identity(policy: &AuthorizationPolicy) -> bool {
    policy.rules.iter().any(|r| {
        r.from
            .iter()
            .any(|f| !f.principals.is_empty() || !f.namespaces.is_empty())
            || r.when
                .iter()
                .any(|(k, _)| k == "source.principal" || k == "source.namespace")
    })
}

/// On a TCP port, HTTP-only conditions cannot be evaluated (Istio skips them on a TCP filter chain).
/// An ALLOW rule that holds one is dropped (it admits nothing); in a DENY rule only the condition
/// is dropped.
fn rule_matches(rule: &AuthzRule, request: &Request<'_>, action: AuthzAction) -> bool {
    let drop_http = request.tcp && !rule.http_only.is_empty();
    if drop_http && action == AuthzAction::Allow {
        return false;
    }
    if rule
        .unsupported
        .iter()
        .any(|u| !(drop_http && rule.http_only.contains(u)))
    {
        return false;
    }
    let principal = request.principal.as_deref();
    let from = rule.from.is_empty()
        || rule
            .from
            .iter()
            .any(|s| matches(&s.principals, principal) && matches(&s.namespaces, request.namespace));
    let port = request.port.to_string();
    let to = rule.to.is_empty()
        || rule.to.iter().any(|o| {
            matches(&o.ports, Some(&port))
                && (drop_http || (matches(&o.methods, Some(request.method)) && matches(&o.paths, Some(request.path))))
        });
    let when = rule.when.iter().all(|(key, m)| match key.as_str() {
        "source.principal" => matches(m, principal),
        _ => matches(m, request.namespace),
    });
    from && to && when
}

/// On a TCP port, what Istio drops from `rules` (for the explanation).
fn dropped_on_tcp(rules: &[AuthzRule], request: &Request<'_>, action: AuthzAction) -> String {
    if !request.tcp {
        return String::new();
    }
    let dropped: Vec<String> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.http_only.is_empty())
        .map(|(i, r)| format!("rule {i} ({})", r.http_only.join(", ")))
        .collect();
    if dropped.is_empty() {
        return String::new();
    }
    match action {
        AuthzAction::Allow => format!(
            "; on this TCP port Istio drops {}: HTTP-only conditions cannot be evaluated on a TCP filter chain",
            dropped.join(", ")
        ),
        _ => format!(
            "; on this TCP port Istio drops the HTTP-only conditions of {}, which widens the DENY",
            dropped.join(", ")
        ),
    }
}

/// Positive values need the attribute and a match; negative values fail only on a match.
fn matches(m: &Match, attribute: Option<&str>) -> bool {
    let hit = |values: &[String]| attribute.is_some_and(|a| values.iter().any(|v| glob(v, a)));
    (m.values.is_empty() || hit(&m.values)) && !hit(&m.not_values)
}

/// Istio's string match: exact, `*` (any), `prefix*` or `*suffix`.
fn glob(pattern: &str, value: &str) -> bool {
    match Glob::of(pattern) {
        Glob::Any => true,
        Glob::Prefix(prefix) => value.starts_with(prefix),
        Glob::Suffix(suffix) => value.ends_with(suffix),
        Glob::Exact(exact) => exact == value,
    }
}

/// An authorization pattern: `*`, `prefix*`, `*suffix` or an exact value (Istio's string match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glob<'a> {
    Any,
    Prefix(&'a str),
    Suffix(&'a str),
    Exact(&'a str),
}

impl<'a> Glob<'a> {
    pub fn of(pattern: &'a str) -> Self {
        if pattern == "*" {
            Glob::Any
        } else if let Some(prefix) = pattern.strip_suffix('*') {
            Glob::Prefix(prefix)
        } else if let Some(suffix) = pattern.strip_prefix('*') {
            Glob::Suffix(suffix)
        } else {
            Glob::Exact(pattern)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(values: &[&str], not_values: &[&str]) -> Match {
        Match {
            values: values.iter().map(|s| (*s).to_owned()).collect(),
            not_values: not_values.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn absent_peer_identity_fails_positive_and_passes_negative_matches() {
        assert!(!matches(&m(&["cluster.local/ns/foo/sa/sleep"], &[]), None));
        assert!(
            matches(&m(&[], &["foo"]), None),
            "notNamespaces lets plaintext from foo through"
        );
        assert!(!matches(&m(&["foo"], &[]), None), "namespaces never matches plaintext");
        assert!(matches(&m(&["*"], &[]), Some("cluster.local/ns/foo/sa/sleep")));
        assert!(matches(
            &m(&["cluster.local/ns/foo/*"], &[]),
            Some("cluster.local/ns/foo/sa/sleep")
        ));
        assert!(
            !matches(&m(&[], &["*"]), Some("x")),
            "notPrincipals: [*] denies any peer"
        );
    }
}
