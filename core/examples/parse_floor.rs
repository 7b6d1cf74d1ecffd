//! The floor for ingest benchmarks: the same typed decode, on one thread, of the same files.
//!
//! `cargo run --release -p meshlock-core --example parse_floor -- FILE...` prints the seconds the
//! single-threaded decode takes and the resources it yields, then the same for the default
//! (all cores) ingest, which must yield the same resources.

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;

use meshlock::ingest::{self, Source};

fn main() -> ExitCode {
    let mut sources = Vec::new();
    for path in std::env::args().skip(1) {
        match std::fs::read_to_string(&path) {
            Ok(text) => sources.push(Source::new(path, text)),
            Err(e) => {
                eprintln!("parse_floor: {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if sources.is_empty() {
        eprintln!("usage: parse_floor FILE...");
        return ExitCode::FAILURE;
    }
    let start = Instant::now();
    let floor = ingest::ingest_with_threads(&sources, 0, NonZeroUsize::MIN);
    let floor_secs = start.elapsed().as_secs_f64();
    println!(
        "floor (1 thread): {floor_secs:.3} s, {} resources",
        floor.resources.len()
    );
    drop(floor);
    let start = Instant::now();
    let all = ingest::ingest(&sources, 0);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "ingest ({} threads): {secs:.3} s, {} resources ({:.2}x the floor)",
        std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        all.resources.len(),
        floor_secs / secs.max(f64::EPSILON)
    );
    ExitCode::SUCCESS
}
