//! Snapshots of what people read: the tour, explanations, diagnostics, the matrix table.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

use meshlock::render::{self, Style};
use meshlock::{Mesh, MeshSettings, Source, seed};

fn seed_after(steps: &[(&str, &str)]) -> Mesh {
    let sources: Vec<Source> = steps
        .iter()
        .map(|(name, text)| Source::new(*name, *text).in_namespace("foo"))
        .collect();
    seed::mesh().unwrap().apply(&sources).unwrap().mesh
}

const POLICY_STRICT: &str = include_str!("../seed/step3-policy.yaml");
const RULE: &str = include_str!("../seed/step2-destinationrule.yaml");

#[test]
fn tour() {
    insta::assert_snapshot!(render::tour(&seed::tour().unwrap(), Style::PLAIN));
}

#[test]
fn explain_legacy_after_lock_down() {
    let mesh = seed_after(&[("rule.yaml", RULE), ("policy.yaml", POLICY_STRICT)]);
    let outcome = mesh.probe("legacy/sleep", "httpbin.foo:8000/ip").unwrap();
    insta::assert_snapshot!(render::explain(&outcome, Style::PLAIN));
}

#[test]
fn explain_bar_after_lock_down() {
    let mesh = seed_after(&[("rule.yaml", RULE), ("policy.yaml", POLICY_STRICT)]);
    let outcome = mesh.probe("bar/sleep", "httpbin.foo:8000/ip").unwrap();
    insta::assert_snapshot!(render::explain(&outcome, Style::PLAIN));
}

#[test]
fn explain_sidecar_client_without_rule() {
    let mesh = seed_after(&[("policy.yaml", POLICY_STRICT)]);
    let outcome = mesh.probe("foo/sleep", "httpbin.foo:8000/ip").unwrap();
    insta::assert_snapshot!(render::explain(&outcome, Style::PLAIN));
}

#[test]
fn matrix_table_after_lock_down() {
    let mesh = seed_after(&[("rule.yaml", RULE), ("policy.yaml", POLICY_STRICT)]);
    insta::assert_snapshot!(render::matrix_table(&mesh.matrix(), Style::PLAIN));
}

#[test]
fn diagnostics_of_bad_input() {
    let text = "\
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: default, namespace: foo}
spec:
  mtls: {mode: STRIKT}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: r, namespace: foo}
spec:
  host: httpbin
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL, sniff: true}
---
kind: Service
metadata: {name: x}
---
apiVersion: v1
kind: Service
metadata: [oops
";
    let err = Mesh::load(&[Source::new("bad.yaml", text)], &MeshSettings::default()).unwrap_err();
    insta::assert_snapshot!(render::diagnostics(&err.diagnostics, meshlock::Severity::Info));
}

#[test]
fn plan_for_the_seed() {
    let plan = seed::mesh()
        .unwrap()
        .plan(&meshlock::migrate::Goal::Strict, &[])
        .unwrap();
    insta::assert_snapshot!(render::plan(&plan));
}

#[test]
fn stages_after_step_2() {
    let mesh = seed_after(&[
        ("policy.yaml", include_str!("../seed/step1-policy.yaml")),
        ("rule.yaml", RULE),
    ]);
    insta::assert_snapshot!(render::stages(&mesh.stages()));
}

/// `docs/diagnostics.md` is generated from the catalogue; regenerate it with
/// `cargo run -- check --catalogue > docs/diagnostics.md`.
#[test]
fn diagnostics_catalogue_is_in_step_with_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md");
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert!(
        on_disk == meshlock::diagnostic::catalogue_markdown(),
        "docs/diagnostics.md is stale: regenerate it"
    );
}

#[test]
fn sarif_of_the_published_policy() {
    let err = Mesh::load(
        &[Source::new(
            "step1-policy.published.yaml",
            include_str!("../seed/step1-policy.published.yaml"),
        )],
        &MeshSettings::default(),
    )
    .unwrap_err();
    let report = meshlock::check::CheckReport::from_diagnostics(err.diagnostics);
    let sarif = render::sarif(&report);
    // The shape code scanning needs (SARIF 2.1.0): version, runs[].tool.driver.rules, results with locations.
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "ML105");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 9);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .all(|r| r["id"].is_string() && r["defaultConfiguration"]["level"].is_string())
    );
    insta::assert_json_snapshot!(result);
}

const INTENTS_CSV: &str = include_str!("../../tests/intents/seed-httpbin-foo.csv");
const TELEMETRY_STEP2: &str = include_str!("../../tests/telemetry/seed-step2.json");

/// The seed with foo's intents (CSV): the plan protecting `declared,observed` edges, with the
/// telemetry of step 2 (legacy/sleep observed in plaintext), and `check`'s scope section.
#[test]
fn plan_and_check_with_declared_and_observed_edges() {
    let mesh = seed::mesh()
        .unwrap()
        .apply(&[Source::new("intents.csv", INTENTS_CSV)])
        .unwrap()
        .mesh;
    let observations = meshlock::telemetry::Observations::parse("seed-step2.json", TELEMETRY_STEP2).unwrap();
    let mut evidence = meshlock::evidence::EdgeEvidence::of_mesh(&mesh);
    evidence.observe(&observations);
    let scope: meshlock::evidence::EdgeScope = "declared,observed".parse().unwrap();
    let goal: meshlock::migrate::Goal = "namespace=foo".parse().unwrap();
    let plan = mesh
        .plan_in_scope(&goal, &[], Some(&observations), false, &evidence, scope)
        .unwrap();
    let report = mesh.check_in_scope(false, &evidence, &scope);
    let check = render::check(&report, Style::PLAIN);
    let section = check.split("\nedges in scope").nth(1).unwrap_or_default();
    insta::assert_snapshot!(format!("{}\n--- check\nedges in scope{section}", render::plan(&plan)));
}
