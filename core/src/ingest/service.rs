//! Services: their ports, resolved to target ports when the mesh is built.

use super::locate::YamlPath;
use super::{ObjectReader, Read, Resource, Rule, wire};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Fqdn, Port, Service, ServicePort, TargetPort};

impl ObjectReader<'_> {
    pub(super) fn service(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some(svc) = self.decode::<wire::Service>(&mut out) else {
            return out;
        };
        let Some(name) = self.name(&svc.metadata, &mut out) else {
            return out;
        };
        // `NAME.NAMESPACE.svc…`: a dot in either would make another host.
        if !self.valid_name(&name, Rule::Label, YamlPath::parse("metadata.name"), &mut out) {
            return out;
        }
        if svc.spec.service_type.as_deref() == Some("ExternalName") {
            out.push(Read::Ignored {
                kind: "Service (ExternalName)".to_owned(),
                reason: "an ExternalName Service is a DNS alias with no mesh endpoints".to_owned(),
            });
            return out;
        }
        let mut ports = Vec::new();
        for (i, p) in svc.spec.ports.iter().enumerate() {
            let path = YamlPath::default().key("spec").key("ports").index(i);
            // Kubernetes' default protocol is TCP; sidecars redirect TCP only (istio-iptables).
            if let Some(protocol) = p.protocol.as_deref().filter(|p| !p.eq_ignore_ascii_case("TCP")) {
                out.push(Read::Diagnostic(
                    Diagnostic::info(
                        Code::IgnoredPort,
                        format!(
                            "service port {}/{protocol} is left out: Istio's sidecars intercept TCP only",
                            p.port
                        ),
                    )
                    .with_help("nothing to fix: mutual TLS does not apply to it")
                    .at(self.ctx.location(&path.key("protocol"), None)),
                ));
                continue;
            }
            let Some(port) = Port::parse(p.port) else {
                out.push(self.error(
                    Code::InvalidResource,
                    path.key("port"),
                    format!("service port `{}` is not in 1..65535", p.port),
                    "use a port number between 1 and 65535",
                ));
                continue;
            };
            let target = match &p.target_port {
                None => TargetPort::Number(port),
                Some(wire::IntOrString::Int(n)) => match Port::parse(*n) {
                    Some(t) => TargetPort::Number(t),
                    None => {
                        out.push(self.error(
                            Code::InvalidResource,
                            path.key("targetPort"),
                            format!("targetPort `{n}` is not in 1..65535"),
                            "use a container port number or a container port name",
                        ));
                        continue;
                    }
                },
                Some(wire::IntOrString::String(s)) => match s.parse::<i64>().ok().and_then(Port::parse) {
                    Some(t) => TargetPort::Number(t),
                    None => TargetPort::Name(s.clone()),
                },
            };
            ports.push(ServicePort {
                name: p.name.clone(),
                app_protocol: p.app_protocol.clone(),
                port,
                target,
            });
        }
        let namespace = self.namespace_of(&svc.metadata);
        out.push(Read::Modelled(Resource::Service(Service {
            fqdn: Fqdn::for_service(&name, &namespace),
            namespace,
            name,
            selector: svc.spec.selector.filter(|s| !s.is_empty()),
            ports,
            headless: svc.spec.cluster_ip.as_deref() == Some("None"),
            origin: self.ctx.origin(),
        })));
        out
    }
}
