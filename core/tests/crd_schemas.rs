//! Everything meshlock emits as Istio YAML validates against Istio's own CRD schemas: the plan's
//! steps, deletions and rollbacks, the remedies' YAML ("fixes"), the generator's policies and the
//! tour's manifests, for every shared scenario (`tests/scenarios/`) and the built-in seed cluster.
//!
//! The schemas are Istio's `crd-all.gen.yaml`, read in place from `../shared/data/istio-crds/`
//! (current Istio; 1.5 for the `authentication.istio.io/v1alpha1` kinds it no longer has); the test
//! says SKIPPED and passes when that folder is absent. Each document is checked against the
//! `openAPIV3Schema` of its apiVersion/kind the way `kubectl apply` (strict field validation) sees
//! it: a field the schema does not declare under `spec` is an error, as the API server reports it.
//! The CEL rules (`x-kubernetes-validations`) are not evaluated by a JSON-schema validator; the one
//! a plan can hit (PeerAuthentication `portLevelMtls` requires a selector) is checked by hand below.
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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use meshlock::generate::{GenSpec, cluster};
use meshlock::migrate::Goal;
use meshlock::model::WorkloadId;
use meshlock::{Mesh, MeshSettings, Source};
use serde::Deserialize;
use serde_json::{Value, json};

// ------------------------------------------------------------------ the schemas

fn crd_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/istio-crds")
}

/// `(apiVersion, kind)` → the compiled schema of that version, and where it came from.
struct Schemas {
    by_type: HashMap<(String, String), (jsonschema::Validator, String)>,
}

impl Schemas {
    /// `None` (after saying SKIPPED) when the shared folder is absent.
    fn load() -> Option<Self> {
        let dir = crd_dir();
        let mut by_type = HashMap::new();
        // Current Istio first; 1.5 only adds what current Istio no longer serves (v1alpha1 Policy…).
        for file in ["crd-all.gen.current.yaml", "crd-all.gen.1.5.yaml"] {
            let path = dir.join(file);
            let Ok(text) = std::fs::read_to_string(&path) else {
                eprintln!(
                    "SKIPPED: {} is absent (the shared data folder is not beside the repository): emitted YAML not validated against Istio's CRD schemas",
                    path.display()
                );
                return None;
            };
            for crd in documents(&text).expect("CRD file parses") {
                if crd["kind"] != "CustomResourceDefinition" {
                    continue;
                }
                let group = crd["spec"]["group"].as_str().expect("group");
                let kind = crd["spec"]["names"]["kind"].as_str().expect("kind");
                // apiextensions v1: a schema per version; v1beta1 (Istio 1.5): one for all.
                let shared = crd["spec"]["validation"]["openAPIV3Schema"].clone();
                for version in crd["spec"]["versions"].as_array().expect("versions") {
                    let name = version["name"].as_str().expect("version name");
                    let schema = match &version["schema"]["openAPIV3Schema"] {
                        Value::Null => shared.clone(),
                        s => s.clone(),
                    };
                    assert!(schema.is_object(), "{file}: {group}/{name} {kind} has no schema");
                    let key = (format!("{group}/{name}"), kind.to_owned());
                    if by_type.contains_key(&key) {
                        continue;
                    }
                    let validator = jsonschema::draft4::new(&strict(schema))
                        .unwrap_or_else(|e| panic!("{file}: {group}/{name} {kind}: schema does not compile: {e}"));
                    by_type.insert(key, (validator, format!("{file}: {kind} {group}/{name}")));
                }
            }
        }
        Some(Self { by_type })
    }
}

/// Kubernetes' structural schemas reject (strict field validation) or prune fields they do not
/// declare; a JSON schema allows them unless it says `additionalProperties: false`. Say it, under
/// `spec`, wherever the schema lists properties and does not ask to preserve unknown fields.
fn strict(mut schema: Value) -> Value {
    fn walk(node: &mut Value) {
        let Some(map) = node.as_object_mut() else { return };
        let preserve = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
        if map.contains_key("properties") && !map.contains_key("additionalProperties") && !preserve {
            map.insert("additionalProperties".to_owned(), Value::Bool(false));
        }
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            props.values_mut().for_each(walk);
        }
        for key in ["items", "additionalProperties"] {
            if let Some(child) = map.get_mut(key) {
                walk(child);
            }
        }
    }
    if let Some(spec) = schema.pointer_mut("/properties/spec") {
        walk(spec);
    }
    schema
}

/// A YAML stream as JSON documents, map keys made strings the way `kubectl` turns YAML into JSON
/// (`8080:` is the key `"8080"`).
fn documents(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for de in yaml_serde::Deserializer::from_str(text) {
        let value = yaml_serde::Value::deserialize(de).map_err(|e| e.to_string())?;
        if !value.is_null() {
            out.push(to_json(value)?);
        }
    }
    Ok(out)
}

fn to_json(value: yaml_serde::Value) -> Result<Value, String> {
    use yaml_serde::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(n).map_err(|e| e.to_string())?,
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?),
        Y::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(format!("map key {other:?} is not a scalar")),
                };
                out.insert(key, to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => return Err(format!("tagged value {}", t.tag)),
    })
}

// ------------------------------------------------------------------ validation

/// What was validated, and what failed.
#[derive(Default)]
struct Report {
    validated: usize,
    kinds: BTreeMap<String, usize>,
    /// Documents by what emitted them: `apply`, `rollback`, `remedy`…
    parts: BTreeMap<&'static str, usize>,
    distinct: BTreeSet<String>,
    failures: Vec<String>,
}

impl Report {
    /// Validates every document of an emitted YAML text; `origin` says who emitted it.
    fn check(&mut self, schemas: &Schemas, part: &'static str, origin: &str, yaml: &str) {
        *self.parts.entry(part).or_default() += 1;
        self.distinct.insert(yaml.to_owned());
        let docs = match documents(yaml) {
            Ok(docs) => docs,
            Err(e) => {
                self.failures
                    .push(format!("{origin}: emitted YAML does not parse: {e}\n{yaml}"));
                return;
            }
        };
        if docs.is_empty() {
            self.failures
                .push(format!("{origin}: emitted YAML holds no document:\n{yaml}"));
        }
        for doc in docs {
            let errors = validate(schemas, &doc);
            self.validated += 1;
            let kind = format!(
                "{} {}",
                doc["apiVersion"].as_str().unwrap_or("?"),
                doc["kind"].as_str().unwrap_or("?")
            );
            *self.kinds.entry(kind).or_default() += 1;
            if !errors.is_empty() {
                self.failures.push(format!(
                    "{origin}: the document\n{yaml}does not validate:\n  {}",
                    errors.join("\n  ")
                ));
            }
        }
    }
}

/// Every error of one document, each with the schema it was checked against, the schema path and
/// the instance path.
fn validate(schemas: &Schemas, doc: &Value) -> Vec<String> {
    let key = (
        doc["apiVersion"].as_str().unwrap_or_default().to_owned(),
        doc["kind"].as_str().unwrap_or_default().to_owned(),
    );
    let Some((validator, origin)) = schemas.by_type.get(&key) else {
        return vec![format!(
            "no Istio CRD schema for apiVersion `{}` kind `{}`",
            key.0, key.1
        )];
    };
    let mut errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| {
            format!(
                "{origin}, schema path `{}`, at `{}`: {e}",
                e.schema_path(),
                e.instance_path()
            )
        })
        .collect();
    let mut meta = |what: &str| match doc.pointer(&format!("/metadata/{what}")) {
        Some(Value::String(s)) if !s.is_empty() => {}
        None if what == "namespace" => {}
        other => errors.push(format!("metadata.{what} must be a non-empty string, is {other:?}")),
    };
    meta("name");
    meta("namespace");
    // CEL (x-kubernetes-validations) of PeerAuthentication, by hand: `portLevelMtls requires
    // selector` and `port must be between 1-65535`.
    if key.1 == "PeerAuthentication"
        && let Some(ports) = doc.pointer("/spec/portLevelMtls").and_then(Value::as_object)
    {
        let labels = doc.pointer("/spec/selector/matchLabels").and_then(Value::as_object);
        if labels.is_none_or(|l| l.is_empty()) {
            errors.push(format!("{origin} CEL rule: portLevelMtls requires selector"));
        }
        for port in ports.keys() {
            if !port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p)) {
                errors.push(format!("{origin} CEL rule: port must be between 1-65535, is `{port}`"));
            }
        }
    }
    errors
}

// ------------------------------------------------------------------ what meshlock emits

/// The part of a scenario this test reads (`core/tests/scenarios.rs` checks the whole format).
#[derive(Deserialize)]
struct Scenario {
    name: String,
    #[serde(default)]
    settings: scenario_inputs::Settings,
    sources: Vec<scenario_inputs::SourceSpec>,
    expect: ScenarioExpect,
}

#[derive(Deserialize)]
struct ScenarioExpect {
    #[serde(default)]
    plans: Vec<ScenarioPlan>,
}

#[derive(Deserialize)]
struct ScenarioPlan {
    goal: String,
    #[serde(default)]
    allow_break: Vec<String>,
}

fn load_scenario(scenario: &Scenario) -> Option<Mesh> {
    scenario_inputs::load(&scenario.name, &scenario.settings, &scenario.sources)
        .ok()
        .map(|l| l.mesh)
}

/// Every plan worth making on `mesh`: each goal (the scenario's own, `strict`, `mesh-strict`, one
/// namespace), without and with the sidecar-less clients allowed to break (so lock-downs happen).
fn plans(schemas: &Schemas, report: &mut Report, what: &str, mesh: &Mesh, declared: &[(Goal, Vec<WorkloadId>)]) {
    let legacy: Vec<WorkloadId> = mesh
        .workloads()
        .iter()
        .filter(|w| !w.sidecar.present)
        .map(|w| w.id.clone())
        .collect();
    let mut requests: Vec<(Goal, Vec<WorkloadId>)> = declared.to_vec();
    let mut goals = vec![Goal::Strict, Goal::MeshStrict];
    if let Some(ns) = mesh.services().first().map(|s| s.namespace.clone()) {
        goals.push(Goal::Namespaces(vec![ns]));
    }
    for goal in goals {
        requests.push((goal.clone(), Vec::new()));
        requests.push((goal, legacy.clone()));
    }
    let mut seen = BTreeSet::new();
    for (goal, allow) in requests {
        if !seen.insert(format!("{goal} {allow:?}")) {
            continue;
        }
        let plan = match mesh.plan(&goal, &allow) {
            Ok(plan) => plan,
            Err(meshlock::migrate::PlanError::UnknownNamespace(_)) => continue,
            Err(e) => {
                report.failures.push(format!("{what}: plan {goal}: {e}"));
                continue;
            }
        };
        let allowed = if allow.is_empty() {
            ""
        } else {
            " (sidecar-less clients may break)"
        };
        for step in &plan.steps {
            let parts = [
                ("apply", &step.apply),
                ("delete", &step.delete),
                ("rollback", &step.rollback),
                ("rollback delete", &step.rollback_delete),
            ];
            for (part, texts) in parts {
                for (i, yaml) in texts.iter().enumerate() {
                    let origin = format!("{what}: plan {goal}{allowed}: step {} {part} [{i}]", step.name);
                    report.check(schemas, part, &origin, yaml);
                }
            }
        }
        // The remedies ("fixes") that come as YAML: keep a port PERMISSIVE.
        let remedies = plan
            .blockers
            .iter()
            .flat_map(|b| b.remedies.iter().map(|r| (&r.kind, &r.action)))
            .chain(plan.remedy_set.iter().map(|r| (&r.kind, &r.action)));
        let mut actions = BTreeSet::new();
        for (kind, action) in remedies {
            if let Some(yaml) = action.as_ref().filter(|a| a.starts_with("apiVersion:")) {
                actions.insert((format!("{kind:?}"), yaml.clone()));
            }
        }
        for (kind, yaml) in actions {
            report.check(
                schemas,
                "remedy",
                &format!("{what}: plan {goal}{allowed}: remedy {kind}"),
                &yaml,
            );
        }
    }
}

fn scenario_plans(scenario: &Scenario) -> Vec<(Goal, Vec<WorkloadId>)> {
    scenario
        .expect
        .plans
        .iter()
        .map(|p| {
            let allow = p
                .allow_break
                .iter()
                .map(|w| meshlock::model::parse_client(w).expect("client"))
                .collect();
            (p.goal.parse().expect("goal"), allow)
        })
        .collect()
}

/// Runs every emitter; the report counts the documents and lists the failures.
fn emit_everything(schemas: &Schemas) -> Report {
    let mut report = Report::default();
    let files = support::scenario_files();
    assert!(files.len() >= 20, "expected the scenario corpus, found {}", files.len());
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read scenario");
        let scenario: Scenario = yaml_serde::from_str(&text).expect("scenario parses");
        if let Some(mesh) = load_scenario(&scenario) {
            let what = format!("scenario {} ({})", scenario.name, file.display());
            plans(schemas, &mut report, &what, &mesh, &scenario_plans(&scenario));
        }
    }
    // The built-in seed cluster, in the guide's release and in the PeerAuthentication era.
    let seed = meshlock::seed::mesh().expect("seed loads");
    plans(schemas, &mut report, "seed (1.1)", &seed, &[]);
    for version in ["1.5", "current"] {
        let settings = MeshSettings {
            istio_version: Some(version.parse().unwrap()),
            ..MeshSettings::default()
        };
        let mesh = Mesh::load(&[meshlock::seed::cluster_source()], &settings).unwrap().mesh;
        plans(schemas, &mut report, &format!("seed ({version})"), &mesh, &[]);
    }
    // Label values that YAML would read as another type if written bare (`true`, `1.0`, `null`),
    // in the selector a keep-PERMISSIVE remedy copies.
    let labels = "app: httpbin, canary: \"true\", track: \"null\", release: \"1.0\", build: \"010\"";
    let relabelled = meshlock::seed::CLUSTER.replace("app: httpbin", labels);
    // Names that YAML would retype: namespaces `null` and `123`, a Service `true`.
    let renamed = meshlock::seed::CLUSTER
        .replace("name: foo", "name: \"null\"")
        .replace("namespace: foo", "namespace: \"null\"")
        .replace("name: bar", "name: \"123\"")
        .replace("namespace: bar", "namespace: \"123\"")
        .replace(
            "kind: Service\nmetadata:\n  name: httpbin",
            "kind: Service\nmetadata:\n  name: \"true\"",
        );
    assert!(
        renamed.contains("name: \"true\""),
        "the seed's Service `httpbin` is renamed"
    );
    for (what, text) in [
        ("seed with retyped label values", relabelled),
        ("seed with retyped names", renamed),
    ] {
        for version in ["1.4", "current"] {
            let settings = MeshSettings {
                istio_version: Some(version.parse().unwrap()),
                ..MeshSettings::default()
            };
            match Mesh::load(&[Source::new("renamed.yaml", text.clone())], &settings) {
                Ok(loaded) => plans(schemas, &mut report, &format!("{what} ({version})"), &loaded.mesh, &[]),
                Err(e) => report.failures.push(format!("{what} does not load: {e}")),
            }
        }
    }
    // The tour's manifests (the guide's, as meshlock applies them).
    for step in meshlock::seed::tour().expect("tour").steps {
        for source in &step.applied {
            report.check(
                schemas,
                "tour",
                &format!("tour step {}: {}", step.id, source.name),
                &source.text,
            );
        }
    }
    // The generator's policies and rules (`meshlock generate`), both eras, and the plans on them.
    for seed in 1..=6 {
        for v1alpha1 in [false, true] {
            let spec = GenSpec {
                seed,
                namespaces: 3,
                workloads_per_namespace: 2,
                v1alpha1,
                ..GenSpec::default()
            };
            let text = cluster(&spec);
            let what = format!("generate --seed {seed}{}", if v1alpha1 { " --v1alpha1" } else { "" });
            for doc in documents(&text).expect("generated YAML parses") {
                let istio = doc["apiVersion"].as_str().is_some_and(|v| v.contains("istio.io"));
                if istio {
                    let yaml = yaml_serde::to_string(&doc).unwrap();
                    report.check(schemas, "generate", &what, &yaml);
                }
            }
            let version = if v1alpha1 { "1.4" } else { "current" };
            let settings = MeshSettings {
                istio_version: Some(version.parse().unwrap()),
                ..MeshSettings::default()
            };
            let mesh = Mesh::load(&[Source::new("generated.yaml", text)], &settings)
                .unwrap()
                .mesh;
            plans(schemas, &mut report, &what, &mesh, &[]);
        }
    }
    report
}

#[test]
fn emitted_yaml_validates_against_istio_crd_schemas() {
    let Some(schemas) = Schemas::load() else { return };
    let report = emit_everything(&schemas);
    assert!(
        report.failures.is_empty(),
        "{} emitted document(s) do not validate against Istio's CRD schemas:\n\n{}",
        report.failures.len(),
        report.failures.join("\n\n")
    );
    eprintln!(
        "validated {} documents ({} distinct texts): {:?}, by emitter {:?}",
        report.validated,
        report.distinct.len(),
        report.kinds,
        report.parts
    );
    // The test validates something real: many documents, and every kind a plan writes.
    assert!(
        report.validated >= 1000,
        "only {} documents validated",
        report.validated
    );
    assert!(
        report.distinct.len() >= 120,
        "only {} distinct documents",
        report.distinct.len()
    );
    for part in ["apply", "rollback", "rollback delete", "remedy", "tour", "generate"] {
        assert!(
            report.parts.get(part).is_some_and(|n| *n > 0),
            "nothing validated from {part}: {:?}",
            report.parts
        );
    }
    for kind in [
        "security.istio.io/v1beta1 PeerAuthentication",
        "networking.istio.io/v1alpha3 DestinationRule",
        "authentication.istio.io/v1alpha1 Policy",
        "authentication.istio.io/v1alpha1 MeshPolicy",
    ] {
        assert!(
            report.kinds.contains_key(kind),
            "no {kind} was emitted: {:?}",
            report.kinds
        );
    }
}

/// The validator rejects what Istio rejects: a wrong type, an unknown enum value, a misplaced field
/// (the guide's published step 1, `peers` under a target) and a port-level mode without selector.
#[test]
fn the_schemas_reject_broken_documents() {
    let Some(schemas) = Schemas::load() else { return };
    let good = json!({
        "apiVersion": "security.istio.io/v1beta1", "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": "foo"},
        "spec": {"selector": {"matchLabels": {"app": "httpbin"}}, "mtls": {"mode": "STRICT"},
                 "portLevelMtls": {"8080": {"mode": "PERMISSIVE"}}},
    });
    assert_eq!(validate(&schemas, &good), Vec::<String>::new());
    let broken = |pointer: &str, value: Value| {
        let mut doc = good.clone();
        *doc.pointer_mut(pointer).unwrap() = value;
        doc
    };
    for (doc, want) in [
        (broken("/spec/mtls/mode", json!(5)), "/spec/mtls/mode"),
        (broken("/spec/mtls/mode", json!("STRIKT")), "/spec/mtls/mode"),
        (broken("/spec/mtls", json!("STRICT")), "/spec/mtls"),
        (
            broken("/spec/selector/matchLabels/app", json!(true)),
            "/spec/selector/matchLabels/app",
        ),
        (broken("/spec/mtls", json!({"mdoe": "STRICT"})), "/spec/mtls"),
        (broken("/spec/selector", json!({})), "portLevelMtls requires selector"),
        (broken("/kind", json!("PeerAuthenticaton")), "no Istio CRD schema"),
    ] {
        let errors = validate(&schemas, &doc).join("\n");
        assert!(errors.contains(want), "{doc}: want an error at {want}, got {errors:?}");
    }
    let published =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("seed/step1-policy.published.yaml"))
            .unwrap();
    let errors: Vec<String> = documents(&published)
        .unwrap()
        .iter()
        .flat_map(|d| validate(&schemas, d))
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("/spec/targets/0") && e.contains("peers")),
        "the guide's mis-indented `peers` must be rejected: {errors:?}"
    );
}

/// A resource with an unknown field (ML104) is restored by a rollback as the API server stores it,
/// without that field: `kubectl apply` (strict field validation) would reject the rollback
/// otherwise. Needs no schema.
#[test]
fn a_rollback_restores_a_resource_without_its_unknown_fields() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios/catalogue/ml104-unknown-field.yaml");
    let scenario: Scenario = yaml_serde::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let mesh = load_scenario(&scenario).unwrap();
    let legacy = meshlock::model::parse_client("legacy/sleep").unwrap();
    let plan = mesh.plan(&Goal::Strict, &[legacy]).unwrap();
    let step = plan.steps.iter().find(|s| s.name.ends_with("lock-foo")).unwrap();
    let [rollback] = step.rollback.as_slice() else {
        panic!("{:?}", step.rollback)
    };
    let restored = &documents(rollback).unwrap()[0];
    assert_eq!(restored["metadata"]["name"], "default");
    assert_eq!(restored["spec"], json!({}), "{rollback}");
}
