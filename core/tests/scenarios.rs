//! Replays every shared scenario in `tests/scenarios/` against the Rust API.
//! The format is specified in `tests/scenarios/README.md`; unknown keys fail the run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

#[path = "support/scenario_inputs.rs"]
mod scenario_inputs;
mod support;

use std::path::Path;

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
    settings: scenario_inputs::Settings,
    sources: Vec<scenario_inputs::SourceSpec>,
    /// Observed traffic: a file of `tests/telemetry/` (observed evidence for plans, `scope`, `evidence`).
    metrics: Option<String>,
    expect: Expect,
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
    /// `check` under an edge scope (`CheckReport::scope`).
    scope: Option<ExpectScope>,
    /// Edges' evidence, as the matrix gives it with the scenario's intents and metrics.
    #[serde(default)]
    evidence: Vec<ExpectEvidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectScope {
    /// The scope (`all` when absent).
    edges: Option<String>,
    in_scope: Option<usize>,
    failing: Option<usize>,
    /// The exact set of declared edges that cannot work (not checked when absent).
    declared_failing: Option<Vec<ExpectEdge>>,
    /// Per service port with declared callers: the exact undeclared plaintext callers (not
    /// checked when absent).
    undeclared_plaintext: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct ExpectEdge {
    from: String,
    to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectEvidence {
    from: String,
    /// `fqdn:port`.
    to: String,
    /// The exact kinds.
    evidence: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectPlan {
    goal: String,
    #[serde(default)]
    allow_break: Vec<String>,
    /// The edge scope (`all` when absent).
    edges: Option<String>,
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
    /// The blocker's strongest evidence (`observed`, `declared`, `possible`); not checked when absent.
    evidence: Option<String>,
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

/// Checks one scenario; returns the mismatches.
fn run(scenario: &Scenario) -> Vec<String> {
    let mut failures = Vec::new();
    let result = scenario_inputs::load(&scenario.name, &scenario.settings, &scenario.sources);
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
    let observations = scenario.metrics.as_ref().map(|file| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/telemetry")
            .join(file);
        let text = std::fs::read_to_string(&path).expect("metrics file");
        meshlock::telemetry::Observations::parse(file, &text).expect("metrics")
    });
    let mut evidence = meshlock::evidence::EdgeEvidence::of_mesh(&loaded.mesh);
    if let Some(o) = &observations {
        evidence.observe(o);
    }
    for want in &scenario.expect.probes {
        let got = match loaded.mesh.probe(&want.from, &want.to) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("probe {} -> {}: {e}", want.from, want.to));
                continue;
            }
        };
        let mut mismatches = Vec::new();
        let transport = got.response.transport.map(|t| t.as_str().to_owned());
        let verdict = serde_json::to_value(got.response.verdict()).unwrap();
        if want
            .status
            .as_ref()
            .is_some_and(|s| *s != got.response.status.to_string())
        {
            mismatches.push(format!("status want {:?} got {}", want.status, got.response.status));
        }
        if want.curl_exit.is_some_and(|c| c != got.response.curl_exit) {
            mismatches.push(format!(
                "curl_exit want {:?} got {}",
                want.curl_exit, got.response.curl_exit
            ));
        }
        if want.transport.as_ref().is_some_and(|t| *t != transport) {
            mismatches.push(format!("transport want {:?} got {transport:?}", want.transport));
        }
        if want.verdict.as_ref().is_some_and(|v| verdict != v.as_str()) {
            mismatches.push(format!("verdict want {:?} got {verdict}", want.verdict));
        }
        if want.reason.as_ref().is_some_and(|r| *r != got.response.reason.as_str()) {
            mismatches.push(format!("reason want {:?} got {}", want.reason, got.response.reason));
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
        let scope: meshlock::evidence::EdgeScope = want.edges.as_deref().unwrap_or("all").parse().expect("edges");
        let plan = match loaded
            .mesh
            .plan_in_scope(&goal, &allow, observations.as_ref(), true, &evidence, scope)
        {
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
                evidence: None,
            })
            .collect();
        blockers.sort();
        blockers.dedup();
        let mut wanted: Vec<ExpectBlocker> = want
            .blockers
            .iter()
            .map(|b| ExpectBlocker {
                client: b.client.clone(),
                service: b.service.clone(),
                evidence: None,
            })
            .collect();
        wanted.sort();
        wanted.dedup();
        for w in want.blockers.iter().filter(|b| b.evidence.is_some()) {
            let found = plan.blockers.iter().any(|b| {
                b.client.to_string() == w.client
                    && b.service == w.service
                    && b.evidence.strongest().map(|e| e.as_str()) == w.evidence.as_deref()
            });
            if !found {
                failures.push(format!("plan {}: no blocker {w:?}", want.goal));
            }
        }
        if blockers != wanted {
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
    if let Some(want) = &scenario.expect.scope {
        let scope: meshlock::evidence::EdgeScope = want.edges.as_deref().unwrap_or("all").parse().expect("edges");
        let report = loaded.mesh.check_in_scope(true, &evidence, &scope);
        match &report.scope {
            None => failures.push("check: no scope report".to_owned()),
            Some(got) => {
                if want.in_scope.is_some_and(|n| n != got.in_scope) {
                    failures.push(format!(
                        "scope in_scope: want {:?}, got {}",
                        want.in_scope, got.in_scope
                    ));
                }
                if want.failing.is_some_and(|n| n != got.failing) {
                    failures.push(format!("scope failing: want {:?}, got {}", want.failing, got.failing));
                }
                let mut declared: Vec<ExpectEdge> = got
                    .declared_failing
                    .iter()
                    .map(|f| ExpectEdge {
                        from: f.from.to_string(),
                        to: f.to.clone(),
                    })
                    .collect();
                declared.sort();
                let mut wanted: Vec<&ExpectEdge> = want.declared_failing.iter().flatten().collect();
                wanted.sort();
                if want.declared_failing.is_some() && declared.iter().collect::<Vec<_>>() != wanted {
                    failures.push(format!("scope declared_failing: want {wanted:?}, got {declared:?}"));
                }
                let undeclared: std::collections::BTreeMap<String, Vec<String>> = got
                    .undeclared_plaintext
                    .iter()
                    .map(|x| {
                        let mut callers: Vec<String> = x.callers.iter().map(ToString::to_string).collect();
                        callers.sort();
                        (x.service.clone(), callers)
                    })
                    .collect();
                let mut wanted = want.undeclared_plaintext.clone().unwrap_or_default();
                wanted.values_mut().for_each(|v| v.sort());
                if want.undeclared_plaintext.is_some() && undeclared != wanted {
                    failures.push(format!(
                        "scope undeclared_plaintext: want {wanted:?}, got {undeclared:?}"
                    ));
                }
            }
        }
    }
    if !scenario.expect.evidence.is_empty() {
        let matrix = loaded
            .mesh
            .matrix_in_scope(&evidence, meshlock::evidence::EdgeScope::All);
        for want in &scenario.expect.evidence {
            let got = matrix.edge(&want.from, &want.to).and_then(|e| e.evidence);
            let got: Option<Vec<&str>> = got.map(|set| set.iter().map(|k| k.as_str()).collect());
            let mut wanted: Vec<&str> = want.evidence.iter().map(String::as_str).collect();
            let mut got = got.unwrap_or_default();
            wanted.sort();
            got.sort();
            if got != wanted {
                failures.push(format!(
                    "evidence of {} → {}: want {wanted:?}, got {got:?}",
                    want.from, want.to
                ));
            }
        }
    }
    failures
}

#[test]
fn every_scenario_passes() {
    let files = support::scenario_files();
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

/// Codes of the catalogue without a scenario pair, and why: a scenario describes one state of the
/// cluster, and these are raised only when two states are compared.
const NOT_IN_ONE_STATE: [(&str, &str); 1] = [(
    "ML402",
    "raised by `diff` (before and after), pinned by cli/tests/cli.rs and the bindings' diff tests",
)];

/// Every code of the catalogue (`Code::ALL`, as `docs/diagnostics.md` lists them) has its pair in
/// `tests/scenarios/catalogue/`, named by its id and slug: `mlNNN-<slug>.yaml`, an input that
/// reports the code, and `mlNNN-<slug>-near-miss.yaml`, the closest input that must not; and
/// every file there belongs to a code.
#[test]
fn every_catalogue_code_has_its_scenario_pair() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios/catalogue");
    let mut problems = Vec::new();
    let mut expected = std::collections::BTreeSet::new();
    for code in meshlock::Code::ALL {
        let entry = code.entry();
        if let Some((_, why)) = NOT_IN_ONE_STATE.iter().find(|(id, _)| *id == entry.id) {
            assert!(
                !dir.join(format!("{}-{}.yaml", entry.id.to_ascii_lowercase(), entry.slug))
                    .exists(),
                "{} has scenarios now: remove it from NOT_IN_ONE_STATE ({why})",
                entry.id
            );
            continue;
        }
        let stem = format!("{}-{}", entry.id.to_ascii_lowercase(), entry.slug);
        for near_miss in [false, true] {
            let file = if near_miss {
                format!("{stem}-near-miss.yaml")
            } else {
                format!("{stem}.yaml")
            };
            expected.insert(file.clone());
            let Ok(text) = std::fs::read_to_string(dir.join(&file)) else {
                problems.push(format!("{} `{}`: no {file}", entry.id, entry.slug));
                continue;
            };
            let scenario: Scenario = match yaml_serde::from_str(&text) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(format!("{file}: does not parse: {e}"));
                    continue;
                }
            };
            let name = format!("catalogue-{}", file.trim_end_matches(".yaml"));
            if scenario.name != name {
                problems.push(format!("{file}: named `{}`, not `{name}`", scenario.name));
            }
            let expect = &scenario.expect;
            if near_miss && !expect.absent_diagnostics.iter().any(|c| c == entry.id) {
                problems.push(format!("{file}: {} is not in `absent_diagnostics`", entry.id));
            }
            if !near_miss && !expect.diagnostics.iter().any(|d| d.code == entry.id) {
                problems.push(format!("{file}: {} is not in `diagnostics`", entry.id));
            }
        }
    }
    for entry in std::fs::read_dir(&dir).expect("catalogue dir") {
        let file = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if !expected.contains(&file) {
            problems.push(format!("{file}: names no code of the catalogue"));
        }
    }
    assert!(
        problems.is_empty(),
        "the catalogue's scenarios are incomplete:\n{}",
        problems.join("\n")
    );
}
