//! Observed traffic (tests/telemetry/) reconciled with the seed cluster at each step.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use meshlock::migrate::Goal;
use meshlock::observe::{DisagreementKind, Readiness};
use meshlock::telemetry::Observations;
use meshlock::{Mesh, Source, seed};

const HTTPBIN_FOO: &str = "httpbin.foo.svc.cluster.local";

fn fixture(name: &str) -> Observations {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/telemetry")
        .join(name);
    Observations::parse(name, &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn seed_with(files: &[&str]) -> Mesh {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seed");
    let sources: Vec<Source> = files
        .iter()
        .map(|f| Source::new(*f, std::fs::read_to_string(dir.join(f)).unwrap()).in_namespace("foo"))
        .collect();
    seed::mesh().unwrap().apply(&sources).unwrap().mesh
}

#[test]
fn step_1_everyone_plaintext_is_blocked() {
    let r = seed_with(&["step1-policy.yaml"]).ready(&fixture("seed-step1.prom"));
    let s = r.service(HTTPBIN_FOO).unwrap();
    assert_eq!(s.readiness, Readiness::Blocked);
    let senders: Vec<&str> = s.plaintext_senders.iter().map(|x| x.client.as_str()).collect();
    assert_eq!(senders, ["bar/sleep", "foo/sleep", "legacy/sleep"]);
    assert_eq!(
        r.service("sleep.foo.svc.cluster.local").unwrap().readiness,
        Readiness::NoTraffic
    );
}

#[test]
fn step_2_blocked_by_the_legacy_client_in_both_formats() {
    let mesh = seed_with(&["step1-policy.yaml", "step2-destinationrule.yaml"]);
    let text = mesh.ready(&fixture("seed-step2.prom"));
    let s = text.service(HTTPBIN_FOO).unwrap();
    assert_eq!(s.readiness, Readiness::Blocked);
    assert_eq!(s.plaintext_senders.len(), 1);
    assert_eq!(
        s.plaintext_senders[0].client, "unknown",
        "Telemetry v2 cannot name a client without a sidecar"
    );
    assert_eq!(s.mtls_requests, 78.0, "source-reported series are not counted");
    let json = mesh.ready(&fixture("seed-step2.json"));
    let s = json.service(HTTPBIN_FOO).unwrap();
    assert_eq!(
        (s.readiness, s.plaintext_senders[0].client.as_str()),
        (Readiness::Blocked, "legacy/sleep")
    );
    assert!(json.disagreements.is_empty(), "{:?}", json.disagreements);
    // The planner holds the lock-down back on observed plaintext, as the model does.
    let plan = mesh
        .plan_with_observations(
            &Goal::Namespaces(vec!["foo".into()]),
            &[],
            Some(&fixture("seed-step2.json")),
        )
        .unwrap();
    assert!(
        plan.blockers
            .iter()
            .any(|b| b.client.to_string() == "legacy/sleep" && b.service.starts_with(HTTPBIN_FOO))
    );
}

#[test]
fn only_mtls_observed_means_ready() {
    let mesh = seed_with(&["step2-destinationrule.yaml", "step3-policy.yaml"]);
    let r = mesh.ready(&fixture("seed-locked.json"));
    let s = r.service(HTTPBIN_FOO).unwrap();
    assert_eq!(s.readiness, Readiness::Ready);
    assert_eq!(s.mtls_requests, 78.0, "the increase over the range");
}

#[test]
fn observed_plaintext_contradicting_the_model_is_reported_and_blocks_the_plan() {
    let mesh = seed_with(&["step1-policy.yaml", "step2-destinationrule.yaml"]);
    let observed = fixture("contradiction.prom");
    let r = mesh.ready(&observed);
    let kinds: Vec<(&DisagreementKind, &str)> = r.disagreements.iter().map(|d| (&d.kind, d.from.as_str())).collect();
    assert!(
        kinds.contains(&(&DisagreementKind::PlaintextWhereModelSaysMtls, "bar/sleep")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(&DisagreementKind::UnknownCaller, "batch/cronjob-report")),
        "{kinds:?}"
    );
    // Without metrics the model alone would lock httpbin.foo once legacy/sleep may break; the observed
    // plaintext from bar/sleep holds it back.
    let allow = vec![meshlock::model::parse_client("legacy/sleep").unwrap()];
    let goal = Goal::Namespaces(vec!["foo".into()]);
    assert!(
        mesh.plan(&goal, &allow)
            .unwrap()
            .steps
            .iter()
            .any(|s| s.name.contains("lock-httpbin-foo"))
    );
    let plan = mesh.plan_with_observations(&goal, &allow, Some(&observed)).unwrap();
    assert!(!plan.steps.iter().any(|s| s.name.contains("lock-httpbin-foo")));
    assert!(
        plan.blockers
            .iter()
            .any(|b| b.client.to_string() == "bar/sleep" && b.would_get == "observed plaintext")
    );
}

#[test]
fn malformed_metrics_are_refused_whole_with_positions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/telemetry");
    let text = std::fs::read_to_string(dir.join("malformed.prom")).unwrap();
    let err = Observations::parse("malformed.prom", &text).unwrap_err();
    let lines: Vec<Option<usize>> = err.diagnostics.iter().map(|d| d.location.line).collect();
    assert_eq!(lines, [Some(2), Some(3)]);
    let json = std::fs::read_to_string(dir.join("malformed.json")).unwrap();
    let err = Observations::parse("malformed.json", &json).unwrap_err();
    assert!(
        err.diagnostics[0].message.contains("data.result[1]"),
        "{:?}",
        err.diagnostics
    );
    assert!(Observations::parse("x.json", "{\"status\":\"error\",\"error\":\"bad query\"}").is_err());
    assert!(Observations::parse("x.json", "{not json").is_err());
}
