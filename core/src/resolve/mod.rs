//! Resolve: the effective server policy and the client's TLS choice, per Istio release.

pub mod authz;
pub mod client;
pub mod network;
pub mod protocol;
pub mod server;
