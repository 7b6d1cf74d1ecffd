//! The hostile corpus (`tests/hostile/`) and what `expect.txt` says of each input. Shared by the
//! core's and the CLI's hostile tests (`#[path]`).

use std::path::PathBuf;
use std::time::Duration;

/// A hang guard, not a speed check (speed is measured by `scripts/bench`, never asserted): a
/// quadratic step on these inputs takes hours, while a debug build on a loaded 2-core machine has
/// been seen to take 18 s on the widest one.
pub const BOUND: Duration = Duration::from_secs(120);

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile")
}

/// A line of `expect.txt`: the input, `ok` or the code of its first error, and that error's line.
pub struct Case {
    pub file: String,
    pub outcome: String,
    pub line: Option<usize>,
}

pub fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(root().join("expect.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut fields = l.split_whitespace();
            let file = fields.next().unwrap().to_owned();
            let outcome = fields.next().unwrap().to_owned();
            let line = fields.next().unwrap();
            Case {
                file,
                outcome,
                line: (line != "-").then(|| line.parse().unwrap()),
            }
        })
        .collect()
}
