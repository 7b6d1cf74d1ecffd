//! Issue #15's "done when": grouped answers fit on a screen, blockers are listed once, and the
//! remedy set is the namespace labels.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use meshlock::migrate::plan::RemedyKind;
use meshlock::migrate::{Goal, Plan};
use meshlock::render::{self, Style};
use meshlock::{Mesh, MeshSettings, Source, seed};

/// Lines of a text answer, the plan's YAML blocks aside.
fn lines_without_yaml(text: &str) -> usize {
    let mut in_yaml = false;
    text.lines()
        .filter(|l| {
            let fence = l.trim_start();
            if fence.starts_with("```yaml") {
                in_yaml = true;
            } else if in_yaml && fence.starts_with("```") {
                in_yaml = false;
                return false;
            }
            !in_yaml
        })
        .count()
}

fn no_client_twice(plan: &Plan) {
    let mut seen = BTreeSet::new();
    for group in &plan.blocking_clients {
        for client in &group.clients {
            assert!(
                seen.insert(client.clone()),
                "{client} is listed twice among the blockers"
            );
        }
    }
}

/// Five Deployments without a sidecar in a namespace without the injection label.
fn batch_namespace() -> String {
    let mut yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: batch\n".to_owned();
    for i in 1..=5 {
        yaml.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: job-{i}\n  namespace: batch\nspec:\n  selector:\n    matchLabels: {{app: job-{i}}}\n  template:\n    metadata:\n      labels: {{app: job-{i}}}\n    spec:\n      containers:\n      - name: job\n        image: curl\n"
        ));
    }
    yaml
}

#[test]
fn seed_with_a_sidecarless_namespace_needs_two_labels() {
    let sources = [seed::cluster_source(), Source::new("batch.yaml", batch_namespace())];
    let mesh = Mesh::load(&sources, &MeshSettings::default()).unwrap().mesh;
    let plan = mesh.plan(&Goal::Strict, &[]).unwrap();
    no_client_twice(&plan);
    let set: BTreeSet<(String, bool)> = plan
        .remedy_set
        .iter()
        .map(|r| (r.target.clone(), r.kind == RemedyKind::InjectClient))
        .collect();
    let want: BTreeSet<(String, bool)> = [("batch".to_owned(), true), ("legacy".to_owned(), true)].into();
    assert_eq!(set, want, "the remedy set is the two namespace labels");
    assert_eq!(plan.remedy_set.last().unwrap().released, plan.held_back.len());
    let text = render::plan(&plan);
    assert!(text.contains("label namespace batch (5 clients)"), "{text}");
    assert!(text.contains("Together they release every lock-down."), "{text}");
    for i in 1..=5 {
        let named = text.matches(&format!("batch/job-{i}")).count();
        assert!(named <= 2, "batch/job-{i} is named {named} times:\n{text}");
    }
}

/// A realistic 1,000-pod dump from `../shared/tools/gen_cluster.py` (fixed seed).
fn realistic_1k() -> Option<Mesh> {
    let tool = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools/gen_cluster.py");
    if !tool.exists() {
        eprintln!(
            "SKIPPED: {} is absent (the shared folder is not beside the repository)",
            tool.display()
        );
        return None;
    }
    let out = std::process::Command::new("python3")
        .arg(&tool)
        .args(["--pods", "1000", "--seed", "7"])
        .output();
    let out = match out {
        Ok(out) if out.status.success() => out,
        other => {
            eprintln!("SKIPPED: gen_cluster.py did not run: {other:?}");
            return None;
        }
    };
    let text = String::from_utf8(out.stdout).unwrap();
    Some(
        Mesh::load(&[Source::new("c1k.yaml", text)], &MeshSettings::default())
            .unwrap()
            .mesh,
    )
}

#[test]
fn a_realistic_1k_dump_fits_on_a_screen() {
    let Some(mesh) = realistic_1k() else { return };
    let report = mesh.check();
    let text = render::check(&report, Style::PLAIN);
    assert!(
        lines_without_yaml(&text) <= 200,
        "check prints {} lines",
        lines_without_yaml(&text)
    );
    assert!(
        text.starts_with(&format!("{} edges", report.summary.edges)),
        "totals first"
    );
    let grouped: usize = report.groups.iter().map(|g| g.edges).sum();
    assert_eq!(
        grouped, report.summary.failing,
        "check's groups add up to the failing edges"
    );

    let stages = mesh.stages();
    let text = render::stages(&stages);
    assert!(
        lines_without_yaml(&text) <= 200,
        "stages prints {} lines",
        lines_without_yaml(&text)
    );
    assert!(
        text.starts_with(&format!("{} service ports", stages.services.len())),
        "totals first"
    );
    let blockers: usize = stages.blocker_groups.iter().map(|g| g.clients.len()).sum();
    let distinct: BTreeSet<_> = stages.services.iter().flat_map(|s| s.blockers.iter()).collect();
    assert_eq!(blockers, distinct.len(), "every blocker once");

    let plan = mesh.plan(&Goal::Strict, &[]).unwrap();
    let text = render::plan(&plan);
    assert!(
        lines_without_yaml(&text) <= 200,
        "plan prints {} lines",
        lines_without_yaml(&text)
    );
    no_client_twice(&plan);
    for step in &plan.steps {
        let grouped: usize = step.groups.iter().map(|g| g.edges).sum();
        assert_eq!(grouped, step.delta.len(), "step {}'s groups add up", step.name);
    }
}
