//! The explanation chain of an outcome: which resource decided what, side by side.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The calling workload and its sidecar.
    Client,
    /// Service lookup and endpoints.
    Network,
    /// The called workload's sidecar.
    Server,
    /// What curl sees, and why.
    Result,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Network => "network",
            Side::Server => "server",
            Side::Result => "result",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Step {
    pub side: Side,
    /// The resource that decided, as `Kind namespace/name`.
    pub resource: Option<String>,
    pub text: String,
}

impl Step {
    pub fn new(side: Side, resource: Option<String>, text: String) -> Self {
        Self { side, resource, text }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.resource {
            Some(r) => write!(f, "[{}] {r}: {}", self.side, self.text),
            None => write!(f, "[{}] {}", self.side, self.text),
        }
    }
}
