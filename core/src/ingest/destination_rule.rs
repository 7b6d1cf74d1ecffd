//! DestinationRules: the TLS a client sidecar originates to a host, per port.

use super::locate::YamlPath;
use super::{ObjectReader, Read, Resource, wire};
use crate::diagnostic::Code;
use crate::model::{DestinationRule, PortTls};

impl ObjectReader<'_> {
    pub(super) fn destination_rule(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((dr, unknown)) = self.decode_spec::<wire::DestinationRule>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&dr.metadata, &mut out) else {
            return out;
        };
        let Some(host) = dr.spec.host.clone().filter(|h| !h.is_empty()) else {
            out.push(self.error(
                Code::MissingField,
                YamlPath::default().key("spec"),
                format!("DestinationRule `{name}` has no `host`"),
                "set `spec.host` to the service host, e.g. `httpbin.foo.svc.cluster.local`",
            ));
            return out;
        };
        let policy = dr.spec.traffic_policy.as_ref();
        let mut port_level = Vec::new();
        let levels = policy.map(|p| p.port_level_settings.as_slice()).unwrap_or_default();
        let levels_path = YamlPath::default()
            .key("spec")
            .key("trafficPolicy")
            .key("portLevelSettings");
        for (i, level) in levels.iter().enumerate() {
            let selector = level.port.clone().unwrap_or_default();
            let Some(mut refs) = self.port_refs(
                std::slice::from_ref(&selector),
                levels_path.clone().index(i).key("port"),
                &mut out,
            ) else {
                return out;
            };
            if let Some(port) = refs.pop() {
                port_level.push(PortTls {
                    port,
                    tls: level.tls.as_ref().and_then(|t| t.mode),
                });
            }
        }
        let meta = self.meta("DestinationRule", &dr.metadata, name);
        out.push(Read::Modelled(Resource::DestinationRule(DestinationRule {
            meta,
            host,
            export_to: dr.spec.export_to,
            workload_selector: dr
                .spec
                .workload_selector
                .map(|s| s.match_labels)
                .filter(|s| !s.is_empty()),
            has_traffic_policy: policy.is_some(),
            tls: policy.and_then(|p| p.tls.as_ref()).and_then(|t| t.mode),
            port_level,
        })));
        out
    }
}
