//! What curl in the client pod sees, the vocabulary every stage shares: the status curl prints,
//! its exit code, the transport attempted and a stable reason ([`Response`]), with the verdict the
//! reason implies; and the answer to one probe ([`Outcome`]) built from them.

use serde::Serialize;
use std::fmt;

use crate::explain::Step;
use crate::model::WorkloadId;

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

/// As serialised: three digits (`200`, `503`, `000`).
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Status {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Status".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The HTTP status curl prints with `%{http_code}`, three digits: `200`, `503`, `403`; `000` when no HTTP answer came.",
            "type": "string",
            "pattern": "^[0-9]{3}$",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Fail => "fail",
        }
    }
}

/// Stable reason codes (tests/scenarios/README.md), ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    NetworkPolicy,
    NoEndpoints,
    UnknownPort,
    UnknownHost,
}

impl Reason {
    pub const ALL: [Reason; 12] = [
        Reason::Mtls,
        Reason::Plaintext,
        Reason::PlaintextToStrict,
        Reason::MtlsToNoSidecar,
        Reason::MtlsToDisabled,
        Reason::TlsOriginationRejected,
        Reason::RbacDenied,
        Reason::TlsHandshakeFailed,
        Reason::NetworkPolicy,
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
            Reason::NetworkPolicy => "network-policy",
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

/// curl's exit code when the host name does not resolve ("Could not resolve host").
pub(crate) const CURL_UNRESOLVED: u8 = 6;
/// curl's exit code when nothing accepts the connection ("Failed to connect").
pub(crate) const CURL_CANNOT_CONNECT: u8 = 7;
/// curl's exit code when its timeout expires ("Operation timed out").
pub(crate) const CURL_TIMEOUT: u8 = 28;
/// curl's exit code when the TLS handshake fails ("SSL connect error").
pub(crate) const CURL_TLS_HANDSHAKE: u8 = 35;
/// curl's exit code when the server closes the connection without an answer ("Empty reply from server").
pub(crate) const CURL_EMPTY_REPLY: u8 = 52;
/// curl's exit code when the connection is reset ("Failure when receiving data from the peer").
pub(crate) const CURL_RESET: u8 = 56;

/// What one request does: status as curl prints it, curl's exit code, the transport attempted and
/// why. The one declaration of these fields: a probe, an edge and a side of a diff embed
/// `Response<WithVerdict>`, serialised `status, curl_exit, transport, verdict, reason`; an
/// alternative embeds a bare `Response`, without the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Response<V = NoVerdict> {
    pub status: Status,
    pub curl_exit: u8,
    pub transport: Option<Transport>,
    // Flattened so that the verdict, when shown, comes between transport and reason.
    #[serde(flatten)]
    pub(crate) verdict_shown: V,
    pub reason: Reason,
}

/// The verdict of a [`Response`] is not serialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NoVerdict {}

/// The verdict of a [`Response`] is serialised: the one its reason implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WithVerdict {
    verdict: Verdict,
}

impl<V> Response<V> {
    pub fn verdict(&self) -> Verdict {
        self.reason.verdict()
    }

    fn showing<W>(self, verdict: W) -> Response<W> {
        Response {
            status: self.status,
            curl_exit: self.curl_exit,
            transport: self.transport,
            verdict_shown: verdict,
            reason: self.reason,
        }
    }
}

impl Response<WithVerdict> {
    /// The same response, without its verdict shown.
    pub fn without_verdict(self) -> Response {
        self.showing(NoVerdict {})
    }
}

impl Response {
    pub(crate) fn new(reason: Reason, client_has_sidecar: bool) -> Self {
        let (status, curl_exit, transport) = match reason {
            Reason::Mtls => (200, 0, Some(Transport::Mtls)),
            Reason::Plaintext => (200, 0, Some(Transport::Plaintext)),
            // A sidecar client gets 503 from its own proxy; without one, the server's proxy
            // resets the connection (no TLS chain accepts plaintext): curl prints 000 and exits 56.
            Reason::PlaintextToStrict if client_has_sidecar => (503, 0, Some(Transport::Plaintext)),
            Reason::PlaintextToStrict => (0, CURL_RESET, Some(Transport::Plaintext)),
            Reason::MtlsToNoSidecar | Reason::MtlsToDisabled => (503, 0, Some(Transport::Mtls)),
            Reason::TlsOriginationRejected => (503, 0, None),
            // The transport of a 403 is whatever reached the server: see `Response::denied`.
            Reason::RbacDenied => (403, 0, None),
            // `curl https://…` that a STRICT sidecar without a client certificate, or an app that
            // cannot terminate what arrives, refuses: the handshake fails, curl exits 35.
            Reason::TlsHandshakeFailed => (0, CURL_TLS_HANDSHAKE, None),
            // NetworkPolicy drops the packets (`resolve::network`). Without a sidecar, curl's SYNs go
            // unanswered until its timeout (`--max-time` / `--connect-timeout`, which scripts set):
            // 000, exit 28. A client sidecar accepts curl's connection, and its own connection
            // upstream times out (Envoy's connect timeout, 10 s in Istio): 503 (`UF`,
            // "upstream connect error … connection timeout"), or a closed connection over TCP.
            Reason::NetworkPolicy if client_has_sidecar => (503, 0, None),
            Reason::NetworkPolicy => (0, CURL_TIMEOUT, None),
            Reason::NoEndpoints if client_has_sidecar => (503, 0, None),
            Reason::NoEndpoints | Reason::UnknownPort => (0, CURL_CANNOT_CONNECT, None),
            Reason::UnknownHost => (0, CURL_UNRESOLVED, None),
        };
        Self {
            status: Status(status),
            curl_exit,
            transport,
            verdict_shown: NoVerdict {},
            reason,
        }
    }

    /// The same response, with its verdict shown.
    pub(crate) fn with_verdict(self) -> Response<WithVerdict> {
        let verdict = self.verdict();
        self.showing(WithVerdict { verdict })
    }

    /// A failure that curl meets inside its own TLS handshake (`https://`): no proxy can answer in
    /// HTTP, a closed or refused connection ends the handshake: `000`, curl exit 35. Failures
    /// before any connection (unknown host, nothing listening) keep their exit code.
    pub(crate) fn inside_app_tls(self) -> Self {
        let connected = self.status != Status(0) || self.curl_exit == CURL_EMPTY_REPLY || self.curl_exit == CURL_RESET;
        if self.reason.verdict() == Verdict::Fail && connected {
            Self {
                status: Status(0),
                curl_exit: CURL_TLS_HANDSHAKE,
                ..self
            }
        } else {
            self
        }
    }

    /// 403 `RBAC: access denied` from the server's sidecar, over the transport that reached it.
    pub(crate) fn denied(transport: Transport) -> Self {
        Self {
            transport: Some(transport),
            ..Self::new(Reason::RbacDenied, true)
        }
    }
}

/// Several endpoints that behave differently: each outcome with the endpoints behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Alternative {
    /// Serialized in its place: `status`, `curl_exit`, `transport`, `reason`.
    #[serde(flatten)]
    pub response: Response,
    pub endpoints: Vec<WorkloadId>,
}

/// The answer to one probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Outcome {
    pub from: WorkloadId,
    /// The resolved `fqdn:port`.
    pub to: String,
    /// Serialized in its place: `status`, `curl_exit`, `transport`, `verdict`, `reason`.
    #[serde(flatten)]
    pub response: Response<WithVerdict>,
    pub explain: Vec<Step>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Alternative>,
}
