//! The full pipeline: bytes → load (under the settings of the first line, see `common.rs`) →
//! check (text and SARIF), stages, the matrix, one probe and its explanation. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshlock::render::{self, Style};

mod common;

fuzz_target!(|data: &[u8]| {
    let Some(mesh) = common::mesh(data) else {
        return;
    };
    let report = mesh.check();
    let _ = render::check(&report, Style::PLAIN);
    let _ = render::sarif(&report);
    let _ = render::stages(&mesh.stages());
    let matrix = mesh.matrix();
    let _ = render::matrix_csv(&matrix);
    // The first edge, probed alone, says what the matrix says.
    if let Some(edge) = matrix.edges.first() {
        let outcome = mesh
            .probe(&edge.from.to_string(), &edge.to)
            .unwrap_or_else(|e| panic!("the matrix's edge {} → {} does not probe: {e}", edge.from, edge.to));
        let _ = render::explain(&outcome, Style::PLAIN);
        assert_eq!(
            (outcome.response.status, outcome.response.reason),
            (edge.response.status, edge.response.reason),
            "probe and matrix disagree on {} → {}",
            edge.from,
            edge.to
        );
    }
});
