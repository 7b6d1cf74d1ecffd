//! The seed guide ("Mutual TLS Migration", Istio 1.1): its cluster and its steps, replayed.

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::ingest::{self, Source};
use crate::mesh::{LoadError, Mesh};
use crate::model::ProbeError;
use crate::outcome::{Outcome, Status};
use crate::settings::{IstioVersion, MeshSettings};

pub const CLUSTER: &str = include_str!("../seed/cluster.yaml");
const STEP1_POLICY: &str = include_str!("../seed/step1-policy.yaml");
const STEP1_POLICY_PUBLISHED: &str = include_str!("../seed/step1-policy.published.yaml");
const STEP2_RULE: &str = include_str!("../seed/step2-destinationrule.yaml");
const STEP3_POLICY: &str = include_str!("../seed/step3-policy.yaml");
const STEP3_POLICY_PUBLISHED: &str = include_str!("../seed/step3-policy.published.yaml");

/// The guide's clients and its probe, `curl http://httpbin.foo:8000/ip`.
pub const CLIENTS: [&str; 3] = ["foo/sleep", "bar/sleep", "legacy/sleep"];
pub const PROBE_TARGET: &str = "httpbin.foo:8000/ip";

pub fn cluster_source() -> Source {
    Source::new("meshlock:seed/cluster.yaml", CLUSTER)
}

/// The settings of the guide: Istio 1.1, no auto mTLS.
pub fn settings() -> MeshSettings {
    MeshSettings {
        istio_version: Some(IstioVersion::SEED),
        ..MeshSettings::default()
    }
}

/// The built-in cluster before any step.
pub fn mesh() -> Result<Mesh, LoadError> {
    Mesh::load(&[cluster_source()], &settings()).map(|l| l.mesh)
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TourRow {
    pub outcome: Outcome,
    /// What the guide prints for this row, when it differs from what Istio really does.
    pub guide_prints: Option<Status>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TourStep {
    pub id: &'static str,
    pub title: &'static str,
    /// The step whose state this one starts from (`None`: the cluster as it is); 3′ starts from 1.
    pub base: Option<&'static str>,
    /// The guide's command, e.g. `istioctl create -n foo -f -`.
    pub command: Option<&'static str>,
    /// Resources applied at this step, as YAML.
    pub applied: Vec<Source>,
    /// What meshlock says about the manifest exactly as the guide publishes it.
    pub published_diagnostics: Vec<Diagnostic>,
    pub note: Option<&'static str>,
    pub rows: Vec<TourRow>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Tour {
    pub title: &'static str,
    pub istio_version: IstioVersion,
    pub steps: Vec<TourStep>,
}

struct StepSpec {
    id: &'static str,
    title: &'static str,
    /// Which earlier step's state this step starts from (`None`: the cluster).
    base: Option<&'static str>,
    applied: Vec<Source>,
    published: Option<Source>,
    note: Option<&'static str>,
    guide_prints_legacy: Option<Status>,
}

fn steps() -> Vec<StepSpec> {
    let policy = |text: &'static str| Source::new("policy.yaml", text).in_namespace("foo");
    vec![
        StepSpec {
            id: "0",
            title: "Before you begin: every client reaches httpbin.foo",
            base: None,
            applied: vec![],
            published: None,
            note: None,
            guide_prints_legacy: None,
        },
        StepSpec {
            id: "1",
            title: "Configure the server to accept both mutual TLS and plaintext traffic",
            base: Some("0"),
            applied: vec![policy(STEP1_POLICY)],
            published: Some(Source::new("guide:step1-policy.yaml", STEP1_POLICY_PUBLISHED)),
            note: None,
            guide_prints_legacy: None,
        },
        StepSpec {
            id: "2",
            title: "Configure clients to send mutual TLS traffic",
            base: Some("1"),
            applied: vec![Source::new("destinationrule.yaml", STEP2_RULE).in_namespace("foo")],
            published: None,
            note: Some("sleep.legacy has no sidecar: the DestinationRule does not apply to it, it stays plaintext"),
            guide_prints_legacy: None,
        },
        StepSpec {
            id: "3",
            title: "Lock down to mutual TLS (optional)",
            base: Some("2"),
            applied: vec![policy(STEP3_POLICY)],
            published: Some(Source::new("guide:step3-policy.yaml", STEP3_POLICY_PUBLISHED)),
            note: Some("same Policy name as step 1: `istioctl create` replaces it, there is never a second policy"),
            guide_prints_legacy: Some(Status(503)),
        },
        StepSpec {
            id: "3'",
            title: "What if: STRICT without the step-2 DestinationRule",
            base: Some("1"),
            applied: vec![policy(STEP3_POLICY)],
            published: None,
            note: Some("without the rule, Istio 1.1 sidecars send plaintext and the STRICT server refuses it"),
            guide_prints_legacy: None,
        },
    ]
}

/// Replays the guide on the built-in cluster with Istio 1.1 rules.
/// The built-in data failed to load or probe: a bug in meshlock, reported rather than panicking.
#[derive(Debug, thiserror::Error)]
pub enum TourError {
    #[error("the built-in seed cluster does not load: {0}")]
    Load(#[from] LoadError),
    #[error("the built-in seed cluster cannot be probed: {0}")]
    Probe(#[from] ProbeError),
}

pub fn tour() -> Result<Tour, TourError> {
    let mut states: Vec<(&'static str, Mesh)> = Vec::new();
    let mut out = Vec::new();
    for spec in steps() {
        let base = match spec.base.and_then(|id| states.iter().find(|(s, _)| *s == id)) {
            Some((_, mesh)) => mesh.clone(),
            None => mesh()?,
        };
        let mesh = if spec.applied.is_empty() {
            base
        } else {
            base.apply(&spec.applied)?.mesh
        };
        let published_diagnostics = spec
            .published
            .map(|source| ingest::ingest(std::slice::from_ref(&source), 0).diagnostics)
            .unwrap_or_default();
        let mut rows = Vec::new();
        for client in CLIENTS {
            let outcome = mesh.probe(client, PROBE_TARGET)?;
            let guide_prints = if client == "legacy/sleep" {
                spec.guide_prints_legacy
            } else {
                None
            }
            .filter(|printed| *printed != outcome.response.status);
            rows.push(TourRow { outcome, guide_prints });
        }
        out.push(TourStep {
            id: spec.id,
            title: spec.title,
            base: spec.base,
            command: (!spec.applied.is_empty()).then_some("istioctl create -n foo -f -"),
            applied: spec.applied,
            published_diagnostics,
            note: spec.note,
            rows,
        });
        states.push((spec.id, mesh));
    }
    Ok(Tour {
        title: "Mutual TLS Migration (Istio 1.1)",
        istio_version: IstioVersion::SEED,
        steps: out,
    })
}
