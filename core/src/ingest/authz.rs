//! `AuthorizationPolicy`: the rules meshlock evaluates, and the fields it cannot evaluate from YAML
//! (reported, and the rule treated as never matching).

use super::locate::YamlPath;
use super::{ObjectReader, Read, Resource, wire};
use crate::diagnostic::Code;
use crate::model::{AuthorizationPolicy, AuthzAction, AuthzRule, Match, OperationMatch, SourceMatch};

impl ObjectReader<'_> {
    pub(super) fn authorization_policy(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((ap, unknown)) = self.decode_spec::<wire::AuthorizationPolicy>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&ap.metadata, &mut out) else {
            return out;
        };
        let spec_path = YamlPath::default().key("spec");
        // An AuthorizationPolicy without an action allows.
        let action = ap.spec.action.unwrap_or(AuthzAction::Allow);
        if action == AuthzAction::Custom {
            out.push(self.note(
                Code::AuthzCustomSkipped,
                spec_path.clone().key("action"),
                format!("AuthorizationPolicy `{name}` delegates to an external authorizer (CUSTOM): meshlock skips it"),
                "the external authorizer's answer is unknown from YAML; check it on the live cluster",
            ));
        }
        let mut rules = Vec::new();
        for (i, rule) in ap.spec.rules.iter().enumerate() {
            let rule_path = spec_path.clone().key("rules").index(i);
            let mut unsupported = Vec::new();
            let mut http_only = Vec::new();
            let from = rule
                .from
                .iter()
                .map(|f| {
                    let s = &f.source;
                    for (field, used) in [
                        (
                            "requestPrincipals",
                            !s.request_principals.is_empty() || !s.not_request_principals.is_empty(),
                        ),
                        ("ipBlocks", !s.ip_blocks.is_empty() || !s.not_ip_blocks.is_empty()),
                        (
                            "remoteIpBlocks",
                            !s.remote_ip_blocks.is_empty() || !s.not_remote_ip_blocks.is_empty(),
                        ),
                        (
                            "serviceAccounts",
                            !s.service_accounts.is_empty() || !s.not_service_accounts.is_empty(),
                        ),
                    ] {
                        if used {
                            unsupported.push(format!("from.source.{field}"));
                        }
                    }
                    SourceMatch {
                        principals: Match {
                            values: s.principals.clone(),
                            not_values: s.not_principals.clone(),
                        },
                        namespaces: Match {
                            values: s.namespaces.clone(),
                            not_values: s.not_namespaces.clone(),
                        },
                    }
                })
                .collect();
            let to = rule
                .to
                .iter()
                .map(|t| {
                    let o = &t.operation;
                    if !o.hosts.is_empty() || !o.not_hosts.is_empty() {
                        unsupported.push("to.operation.hosts".to_owned());
                        http_only.push("to.operation.hosts".to_owned());
                    }
                    for (field, used) in [
                        ("methods", !o.methods.is_empty() || !o.not_methods.is_empty()),
                        ("paths", !o.paths.is_empty() || !o.not_paths.is_empty()),
                    ] {
                        if used {
                            http_only.push(format!("to.operation.{field}"));
                        }
                    }
                    let text = |ports: &[wire::IntOrString]| {
                        ports
                            .iter()
                            .map(|p| match p {
                                wire::IntOrString::Int(n) => n.to_string(),
                                wire::IntOrString::String(s) => s.clone(),
                            })
                            .collect()
                    };
                    OperationMatch {
                        ports: Match {
                            values: text(&o.ports),
                            not_values: text(&o.not_ports),
                        },
                        methods: Match {
                            values: o.methods.clone(),
                            not_values: o.not_methods.clone(),
                        },
                        paths: Match {
                            values: o.paths.clone(),
                            not_values: o.not_paths.clone(),
                        },
                    }
                })
                .collect();
            let mut when = Vec::new();
            for condition in &rule.when {
                let values = Match {
                    values: condition.values.clone(),
                    not_values: condition.not_values.clone(),
                };
                match condition.key.as_str() {
                    "source.principal" | "source.namespace" => when.push((condition.key.clone(), values)),
                    other => {
                        unsupported.push(format!("when key `{other}`"));
                        if other.starts_with("request.") {
                            http_only.push(format!("when key `{other}`"));
                        }
                    }
                }
            }
            if !unsupported.is_empty() {
                out.push(self.note(
                    Code::AuthzUnsupported,
                    rule_path,
                    format!("AuthorizationPolicy `{name}` rule {i} uses {}: meshlock cannot evaluate it from YAML and treats the rule as never matching", unsupported.join(", ")),
                    "the result for requests this rule targets may differ on the live cluster",
                ));
            }
            http_only.sort();
            http_only.dedup();
            rules.push(AuthzRule {
                from,
                to,
                when,
                unsupported,
                http_only,
            });
        }
        let meta = self.meta("AuthorizationPolicy", &ap.metadata, name);
        let selector = ap.spec.selector.map(|s| s.match_labels).filter(|s| !s.is_empty());
        out.push(Read::Modelled(Resource::AuthorizationPolicy(AuthorizationPolicy {
            meta,
            selector,
            action,
            rules,
        })));
        out
    }
}
