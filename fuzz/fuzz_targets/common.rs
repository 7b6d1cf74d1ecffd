//! Shared by the targets: the mesh of an input, loaded under the settings it asks for in its first
//! line, as the seed corpus writes them from a scenario's `settings`
//! (`# meshlock: istio=1.4 auto-mtls=off root=istio-system`), so that the fuzzer reaches every
//! release's rules, not only the one meshlock infers.

use meshlock::{IstioVersion, Mesh, MeshSettings};

/// The mesh the bytes describe, read as the CLI reads a file; `None` when they do not load.
pub fn mesh(data: &[u8]) -> Option<Mesh> {
    let source = meshlock::ingest::source_from_bytes("fuzz.yaml", data).ok()?;
    let settings = settings(&source.text);
    Mesh::load(&[source], &settings).ok().map(|loaded| loaded.mesh)
}

fn settings(text: &str) -> MeshSettings {
    let mut settings = MeshSettings::default();
    let Some(header) = text.lines().next().and_then(|l| l.strip_prefix("# meshlock:")) else {
        return settings;
    };
    for word in header.split_whitespace() {
        match word.split_once('=') {
            Some(("istio", v)) => settings.istio_version = v.parse::<IstioVersion>().ok(),
            Some(("auto-mtls", v)) => settings.auto_mtls = Some(v == "on"),
            // A namespace name: the CLI and the bindings take `--root-namespace` as given.
            Some(("root", v)) if v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') => {
                settings.root_namespace = Some(v.to_owned());
            }
            _ => {}
        }
    }
    settings
}
