//! meshlock: model an Istio mesh's move from plaintext to mutual TLS.
//!
//! The pipeline, one module per job, each importing only those before it (`tests/layers.rs`):
//! [`model`] and [`telemetry`] (types; observed traffic) → [`hosts`] (names as Istio resolves them)
//! → [`ingest`] (YAML → typed resources, with diagnostics) → [`mesh`] (the model under [`settings`],
//! with its lint) → [`resolve`] (server mode, client TLS choice, authorization) → [`evaluate`]
//! (what curl sees, with [`explain`]ations) → [`classes`] (the class table: each outcome once per
//! class of clients that no rule tells apart) → [`evidence`] (declared, observed, possible or
//! forbidden edges, and the edge scope) → [`matrix`] → [`migrate`] (stages, planner, diff),
//! [`check`], [`observe`] → [`render`] → [`api`] (JSON-in/JSON-out for the bindings). [`seed`]
//! holds the guide's built-in cluster and tour.

pub mod api;
pub mod check;
pub mod classes;
pub mod diagnostic;
pub mod evaluate;
pub mod evidence;
pub mod explain;
pub mod generate;
pub mod heatmap;
pub mod hosts;
pub mod ingest;
pub mod matrix;
pub mod mesh;
pub mod migrate;
pub mod model;
pub mod observe;
pub mod outcome;
pub mod render;
pub mod resolve;
pub mod seed;
pub mod settings;
pub mod telemetry;
mod workloads;

pub use diagnostic::{Code, Diagnostic, Location, Severity};
pub use explain::{Side, Step};
pub use ingest::Source;
pub use matrix::{Edge, Matrix};
pub use mesh::{LoadError, Loaded, Mesh};
pub use model::{ProbeError, ResourceRef, Target};
pub use outcome::{Outcome, Reason, Status, Transport, Verdict};
pub use settings::{IstioVersion, Limits, MeshSettings, ResolvedSettings};
