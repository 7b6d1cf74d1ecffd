//! Callers outside the mesh: declared (`ExternalCaller`), or inferred from an Ingress (its
//! controller) and from admission webhooks (the Kubernetes API server).

use super::locate::YamlPath;
use super::{CallerDoc, ObjectReader, Read, Resource, wire};
use crate::diagnostic::Code;
use crate::model::{Port, PortRef};

/// The Ingress annotation that names its class (read before `spec.ingressClassName`).
const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

impl ObjectReader<'_> {
    pub(super) fn external_caller(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((caller, unknown)) = self.decode_spec::<wire::ExternalCaller>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&caller.metadata, &mut out) else {
            return out;
        };
        let mut targets = Vec::new();
        for (i, target) in caller.spec.targets.iter().enumerate() {
            match crate::model::Target::parse(target) {
                Ok(t) => targets.push((t.host, PortRef::Number(t.port))),
                Err(e) => {
                    out.push(self.error(
                        Code::InvalidValue,
                        YamlPath::default().key("spec").key("targets").index(i),
                        e.to_string(),
                        "write targets as HOST:PORT, e.g. `httpbin.foo:8000`",
                    ));
                    return out;
                }
            }
        }
        let address = match caller
            .spec
            .address
            .as_deref()
            .map(|a| a.trim().parse::<std::net::IpAddr>())
        {
            None => None,
            Some(Ok(ip)) => Some(ip),
            Some(Err(_)) => {
                out.push(self.error(
                    Code::InvalidValue,
                    YamlPath::default().key("spec").key("address"),
                    format!(
                        "`{}` is not an IP address",
                        caller.spec.address.as_deref().unwrap_or_default()
                    ),
                    "write the caller's address as an IPv4 or IPv6 address, e.g. `203.0.113.7`",
                ));
                return out;
            }
        };
        let sidecar = caller.spec.sidecar;
        let namespace = self.namespace_of(&caller.metadata);
        out.push(Read::Modelled(Resource::Caller(CallerDoc {
            source_key: ("ExternalCaller", namespace.clone(), name.clone()),
            kind: "ExternalCaller",
            namespace,
            name,
            sidecar,
            reason: if sidecar {
                "declared external caller with a sidecar"
            } else {
                "declared external caller without a sidecar"
            }
            .to_owned(),
            targets,
            ingress_class: None,
            address,
            origin: self.ctx.origin(),
        })));
        out
    }

    pub(super) fn ingress(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some(ingress) = self.decode::<wire::Ingress>(&mut out) else {
            return out;
        };
        let Some(name) = self.name(&ingress.metadata, &mut out) else {
            return out;
        };
        let namespace = self.namespace_of(&ingress.metadata);
        let backends = ingress.spec.default_backend.iter().chain(&ingress.spec.backend).chain(
            ingress
                .spec
                .rules
                .iter()
                .filter_map(|r| r.http.as_ref())
                .flat_map(|h| h.paths.iter().map(|p| &p.backend)),
        );
        let mut targets = Vec::new();
        for backend in backends {
            let (service, port) = match (&backend.service, &backend.service_name) {
                (Some(svc), _) => {
                    let port = match (svc.port.number.and_then(Port::parse), &svc.port.name) {
                        (Some(n), _) => PortRef::Number(n),
                        (None, Some(n)) => PortRef::Name(n.clone()),
                        (None, None) => continue,
                    };
                    (&svc.name, port)
                }
                (None, Some(service)) => {
                    let port = match &backend.service_port {
                        Some(wire::IntOrString::Int(n)) => match Port::parse(*n) {
                            Some(n) => PortRef::Number(n),
                            None => continue,
                        },
                        Some(wire::IntOrString::String(n)) => PortRef::Name(n.clone()),
                        None => continue,
                    };
                    (service, port)
                }
                (None, None) => continue,
            };
            targets.push((format!("{service}.{namespace}"), port));
        }
        let ingress_class = ingress
            .metadata
            .annotations
            .get(INGRESS_CLASS_ANNOTATION)
            .or(ingress.spec.ingress_class_name.as_ref())
            .cloned();
        let reason = match &ingress_class {
            Some(class) => {
                format!(
                    "the ingress controller serving Ingress {namespace}/{name} (class `{class}`; assumed without a sidecar)"
                )
            }
            None => format!("the ingress controller serving Ingress {namespace}/{name} (assumed without a sidecar)"),
        };
        out.push(Read::Modelled(Resource::Caller(CallerDoc {
            source_key: ("Ingress", namespace.clone(), name.clone()),
            kind: "IngressController",
            namespace: "external".to_owned(),
            name: format!("ingress-{namespace}-{name}"),
            sidecar: false,
            reason,
            targets,
            ingress_class,
            address: None,
            origin: self.ctx.origin(),
        })));
        out
    }

    pub(super) fn webhooks(&self, kind: &'static str) -> Vec<Read> {
        let mut out = Vec::new();
        let Some(config) = self.decode::<wire::WebhookConfiguration>(&mut out) else {
            return out;
        };
        let name = config.metadata.name.clone().unwrap_or_default();
        let targets = config
            .webhooks
            .iter()
            .filter_map(|w| w.client_config.service.as_ref())
            .map(|s| {
                let port = s.port.and_then(Port::parse).unwrap_or(Port(443));
                (format!("{}.{}", s.name, s.namespace), PortRef::Number(port))
            })
            .collect();
        out.push(Read::Modelled(Resource::Caller(CallerDoc {
            source_key: (kind, String::new(), name.clone()),
            kind: "KubeApiServer",
            namespace: "external".to_owned(),
            name: "kube-apiserver".to_owned(),
            sidecar: false,
            reason: "the Kubernetes API server (no sidecar) calls admission webhooks".to_owned(),
            targets,
            ingress_class: None,
            address: None,
            origin: self.ctx.origin(),
        })));
        out
    }
}
