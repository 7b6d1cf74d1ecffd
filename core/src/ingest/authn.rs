//! Server-side authentication: v1alpha1 `Policy`/`MeshPolicy` (Istio 1.0–1.5), `PeerAuthentication`,
//! and `RequestAuthentication` (end-user JWTs, only noted).

use std::collections::BTreeMap;

use super::locate::{self, YamlPath};
use super::{ObjectReader, Read, Resource, wire};
use crate::diagnostic::Code;
use crate::model::{
    AuthnPolicy, Meta, MtlsMode, OriginAuthn, PeerAuthentication, PolicyTarget, Port, RequestAuthentication,
};

impl ObjectReader<'_> {
    pub(super) fn authn_policy(&self, kind: &str) -> Vec<Read> {
        let mesh_wide = kind == "MeshPolicy";
        let mut out = Vec::new();
        let Some((policy, unknown)) = self.decode_spec::<wire::AuthnPolicy>(&mut out) else {
            return out;
        };
        if let Some(misplaced) = misplaced_peers(&unknown) {
            // The seed's own manifest: `peers:` indented under the target. Istio's validation
            // rejects the unknown field, so the document is reported and not applied.
            out.push(self.error(
                Code::MisplacedPeers,
                misplaced,
                "`peers` is indented under a target, so Istio reads it as an unknown target field".to_owned(),
                "`peers` belongs under `spec`, as a sibling of `targets`: move `peers:` and its items \
                 two spaces left; as written, Istio rejects the Policy",
            ));
            return out;
        }
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&policy.metadata, &mut out) else {
            return out;
        };
        let kind: &'static str = if mesh_wide { "MeshPolicy" } else { "Policy" };
        let spec_path = YamlPath::default().key("spec");
        // Validation rules of `ValidateAuthenticationPolicy` (Istio 1.1).
        if mesh_wide && (name != "default" || !policy.spec.targets.is_empty()) {
            out.push(self.error(
                Code::InvalidResource,
                spec_path,
                "a MeshPolicy must be named `default` and have no targets".to_owned(),
                "rename it to `default` and remove `targets`, or use a namespaced Policy",
            ));
            return out;
        }
        if !mesh_wide && policy.spec.targets.is_empty() != (name == "default") {
            out.push(self.error(
                Code::InvalidResource,
                spec_path,
                format!("Policy `{name}`: a Policy without targets must be named `default`, and only it"),
                "name the namespace-wide Policy `default`; give every other Policy `targets`",
            ));
            return out;
        }
        let mut targets = Vec::new();
        for (i, t) in policy.spec.targets.iter().enumerate() {
            let Some(target_name) = t.name.clone().filter(|n| !n.is_empty()) else {
                out.push(self.error(
                    Code::MissingField,
                    spec_path.clone().key("targets").index(i),
                    "policy target has no `name`".to_owned(),
                    "set `name` to the Service name",
                ));
                return out;
            };
            let Some(ports) = self.port_refs(
                &t.ports,
                spec_path.clone().key("targets").index(i).key("ports"),
                &mut out,
            ) else {
                return out;
            };
            targets.push(PolicyTarget {
                name: target_name,
                ports,
            });
        }
        // The first `mtls` peer decides; `mtls: {}` and `mtls:` mean STRICT; none means no TLS.
        let mode = policy
            .spec
            .peers
            .iter()
            .find_map(|p| p.mtls.as_ref())
            .map_or(MtlsMode::Disable, |m| match (m.mode, m.allow_tls) {
                (Some(wire::V1alpha1Mode::Permissive), _) | (_, Some(true)) => MtlsMode::Permissive,
                _ => MtlsMode::Strict,
            });
        // End-user JWTs are not evaluated, only noted. Istio's authentication
        // filter answers 401 to a request without a valid token when `origins` are required, and
        // to every request when the principal is bound to an origin that no method provides.
        let use_origin = matches!(&policy.spec.principal_binding, Some(wire::IntOrString::Int(1)))
            || matches!(&policy.spec.principal_binding, Some(wire::IntOrString::String(s)) if s == "USE_ORIGIN");
        let origin = match (policy.spec.origins.is_empty(), use_origin) {
            (true, true) => OriginAuthn::BoundToMissingOrigin,
            (false, _) if policy.spec.origin_is_optional != Some(true) => OriginAuthn::Required,
            _ => OriginAuthn::None,
        };
        let meta = self.meta(kind, &policy.metadata, name);
        let meta = if mesh_wide {
            Meta {
                namespace: String::new(),
                ..meta
            }
        } else {
            meta
        };
        out.push(Read::Modelled(Resource::AuthnPolicy(AuthnPolicy {
            meta,
            mesh_wide,
            targets,
            mode,
            origin,
        })));
        out
    }

    pub(super) fn request_authentication(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((ra, unknown)) = self.decode_spec::<wire::RequestAuthentication>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&ra.metadata, &mut out) else {
            return out;
        };
        let meta = self.meta("RequestAuthentication", &ra.metadata, name);
        let selector = ra.spec.selector.map(|s| s.match_labels).filter(|s| !s.is_empty());
        out.push(Read::Modelled(Resource::RequestAuthentication(RequestAuthentication {
            meta,
            selector,
        })));
        out
    }

    pub(super) fn peer_authentication(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((pa, unknown)) = self.decode_spec::<wire::PeerAuthentication>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&pa.metadata, &mut out) else {
            return out;
        };
        let spec_path = YamlPath::default().key("spec");
        let selector = pa.spec.selector.map(|s| s.match_labels).filter(|s| !s.is_empty());
        let mut port_level = BTreeMap::new();
        if let Some(ports) = &pa.spec.port_level_mtls {
            // `ValidatePeerAuthentication`: only selector policies may have portLevelMtls, and it
            // must be non-empty with ports in 1..65535.
            let path = spec_path.clone().key("portLevelMtls");
            if selector.is_none() {
                out.push(self.error(
                    Code::InvalidResource,
                    path,
                    "portLevelMtls requires a workload selector".to_owned(),
                    "add `selector.matchLabels` for the workload, or move the port rule to a workload policy",
                ));
                return out;
            }
            if ports.is_empty() {
                out.push(self.error(
                    Code::InvalidResource,
                    path,
                    "portLevelMtls is empty".to_owned(),
                    "remove `portLevelMtls` or give it at least one port",
                ));
                return out;
            }
            for (key, value) in ports {
                let Some(port) = key.trim().parse::<i64>().ok().and_then(Port::parse) else {
                    out.push(self.error(
                        Code::InvalidResource,
                        path.key(key.clone()),
                        format!("portLevelMtls key `{key}` is not a port number in 1..65535"),
                        "key portLevelMtls by the workload's container port number (not the Service port)",
                    ));
                    return out;
                };
                port_level.insert(port, peer_mode(value.mode));
            }
        }
        let mode = pa.spec.mtls.as_ref().map_or(MtlsMode::Unset, |m| peer_mode(m.mode));
        let meta = self.meta("PeerAuthentication", &pa.metadata, name);
        out.push(Read::Modelled(Resource::PeerAuthentication(PeerAuthentication {
            meta,
            selector,
            mode,
            port_level,
        })));
        out
    }
}

/// The seed's mistake: `peers` indented under a target (`spec.targets[N].peers`).
fn misplaced_peers(unknown: &[YamlPath]) -> Option<YamlPath> {
    use locate::Segment::{Index, Key};
    unknown
        .iter()
        .find(|p| {
            matches!(p.segments(), [Key(spec), Key(targets), Index(_), Key(peers)]
                if spec == "spec" && targets == "targets" && peers == "peers")
        })
        .cloned()
}

fn peer_mode(mode: Option<wire::PeerMode>) -> MtlsMode {
    match mode {
        None | Some(wire::PeerMode::Unset) => MtlsMode::Unset,
        Some(wire::PeerMode::Disable) => MtlsMode::Disable,
        Some(wire::PeerMode::Permissive) => MtlsMode::Permissive,
        Some(wire::PeerMode::Strict) => MtlsMode::Strict,
    }
}
