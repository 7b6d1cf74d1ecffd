//! What a newcomer meets first: version, completions, man page, the reason beside a `000` for a
//! mistyped target, and `check`'s linter exit codes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

use std::path::Path;
use std::process::{Command, Output};

fn meshlock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshlock"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/seed"))
        .output()
        .expect("run meshlock")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn version_completions_and_man_page() {
    let version = meshlock(&["--version"]);
    assert_eq!(
        text(&version.stdout),
        format!("meshlock {}\n", env!("CARGO_PKG_VERSION"))
    );
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef meshlock"),
        ("fish", "complete -c meshlock"),
    ] {
        let out = meshlock(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        assert!(
            script.contains(marker) && script.contains("probe"),
            "{shell}:\n{script}"
        );
    }
    let man = meshlock(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    assert!(text(&man.stdout).contains(".TH meshlock 1"));
}

#[test]
fn probe_says_why_a_target_is_not_there() {
    let probe = |to: &str| meshlock(&["probe", "-f", "cluster.yaml", "--from", "foo/sleep", "--to", to]);
    let host = probe("httpbin.nosuch:8000");
    assert_eq!(text(&host.stdout), "000\n", "stdout stays the bare status");
    assert_eq!(
        text(&host.stderr),
        "meshlock: 000  unknown host httpbin.nosuch: no Service of that name (similar: httpbin.bar, httpbin.foo)\n"
    );
    let port = probe("httpbin.foo:9999");
    assert_eq!(
        text(&port.stderr),
        "meshlock: 000  unknown port 9999 on httpbin.foo (its ports: 8000)\n"
    );
    assert_eq!(
        text(&probe("httpbin.foo:8000").stderr),
        "",
        "a reachable target needs no hint"
    );
    let help = text(&meshlock(&["probe", "--help"]).stdout);
    assert!(help.contains("[https://]HOST:PORT[/PATH]"), "{help}");
}

#[test]
fn check_exits_like_a_linter() {
    let published = meshlock(&["check", "-f", "step1-policy.published.yaml"]);
    assert_eq!(published.status.code(), Some(1), "an error was reported");
    let report = text(&published.stdout);
    assert!(report.contains("error[ML105 misplaced-peers]"), "{report}");
    assert!(
        !report.contains("edges"),
        "no empty matrix summary when nothing loaded:\n{report}"
    );
    assert_eq!(meshlock(&["check", "-f", "cluster.yaml"]).status.code(), Some(0));
    assert_eq!(meshlock(&["check", "-f", "no-such-file.yaml"]).status.code(), Some(2));
}
