//! The hostile corpus through the CLI: every refused input exits 2 with one located line
//! (`FILE:LINE:COLUMN: error[MLnnn …]`), the code `tests/hostile/expect.txt` names; the rest exit 0.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const BOUND: Duration = Duration::from_secs(10);

#[test]
fn hostile_inputs_exit_2_with_one_located_line() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile");
    let expect = std::fs::read_to_string(root.join("expect.txt")).unwrap();
    let mut failures = Vec::new();
    let mut report = String::new();
    for line in expect.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (file, outcome, at) = (fields[0], fields[1], fields[2]);
        let path = root.join(file);
        if !path.exists() {
            eprintln!("SKIPPED: {file} (run scripts/hostile-gen, or the core's hostile test, to generate it)");
            continue;
        }
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_meshlock"))
            .args(["matrix", "-f"])
            .arg(&path)
            .output()
            .unwrap();
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        report.push_str(&format!(
            "{:>9.1} ms  exit {code:?}  {file}\n",
            took.as_secs_f64() * 1e3
        ));
        if took > BOUND {
            failures.push(format!("{file}: took {took:?}"));
        }
        if outcome == "ok" {
            if code != Some(0) {
                failures.push(format!("{file}: want exit 0, got {code:?}: {stderr}"));
            }
            continue;
        }
        let first = stderr.lines().next().unwrap_or_default();
        let want = format!("{}:{at}:", path.display());
        if code != Some(2) || !first.starts_with(&want) || !first.contains(&format!("error[{outcome} ")) {
            failures.push(format!(
                "{file}: want exit 2 and `{want}…error[{outcome} …`, got {code:?}: {first}"
            ));
        }
        if stderr.contains("panicked") {
            failures.push(format!("{file}: panicked: {stderr}"));
        }
    }
    eprintln!("hostile corpus through the CLI:\n{report}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_input_size_limit_is_checked_before_reading_and_names_its_flag() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile/cases/crlf.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_meshlock"))
        .args(["matrix", "--max-input-bytes", "100", "-f"])
        .arg(&root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error[ML106 input-limit]"), "{stderr}");
    assert!(stderr.contains("--max-input-bytes"), "{stderr}");
}
