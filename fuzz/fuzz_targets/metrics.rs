//! The metrics parser (`core/src/telemetry.rs`): bytes → Prometheus text exposition or the HTTP
//! API's JSON → observations, reconciled with the seed cluster. Must never panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use meshlock::Mesh;
use meshlock::telemetry::{Observations, plaintext_senders};

fn seed() -> &'static Option<Mesh> {
    static SEED: OnceLock<Option<Mesh>> = OnceLock::new();
    SEED.get_or_init(|| meshlock::seed::mesh().ok())
}

fuzz_target!(|data: &[u8]| {
    // As the CLI reads `--metrics FILE`: UTF-8 text or an error before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let observations = match Observations::parse("fuzz.prom", text) {
        Ok(observations) => observations,
        Err(err) => {
            assert!(!err.diagnostics.is_empty(), "malformed metrics without a diagnostic");
            return;
        }
    };
    let _ = plaintext_senders(&observations, "httpbin.foo.svc.cluster.local");
    if let Some(mesh) = seed() {
        let reconciliation = mesh.ready(&observations);
        let _ = meshlock::render::ready(&reconciliation);
    }
});
