//! The hostile corpus through the CLI: every refused input exits 2 with one located line
//! (`FILE:LINE:COLUMN: error[MLnnn …]`), the code `tests/hostile/expect.txt` names; the rest exit 0.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

#[path = "../../core/tests/support/hostile_cases.rs"]
mod hostile_cases;

use std::process::Command;
use std::time::Instant;

use hostile_cases::{BOUND, cases, root};

#[test]
fn hostile_inputs_exit_2_with_one_located_line() {
    let mut failures = Vec::new();
    let mut report = String::new();
    for case in cases() {
        let (file, outcome) = (case.file.as_str(), case.outcome.as_str());
        let path = root().join(file);
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
        let at = case.line.map_or_else(|| "-".to_owned(), |l| l.to_string());
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
    let out = Command::new(env!("CARGO_BIN_EXE_meshlock"))
        .args(["matrix", "--max-input-bytes", "100", "-f"])
        .arg(root().join("cases/crlf.yaml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error[ML106 input-limit]"), "{stderr}");
    assert!(stderr.contains("--max-input-bytes"), "{stderr}");
}
