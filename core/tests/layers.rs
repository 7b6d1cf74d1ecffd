//! The core is a pipeline that runs one way: each top-level module may import only modules of a
//! lower layer. A new module must be given a layer here; an import that points up (or a cycle) fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Lower layers first. Modules of one layer may not import each other.
const LAYERS: &[&[&str]] = &[
    &["diagnostic", "settings", "explain", "generate"],
    &["model", "telemetry"],
    &["hosts", "outcome"],
    &["ingest"],
    &["workloads"],
    &["mesh"],
    &["resolve"],
    &["evaluate"],
    &["classes"],
    &["evidence"],
    &["matrix"],
    &["migrate"],
    &["check", "observe", "heatmap"],
    &["seed"],
    &["render"],
    &["api"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules named by `crate::x` paths and `crate::{x, y::z}` groups, outside tests.
fn imports(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (ch == ',' && depth == 1) {
                    out.push(head(&item));
                    item.clear();
                    if depth == 0 {
                        break;
                    }
                } else {
                    item.push(ch);
                }
            }
        } else {
            out.push(head(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

fn head(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn core_modules_import_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_string_lossy();
        let module = top.trim_end_matches(".rs").to_owned();
        if module == "lib" {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        graph.entry(module).or_default().extend(imports(&text));
    }
    let mut wrong = Vec::new();
    for (module, deps) in &graph {
        let Some(mine) = layer_of(module) else {
            wrong.push(format!("module `{module}` has no layer in tests/layers.rs"));
            continue;
        };
        for dep in deps {
            if dep == module || !graph.contains_key(dep) {
                continue;
            }
            match layer_of(dep) {
                Some(theirs) if theirs < mine => {}
                _ => wrong.push(format!("`{module}` imports `{dep}`, which is not below it")),
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "the pipeline must run one way:\n{}", wrong.join("\n"));
}

#[test]
fn imports_are_read_from_paths_and_groups() {
    let text =
        "use crate::mesh::Mesh;\nuse crate::{model::{A, B}, hosts};\n// crate::api\nfn f() { crate::resolve::x() }";
    assert_eq!(imports(text), ["mesh", "model", "hosts", "resolve"]);
}
