//! The loader: bytes as the CLI reads a file (text decoding, limits), then every document to typed
//! resources or located diagnostics. Must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshlock::{Mesh, MeshSettings, Severity};

fuzz_target!(|data: &[u8]| {
    let source = match meshlock::ingest::source_from_bytes("fuzz.yaml", data) {
        Ok(source) => source,
        Err(diagnostic) => {
            let _ = diagnostic.to_string();
            return;
        }
    };
    let diagnostics = match Mesh::load(&[source], &MeshSettings::default()) {
        Ok(loaded) => loaded.diagnostics,
        Err(err) => {
            assert!(!err.diagnostics.is_empty(), "a load error without a diagnostic");
            err.diagnostics
        }
    };
    let _ = meshlock::render::diagnostics(&diagnostics, Severity::Info);
});
