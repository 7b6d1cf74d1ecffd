//! Property tests of the planner over generated meshes (the project's generator, seeds from
//! proptest): steps never break a working edge unless allowed, every rollback restores the matrix
//! exactly, the planned YAML re-parses to the predicted model, plans are deterministic; a
//! keep-PERMISSIVE fix re-parses cleanly and unblocks its blocker; the matrix does not depend on
//! the order of the documents; STRICT never makes an edge work that PERMISSIVE does not.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::collections::HashMap;

use meshlock::generate::{GenSpec, cluster};
use meshlock::migrate::plan::RemedyKind;
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
                (
                    e.response.status.to_string(),
                    e.response.transport.map(|t| t.as_str()),
                    e.response.verdict(),
                ),
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

// ------------------------------------------------------------ more properties (issue #18)

fn generated(seed: u64, v1alpha1: bool) -> String {
    cluster(&GenSpec {
        seed,
        namespaces: 3,
        workloads_per_namespace: 2,
        pods_per_workload: 0,
        policies: true,
        v1alpha1,
    })
}

fn load(texts: &[String], version: &str) -> Mesh {
    let settings = MeshSettings {
        istio_version: Some(version.parse::<IstioVersion>().unwrap()),
        ..MeshSettings::default()
    };
    Mesh::load(&sources(texts), &settings).expect("loads").mesh
}

fn verdicts(mesh: &Mesh) -> HashMap<(String, String), Verdict> {
    outcomes(&mesh.matrix())
        .into_iter()
        .map(|(k, (_, _, v))| (k, v))
        .collect()
}

/// A keep-PERMISSIVE fix parses back to what it says: on top of the plan's last state and the
/// held-back lock-down of the service's namespace, it loads without a warning and the blocked
/// client reaches the service port again.
fn fix_unblocks(seed: u64, version: &str) {
    let mesh = load(&[generated(seed, false)], version);
    let plan = mesh.plan(&Goal::Strict, &[]).expect("plans");
    let mut current = mesh;
    for step in &plan.steps {
        let delete = references(&sources(&step.delete)).unwrap();
        current = current.change(&sources(&step.apply), &delete).unwrap().mesh;
    }
    for blocker in &plan.blockers {
        let fixes = blocker.remedies.iter().filter(|r| r.kind == RemedyKind::KeepPermissive);
        for fix in fixes.filter_map(|r| r.action.clone()) {
            let namespace = blocker.service.split('.').nth(1).unwrap();
            let lock = format!(
                "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {{name: default, namespace: {namespace}}}\nspec: {{mtls: {{mode: STRICT}}}}\n"
            );
            let loaded = current
                .apply(&[Source::new("lock.yaml", lock), Source::new("fix.yaml", fix.clone())])
                .expect("the fix loads");
            let noisy: Vec<_> = loaded
                .diagnostics
                .iter()
                .filter(|d| {
                    d.location.source == "fix.yaml"
                        && matches!(d.severity, meshlock::Severity::Warning | meshlock::Severity::Error)
                })
                .collect();
            assert!(noisy.is_empty(), "the fix does not load cleanly: {noisy:?}\n{fix}");
            let edge = loaded.mesh.matrix();
            let edge = edge
                .edge(&blocker.client.to_string(), &blocker.service)
                .expect("the blocked edge");
            assert_eq!(
                edge.response.verdict(),
                Verdict::Ok,
                "{} → {} still fails with the fix:\n{fix}",
                blocker.client,
                blocker.service
            );
        }
    }
}

/// The generator writes no two resources that Istio orders by age (one namespace-wide policy and
/// at most one rule per namespace), so no documented tie-break applies: any order of the
/// documents gives the same matrix.
fn order_independent(seed: u64, shuffle: u64, v1alpha1: bool, version: &str) {
    let text = generated(seed, v1alpha1);
    let mut docs: Vec<String> = text
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let mut state = shuffle | 1;
    for i in (1..docs.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        docs.swap(i, usize::try_from(state >> 33).unwrap() % (i + 1));
    }
    assert_eq!(
        verdicts(&load(&[text], version)),
        verdicts(&load(&[docs.join("---\n")], version))
    );
}

/// STRICT never makes an unreachable edge reachable: with every namespace's PeerAuthentication
/// `default` STRICT, each edge that works also works with them PERMISSIVE.
fn strict_only_removes(seed: u64, version: &str) {
    let base = generated(seed, false);
    let with = |mode: &str| {
        let overlay: String = (0..3)
            .chain([usize::MAX])
            .map(|n| {
                let ns = if n == usize::MAX { "istio-system".to_owned() } else { format!("ns{n}") };
                format!("---\napiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {{name: default, namespace: {ns}}}\nspec: {{mtls: {{mode: {mode}}}}}\n")
            })
            .collect();
        load(std::slice::from_ref(&base), version)
            .apply(&[Source::new("overlay.yaml", overlay)])
            .expect("loads")
            .mesh
    };
    let (permissive, strict) = (verdicts(&with("PERMISSIVE")), verdicts(&with("STRICT")));
    for (edge, verdict) in &strict {
        if *verdict == Verdict::Ok {
            assert_eq!(permissive[edge], Verdict::Ok, "{edge:?} works under STRICT only");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fixes_unblock_what_they_name(seed in any::<u64>(), current in any::<bool>()) {
        fix_unblocks(seed, if current { "current" } else { "1.9" });
    }

    #[test]
    fn evaluation_does_not_depend_on_document_order(seed in any::<u64>(), shuffle in any::<u64>(), era in 0usize..3) {
        let (v1alpha1, version) = [(true, "1.1"), (false, "1.9"), (false, "current")][era];
        order_independent(seed, shuffle, v1alpha1, version);
    }

    #[test]
    fn strict_never_makes_an_edge_work(seed in any::<u64>(), current in any::<bool>()) {
        strict_only_removes(seed, if current { "current" } else { "1.9" });
    }
}
