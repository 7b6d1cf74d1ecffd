//! Replays every shared scenario in `tests/scenarios/` against the Rust API.
//! The format is specified in `tests/scenarios/README.md`; unknown keys fail the run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

use std::path::{Path, PathBuf};

use meshlock::{IstioVersion, Mesh, MeshSettings, Source};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    name: String,
    #[allow(dead_code, reason = "documentation for people")]
    description: String,
    #[allow(dead_code, reason = "documentation for people")]
    rule: String,
    #[serde(default)]
    settings: Settings,
    sources: Vec<ScenarioSource>,
    expect: Expect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    istio_version: Option<String>,
    auto_mtls: Option<bool>,
    root_namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioSource {
    builtin: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    yaml: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(default = "ok")]
    load: String,
    #[serde(default)]
    diagnostics: Vec<ExpectDiagnostic>,
    #[serde(default)]
    absent_diagnostics: Vec<String>,
    #[serde(default)]
    probes: Vec<ExpectProbe>,
    /// Stage by service port (`fqdn:port`), `namespace/NS` or `mesh`.
    #[serde(default)]
    stages: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    plans: Vec<ExpectPlan>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectPlan {
    goal: String,
    #[serde(default)]
    allow_break: Vec<String>,
    /// The exact step names, in order.
    steps: Vec<String>,
    /// The exact set of blocked (client, service) pairs.
    #[serde(default)]
    blockers: Vec<ExpectBlocker>,
    /// Remedy kinds every blocker must offer.
    #[serde(default)]
    remedies: Vec<String>,
    /// A subset of the summary after the plan (`mesh`, `failing`, `namespaces`…).
    #[serde(default)]
    after: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct ExpectBlocker {
    client: String,
    service: String,
}

fn ok() -> String {
    "ok".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectDiagnostic {
    code: String,
    source: Option<String>,
    document: Option<usize>,
    line: Option<usize>,
    column: Option<usize>,
    path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectProbe {
    from: String,
    to: String,
    status: Option<String>,
    curl_exit: Option<u8>,
    #[serde(default, deserialize_with = "present")]
    transport: Option<Option<String>>,
    verdict: Option<String>,
    reason: Option<String>,
}

/// Distinguishes `transport: null` (must be null) from a missing key (not checked).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

fn scenario_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("scenario dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn sources(scenario: &Scenario) -> Vec<Source> {
    scenario
        .sources
        .iter()
        .map(|s| match (&s.builtin, &s.yaml) {
            (Some(b), None) if b == "seed" => meshlock::seed::cluster_source(),
            (None, Some(yaml)) => Source {
                name: s.name.clone().unwrap_or_else(|| "input.yaml".to_owned()),
                text: yaml.clone(),
                namespace: s.namespace.clone(),
            },
            other => panic!("{}: bad source {other:?}", scenario.name),
        })
        .collect()
}

fn settings(s: &Settings) -> MeshSettings {
    MeshSettings {
        istio_version: s
            .istio_version
            .as_deref()
            .map(|v| v.parse::<IstioVersion>().expect("version")),
        auto_mtls: s.auto_mtls,
        root_namespace: s.root_namespace.clone(),
        ..MeshSettings::default()
    }
}

/// Checks one scenario; returns the mismatches.
fn run(scenario: &Scenario) -> Vec<String> {
    let mut failures = Vec::new();
    let result = Mesh::load(&sources(scenario), &settings(&scenario.settings));
    // Loading diagnostics, plus what `check` finds on a mesh that loads.
    let diagnostics = match &result {
        Ok(loaded) => loaded.mesh.check().diagnostics,
        Err(err) => err.diagnostics.clone(),
    };
    let loaded_ok = if result.is_ok() { "ok" } else { "error" };
    if loaded_ok != scenario.expect.load {
        failures.push(format!(
            "load: want {}, got {loaded_ok}: {diagnostics:#?}",
            scenario.expect.load
        ));
    }
    for want in &scenario.expect.diagnostics {
        let found = diagnostics.iter().any(|d| {
            d.code.id() == want.code
                && want.source.as_ref().is_none_or(|s| *s == d.location.source)
                && want.document.is_none_or(|n| Some(n) == d.location.document)
                && want.line.is_none_or(|n| Some(n) == d.location.line)
                && want.column.is_none_or(|n| Some(n) == d.location.column)
                && want.path.as_ref().is_none_or(|p| Some(p) == d.location.path.as_ref())
        });
        if !found {
            failures.push(format!("diagnostic {want:?} not reported; got {diagnostics:#?}"));
        }
    }
    for code in &scenario.expect.absent_diagnostics {
        if let Some(d) = diagnostics.iter().find(|d| d.code.id() == code) {
            failures.push(format!("diagnostic {code} must be absent, got {d}"));
        }
    }
    let Ok(loaded) = result else { return failures };
    for want in &scenario.expect.probes {
        let got = match loaded.mesh.probe(&want.from, &want.to) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("probe {} -> {}: {e}", want.from, want.to));
                continue;
            }
        };
        let mut mismatches = Vec::new();
        let transport = got.transport.map(|t| t.as_str().to_owned());
        let verdict = serde_json::to_value(got.verdict).unwrap();
        if want.status.as_ref().is_some_and(|s| *s != got.status.to_string()) {
            mismatches.push(format!("status want {:?} got {}", want.status, got.status));
        }
        if want.curl_exit.is_some_and(|c| c != got.curl_exit) {
            mismatches.push(format!("curl_exit want {:?} got {}", want.curl_exit, got.curl_exit));
        }
        if want.transport.as_ref().is_some_and(|t| *t != transport) {
            mismatches.push(format!("transport want {:?} got {transport:?}", want.transport));
        }
        if want.verdict.as_ref().is_some_and(|v| verdict != v.as_str()) {
            mismatches.push(format!("verdict want {:?} got {verdict}", want.verdict));
        }
        if want.reason.as_ref().is_some_and(|r| *r != got.reason.as_str()) {
            mismatches.push(format!("reason want {:?} got {}", want.reason, got.reason));
        }
        if !mismatches.is_empty() {
            let chain = meshlock::render::explain(&got, meshlock::render::Style::PLAIN);
            failures.push(format!(
                "probe {} -> {}: {}\n{chain}",
                want.from,
                want.to,
                mismatches.join("; ")
            ));
        }
    }
    let stages = serde_json::to_value(loaded.mesh.stages()).unwrap();
    for (what, want) in &scenario.expect.stages {
        let got = if what == "mesh" {
            stages["mesh"].clone()
        } else if let Some(ns) = what.strip_prefix("namespace/") {
            stages["namespaces"][ns].clone()
        } else {
            stages["services"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["service"] == what.as_str())
                .map(|s| s["stage"].clone())
                .unwrap_or_default()
        };
        if got != want.as_str() {
            failures.push(format!("stage of {what}: want {want}, got {got}"));
        }
    }
    for want in &scenario.expect.plans {
        let goal = want.goal.parse().expect("goal");
        let allow: Vec<_> = want
            .allow_break
            .iter()
            .map(|w| meshlock::model::parse_client(w).unwrap())
            .collect();
        let plan = match loaded.mesh.plan(&goal, &allow) {
            Ok(plan) => plan,
            Err(e) => {
                failures.push(format!("plan {}: {e}", want.goal));
                continue;
            }
        };
        let steps: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
        if steps != want.steps {
            failures.push(format!(
                "plan {} steps: want {:?}, got {steps:?}",
                want.goal, want.steps
            ));
        }
        let mut blockers: Vec<ExpectBlocker> = plan
            .blockers
            .iter()
            .map(|b| ExpectBlocker {
                client: b.client.to_string(),
                service: b.service.clone(),
            })
            .collect();
        blockers.sort();
        blockers.dedup();
        let mut wanted: Vec<&ExpectBlocker> = want.blockers.iter().collect();
        wanted.sort();
        if blockers.iter().collect::<Vec<_>>() != wanted {
            failures.push(format!(
                "plan {} blockers: want {wanted:?}, got {blockers:?}",
                want.goal
            ));
        }
        for b in &plan.blockers {
            let kinds: Vec<String> = b
                .remedies
                .iter()
                .map(|r| serde_json::to_value(&r.kind).unwrap().as_str().unwrap().to_owned())
                .collect();
            for kind in &want.remedies {
                if !kinds.contains(kind) {
                    failures.push(format!(
                        "plan {}: blocker {} → {} lacks remedy {kind} (has {kinds:?})",
                        want.goal, b.client, b.service
                    ));
                }
            }
        }
        let summary = serde_json::to_value(&plan.final_state).unwrap();
        for (key, value) in &want.after {
            if &summary[key] != value {
                failures.push(format!(
                    "plan {} after: {key} want {value}, got {}",
                    want.goal, summary[key]
                ));
            }
        }
    }
    failures
}

#[test]
fn every_scenario_passes() {
    let files = scenario_files();
    assert!(
        files.len() >= 20,
        "expected the scenario corpus, found {} files",
        files.len()
    );
    let mut report = Vec::new();
    let mut names = std::collections::HashSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read scenario");
        let scenario: Scenario = match yaml_serde::from_str(&text) {
            Ok(s) => s,
            Err(e) => {
                report.push(format!("{}: does not parse: {e}", file.display()));
                continue;
            }
        };
        assert!(
            names.insert(scenario.name.clone()),
            "duplicate scenario name {}",
            scenario.name
        );
        for failure in run(&scenario) {
            report.push(format!("{} ({}): {failure}", scenario.name, file.display()));
        }
    }
    assert!(
        report.is_empty(),
        "{} failure(s):\n\n{}",
        report.len(),
        report.join("\n\n")
    );
}
