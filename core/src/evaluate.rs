//! Evaluate: what curl in the client pod sees (Part B §5, Part A §2, §9, §10).

use serde::Serialize;
use std::fmt;

use crate::explain::{Side, Step};
use crate::hosts;
use crate::mesh::Mesh;
use crate::model::{
    MtlsMode, Port, ProbeError, Service, ServicePort, Target, TargetPort, Workload, WorkloadId, parse_client,
};
use crate::resolve::client::{self, ClientChoice, Origination};
use crate::resolve::protocol::{self, Carriage, Protocol};
use crate::resolve::{authz, server};

/// The HTTP status curl prints with `%{http_code}`; 0 prints as `000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Status(pub u16);

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Mtls,
    Plaintext,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Mtls => "mtls",
            Transport::Plaintext => "plaintext",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Fail,
}

/// Stable reason codes (tests/scenarios/README.md), ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    Mtls,
    Plaintext,
    PlaintextToStrict,
    MtlsToNoSidecar,
    MtlsToDisabled,
    TlsOriginationRejected,
    RbacDenied,
    TlsHandshakeFailed,
    NoEndpoints,
    UnknownPort,
    UnknownHost,
}

impl Reason {
    pub const ALL: [Reason; 11] = [
        Reason::Mtls,
        Reason::Plaintext,
        Reason::PlaintextToStrict,
        Reason::MtlsToNoSidecar,
        Reason::MtlsToDisabled,
        Reason::TlsOriginationRejected,
        Reason::RbacDenied,
        Reason::TlsHandshakeFailed,
        Reason::NoEndpoints,
        Reason::UnknownPort,
        Reason::UnknownHost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Mtls => "mtls",
            Reason::Plaintext => "plaintext",
            Reason::PlaintextToStrict => "plaintext-to-strict",
            Reason::MtlsToNoSidecar => "mtls-to-no-sidecar",
            Reason::MtlsToDisabled => "mtls-to-disabled",
            Reason::TlsOriginationRejected => "tls-origination-rejected",
            Reason::RbacDenied => "rbac-denied",
            Reason::TlsHandshakeFailed => "tls-handshake-failed",
            Reason::NoEndpoints => "no-endpoints",
            Reason::UnknownPort => "unknown-port",
            Reason::UnknownHost => "unknown-host",
        }
    }

    pub fn verdict(self) -> Verdict {
        match self {
            Reason::Mtls | Reason::Plaintext => Verdict::Ok,
            _ => Verdict::Fail,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// curl's exit code when the server closes the connection without an answer ("Empty reply from server").
const CURL_EMPTY_REPLY: u8 = 52;

/// What one request does: status as curl prints it, curl's exit code, the transport attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Response {
    pub status: Status,
    pub curl_exit: u8,
    pub transport: Option<Transport>,
    pub reason: Reason,
}

impl Response {
    fn new(reason: Reason, client_has_sidecar: bool) -> Self {
        let (status, curl_exit, transport) = match reason {
            Reason::Mtls => (200, 0, Some(Transport::Mtls)),
            Reason::Plaintext => (200, 0, Some(Transport::Plaintext)),
            // A sidecar client gets 503 from its own proxy; without one, the server's proxy
            // resets the connection: curl prints 000 and exits 56 (Part B §5 rows a, b).
            Reason::PlaintextToStrict if client_has_sidecar => (503, 0, Some(Transport::Plaintext)),
            Reason::PlaintextToStrict => (0, 56, Some(Transport::Plaintext)),
            Reason::MtlsToNoSidecar | Reason::MtlsToDisabled => (503, 0, Some(Transport::Mtls)),
            Reason::TlsOriginationRejected => (503, 0, None),
            // The transport of a 403 is whatever reached the server: see `Response::denied`.
            Reason::RbacDenied => (403, 0, None),
            // `curl https://…` against an app that speaks plaintext, or a STRICT sidecar without
            // a client certificate: the handshake fails (Part B §5 row a′).
            Reason::TlsHandshakeFailed => (0, 35, None),
            Reason::NoEndpoints if client_has_sidecar => (503, 0, None),
            Reason::NoEndpoints | Reason::UnknownPort => (0, 7, None),
            Reason::UnknownHost => (0, 6, None),
        };
        Self {
            status: Status(status),
            curl_exit,
            transport,
            reason,
        }
    }

    /// What curl sees of this response when the sidecars carry the port as TCP: no proxy speaks
    /// HTTP to answer 503 or 403, the connection is closed (`000`, curl exit 52). A denial by a
    /// TCP server behind an HTTP client sidecar (an unnamed port in 1.3–1.4) reaches curl as 503.
    fn carried(self, carriage: &Carriage, client_has_sidecar: bool) -> Self {
        let closed = Self {
            status: Status(0),
            curl_exit: CURL_EMPTY_REPLY,
            ..self
        };
        match self.reason {
            Reason::RbacDenied => match (carriage.inbound, client_has_sidecar, carriage.outbound) {
                (Protocol::Http, ..) => self,
                (Protocol::Tcp, true, Protocol::Http) => Self {
                    status: Status(503),
                    ..self
                },
                (Protocol::Tcp, ..) => closed,
            },
            Reason::PlaintextToStrict | Reason::NoEndpoints if !client_has_sidecar => self,
            Reason::PlaintextToStrict
            | Reason::MtlsToNoSidecar
            | Reason::MtlsToDisabled
            | Reason::TlsOriginationRejected
            | Reason::NoEndpoints
                if carriage.outbound == Protocol::Tcp =>
            {
                closed
            }
            _ => self,
        }
    }

    /// 403 `RBAC: access denied` from the server's sidecar, over the transport that reached it.
    fn denied(transport: Transport) -> Self {
        Self {
            transport: Some(transport),
            ..Self::new(Reason::RbacDenied, true)
        }
    }
}

impl Outcome {
    /// What curl saw, without who asked or why.
    pub(crate) fn response(&self) -> Response {
        Response {
            status: self.status,
            curl_exit: self.curl_exit,
            transport: self.transport,
            reason: self.reason,
        }
    }
}

/// Several endpoints that behave differently: each outcome with the endpoints behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alternative {
    pub status: Status,
    pub curl_exit: u8,
    pub transport: Option<Transport>,
    pub reason: Reason,
    pub endpoints: Vec<WorkloadId>,
}

/// The answer to one probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub from: WorkloadId,
    /// The resolved `fqdn:port`.
    pub to: String,
    pub status: Status,
    pub curl_exit: u8,
    pub transport: Option<Transport>,
    pub verdict: Verdict,
    pub reason: Reason,
    pub explain: Vec<Step>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Alternative>,
}

impl Mesh {
    /// `curl http://TO` from a pod of workload `from` (`namespace/name`).
    pub fn probe(&self, from: &str, to: &str) -> Result<Outcome, ProbeError> {
        let id = parse_client(from)?;
        let target = Target::parse(to)?;
        let client = self.workload(&id).ok_or_else(|| ProbeError::UnknownClient {
            given: from.to_owned(),
            known: self.workloads.iter().take(20).map(|w| w.id.to_string()).collect(),
        })?;
        Ok(self.evaluate_target(client, &target))
    }

    pub(crate) fn endpoints_of(&self, service: &Service) -> Vec<&Workload> {
        self.service_index(&service.fqdn)
            .and_then(|i| self.endpoints.get(i))
            .map(|eps| eps.iter().filter_map(|&w| self.workloads.get(w)).collect())
            .unwrap_or_default()
    }

    fn evaluate_target(&self, client: &Workload, target: &Target) -> Outcome {
        let sidecar = client.sidecar.present;
        let unresolved = |reason: Reason, to: String, text: String| {
            let result = Response::new(reason, sidecar);
            outcome(
                client.id.clone(),
                to,
                result,
                vec![Step::new(Side::Network, None, text)],
                Vec::new(),
            )
        };
        let Some(fqdn) = hosts::resolve_probe_host(&target.host, &client.id.namespace) else {
            return unresolved(
                Reason::UnknownHost,
                format!("{}:{}", target.host, target.port),
                format!(
                    "`{}` is not a cluster service name: curl cannot resolve it",
                    target.host
                ),
            );
        };
        let to = format!("{fqdn}:{}", target.port);
        let Some(service) = self.service_index(&fqdn).and_then(|i| self.services.get(i)) else {
            return unresolved(
                Reason::UnknownHost,
                to,
                format!("no Service `{fqdn}` in the input: curl cannot resolve it"),
            );
        };
        let Some(port) = service.ports.iter().find(|p| p.port == target.port) else {
            let ports: Vec<String> = service.ports.iter().map(|p| p.port.to_string()).collect();
            return unresolved(
                Reason::UnknownPort,
                to,
                format!(
                    "Service {}/{} does not expose port {} (ports: {})",
                    service.namespace,
                    service.name,
                    target.port,
                    ports.join(", ")
                ),
            );
        };
        if target.https {
            let result = Response::new(Reason::TlsHandshakeFailed, sidecar);
            let text = "curl speaks TLS without a client certificate; meshlock assumes the app serves plaintext HTTP \
                        and a STRICT sidecar requires Istio's certificates: the TLS handshake fails, curl exits 35"
                .to_owned();
            return outcome(
                client.id.clone(),
                to,
                result,
                vec![Step::new(Side::Network, None, text)],
                Vec::new(),
            );
        }
        self.evaluate_port(client, service, port, &target.path, true)
    }

    /// The outcome for one client and service port; `explain` adds the decision chain.
    pub(crate) fn evaluate_port(
        &self,
        client: &Workload,
        service: &Service,
        port: &ServicePort,
        path: &str,
        explain: bool,
    ) -> Outcome {
        let to = format!("{}:{}", service.fqdn, port.port);
        let endpoints = self.endpoints_of(service);
        let carriage = protocol::carriage(port, self.settings.istio_version);
        let ClientChoice {
            origination,
            steps: client_steps,
        } = client::client_choice(self, client, service, port);
        let mut steps = if explain { client_steps } else { Vec::new() };
        if explain {
            let names: Vec<String> = endpoints.iter().map(|w| w.id.to_string()).collect();
            let port_name = port.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
            steps.push(Step::new(
                Side::Network,
                Some(format!("Service {}/{}", service.namespace, service.name)),
                format!(
                    "port {}{port_name} → targetPort {}{}; endpoints: {}",
                    port.port,
                    target_name(port),
                    if service.headless { " (headless)" } else { "" },
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
            if let Some(why) = &carriage.why {
                steps.push(Step::new(Side::Network, None, why.clone()));
            }
        }
        let mut per_endpoint: Vec<(Response, WorkloadId)> = Vec::new();
        let mut server_steps = Vec::new();
        for endpoint in &endpoints {
            let Some(container_port) = endpoint.container_port(port) else {
                if explain {
                    server_steps.push(Step::new(
                        Side::Network,
                        None,
                        format!(
                            "{} has no container port named `{}`: Kubernetes gives it no endpoint",
                            endpoint.id,
                            target_name(port)
                        ),
                    ));
                }
                continue;
            };
            let at = Endpoint {
                workload: endpoint,
                service,
                port,
                container_port,
                inbound_tcp: carriage.inbound == Protocol::Tcp,
            };
            let (response, endpoint_steps) = self.endpoint_response(origination, client, &at, path);
            let response = response.carried(&carriage, client.sidecar.present);
            if explain {
                server_steps.extend(endpoint_steps);
            }
            per_endpoint.push((response, endpoint.id.clone()));
        }
        if per_endpoint.is_empty() {
            let result =
                Response::new(Reason::NoEndpoints, client.sidecar.present).carried(&carriage, client.sidecar.present);
            if explain {
                steps.extend(server_steps);
                steps.push(Step::new(
                    Side::Network,
                    None,
                    format!(
                        "Service {}/{} selects no workload in the input",
                        service.namespace, service.name
                    ),
                ));
                steps.push(result_step(&result, client.sidecar.present));
            }
            return outcome(client.id.clone(), to, result, steps, Vec::new());
        }
        // Part A §9: the headline is the worst outcome; all of them are listed.
        let mut alternatives: Vec<Alternative> = Vec::new();
        for (result, id) in &per_endpoint {
            match alternatives.iter_mut().find(|a| a.reason == result.reason) {
                Some(a) => a.endpoints.push(id.clone()),
                None => alternatives.push(Alternative {
                    status: result.status,
                    curl_exit: result.curl_exit,
                    transport: result.transport,
                    reason: result.reason,
                    endpoints: vec![id.clone()],
                }),
            }
        }
        alternatives.sort_by_key(|a| std::cmp::Reverse(a.reason));
        let worst = per_endpoint
            .iter()
            .map(|(r, _)| *r)
            .max_by_key(|r| r.reason)
            .unwrap_or_else(|| Response::new(Reason::NoEndpoints, false));
        if explain {
            steps.extend(server_steps);
            steps.push(result_step(&worst, client.sidecar.present));
        }
        if alternatives.len() < 2 {
            alternatives.clear();
        }
        outcome(client.id.clone(), to, worst, steps, alternatives)
    }

    /// Part B §5: what the client's origination meets at one endpoint, then authorization (§6).
    fn endpoint_response(
        &self,
        origination: Origination,
        client: &Workload,
        at: &Endpoint<'_>,
        path: &str,
    ) -> (Response, Vec<Step>) {
        let endpoint = at.workload;
        let client_sidecar = client.sidecar.present;
        if !endpoint.sidecar.present {
            let reason = match origination {
                Origination::Plaintext | Origination::AutoPerEndpoint { .. } => Reason::Plaintext,
                Origination::Mtls => Reason::MtlsToNoSidecar,
                Origination::UserTls(_) => Reason::TlsOriginationRejected,
            };
            let step = Step::new(
                Side::Server,
                None,
                format!(
                    "{} has no sidecar ({}): policies do not apply; the app sees what arrives",
                    endpoint.id, endpoint.sidecar.reason
                ),
            );
            return (Response::new(reason, client_sidecar), vec![step]);
        }
        let server = server::server_mode(self, at.service, at.port, endpoint, at.container_port);
        let mode = server.mode;
        let described = describe_server(endpoint, at.container_port, &server);
        let sends_mtls = match origination {
            Origination::Plaintext => false,
            Origination::Mtls => true,
            Origination::UserTls(_) => {
                return (
                    Response::new(Reason::TlsOriginationRejected, client_sidecar),
                    vec![described],
                );
            }
            Origination::AutoPerEndpoint { honour_disable } => !(honour_disable && mode == MtlsMode::Disable),
        };
        let reason = match (sends_mtls, mode) {
            (true, MtlsMode::Disable) => Reason::MtlsToDisabled,
            (true, _) => Reason::Mtls,
            (false, MtlsMode::Strict) => Reason::PlaintextToStrict,
            (false, _) => Reason::Plaintext,
        };
        if reason.verdict() == Verdict::Fail {
            return (Response::new(reason, client_sidecar), vec![described]);
        }
        let principal = sends_mtls.then(|| authz::principal_of(self, &client.id.namespace, &client.service_account));
        let request = authz::Request {
            principal,
            namespace: sends_mtls.then_some(client.id.namespace.as_str()),
            port: at.container_port,
            method: "GET",
            path,
            host: &at.service.fqdn.0,
            service_port: at.port.port,
            tcp: at.inbound_tcp,
        };
        match authz::denial(self, endpoint, &request) {
            Some(step) => {
                let transport = if sends_mtls {
                    Transport::Mtls
                } else {
                    Transport::Plaintext
                };
                (Response::denied(transport), vec![described, step])
            }
            None => (Response::new(reason, client_sidecar), vec![described]),
        }
    }
}

/// One endpoint of a service port.
struct Endpoint<'a> {
    workload: &'a Workload,
    service: &'a Service,
    port: &'a ServicePort,
    container_port: Port,
    /// The server's sidecar carries this port as TCP.
    inbound_tcp: bool,
}

fn describe_server(endpoint: &Workload, container_port: Port, server: &server::ServerMode) -> Step {
    let accepts = match server.mode {
        MtlsMode::Strict => "accepts mTLS only",
        MtlsMode::Disable => "accepts plaintext only",
        _ => "accepts mTLS and plaintext",
    };
    Step::new(
        Side::Server,
        server.step.resource.clone(),
        format!(
            "{} (container port {container_port}) has a sidecar: {}; it {accepts}",
            endpoint.id, server.step.text
        ),
    )
}

fn result_step(result: &Response, client_has_sidecar: bool) -> Step {
    if result.curl_exit == CURL_EMPTY_REPLY {
        let text = format!(
            "{}; over TCP no proxy answers in HTTP: the connection is closed, curl prints 000 and exits 52",
            failure_cause(result.reason)
        );
        return Step::new(Side::Result, None, format!("{} → {text}", result.status));
    }
    if result.reason == Reason::RbacDenied && result.status == Status(503) {
        let text = "the server's sidecar (TCP on its side) denies the connection and closes it: the client's \
                    sidecar answers 503";
        return Step::new(Side::Result, None, format!("{} → {text}", result.status));
    }
    let text = match result.reason {
        Reason::Mtls => "the request succeeds over mutual TLS".to_owned(),
        Reason::Plaintext => "the request succeeds in plaintext".to_owned(),
        Reason::PlaintextToStrict if client_has_sidecar => {
            "plaintext reaches a STRICT sidecar: the connection is refused and the client's sidecar answers 503"
                .to_owned()
        }
        Reason::PlaintextToStrict => {
            "plaintext reaches a STRICT sidecar: it resets the connection; curl prints 000 and exits 56".to_owned()
        }
        Reason::MtlsToNoSidecar => {
            "mTLS reaches an app that speaks plaintext: the client's sidecar answers 503".to_owned()
        }
        Reason::MtlsToDisabled => "mTLS reaches a sidecar in DISABLE mode: the client's sidecar answers 503".to_owned(),
        Reason::TlsOriginationRejected => {
            "the sidecar originates TLS (SIMPLE/MUTUAL) that the server side does not terminate: 503".to_owned()
        }
        Reason::RbacDenied => "the server's sidecar denies the request: 403 RBAC: access denied".to_owned(),
        Reason::TlsHandshakeFailed => "the TLS handshake fails: curl exits 35".to_owned(),
        Reason::NoEndpoints if client_has_sidecar => "no endpoints: the client's sidecar answers 503".to_owned(),
        Reason::NoEndpoints | Reason::UnknownPort => "nothing accepts the connection: curl exits 7".to_owned(),
        Reason::UnknownHost => "the name does not resolve: curl exits 6".to_owned(),
    };
    Step::new(Side::Result, None, format!("{} → {}", result.status, text))
}

/// Why a request failed, as the start of a result step.
fn failure_cause(reason: Reason) -> &'static str {
    match reason {
        Reason::PlaintextToStrict => "plaintext reaches a STRICT sidecar, which refuses it",
        Reason::MtlsToNoSidecar => "mTLS reaches an app that speaks plaintext",
        Reason::MtlsToDisabled => "mTLS reaches a sidecar in DISABLE mode",
        Reason::TlsOriginationRejected => "the sidecar originates TLS that the server side does not terminate",
        Reason::RbacDenied => "the server's sidecar denies the connection",
        Reason::NoEndpoints => "no endpoints",
        _ => "the request fails",
    }
}

fn outcome(
    from: WorkloadId,
    to: String,
    result: Response,
    explain: Vec<Step>,
    alternatives: Vec<Alternative>,
) -> Outcome {
    Outcome {
        from,
        to,
        status: result.status,
        curl_exit: result.curl_exit,
        transport: result.transport,
        verdict: result.reason.verdict(),
        reason: result.reason,
        explain,
        alternatives,
    }
}

fn target_name(port: &ServicePort) -> String {
    match &port.target {
        TargetPort::Number(n) => n.to_string(),
        TargetPort::Name(name) => name.clone(),
    }
}
