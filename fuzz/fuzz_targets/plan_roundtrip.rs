//! The plan round trip: bytes → load → plan (strict and mesh-strict, the clients without a sidecar
//! allowed to break so that lock-downs happen) → every step's YAML re-parsed and applied in turn:
//! it loads, gives exactly the predicted edge changes, and its rollback restores the matrix.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use meshlock::migrate::{Goal, PlanError, diff::delta, simulate::references};
use meshlock::{Matrix, Source};

mod common;

fn outcomes(matrix: &Matrix) -> HashMap<(String, String), String> {
    matrix
        .edges
        .iter()
        .map(|e| {
            let r = &e.response;
            ((e.from.to_string(), e.to.clone()), format!("{} {:?} {:?}", r.status, r.transport, r.reason))
        })
        .collect()
}

fn sources(texts: &[String]) -> Vec<Source> {
    texts.iter().map(|t| Source::new("step.yaml", t.clone())).collect()
}

fuzz_target!(|data: &[u8]| {
    let Some(mesh) = common::mesh(data) else {
        return;
    };
    let allowed: Vec<_> = mesh
        .workloads()
        .iter()
        .filter(|w| !w.sidecar.present)
        .map(|w| w.id.clone())
        .collect();
    for goal in [Goal::Strict, Goal::MeshStrict] {
        let plan = match mesh.plan(&goal, &allowed) {
            Ok(plan) => plan,
            Err(PlanError::UnknownNamespace(_)) => continue,
            Err(e) => panic!("plan {goal}: {e}"),
        };
        let _ = meshlock::render::plan(&plan);
        let mut current = mesh.clone();
        for step in &plan.steps {
            let delete = references(&sources(&step.delete))
                .unwrap_or_else(|e| panic!("step {}: the delete manifests do not load: {e}", step.name));
            let next = current
                .change(&sources(&step.apply), &delete)
                .unwrap_or_else(|e| panic!("step {}: the planned YAML does not load: {e}", step.name))
                .mesh;
            assert_eq!(
                delta(&current, &next),
                step.delta,
                "step {}: the re-parsed YAML does not give the predicted changes",
                step.name
            );
            let rollback_delete = references(&sources(&step.rollback_delete))
                .unwrap_or_else(|e| panic!("step {}: the rollback's delete manifests do not load: {e}", step.name));
            let restored = next
                .change(&sources(&step.rollback), &rollback_delete)
                .unwrap_or_else(|e| panic!("step {}: the rollback does not load: {e}", step.name))
                .mesh;
            assert!(
                outcomes(&restored.matrix()) == outcomes(&current.matrix()),
                "step {}: the rollback does not restore the matrix",
                step.name
            );
            current = next;
        }
    }
});
