//! How the sidecars carry a service port: as HTTP or as opaque TCP. It decides what curl sees when
//! a connection fails: an HTTP proxy answers 503 (or the server's 403), a TCP proxy just closes the
//! connection (curl prints `000` and exits 52, "Empty reply from server").
//!
//! Istio's protocol selection ("Protocol Selection", istio.io ops docs 1.3 … current):
//! - `appProtocol: <protocol>` (honoured from 1.6, Kubernetes 1.18+) takes precedence over the name
//!   when Istio knows it;
//! - else the port name `<protocol>[-<suffix>]` (the part before the first `-`, any case);
//! - `http`, `http2`, `grpc` (and `grpc-web`) are HTTP; `tcp`, `tls`, `https` (TLS the sidecar does not
//!   open), `mongo`, `mysql`, `redis` are carried as TCP;
//! - an unnamed or unrecognised port is TCP before 1.3; from 1.3 the outbound sidecar detects curl's
//!   HTTP; inbound detection is on by default from 1.5 (1.3 had none, 1.4 had it off by default).

use crate::model::ServicePort;
use crate::settings::IstioVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Http,
    Tcp,
}

/// The protocol of each side for one service port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carriage {
    /// The client's sidecar (its outbound listener): decides between 503 and a closed connection.
    pub outbound: Protocol,
    /// The server's sidecar (its inbound listener): decides between 403 and a closed connection.
    pub inbound: Protocol,
    /// Why, for the explanation: `None` when both sides carry HTTP for an explicit reason.
    pub why: Option<String>,
}

pub fn carriage(port: &ServicePort, version: IstioVersion) -> Carriage {
    let app_protocol = port.app_protocol.as_deref().filter(|_| version.minor() >= 6);
    // An appProtocol Istio does not know falls back to the name (kube `ConvertProtocol`).
    let by_app_protocol = app_protocol.and_then(|p| known(p).map(|protocol| (protocol, p, p, "appProtocol")));
    let by_name = port.name.as_deref().and_then(|name| {
        let p = name.split('-').next().unwrap_or(name);
        known(p).map(|protocol| (protocol, p, name, "port name"))
    });
    let explicit = by_app_protocol.or(by_name);
    match explicit {
        Some((Protocol::Http, ..)) => Carriage {
            outbound: Protocol::Http,
            inbound: Protocol::Http,
            why: None,
        },
        Some((Protocol::Tcp, protocol, written, field)) => Carriage {
            outbound: Protocol::Tcp,
            inbound: Protocol::Tcp,
            why: Some(format!(
                "{field} `{written}` says {protocol}: the sidecars carry the port as TCP"
            )),
        },
        None => {
            let detected = |from: u16| {
                if version.minor() >= from {
                    Protocol::Http
                } else {
                    Protocol::Tcp
                }
            };
            let carriage = Carriage {
                outbound: detected(3),
                inbound: detected(5),
                why: None,
            };
            let why = match (carriage.outbound, carriage.inbound) {
                (Protocol::Http, Protocol::Http) => None,
                (Protocol::Tcp, _) => Some(format!(
                    "no protocol in the port's name: Istio {version} carries it as TCP (detection came in 1.3)"
                )),
                (Protocol::Http, Protocol::Tcp) => Some(format!(
                    "no protocol in the port's name: in Istio {version} the client's sidecar detects HTTP, \
                     the server's carries TCP (inbound detection is on by default from 1.5)"
                )),
            };
            Carriage { why, ..carriage }
        }
    }
}

fn known(protocol: &str) -> Option<Protocol> {
    match protocol.to_ascii_lowercase().as_str() {
        "http" | "http2" | "grpc" | "grpc-web" => Some(Protocol::Http),
        "tcp" | "tls" | "https" | "mongo" | "mysql" | "redis" => Some(Protocol::Tcp),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Port, TargetPort};

    fn port(name: Option<&str>, app_protocol: Option<&str>) -> ServicePort {
        let number = Port::parse(8000).unwrap();
        ServicePort {
            name: name.map(str::to_owned),
            app_protocol: app_protocol.map(str::to_owned),
            port: number,
            target: TargetPort::Number(number),
        }
    }

    fn sides(name: Option<&str>, app_protocol: Option<&str>, minor: u16) -> (Protocol, Protocol) {
        let c = carriage(&port(name, app_protocol), IstioVersion::new(minor));
        (c.outbound, c.inbound)
    }

    #[test]
    fn names_app_protocol_and_detection() {
        use Protocol::{Http, Tcp};
        assert_eq!(sides(Some("http"), None, 1), (Http, Http));
        assert_eq!(sides(Some("HTTP2-web"), None, 1), (Http, Http));
        assert_eq!(sides(Some("grpc-web"), None, 28), (Http, Http));
        assert_eq!(sides(Some("tcp-db"), None, 28), (Tcp, Tcp));
        assert_eq!(sides(Some("mongo"), None, 1), (Tcp, Tcp));
        assert_eq!(sides(Some("https"), None, 28), (Tcp, Tcp));
        // appProtocol wins over the name, from 1.6.
        assert_eq!(sides(Some("http-web"), Some("tcp"), 28), (Tcp, Tcp));
        assert_eq!(sides(Some("http-web"), Some("tcp"), 5), (Http, Http));
        // An appProtocol Istio does not know leaves the decision to the name.
        assert_eq!(sides(Some("tcp-x"), Some("example.com/custom"), 28), (Tcp, Tcp));
        // Unnamed: TCP before 1.3, detected outbound from 1.3, inbound from 1.5.
        assert_eq!(sides(None, None, 2), (Tcp, Tcp));
        assert_eq!(sides(Some("web"), None, 4), (Http, Tcp));
        assert_eq!(sides(None, None, 5), (Http, Http));
    }
}
