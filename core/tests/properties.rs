//! Property tests of the planner over generated meshes (the project's generator, seeds from
//! proptest): steps never break a working edge unless allowed, every rollback restores the matrix
//! exactly, the planned YAML re-parses to the predicted model, plans are deterministic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::collections::HashMap;

use meshlock::generate::{GenSpec, cluster};
use meshlock::migrate::{Goal, simulate::references};
use meshlock::{IstioVersion, Matrix, Mesh, MeshSettings, Source, Verdict};
use proptest::prelude::*;

fn outcomes(matrix: &Matrix) -> HashMap<(String, String), (String, Option<&'static str>, Verdict)> {
    matrix
        .edges
        .iter()
        .map(|e| {
            (
                (e.from.to_string(), e.to.clone()),
                (e.status.to_string(), e.transport.map(|t| t.as_str()), e.verdict),
            )
        })
        .collect()
}

fn sources(texts: &[String]) -> Vec<Source> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| Source::new(format!("step-{i}.yaml"), t.clone()))
        .collect()
}

fn check(seed: u64, v1alpha1: bool, version: &str, auto_mtls: Option<bool>, goal: Goal, allow_legacy: bool) {
    let spec = GenSpec {
        seed,
        namespaces: 3,
        workloads_per_namespace: 2,
        pods_per_workload: 0,
        policies: true,
        v1alpha1,
    };
    let settings = MeshSettings {
        istio_version: Some(version.parse::<IstioVersion>().unwrap()),
        auto_mtls,
        ..MeshSettings::default()
    };
    let mesh = Mesh::load(&[Source::new("generated.yaml", cluster(&spec))], &settings)
        .expect("generated YAML loads")
        .mesh;
    // Allow the clients without a sidecar to break, when asked, so that lock steps happen too.
    let allowed: Vec<_> = if allow_legacy {
        mesh.workloads()
            .iter()
            .filter(|w| !w.sidecar.present)
            .map(|w| w.id.clone())
            .collect()
    } else {
        Vec::new()
    };
    let plan = mesh.plan(&goal, &allowed).expect("plans");
    let again = mesh.plan(&goal, &allowed).expect("plans");
    assert_eq!(
        serde_json::to_string(&plan).unwrap(),
        serde_json::to_string(&again).unwrap(),
        "deterministic"
    );

    let mut current = mesh;
    for step in &plan.steps {
        let before = current.matrix();
        let next = current
            .change(&sources(&step.apply), &references(&sources(&step.delete)).unwrap())
            .expect("planned YAML loads")
            .mesh;
        let after = next.matrix();
        let (b, a) = (outcomes(&before), outcomes(&after));
        for (edge, (status, _, verdict)) in &b {
            let now = &a[edge];
            if *verdict == Verdict::Ok && now.2 == Verdict::Fail {
                assert!(
                    allowed.iter().any(|w| w.to_string() == edge.0),
                    "step {} breaks {edge:?}: {status} → {now:?}",
                    step.name
                );
            }
        }
        // The re-parsed YAML gives exactly the predicted delta.
        let replayed = meshlock::migrate::diff::delta(&current, &next);
        assert_eq!(
            replayed, step.delta,
            "step {}: delta of the re-parsed YAML differs from the plan",
            step.name
        );
        // The rollback restores the previous matrix exactly.
        let restored = next
            .change(
                &sources(&step.rollback),
                &references(&sources(&step.rollback_delete)).unwrap(),
            )
            .expect("rollback YAML loads")
            .mesh;
        assert_eq!(
            outcomes(&restored.matrix()),
            b,
            "rollback of {} does not restore the matrix",
            step.name
        );
        current = next;
    }
    let stages = current.stages();
    assert_eq!(
        meshlock::migrate::plan::summary(&current, &meshlock::classes::ClassTable::new(&current), &stages),
        plan.final_state,
        "final state"
    );
}

fn goal() -> impl Strategy<Value = Goal> {
    prop_oneof![
        Just(Goal::Strict),
        Just(Goal::MeshStrict),
        Just(Goal::Namespaces(vec!["ns1".to_owned()]))
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn planner_invariants(
        seed in any::<u64>(),
        era in 0usize..4,
        auto_mtls in prop_oneof![Just(None), Just(Some(true)), Just(Some(false))],
        goal in goal(),
        allow_legacy in any::<bool>(),
    ) {
        let (v1alpha1, version) = [(true, "1.1"), (true, "1.4"), (false, "1.9"), (false, "current")][era];
        check(seed, v1alpha1, version, auto_mtls, goal, allow_legacy);
    }
}
