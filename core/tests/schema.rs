//! The committed JSON Schema of the results and requests (`schema/meshlock.schema.json`): (a) it is
//! what `core/examples/schema.rs` generates from the serde types now, so a result or request type
//! that changes without regenerating fails here; (b) real results validate against it: the seed
//! cluster's, and those of every shared scenario (`tests/scenarios/`, with their intents and
//! observed traffic), each validated as the root property of its type (`{"plan": …}`); (c) it
//! accepts the requests serde reads and refuses those it refuses.
//! Runs with `--features schema` (`required-features` in core/Cargo.toml).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

#[path = "../examples/schema.rs"]
mod generator;
mod support;

use std::collections::BTreeSet;

use meshlock::evidence::{EdgeEvidence, EdgeScope};
use meshlock::migrate::{Goal, StepInput};
use meshlock::telemetry::Observations;
use meshlock::{IstioVersion, Mesh, MeshSettings, Source};
use serde::Serialize;
use serde_json::{Value, json};

fn committed() -> Value {
    let path = support::repo().join(generator::PATH);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: generate it with {}", generator::PATH, generator::REGENERATE));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", generator::PATH))
}

#[test]
fn committed_schema_is_what_the_types_generate() {
    let now = generator::text().unwrap();
    let committed = std::fs::read_to_string(support::repo().join(generator::PATH)).unwrap_or_default();
    if committed != now {
        let line = committed
            .lines()
            .zip(now.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(now.lines().count()));
        panic!(
            "{} is out of date with the Rust result and request types (first difference at line {}: committed {:?}, generated {:?}).\n\
             Regenerate it, and the TypeScript and Python types, with: {}\nthen commit the files under schema/.",
            generator::PATH,
            line + 1,
            committed.lines().nth(line).unwrap_or("<end>"),
            now.lines().nth(line).unwrap_or("<end>"),
            generator::REGENERATE
        );
    }
}

/// The roots the bindings' types are named after, and no object that admits unlisted keys.
#[test]
fn schema_names_every_root_and_lists_every_property() {
    let schema = committed();
    let definitions = schema["definitions"].as_object().unwrap();
    for name in [
        "Outcome",
        "Matrix",
        "NamespaceMap",
        "CheckReport",
        "Stages",
        "Plan",
        "Diff",
        "SimulatedStep",
        "Reconciliation",
        "Tour",
        "Diagnostic",
        "ResolvedSettings",
        "MeshSettings",
        "Limits",
        "Source",
        "InlineSource",
        "LoadOptions",
        "CheckOptions",
        "MeshRequest",
        "SourceSpec",
        "StepSpec",
        "ApiError",
        "PlanSummary",
    ] {
        assert!(definitions.contains_key(name), "no definition `{name}`");
    }
    for root in schema["properties"].as_object().unwrap().values() {
        let target = root["$ref"].as_str().unwrap().trim_start_matches("#/definitions/");
        assert!(definitions.contains_key(target), "root {root} points nowhere");
    }
    fn open_objects(at: &str, value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if map.contains_key("properties") && map.get("additionalProperties") != Some(&Value::Bool(false)) {
                    out.push(at.to_owned());
                }
                for (k, v) in map {
                    open_objects(&format!("{at}/{k}"), v, out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    open_objects(&format!("{at}/{i}"), v, out);
                }
            }
            _ => {}
        }
    }
    let mut open = Vec::new();
    open_objects("#", &schema, &mut open);
    assert!(open.is_empty(), "objects that admit unlisted properties: {open:?}");
}

/// Validates results against the committed schema, each as the root property of its type, and
/// records the keys seen per root (to show the optional ones were exercised).
struct Checker {
    validator: jsonschema::Validator,
    seen: BTreeSet<(String, String)>,
    checked: usize,
    failures: Vec<String>,
}

impl Checker {
    fn new() -> Self {
        let validator =
            jsonschema::draft7::new(&committed()).unwrap_or_else(|e| panic!("schema does not compile: {e}"));
        Self {
            validator,
            seen: BTreeSet::new(),
            checked: 0,
            failures: Vec::new(),
        }
    }

    fn check<T: Serialize>(&mut self, what: &str, root: &str, value: &T) {
        let value = serde_json::to_value(value).unwrap();
        if let Value::Object(map) = &value {
            self.seen.extend(map.keys().map(|k| (root.to_owned(), k.clone())));
        }
        let instance = json!({ root: value });
        let errors: Vec<String> = self
            .validator
            .iter_errors(&instance)
            .take(5)
            .map(|e| format!("  at {}: {e}", e.instance_path()))
            .collect();
        self.checked += 1;
        if !errors.is_empty() {
            self.failures.push(format!("{what} ({root}):\n{}", errors.join("\n")));
        }
    }

    fn finish(self, optional_seen: &[(&str, &str)]) {
        assert!(
            self.failures.is_empty(),
            "{} of {} results do not match {} (fix the schema's Rust attributes, then regenerate with {}):\n{}",
            self.failures.len(),
            self.checked,
            generator::PATH,
            generator::REGENERATE,
            self.failures.join("\n")
        );
        for (root, key) in optional_seen {
            assert!(
                self.seen.contains(&((*root).to_owned(), (*key).to_owned())),
                "no result exercised the optional `{root}.{key}`"
            );
        }
    }
}

fn seed_with(files: &[(&str, &str)]) -> Mesh {
    let mut sources = vec![meshlock::seed::cluster_source()];
    for (name, path) in files {
        let text = std::fs::read_to_string(support::repo().join("core/seed").join(path)).unwrap();
        sources.push(Source::new(*name, text).in_namespace("foo"));
    }
    Mesh::load(&sources, &meshlock::seed::settings()).unwrap().mesh
}

fn observations(file: &str) -> Observations {
    let text = std::fs::read_to_string(support::repo().join("tests/telemetry").join(file)).unwrap();
    Observations::parse(file, &text).unwrap()
}

#[test]
fn seed_results_validate() {
    let mut c = Checker::new();
    let mesh = meshlock::seed::mesh().unwrap();
    let locked = seed_with(&[
        ("destinationrule.yaml", "step2-destinationrule.yaml"),
        ("policy.yaml", "step3-policy.yaml"),
    ]);
    let strict_only = seed_with(&[("policy.yaml", "step3-policy.yaml")]);
    for m in [&mesh, &locked, &strict_only] {
        for client in meshlock::seed::CLIENTS {
            for target in [
                meshlock::seed::PROBE_TARGET,
                "https://httpbin.foo:8000/ip",
                "httpbin.foo:9999",
                "httpbin.nosuch:8000",
            ] {
                c.check(
                    &format!("probe {client} {target}"),
                    "outcome",
                    &m.probe(client, target).unwrap(),
                );
            }
        }
        c.check("matrix", "matrix", &m.matrix());
        c.check("namespace map", "namespace_map", &m.namespace_map());
        c.check(
            "matrix between",
            "matrix",
            &m.matrix_between(Some("legacy"), Some("foo")),
        );
        c.check("check", "check_report", &m.check());
        c.check("stages", "stages", &m.stages());
        for goal in ["strict", "mesh-strict", "namespace=foo"] {
            let plan = m.plan(&goal.parse::<Goal>().unwrap(), &[]).unwrap();
            c.check(&format!("plan {goal}"), "plan", &plan);
        }
        c.check("settings", "resolved_settings", m.settings());
        for d in m.diagnostics() {
            c.check("diagnostic", "diagnostic", d);
        }
    }
    c.check("diff", "diff", &Mesh::diff(&mesh, &strict_only));
    c.check("diff", "diff", &Mesh::diff(&strict_only, &locked));
    let step = |name: &str, file: &str| StepInput {
        name: name.to_owned(),
        apply: vec![
            Source::new(
                file,
                std::fs::read_to_string(support::repo().join("core/seed").join(file)).unwrap(),
            )
            .in_namespace("foo"),
        ],
        delete: Vec::new(),
    };
    let steps = mesh
        .simulate(&[
            step("rule", "step2-destinationrule.yaml"),
            step("lock", "step3-policy.yaml"),
        ])
        .unwrap();
    for s in &steps {
        c.check("simulate", "simulated_step", s);
    }
    let tour = meshlock::seed::tour().unwrap();
    c.check("tour", "tour", &tour);
    // The guide's mis-indented policy: located errors.
    let published = std::fs::read_to_string(support::repo().join("core/seed/step1-policy.published.yaml")).unwrap();
    let bad = mesh.apply(&[Source::new("guide:step1-policy.yaml", published)]);
    let diagnostics = match bad {
        Ok(loaded) => loaded.diagnostics,
        Err(e) => e.diagnostics,
    };
    assert!(!diagnostics.is_empty());
    for d in &diagnostics {
        c.check("published step 1", "diagnostic", d);
    }
    c.check(
        "check of an input that does not load",
        "check_report",
        &meshlock::check::CheckReport::from_diagnostics(diagnostics),
    );
    for file in [
        "seed-step1.prom",
        "seed-step2.prom",
        "seed-step2.json",
        "seed-locked.json",
        "contradiction.prom",
    ] {
        c.check(
            &format!("ready {file}"),
            "reconciliation",
            &mesh.ready(&observations(file)),
        );
    }
    let declared = EdgeEvidence::of_mesh(&mesh);
    let mut observed = declared.clone();
    observed.observe(&observations("seed-step2.json"));
    let scope: EdgeScope = "declared,observed".parse().unwrap();
    c.check("matrix in scope", "matrix", &mesh.matrix_in_scope(&observed, scope));
    c.check(
        "check in scope",
        "check_report",
        &mesh.check_in_scope(true, &observed, &scope),
    );
    let goal = Goal::Strict;
    let obs = observations("seed-step2.json");
    let plan = mesh
        .plan_in_scope(&goal, &[], Some(&obs), true, &observed, scope)
        .unwrap();
    c.check("plan in scope", "plan", &plan);
    c.check(
        "diff in scope",
        "diff",
        &Mesh::diff_in_scope(&mesh, &strict_only, &observed, scope),
    );
    // The inputs, as written: the defaults, the guide's and every field set.
    c.check("default settings", "mesh_settings", &MeshSettings::default());
    c.check("seed settings", "mesh_settings", &meshlock::seed::settings());
    c.check(
        "settings",
        "mesh_settings",
        &MeshSettings {
            istio_version: Some(IstioVersion::CURRENT),
            auto_mtls: Some(false),
            root_namespace: Some("istio-config".to_owned()),
            trust_domain: Some("example.org".to_owned()),
            ..MeshSettings::default()
        },
    );
    for source in [
        meshlock::seed::cluster_source(),
        Source::new("a.yaml", "").in_namespace("foo"),
    ] {
        c.check("source", "source", &source);
        c.check("source", "inline_source", &source);
    }
    c.check(
        "source without namespace",
        "inline_source",
        &json!({"name": "a.yaml", "text": ""}),
    );
    c.finish(&[
        ("plan", "edges"),
        ("plan", "blocked_by_evidence"),
        ("check_report", "scope"),
        ("diff", "scope"),
    ]);
}

/// Every scenario of `tests/scenarios/`: its results (with the intents of its sources and its
/// observed traffic), or the diagnostics of an input that does not load.
#[test]
fn scenario_results_validate() {
    let mut c = Checker::new();
    let files = support::scenario_files();
    assert!(files.len() > 100, "scenarios: {}", files.len());
    for file in &files {
        let name = file.strip_prefix(support::repo()).unwrap().display().to_string();
        let scenario: Value = yaml_serde::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let sources: Vec<Source> = scenario["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(
                |s| match (s["builtin"].as_str(), s["yaml"].as_str().or(s["csv"].as_str())) {
                    (Some("seed"), _) => meshlock::seed::cluster_source(),
                    (_, Some(text)) => Source {
                        name: s["name"].as_str().unwrap_or("input.yaml").to_owned(),
                        text: text.to_owned(),
                        namespace: s["namespace"].as_str().map(str::to_owned),
                    },
                    _ => panic!("{name}: bad source {s}"),
                },
            )
            .collect();
        let settings = &scenario["settings"];
        let settings = MeshSettings {
            istio_version: settings["istio_version"].as_str().map(|v| v.parse().unwrap()),
            auto_mtls: settings["auto_mtls"].as_bool(),
            root_namespace: settings["root_namespace"].as_str().map(str::to_owned),
            ..MeshSettings::default()
        };
        c.check(&name, "mesh_settings", &settings);
        let loaded = match Mesh::load(&sources, &settings) {
            Ok(loaded) => loaded,
            Err(e) => {
                for d in &e.diagnostics {
                    c.check(&name, "diagnostic", d);
                }
                c.check(
                    &name,
                    "check_report",
                    &meshlock::check::CheckReport::from_diagnostics(e.diagnostics),
                );
                continue;
            }
        };
        let mesh = &loaded.mesh;
        for d in &loaded.diagnostics {
            c.check(&name, "diagnostic", d);
        }
        let observations = scenario["metrics"].as_str().map(observations);
        let mut evidence = EdgeEvidence::of_mesh(mesh);
        if let Some(o) = &observations {
            evidence.observe(o);
            c.check(&name, "reconciliation", &mesh.ready(o));
        }
        for probe in scenario["expect"]["probes"].as_array().into_iter().flatten() {
            let (from, to) = (probe["from"].as_str().unwrap(), probe["to"].as_str().unwrap());
            if let Ok(outcome) = mesh.probe(from, to) {
                c.check(&format!("{name}: probe {from} {to}"), "outcome", &outcome);
            }
        }
        c.check(&name, "matrix", &mesh.matrix());
        c.check(&name, "namespace_map", &mesh.namespace_map());
        c.check(&name, "stages", &mesh.stages());
        c.check(&name, "resolved_settings", mesh.settings());
        let weighs = observations.is_some() || !mesh.intents().is_empty();
        let scopes: Vec<EdgeScope> = if weighs {
            vec![EdgeScope::All, "declared,observed".parse().unwrap()]
        } else {
            vec![EdgeScope::All, EdgeScope::Possible]
        };
        for scope in scopes {
            c.check(&name, "check_report", &mesh.check_in_scope(true, &evidence, &scope));
            c.check(&name, "check_report", &mesh.check_in_scope(false, &evidence, &scope));
            if weighs {
                c.check(&name, "matrix", &mesh.matrix_in_scope(&evidence, scope));
            }
            let Ok(plan) = mesh.plan_in_scope(&Goal::Strict, &[], observations.as_ref(), true, &evidence, scope) else {
                continue;
            };
            c.check(&format!("{name}: plan --edges {scope}"), "plan", &plan);
            // The plan's first step, simulated and diffed.
            let Some(first) = plan.steps.first() else { continue };
            let step = StepInput {
                name: first.name.clone(),
                apply: vec![Source::new("step.yaml", first.apply.join("\n---\n"))],
                delete: Vec::new(),
            };
            if let Ok(steps) = mesh.simulate(std::slice::from_ref(&step)) {
                for s in &steps {
                    c.check(&name, "simulated_step", s);
                }
            }
            if let Ok(after) = mesh.apply(&step.apply) {
                c.check(&name, "diff", &Mesh::diff(mesh, &after.mesh));
                c.check(&name, "diff", &Mesh::diff_in_scope(mesh, &after.mesh, &evidence, scope));
            }
        }
    }
    c.finish(&[
        ("outcome", "alternatives"),
        ("check_report", "scope"),
        ("plan", "edges"),
        ("plan", "breaks_outside_scope"),
        ("plan", "blocked_by_evidence"),
        ("plan", "strongest_blockers"),
        ("diff", "scope"),
    ]);
}

/// The schema is strict enough to mean something: what serde would never write is refused.
#[test]
fn schema_refuses_what_serde_does_not_write() {
    let validator = jsonschema::draft7::new(&committed()).unwrap();
    let mesh = meshlock::seed::mesh().unwrap();
    let outcome = serde_json::to_value(mesh.probe("legacy/sleep", meshlock::seed::PROBE_TARGET).unwrap()).unwrap();
    assert!(validator.is_valid(&json!({ "outcome": outcome })));
    let tampered = |edit: &dyn Fn(&mut Value)| {
        let mut o = outcome.clone();
        edit(&mut o);
        json!({ "outcome": o })
    };
    for (what, bad) in [
        ("an unknown key", tampered(&|o| o["extra"] = json!(1))),
        (
            "a missing required key",
            tampered(&|o| drop(o.as_object_mut().unwrap().remove("transport"))),
        ),
        ("a status that is not 3 digits", tampered(&|o| o["status"] = json!(200))),
        ("an unknown reason", tampered(&|o| o["reason"] = json!("timeout"))),
        (
            "a client that is not ns/name",
            tampered(&|o| o["from"] = json!("sleep")),
        ),
        (
            "a camelCase key",
            tampered(&|o| {
                let exit = o.as_object_mut().unwrap().remove("curl_exit").unwrap();
                o["curlExit"] = exit;
            }),
        ),
    ] {
        assert!(!validator.is_valid(&bad), "accepted {what}: {bad}");
    }
    assert!(!validator.is_valid(&json!({ "mesh_settings": { "istio_version": "2.0" } })));
    assert!(!validator.is_valid(&json!({ "mesh_settings": { "limits": { "max_depth": -1 } } })));
    assert!(!validator.is_valid(&json!({ "no_such_root": {} })));
    // Written, a source always has its namespace; read, it may be left out.
    assert!(!validator.is_valid(&json!({ "source": { "name": "a.yaml", "text": "" } })));
    assert!(validator.is_valid(&json!({ "inline_source": { "name": "a.yaml", "text": "" } })));
}

/// Requests: the schema accepts what the core's serde types read and refuses what they refuse
/// (each request as its root, snake_case keys as serde reads them after `from_js`).
#[test]
fn requests_validate_as_serde_reads_them() {
    use meshlock::api::{CheckOptions, LoadOptions, MeshRequest, SourceSpec, StepSpec};
    use serde::de::DeserializeOwned;

    fn reads<T: DeserializeOwned>(value: &Value) -> bool {
        serde_json::from_value::<T>(value.clone()).is_ok()
    }
    /// A request's root, whether serde reads it, the request.
    type Case = (&'static str, fn(&Value) -> bool, Value);
    let validator = jsonschema::draft7::new(&committed()).unwrap();
    let cases: Vec<Case> = vec![
        ("load_options", reads::<LoadOptions>, json!({})),
        (
            "load_options",
            reads::<LoadOptions>,
            json!({"namespace": "foo", "istio_version": "1.5", "limits": {"max_depth": 8}}),
        ),
        (
            "load_options",
            reads::<LoadOptions>,
            json!({"namespace": "foo", "nope": 1}),
        ),
        ("load_options", reads::<LoadOptions>, json!({"edges": "all"})),
        (
            "check_options",
            reads::<CheckOptions>,
            json!({"edges": "declared", "intents": ["a.yaml", {"builtin": "seed"}], "counts_only": true, "auto_mtls": false}),
        ),
        (
            "check_options",
            reads::<CheckOptions>,
            json!({"metrics": {"name": "m.prom"}}),
        ),
        ("source_spec", reads::<SourceSpec>, json!("a.yaml")),
        ("source_spec", reads::<SourceSpec>, json!({"builtin": "seed"})),
        (
            "source_spec",
            reads::<SourceSpec>,
            json!({"name": "a.yaml", "text": ""}),
        ),
        ("source_spec", reads::<SourceSpec>, json!({"name": "a.yaml"})),
        (
            "step_spec",
            reads::<StepSpec>,
            json!(["kind: List", {"builtin": "seed"}]),
        ),
        (
            "step_spec",
            reads::<StepSpec>,
            json!({"name": "undo", "delete": "kind: List"}),
        ),
        (
            "step_spec",
            reads::<StepSpec>,
            json!({"name": "x", "text": "kind: List"}),
        ),
        (
            "mesh_request",
            reads::<MeshRequest>,
            json!({"op": "probe", "from": "a/b", "to": "c:80", "render": "text"}),
        ),
        (
            "mesh_request",
            reads::<MeshRequest>,
            json!({"op": "plan", "goal": "strict", "allow_break": "a/b", "counts_only": true, "render": ["text"]}),
        ),
        (
            "mesh_request",
            reads::<MeshRequest>,
            json!({"op": "matrix-between", "client_namespace": "foo", "edges": "all"}),
        ),
        ("mesh_request", reads::<MeshRequest>, json!({"op": "stages"})),
        (
            "mesh_request",
            reads::<MeshRequest>,
            json!({"op": "simulate", "steps": [{"apply": "kind: List"}, "kind: List"]}),
        ),
        (
            "mesh_request",
            reads::<MeshRequest>,
            json!({"op": "ready", "metrics": "m.prom"}),
        ),
        (
            "mesh_request",
            reads::<MeshRequest>,
            json!({"op": "probe", "from": "a/b"}),
        ),
        (
            "mesh_request",
            reads::<MeshRequest>,
            json!({"op": "plan", "goal": "strict", "from": "a/b"}),
        ),
        ("mesh_request", reads::<MeshRequest>, json!({"op": "fly"})),
        (
            "mesh_request",
            reads::<MeshRequest>,
            json!({"op": "check", "render": "pdf"}),
        ),
    ];
    let mut wrong = Vec::new();
    for (root, serde_reads, request) in &cases {
        let schema_accepts = validator.is_valid(&json!({ *root: request }));
        if schema_accepts != serde_reads(request) {
            wrong.push(format!(
                "{root} {request}: schema accepts {schema_accepts}, serde reads {}",
                !schema_accepts
            ));
        }
    }
    assert!(wrong.is_empty(), "the schema and serde disagree:\n{}", wrong.join("\n"));
    // Both verdicts are exercised.
    assert!(cases.iter().any(|(_, reads, r)| reads(r)) && cases.iter().any(|(_, reads, r)| !reads(r)));
}
