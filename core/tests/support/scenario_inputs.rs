//! What a shared scenario (`tests/scenarios/`) loads: its settings and sources, read as the mesh
//! reads them. Shared by the scenario runner and the CRD schema test (`#[path]`).

use meshlock::{IstioVersion, LoadError, Loaded, Mesh, MeshSettings, Source};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    istio_version: Option<String>,
    auto_mtls: Option<bool>,
    root_namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    builtin: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    yaml: Option<String>,
    /// An intents CSV (`from,to`), read like a YAML source.
    csv: Option<String>,
}

/// The mesh of scenario `name`: the built-in seed or the text of each source, under its settings.
pub fn load(name: &str, settings: &Settings, sources: &[SourceSpec]) -> Result<Loaded, LoadError> {
    let sources: Vec<Source> = sources
        .iter()
        .map(|s| match (&s.builtin, s.yaml.as_ref().or(s.csv.as_ref())) {
            (Some(b), None) if b == "seed" => meshlock::seed::cluster_source(),
            (None, Some(text)) if s.yaml.is_none() || s.csv.is_none() => Source {
                name: s.name.clone().unwrap_or_else(|| "input.yaml".to_owned()),
                text: text.clone(),
                namespace: s.namespace.clone(),
            },
            other => panic!("{name}: bad source {other:?}"),
        })
        .collect();
    let settings = MeshSettings {
        istio_version: settings
            .istio_version
            .as_deref()
            .map(|v| v.parse::<IstioVersion>().expect("version")),
        auto_mtls: settings.auto_mtls,
        root_namespace: settings.root_namespace.clone(),
        ..MeshSettings::default()
    };
    Mesh::load(&sources, &settings)
}
