//! Benchmarks on generated clusters (the project's generator, fixed seeds): parse only, load
//! (parse + model), the full matrix, the plan. Compare them as ratios from one run.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark setup")]

use criterion::{Criterion, criterion_group, criterion_main};
use meshlock::generate::{GenSpec, cluster};
use meshlock::migrate::Goal;
use meshlock::{Mesh, MeshSettings, Source};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    for (label, namespaces, workloads, pods) in [("1k-pods", 10, 10, 10), ("10k-pods", 50, 20, 10)] {
        let spec = GenSpec {
            seed: 42,
            namespaces,
            workloads_per_namespace: workloads,
            pods_per_workload: pods,
            policies: true,
            v1alpha1: false,
        };
        let text = cluster(&spec);
        let sources = [Source::new("generated.yaml", text)];
        let settings = MeshSettings::default();
        let mut group = c.benchmark_group(label);
        group.sample_size(10);
        group.bench_function("parse", |b| b.iter(|| black_box(meshlock::ingest::ingest(&sources, 0))));
        group.bench_function("load", |b| {
            b.iter(|| black_box(Mesh::load(&sources, &settings).unwrap()))
        });
        let mesh = Mesh::load(&sources, &settings).unwrap().mesh;
        group.bench_function("matrix", |b| b.iter(|| black_box(mesh.edges().count())));
        if pods * workloads * namespaces <= 1000 {
            group.bench_function("plan", |b| b.iter(|| black_box(mesh.plan(&Goal::Strict, &[]).unwrap())));
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
