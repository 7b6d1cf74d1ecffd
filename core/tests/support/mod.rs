//! Shared by the test crates of the core (`mod support;`) and of the CLI (`#[path]`): where the
//! repository's shared test corpus is.

use std::path::{Path, PathBuf};

/// The repository's root: both crates sit one level below it.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every scenario of the shared corpus (`tests/scenarios/**/*.yaml`), in path order.
pub fn scenario_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![repo().join("tests/scenarios")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("scenario dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
