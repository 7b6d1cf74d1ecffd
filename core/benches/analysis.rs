//! Benchmarks on a realistic cluster dump (`../shared/tools/gen_cluster.py`: ~13 KB of YAML per pod,
//! injected and plain pods with their controllers, policies at every level), not on the toy clusters
//! of `meshlock generate`, which are ~18× smaller per pod and far more uniform (issue #12).
//!
//! Input: the file named by `MESHLOCK_BENCH_INPUT` (multi-document YAML, `kind: List` or JSON;
//! `scripts/bench` generates and caches them under `target/bench/inputs/`). Without it, a 1,000-pod
//! dump (seed 42) is generated into `target/bench/inputs/` when `../shared/tools` exists, else the
//! benchmarks are skipped with a message.
//!
//! Groups (one per input): parse (ingest only), load (parse + model), matrix (every edge, counted),
//! check, and plan (only up to 1,000 pods: today it re-evaluates the whole matrix per candidate step;
//! `MESHLOCK_BENCH_PLAN=0` skips it, `=1` forces it). Compare them as ratios from one run.
//! Filter as usual: `cargo bench -p meshlock-core --bench analysis -- 'parse|load'`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark setup")]

use criterion::{Criterion, criterion_group, criterion_main};
use meshlock::migrate::Goal;
use meshlock::{Mesh, MeshSettings, Source};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The workspace root (benches run with the package directory as their working directory).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The input to measure: `MESHLOCK_BENCH_INPUT`, or the cached/generated 1,000-pod dump, or `None`
/// (with the reason printed) when neither is available.
fn input_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MESHLOCK_BENCH_INPUT") {
        return Some(PathBuf::from(path));
    }
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    // Same name as scripts/bench's cache, so the two share the file.
    let path = target.join("bench").join("inputs").join("pods-1k-seed42.yaml");
    if path.exists() {
        return Some(path);
    }
    let generator = root.join("..").join("shared").join("tools").join("gen_cluster.py");
    if !generator.exists() {
        eprintln!(
            "analysis bench: skipped: set MESHLOCK_BENCH_INPUT to a cluster dump (scripts/bench makes them); \
             {} is missing, so no 1,000-pod dump can be generated",
            generator.display()
        );
        return None;
    }
    std::fs::create_dir_all(path.parent()?).ok()?;
    // Generate beside the final name and rename, so an interrupted run leaves no truncated input.
    let partial = path.with_extension("yaml.partial");
    eprintln!("analysis bench: generating {} (1,000 pods, seed 42)", path.display());
    let status = Command::new("python3")
        .arg(&generator)
        .args(["--pods", "1000", "--seed", "42", "--format", "yaml", "-o"])
        .arg(&partial)
        .status();
    match status {
        Ok(s) if s.success() => std::fs::rename(&partial, &path).ok().map(|()| path),
        other => {
            eprintln!("analysis bench: skipped: gen_cluster.py failed ({other:?})");
            None
        }
    }
}

/// Pods in the dump, from its `kind` lines (YAML `kind: Pod`, JSON `"kind": "Pod"`): decides whether
/// `plan` is affordable without loading the model first.
fn pod_count(text: &str) -> usize {
    text.lines()
        .map(str::trim)
        .filter(|l| *l == "kind: Pod" || l.trim_end_matches(',') == "\"kind\": \"Pod\"")
        .count()
}

fn bench(c: &mut Criterion) {
    let Some(path) = input_path() else { return };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let pods = pod_count(&text);
    let run_plan = match std::env::var("MESHLOCK_BENCH_PLAN").as_deref() {
        Ok("0") => false,
        Ok("1") => true,
        _ => pods <= 1000,
    };
    let label = path
        .file_name()
        .map_or_else(|| "input".into(), |n| n.to_string_lossy().into_owned());
    eprintln!("analysis bench: {} ({} bytes, {pods} pods)", path.display(), text.len());
    let sources = [Source::new(label.clone(), text)];
    let settings = MeshSettings::default();

    let mut group = c.benchmark_group(label);
    // Realistic inputs take seconds per iteration: the minimum sample count, a short warm-up, and a
    // modest target (criterion stretches it, with a warning, when one sample needs more).
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("parse", |b| b.iter(|| black_box(meshlock::ingest::ingest(&sources, 0))));
    group.bench_function("load", |b| {
        b.iter(|| black_box(Mesh::load(&sources, &settings).unwrap()))
    });
    let mesh = Mesh::load(&sources, &settings).unwrap().mesh;
    group.bench_function("matrix", |b| b.iter(|| black_box(mesh.edges().count())));
    group.bench_function("check", |b| b.iter(|| black_box(mesh.check())));
    if run_plan {
        group.bench_function("plan", |b| b.iter(|| black_box(mesh.plan(&Goal::Strict, &[]).unwrap())));
    } else {
        eprintln!("analysis bench: plan skipped ({pods} pods, MESHLOCK_BENCH_PLAN=0 or over 1,000 pods)");
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
