//! The JSON Schema of meshlock's results and requests, generated from the serde types (schemars).
//!
//! `cargo run -q -p meshlock-core --features schema --example schema > schema/meshlock.schema.json`
//! (or `scripts/gen-types`, which also regenerates the TypeScript and Python types from it).
//! `core/tests/schema.rs` fails when the committed file differs from what this prints, and
//! validates real results against it.
//!
//! One draft-07 document (Node's ajv 6 reads it): `definitions` hold every type, and the root's
//! properties name the roots, one per result and request type. Results are described as serde
//! *writes* them (`Option` fields are required and may be `null`, `skip_serializing_if` fields are
//! optional); the requests of `meshlock::api` (`LoadOptions`, `MeshRequest`, `SourceSpec`, …) as
//! serde *reads* them (defaulted fields are optional). A type that is both and whose two schemas
//! differ is named as read by `READ_NAMES` (`Source` / `InlineSource`: `namespace` is always
//! written, may be left out when read).
//! Every object lists its properties exhaustively (`additionalProperties: false`), and only
//! draft-07 formats are kept (schemars' `uint8`, `double`… would stop ajv 6 compiling it).

use std::process::ExitCode;

use meshlock::api::{
    ApiError, Both, CheckOptions, LoadOptions, MeshRequest, MetricsSpec, OverlaySpec, Placement, PlanGoal, SourceSpec,
    StepSpec, WeighRequest,
};
use meshlock::check::CheckReport;
use meshlock::heatmap::NamespaceMap;
use meshlock::migrate::{Diff, Plan, SimulatedStep, Stages};
use meshlock::observe::Reconciliation;
use meshlock::seed::Tour;
use meshlock::{Diagnostic, Matrix, MeshSettings, Outcome, ResolvedSettings, Source};
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

/// Where the committed schema lives, from the repository root.
pub const PATH: &str = "schema/meshlock.schema.json";
/// The command that regenerates it.
pub const REGENERATE: &str = "scripts/gen-types (or: cargo run -q -p meshlock-core --features schema --example schema > schema/meshlock.schema.json)";

/// The schema document.
pub fn document() -> Result<Value, String> {
    let mut results = SchemaSettings::draft07().for_serialize().into_generator();
    let mut inputs = SchemaSettings::draft07().for_deserialize().into_generator();
    let roots = [
        ("outcome", results.subschema_for::<Outcome>()),
        ("matrix", results.subschema_for::<Matrix>()),
        ("namespace_map", results.subschema_for::<NamespaceMap>()),
        ("check_report", results.subschema_for::<CheckReport>()),
        ("stages", results.subschema_for::<Stages>()),
        ("plan", results.subschema_for::<Plan>()),
        ("diff", results.subschema_for::<Diff>()),
        ("simulated_step", results.subschema_for::<SimulatedStep>()),
        ("reconciliation", results.subschema_for::<Reconciliation>()),
        ("tour", results.subschema_for::<Tour>()),
        ("diagnostic", results.subschema_for::<Diagnostic>()),
        ("resolved_settings", results.subschema_for::<ResolvedSettings>()),
        ("source", results.subschema_for::<Source>()),
        ("error", results.subschema_for::<ApiError>()),
    ];
    let input_roots = [
        ("mesh_settings", inputs.subschema_for::<MeshSettings>()),
        ("inline_source", inputs.subschema_for::<Source>()),
        ("source_spec", inputs.subschema_for::<SourceSpec>()),
        ("overlay_spec", inputs.subschema_for::<OverlaySpec>()),
        ("placement", inputs.subschema_for::<Placement>()),
        ("load_options", inputs.subschema_for::<LoadOptions>()),
        ("check_options", inputs.subschema_for::<CheckOptions>()),
        ("weigh_request", inputs.subschema_for::<WeighRequest>()),
        ("metrics_spec", inputs.subschema_for::<MetricsSpec>()),
        ("step_spec", inputs.subschema_for::<StepSpec>()),
        ("plan_options", inputs.subschema_for::<Both<PlanGoal, WeighRequest>>()),
        ("mesh_request", inputs.subschema_for::<MeshRequest>()),
    ];
    let mut definitions = results.take_definitions(true);
    for schema in definitions.values_mut() {
        absent_not_null(schema);
    }
    // A type both written and read whose two schemas differ is named as read by `READ_NAMES`;
    // the requests that are Rust type aliases of `Both` by their alias.
    let mut read = inputs.take_definitions(true);
    let mut renames: Vec<(String, String)> = Vec::new();
    for (name, schema) in &read {
        if definitions.get(name).is_some_and(|written| written != schema) {
            let Some((_, as_read)) = READ_NAMES.iter().find(|(rust, _)| rust == name) else {
                return Err(format!(
                    "`{name}` is read with another schema than it is written: name its read form in READ_NAMES"
                ));
            };
            renames.push((name.clone(), (*as_read).to_owned()));
        }
    }
    renames.extend(
        ALIASES
            .iter()
            .map(|(both, alias)| ((*both).to_owned(), (*alias).to_owned())),
    );
    let mut input_roots: Vec<(&str, Value)> = input_roots.into_iter().map(|(n, s)| (n, s.to_value())).collect();
    for (name, to_name) in &renames {
        let (from, to) = (format!("#/definitions/{name}"), format!("#/definitions/{to_name}"));
        let schema = read
            .remove(name)
            .ok_or_else(|| format!("no definition `{name}` to name `{to_name}`"))?;
        read.insert(to_name.clone(), schema);
        read.values_mut().for_each(|schema| rename_ref(schema, &from, &to));
        input_roots
            .iter_mut()
            .for_each(|(_, schema)| rename_ref(schema, &from, &to));
    }
    definitions.extend(read);
    for schema in definitions.values_mut() {
        tighten(schema);
    }
    let properties: Map<String, Value> = roots
        .into_iter()
        .map(|(name, schema)| (name.to_owned(), schema.to_value()))
        .chain(input_roots.into_iter().map(|(name, schema)| (name.to_owned(), schema)))
        .collect();
    Ok(json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$comment": format!("Generated from meshlock-core's serde types by core/examples/schema.rs; do not edit. Regenerate: {REGENERATE}"),
        "title": "Meshlock",
        "description": "meshlock's results as serde writes them (snake_case keys; Node and WASM turn property names into camelCase), one property per result type, and its requests (`LoadOptions`, `MeshRequest`, `SourceSpec`, …) as serde reads them (snake_case keys; JavaScript writes them camelCase).",
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
        "definitions": definitions,
    }))
}

/// The name of a type's read form where it differs from the written one (`Source`: `namespace` is
/// always written, may be left out when read: inline YAML as a request gives it).
const READ_NAMES: &[(&str, &str)] = &[("Source", "InlineSource")];

/// The requests `Both` reads, named by their Rust type alias (`LoadOptions = Both<Placement,
/// MeshSettings>`): the schema name `Both` derives from its halves.
const ALIASES: &[(&str, &str)] = &[
    ("PlacementAndMeshSettings", "LoadOptions"),
    ("PlacementAndWeighRequestAndMeshSettings", "CheckOptions"),
    ("RenderRequestAndMeshCall", "MeshRequest"),
];

/// Points every `$ref` to `from` at `to`.
fn rename_ref(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::Object(map) => {
            if map.get("$ref").and_then(Value::as_str) == Some(from) {
                map.insert("$ref".to_owned(), Value::String(to.to_owned()));
            }
            map.values_mut().for_each(|v| rename_ref(v, from, to));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_ref(v, from, to)),
        _ => {}
    }
}

/// The formats draft-07 defines; schemars' own (`uint8`, `double`, …) are dropped (their
/// `minimum`/`maximum` stay), as validators that know only these refuse or ignore the others.
const DRAFT07_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Every object schema with `properties` lists them all (serde writes no others), and formats
/// are draft-07's.
fn tighten(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            if map
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| !DRAFT07_FORMATS.contains(&f))
            {
                map.remove("format");
            }
            map.values_mut().for_each(tighten);
        }
        Value::Array(items) => items.iter_mut().for_each(tighten),
        _ => {}
    }
}

/// In a result, a property serde may leave out (`skip_serializing_if = "Option::is_none"`) is
/// absent rather than `null`: drop `null` from the schemas of the optional properties.
fn absent_not_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let required: Vec<Value> = map
                .get("required")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    if !required.contains(&Value::String(name.clone())) {
                        drop_null(property);
                    }
                }
            }
            map.values_mut().for_each(absent_not_null);
        }
        Value::Array(items) => items.iter_mut().for_each(absent_not_null),
        _ => {}
    }
}

/// `["string", "null"]` → `"string"`; `anyOf: [X, {"type": "null"}]` → X (kept as `allOf: [X]`
/// beside other keywords when X is a `$ref`, which draft 7 reads alone).
fn drop_null(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            map.insert("type".to_owned(), only);
        }
    }
    let null = json!({"type": "null"});
    let Some(Value::Array(any_of)) = map.get_mut("anyOf") else {
        return;
    };
    any_of.retain(|s| *s != null);
    if any_of.len() != 1 {
        return;
    }
    let Some(Value::Object(only)) = any_of.pop() else {
        return;
    };
    map.remove("anyOf");
    if only.contains_key("$ref") && !map.is_empty() {
        map.insert("allOf".to_owned(), Value::Array(vec![Value::Object(only)]));
    } else {
        map.extend(only);
    }
}

/// The document as committed: pretty JSON and a final newline.
pub fn text() -> Result<String, String> {
    let document = document()?;
    serde_json::to_string_pretty(&document)
        .map(|text| text + "\n")
        .map_err(|e| e.to_string())
}

#[allow(
    dead_code,
    reason = "the integration test includes this file for `text()` and has its own main"
)]
fn main() -> ExitCode {
    match text() {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("schema: {e}");
            ExitCode::FAILURE
        }
    }
}
