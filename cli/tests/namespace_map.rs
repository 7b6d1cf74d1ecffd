//! `meshlock matrix --by namespace`: the playground's map of the mesh, pinned on the seed (the
//! playground's engine tests pin the same numbers on the WASM build).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

use std::path::Path;
use std::process::{Command, Output};

fn meshlock(args: &[&str]) -> Output {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/seed");
    Command::new(env!("CARGO_BIN_EXE_meshlock"))
        .current_dir(seed)
        .args(args)
        .output()
        .expect("run meshlock")
}

/// Step 3′ of the tour: STRICT in foo without the DestinationRule.
const STRICT_WITHOUT_DR: &[&str] = &[
    "matrix",
    "-f",
    "cluster.yaml",
    "-f",
    "step3-policy.yaml",
    "-n",
    "foo",
    "--by",
    "namespace",
];

#[test]
fn the_seed_by_namespace_as_csv() {
    let out = meshlock(&[STRICT_WITHOUT_DR, &["--format", "csv"]].concat());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "from,to,edges,ok_mtls,ok_plaintext,denied,other_failure,mtls_broken,worst
bar,bar,4,0,4,0,0,0,ok-plaintext
bar,foo,4,0,2,0,0,2,mtls-broken
bar,legacy,2,0,2,0,0,0,ok-plaintext
foo,bar,4,0,4,0,0,0,ok-plaintext
foo,foo,4,0,2,0,0,2,mtls-broken
foo,legacy,2,0,2,0,0,0,ok-plaintext
legacy,bar,2,0,2,0,0,0,ok-plaintext
legacy,foo,2,0,1,0,0,1,mtls-broken
legacy,legacy,1,0,1,0,0,0,ok-plaintext
"
    );
}

#[test]
fn the_seed_by_namespace_as_json_and_text() {
    let out = meshlock(&[STRICT_WITHOUT_DR, &["--format", "json", "--fail-on-broken"]].concat());
    assert_eq!(out.status.code(), Some(1), "failing edges gate");
    let map: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(map["edges"], 25);
    assert_eq!(map["worst"], "mtls-broken");
    assert_eq!(
        map["totals"],
        serde_json::json!({"ok_mtls": 0, "ok_plaintext": 20, "denied": 0, "other_failure": 0, "mtls_broken": 5})
    );
    assert_eq!(
        map["namespaces"],
        serde_json::json!([
            {"name": "bar", "clients": 2, "service_ports": 2},
            {"name": "foo", "clients": 2, "service_ports": 2},
            {"name": "legacy", "clients": 1, "service_ports": 1},
        ])
    );
    assert_eq!(map["pairs"].as_array().unwrap().len(), 9);
    let text = String::from_utf8_lossy(&meshlock(STRICT_WITHOUT_DR).stdout).into_owned();
    assert!(text.starts_with(
        "5 clients × 5 service ports in 3 namespaces: 25 edges: 0 ok-mtls, 20 ok-plaintext, 0 denied, 0 other-failure, 5 mtls-broken\n"
    ));
    assert!(
        text.lines().any(|l| l.split_whitespace().collect::<Vec<_>>()
            == ["legacy", "foo", "2", "0", "1", "0", "0", "1", "mtls-broken"])
    );
}
