//! The floor for ingest benchmarks: the same typed decode, on one thread, of the same files.
//!
//! `cargo run --release -p meshlock-core --example parse_floor -- FILE...` reads the files and prints
//! the seconds the single-threaded decode takes and the resources it yields: its wall time is the
//! benchmarks' floor. With `--compare` it then runs the default (all cores) ingest too.

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;

use meshlock::ingest::{self, Source};
use meshlock::settings::Limits;

fn main() -> ExitCode {
    let mut sources = Vec::new();
    let mut compare = false;
    for path in std::env::args().skip(1) {
        if path == "--compare" {
            compare = true;
            continue;
        }
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
    // The CLI's limits: a dump the CLI reads is a dump the floor reads.
    let limits = Limits::default().with_max_input_bytes(Limits::CLI_MAX_INPUT_BYTES);
    let start = Instant::now();
    let floor = ingest::ingest_with(&sources, 0, NonZeroUsize::MIN, &limits);
    let floor_secs = start.elapsed().as_secs_f64();
    println!(
        "floor (1 thread): {floor_secs:.3} s, {} resources",
        floor.resources.len()
    );
    drop(floor);
    if !compare {
        return ExitCode::SUCCESS;
    }
    let start = Instant::now();
    let all = ingest::ingest_limited(&sources, 0, &limits);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "ingest ({} threads): {secs:.3} s, {} resources ({:.2}x the floor)",
        std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        all.resources.len(),
        floor_secs / secs.max(f64::EPSILON)
    );
    ExitCode::SUCCESS
}
