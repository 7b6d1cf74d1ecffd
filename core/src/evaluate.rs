//! Evaluate: what curl in the client pod sees, from what the client's sidecar originates, what the
//! server's sidecar accepts and authorization; with several endpoints that differ, the worst.

use crate::explain::{Side, Step};
use crate::hosts;
use crate::mesh::Mesh;
use crate::model::{
    MtlsMode, Port, ProbeError, Service, ServicePort, Target, TargetPort, TlsMode, Workload, WorkloadId, parse_client,
};
use crate::outcome::{
    Alternative, CURL_EMPTY_REPLY, CURL_TLS_HANDSHAKE, Outcome, Reason, Response, Status, Transport, Verdict,
};
use crate::resolve::client::{self, ClientChoice, Origination};
use crate::resolve::protocol::{self, Carriage, Protocol};
use crate::resolve::{authz, network, server};

impl Response {
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
            Reason::PlaintextToStrict | Reason::NoEndpoints | Reason::NetworkPolicy if !client_has_sidecar => self,
            Reason::PlaintextToStrict
            | Reason::MtlsToNoSidecar
            | Reason::MtlsToDisabled
            | Reason::TlsOriginationRejected
            | Reason::NetworkPolicy
            | Reason::NoEndpoints
                if carriage.outbound == Protocol::Tcp =>
            {
                closed
            }
            _ => self,
        }
    }
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
        let app = if target.https { App::Tls } else { App::Plaintext };
        self.evaluate_port_as(client, service, port, &target.path, true, app)
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
        self.evaluate_port_as(client, service, port, path, explain, App::Plaintext)
    }

    fn evaluate_port_as(
        &self,
        client: &Workload,
        service: &Service,
        port: &ServicePort,
        path: &str,
        explain: bool,
        app: App,
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
            if app == App::Tls {
                steps.push(Step::new(
                    Side::Network,
                    None,
                    "`https://`: curl speaks TLS itself, without a client certificate, and the app behind the port \
                     terminates it; sidecars cannot read HTTP inside it and carry the connection as TCP"
                        .to_owned(),
                ));
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
            // Below Istio: packets that NetworkPolicy drops never reach the server's sidecar.
            let network = network::verdict(self, client, endpoint, container_port, explain);
            if explain {
                server_steps.extend(network.steps);
            }
            if network.denied {
                let dropped = Response::new(Reason::NetworkPolicy, client.sidecar.present);
                let response = match app {
                    App::Plaintext => dropped.carried(&carriage, client.sidecar.present),
                    // The sidecars carry `https://` as TCP: a client sidecar closes curl's connection
                    // mid-handshake (exit 35); without one, curl's handshake never starts.
                    App::Tls if client.sidecar.present => Response {
                        status: Status(0),
                        curl_exit: CURL_TLS_HANDSHAKE,
                        ..dropped
                    },
                    App::Tls => dropped,
                };
                per_endpoint.push((response, endpoint.id.clone()));
                continue;
            }
            let at = Endpoint {
                workload: endpoint,
                service,
                port,
                container_port,
                inbound_tcp: carriage.inbound == Protocol::Tcp,
            };
            let (response, endpoint_steps) = match app {
                App::Plaintext => {
                    let (response, steps) = self.endpoint_response(origination, client, &at, path);
                    (response.carried(&carriage, client.sidecar.present), steps)
                }
                App::Tls => self.app_tls_response(origination, client, &at),
            };
            if explain {
                server_steps.extend(endpoint_steps);
            }
            per_endpoint.push((response, endpoint.id.clone()));
        }
        if per_endpoint.is_empty() {
            let result =
                Response::new(Reason::NoEndpoints, client.sidecar.present).carried(&carriage, client.sidecar.present);
            let result = match app {
                App::Plaintext => result,
                App::Tls => result.inside_app_tls(),
            };
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
                steps.push(result_step(&result, client.sidecar.present, app));
            }
            return outcome(client.id.clone(), to, result, steps, Vec::new());
        }
        // Endpoints that behave differently: the headline is the worst outcome; all of them are listed.
        let mut alternatives: Vec<Alternative> = Vec::new();
        for (result, id) in &per_endpoint {
            match alternatives.iter_mut().find(|a| a.response.reason == result.reason) {
                Some(a) => a.endpoints.push(id.clone()),
                None => alternatives.push(Alternative {
                    response: *result,
                    endpoints: vec![id.clone()],
                }),
            }
        }
        alternatives.sort_by_key(|a| std::cmp::Reverse(a.response.reason));
        let worst = per_endpoint
            .iter()
            .map(|(r, _)| *r)
            .max_by_key(|r| r.reason)
            .unwrap_or_else(|| Response::new(Reason::NoEndpoints, false));
        if explain {
            steps.extend(server_steps);
            steps.push(result_step(&worst, client.sidecar.present, app));
        }
        if alternatives.len() < 2 {
            alternatives.clear();
        }
        outcome(client.id.clone(), to, worst, steps, alternatives)
    }

    /// What the client's origination meets at one endpoint (its sidecar's mode, or no sidecar),
    /// then authorization.
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
        let (mode, described, sends) = self.server_side(origination, at);
        let Ok(sends_mtls) = sends else {
            return (
                Response::new(Reason::TlsOriginationRejected, client_sidecar),
                vec![described],
            );
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

impl Mesh {
    /// `curl https://…`: the client app's own TLS (no client certificate) meets one endpoint whose
    /// app terminates TLS (an `https://` probe means the app serves TLS). It works when that
    /// TLS reaches the app unwrapped, or wrapped in Istio mTLS that the server's sidecar unwraps;
    /// every failure happens inside curl's TLS handshake: `000`, curl exit 35.
    /// At an endpoint with a sidecar: its mode for the port, the step that says who decided it,
    /// and whether the client's sidecar sends it Istio mTLS (`Err`: the sidecar originates the TLS
    /// of a DestinationRule, SIMPLE or MUTUAL, instead).
    fn server_side(&self, origination: Origination, at: &Endpoint<'_>) -> (MtlsMode, Step, Result<bool, TlsMode>) {
        let server = server::server_mode(self, at.service, at.port, at.workload, at.container_port);
        let mode = server.mode;
        let described = describe_server(at.workload, at.container_port, &server);
        let sends = match origination {
            Origination::Plaintext => Ok(false),
            Origination::Mtls => Ok(true),
            Origination::UserTls(tls) => Err(tls),
            Origination::AutoPerEndpoint { honour_disable } => Ok(!(honour_disable && mode == MtlsMode::Disable)),
        };
        (mode, described, sends)
    }

    fn app_tls_response(
        &self,
        origination: Origination,
        client: &Workload,
        at: &Endpoint<'_>,
    ) -> (Response, Vec<Step>) {
        let endpoint = at.workload;
        let step = |text: String| Step::new(Side::Server, None, text);
        let failed = Response::new(Reason::TlsHandshakeFailed, client.sidecar.present);
        if !endpoint.sidecar.present {
            let what = format!("{} has no sidecar ({})", endpoint.id, endpoint.sidecar.reason);
            return match origination {
                // Passed on as it is: the app terminates curl's TLS itself.
                Origination::Plaintext | Origination::AutoPerEndpoint { .. } => (
                    Response::new(Reason::Plaintext, client.sidecar.present),
                    vec![step(format!(
                        "{what}: curl's TLS arrives as curl sent it (no Istio mTLS) and the app terminates it"
                    ))],
                ),
                Origination::Mtls => (
                    failed,
                    vec![step(format!(
                        "{what}: the client's sidecar wraps curl's TLS in Istio mTLS, which the app cannot terminate"
                    ))],
                ),
                Origination::UserTls(mode) => (
                    failed,
                    vec![step(format!(
                        "{what}: the client's sidecar wraps curl's TLS in its own TLS ({mode}); inside it the app \
                         finds a second TLS handshake, not HTTP"
                    ))],
                ),
            };
        }
        let (mode, described, sends) = self.server_side(origination, at);
        let sends_mtls = match sends {
            Ok(sends_mtls) => sends_mtls,
            // TLS inside TLS: whichever side terminates the sidecar's TLS finds curl's handshake
            // where it expects HTTP.
            Err(tls) => {
                let text = format!(
                    "the client's sidecar wraps curl's TLS in its own TLS ({tls}): no side unwraps both, the handshake fails"
                );
                return (failed, vec![described, step(text)]);
            }
        };
        // Istio's inbound filter chains: STRICT has only mTLS chains, so TLS without an Istio client
        // certificate fails the handshake; PERMISSIVE has a chain for TLS that is not Istio's, and DISABLE
        // a chain for any transport, both handing the connection to the app as TCP; Istio mTLS is
        // terminated by STRICT and PERMISSIVE (the app then gets curl's TLS) but passed as is by
        // DISABLE, where the app meets Istio's handshake.
        let (reason, text) = match (sends_mtls, mode) {
            (true, MtlsMode::Disable) => (
                Reason::TlsHandshakeFailed,
                "the client's sidecar wraps curl's TLS in Istio mTLS; in DISABLE mode the server's sidecar passes it \
                 to the app, which cannot terminate Istio mTLS",
            ),
            (true, _) => (
                Reason::Mtls,
                "the client's sidecar wraps curl's TLS in Istio mTLS; the server's sidecar terminates it and hands \
                 curl's TLS to the app",
            ),
            (false, MtlsMode::Strict) => (
                Reason::TlsHandshakeFailed,
                "curl's TLS arrives without Istio mTLS; the STRICT sidecar demands an Istio client certificate, which \
                 curl does not present",
            ),
            (false, MtlsMode::Disable) => (
                Reason::Plaintext,
                "curl's TLS arrives without Istio mTLS; in DISABLE mode the server's sidecar passes it to the app \
                 untouched",
            ),
            (false, _) => (
                Reason::Plaintext,
                "curl's TLS arrives without Istio mTLS; a PERMISSIVE sidecar passes TLS that is not Istio's to the \
                 app untouched",
            ),
        };
        let mut steps = vec![described, step(text.to_owned())];
        if reason.verdict() == Verdict::Fail {
            return (failed, steps);
        }
        // The sidecar sees a TCP connection: authorization is evaluated as on a TCP port.
        let principal = sends_mtls.then(|| authz::principal_of(self, &client.id.namespace, &client.service_account));
        let request = authz::Request {
            principal,
            namespace: sends_mtls.then_some(client.id.namespace.as_str()),
            port: at.container_port,
            method: "GET",
            path: "/",
            host: &at.service.fqdn.0,
            service_port: at.port.port,
            tcp: true,
        };
        let transport = if sends_mtls {
            Transport::Mtls
        } else {
            Transport::Plaintext
        };
        match authz::denial(self, endpoint, &request) {
            Some(denied) => {
                steps.push(denied);
                (Response::denied(transport).inside_app_tls(), steps)
            }
            None => (Response::new(reason, client.sidecar.present), steps),
        }
    }
}

/// What the client app speaks to the port: plaintext HTTP (`http://`, the default) or its own TLS
/// (`https://`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    Plaintext,
    Tls,
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

fn result_step(result: &Response, client_has_sidecar: bool, app: App) -> Step {
    if app == App::Tls {
        let text = match result.reason {
            Reason::Mtls => "curl's TLS reaches the app inside Istio mTLS: the app answers".to_owned(),
            Reason::Plaintext => {
                "curl's TLS reaches the app as curl sent it (the app's own TLS, no Istio mTLS): the app answers"
                    .to_owned()
            }
            Reason::TlsHandshakeFailed => "the TLS handshake fails: curl prints 000 and exits 35".to_owned(),
            reason if result.curl_exit == CURL_TLS_HANDSHAKE => format!(
                "{}; the connection ends inside curl's TLS handshake: curl prints 000 and exits 35",
                failure_cause(reason)
            ),
            _ => return result_step(result, client_has_sidecar, App::Plaintext),
        };
        return Step::new(Side::Result, None, format!("{} → {text}", result.status));
    }
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
        Reason::NetworkPolicy if client_has_sidecar => {
            "NetworkPolicy drops the packets: the client's sidecar gives up after its connect timeout and answers 503"
                .to_owned()
        }
        Reason::NetworkPolicy => {
            "NetworkPolicy drops the packets: nothing answers and curl times out (000, exit 28)".to_owned()
        }
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
        Reason::NetworkPolicy => "NetworkPolicy drops the packets and the client's sidecar's connection times out",
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
        response: result.with_verdict(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_inside_curls_tls_handshake_exit_35() {
        // A proxy's 503 or 403, or a closed TCP connection, cannot reach curl mid-handshake.
        for (reason, sidecar) in [
            (Reason::NoEndpoints, true),
            (Reason::MtlsToNoSidecar, true),
            (Reason::PlaintextToStrict, false),
        ] {
            let r = Response::new(reason, sidecar).inside_app_tls();
            assert_eq!((r.status, r.curl_exit, r.reason), (Status(0), 35, reason));
        }
        let denied = Response::denied(Transport::Plaintext).inside_app_tls();
        assert_eq!((denied.status, denied.curl_exit), (Status(0), 35));
        assert_eq!(denied.transport, Some(Transport::Plaintext));
        // Nothing connected, or nothing failed: unchanged.
        for (reason, sidecar) in [
            (Reason::NoEndpoints, false),
            (Reason::UnknownHost, true),
            (Reason::Mtls, true),
            (Reason::Plaintext, false),
        ] {
            let r = Response::new(reason, sidecar);
            assert_eq!(r.inside_app_tls(), r);
        }
    }
}
