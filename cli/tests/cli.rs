//! The CLI contract: outputs, exit codes (0 ok, 1 broken when gating, 2 bad input/usage), no panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn meshlock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshlock"))
        .args(args)
        .output()
        .expect("run meshlock")
}

fn seed_file(name: &str) -> String {
    support::repo().join("core/seed").join(name).display().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn no_arguments_replays_the_guide() {
    let out = meshlock(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains('\x1b'), "no colour when stdout is not a terminal");
    for line in [
        "sleep.foo to httpbin.foo: 200   (mtls)",
        "sleep.legacy to httpbin.foo: 000   (plaintext, connection reset by the server's sidecar, curl exit 56)",
        "the guide prints 503",
        "sleep.foo to httpbin.foo: 503",
        "Step 3': What if",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert_eq!(stdout(&meshlock(&["tour"])), text);
}

fn after_step3(from: &str) -> serde_json::Value {
    let out = meshlock(&[
        "probe",
        "-f",
        &seed_file("cluster.yaml"),
        "-f",
        &seed_file("step2-destinationrule.yaml"),
        "-f",
        &seed_file("step3-policy.yaml"),
        "-n",
        "foo",
        "--from",
        from,
        "--to",
        "httpbin.foo:8000",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn probe_after_lock_down() {
    for (from, status, exit, transport) in [
        ("foo/sleep", "200", 0, "mtls"),
        ("bar/sleep", "200", 0, "mtls"),
        ("legacy/sleep", "000", 56, "plaintext"),
    ] {
        let v = after_step3(from);
        assert_eq!(v["from"], from);
        assert_eq!(v["to"], "httpbin.foo.svc.cluster.local:8000");
        assert_eq!(v["status"], status);
        assert_eq!(v["curl_exit"], exit);
        assert_eq!(v["transport"], transport);
        assert!(v["explain"].as_array().is_some_and(|a| !a.is_empty()));
    }
}

#[test]
fn probe_text_prints_only_the_status_and_gates_on_request() {
    let args = |gate: bool| {
        let mut a = vec![
            "probe".to_owned(),
            "-f".to_owned(),
            seed_file("cluster.yaml"),
            "-f".to_owned(),
            seed_file("step3-policy.yaml"),
            "--from".to_owned(),
            "legacy/sleep".to_owned(),
            "--to".to_owned(),
            "httpbin.foo:8000/ip".to_owned(),
        ];
        if gate {
            a.push("--fail-on-broken".to_owned());
        }
        a
    };
    let plain = Command::new(env!("CARGO_BIN_EXE_meshlock"))
        .args(args(false))
        .output()
        .unwrap();
    assert_eq!((stdout(&plain).as_str(), plain.status.code()), ("000\n", Some(0)));
    let gated = Command::new(env!("CARGO_BIN_EXE_meshlock"))
        .args(args(true))
        .output()
        .unwrap();
    assert_eq!(gated.status.code(), Some(1));
}

#[test]
fn the_published_policy_is_bad_input_with_a_location() {
    let out = meshlock(&["matrix", "-f", &seed_file("step1-policy.published.yaml")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("step1-policy.published.yaml:9:5: error[ML105 misplaced-peers]"),
        "{err}"
    );
    assert!(err.contains("belongs under `spec`"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn usage_and_io_errors_exit_2() {
    for args in [
        vec!["probe"],
        vec!["matrix", "-f", "/nonexistent/file.yaml"],
        vec!["probe", "-f", "-", "--from", "nobody", "--to", "x:1"],
        vec!["matrix", "-f", &seed_file("cluster.yaml"), "--istio-version", "9.9"],
        vec!["frobnicate"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_meshlock"))
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
    }
}

#[test]
fn matrix_formats() {
    let file = seed_file("cluster.yaml");
    let csv = stdout(&meshlock(&["matrix", "-f", &file, "--format", "csv"]));
    assert!(csv.starts_with("from,to,status,curl_exit,transport,verdict,reason\n"));
    assert_eq!(csv.lines().count(), 1 + 5 * 5);
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&meshlock(&["matrix", "-f", &file, "--format", "json"]))).unwrap();
    for key in ["settings", "clients", "services", "edges"] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert_eq!(json["settings"]["istio_version"], "1.1");
    let md = stdout(&meshlock(&["matrix", "-f", &file, "--format", "md"]));
    assert!(md.starts_with("| FROM | TO |"));
}

/// Every YAML file under tests/ and core/seed, whole and cut at many points, through the CLI:
/// the exit code is always 0, 1 or 2 and nothing panics.
#[test]
fn no_input_in_tests_makes_the_cli_panic() {
    let mut files = Vec::new();
    let mut dirs = vec![support::repo().join("tests"), support::repo().join("core/seed")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            // The hostile corpus (binary, huge) has its own runner: tests/hostile.rs.
            if path.is_dir() && !path.ends_with("tests/hostile") {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let scratch = std::env::temp_dir().join(format!("meshlock-cli-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut runs = 0;
    for (i, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap();
        let mut variants = vec![text.clone()];
        // Scenario files embed the manifests as block scalars: feed those in raw too.
        if let Ok(doc) = yaml_serde::from_str::<yaml_serde::Value>(&text)
            && let Some(sources) = doc.get("sources").and_then(|s| s.as_sequence())
        {
            variants.extend(
                sources
                    .iter()
                    .filter_map(|s| s.get("yaml")?.as_str().map(str::to_owned)),
            );
        }
        for variant in variants.clone() {
            let bytes = variant.as_bytes();
            for cut in (1..bytes.len()).step_by((bytes.len() / 6).max(1)) {
                variants.push(String::from_utf8_lossy(&bytes[..cut]).into_owned());
            }
        }
        for (j, variant) in variants.iter().enumerate() {
            let path = scratch.join(format!("{i}-{j}.yaml"));
            std::fs::write(&path, variant).unwrap();
            let out = meshlock(&["matrix", "-f", path.to_str().unwrap(), "--format", "json"]);
            runs += 1;
            assert!(
                matches!(out.status.code(), Some(0..=2)),
                "{}: {:?}",
                path.display(),
                out.status
            );
            assert!(
                !stderr(&out).contains("panicked"),
                "{}: {}",
                path.display(),
                stderr(&out)
            );
        }
    }
    std::fs::remove_dir_all(&scratch).ok();
    assert!(runs > 100, "only {runs} runs");
}

#[test]
fn plan_files_simulate_to_the_predicted_deltas() {
    let dir = std::env::temp_dir().join(format!("meshlock-plan-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = meshlock(&[
        "plan",
        "-f",
        &seed_file("cluster.yaml"),
        "--allow-break",
        "legacy/sleep",
        "-o",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = plan["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["name"].as_str().unwrap().contains("lock-httpbin-foo")),
        "the lock-down step"
    );
    assert!(dir.join("PLAN.md").exists());
    let mut args = vec![
        "simulate".to_owned(),
        "-f".to_owned(),
        seed_file("cluster.yaml"),
        "--format".to_owned(),
        "json".to_owned(),
    ];
    for step in steps {
        args.push("--step".to_owned());
        args.push(
            dir.join(format!("{}.yaml", step["name"].as_str().unwrap()))
                .display()
                .to_string(),
        );
    }
    let sim = Command::new(env!("CARGO_BIN_EXE_meshlock"))
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(sim.status.code(), Some(0), "{}", stderr(&sim));
    let simulated: serde_json::Value = serde_json::from_slice(&sim.stdout).unwrap();
    for (step, replay) in steps.iter().zip(simulated.as_array().unwrap()) {
        assert_eq!(step["delta"], replay["delta"], "step {}", step["name"]);
    }
    // Rolling back the last step restores the state before it.
    let last = steps.last().unwrap()["name"].as_str().unwrap();
    let rollback = dir.join(format!("{last}.rollback.yaml"));
    let undo = if rollback.exists() {
        rollback
    } else {
        dir.join(format!("{last}.rollback-delete.yaml"))
    };
    let spec = if undo.display().to_string().ends_with("rollback-delete.yaml") {
        format!("delete:{}", undo.display())
    } else {
        undo.display().to_string()
    };
    args.push("--step".to_owned());
    args.push(spec);
    let sim = Command::new(env!("CARGO_BIN_EXE_meshlock"))
        .args(&args)
        .output()
        .unwrap();
    let simulated: serde_json::Value = serde_json::from_slice(&sim.stdout).unwrap();
    let all = simulated.as_array().unwrap();
    let n = all.len();
    assert_eq!(
        all[n - 1]["matrix"]["edges"],
        all[n - 3]["matrix"]["edges"],
        "rollback restores the matrix"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn diff_gates_on_broken_edges() {
    let base = seed_file("cluster.yaml");
    let strict = seed_file("step3-policy.yaml");
    let out = meshlock(&["diff", "-f", &base, "--against", &base, &strict]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("plaintext → fail"), "{text}");
    assert!(
        text.contains("Policy foo/example-httpbin-permissive"),
        "cause named: {text}"
    );
    let same = meshlock(&["diff", "-f", &base, "--against", &base]);
    assert_eq!(
        (same.status.code(), stdout(&same).as_str()),
        (Some(0), "no edge changes\n")
    );
}

/// Decision 18: a traffic finding names the resource that decides it and points at its document;
/// SARIF carries that document's line and column as the result's region.
#[test]
fn check_points_at_the_deciding_rule() {
    let dir = std::env::temp_dir().join(format!("meshlock-sarif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let httpbin = dir.join("legacy-httpbin.yaml");
    std::fs::write(
        &httpbin,
        "apiVersion: v1\nkind: Service\nmetadata: {name: httpbin, namespace: legacy}\n\
         spec: {selector: {app: httpbin}, ports: [{name: http, port: 8000, targetPort: 80}]}\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: httpbin, namespace: legacy}\n\
         spec:\n  selector: {matchLabels: {app: httpbin}}\n  template:\n    metadata: {labels: {app: httpbin}}\n\
         \x20   spec: {containers: [{name: httpbin, image: httpbin, ports: [{containerPort: 80}]}]}\n",
    )
    .unwrap();
    let rule = dir.join("to-legacy.yaml");
    // The rule is the second document; its first key is on line 6.
    std::fs::write(
        &rule,
        "# rules for foo\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sleep, namespace: foo}\n---\n\
         apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\n\
         metadata: {name: to-legacy, namespace: foo}\n\
         spec: {host: httpbin.legacy.svc.cluster.local, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}\n",
    )
    .unwrap();
    let (httpbin, rule) = (httpbin.display().to_string(), rule.display().to_string());
    let args = ["check", "-f", &seed_file("cluster.yaml"), "-f", &httpbin, "-f", &rule];
    let text = meshlock(&args);
    assert_eq!(text.status.code(), Some(1), "ML303 is an error: {}", stderr(&text));
    let out = stdout(&text);
    let line = out
        .lines()
        .find(|l| l.contains("[ML303"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.starts_with(&format!("{rule}:6:1: error[ML303")), "{line}");
    assert!(line.contains("DestinationRule foo/to-legacy"), "{line}");
    let sarif = meshlock(&[&args[..], &["--format", "sarif"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let result = results.iter().find(|r| r["ruleId"] == "ML303").unwrap();
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .contains("DestinationRule foo/to-legacy")
    );
    let physical = &result["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], rule.as_str());
    assert_eq!(
        physical["region"],
        serde_json::json!({"startLine": 6, "startColumn": 1})
    );
    // Findings about a Service port point at the Service (ML505 on the seed: every port).
    let ml505 = results.iter().find(|r| r["ruleId"] == "ML505").unwrap();
    assert!(
        ml505["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64(),
        "{ml505}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Writes a shared scenario's sources to files and returns the `-f` arguments.
fn scenario_args(scenario: &str, dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(support::repo().join("tests/scenarios").join(scenario)).unwrap();
    let scenario: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let mut args = Vec::new();
    for source in scenario["sources"].as_sequence().unwrap() {
        let path = dir.join(source["name"].as_str().unwrap());
        std::fs::write(&path, source["yaml"].as_str().unwrap()).unwrap();
        args.extend(["-f".to_owned(), path.display().to_string()]);
    }
    args
}

#[test]
fn ml204_hint_reads_the_services_that_select_the_workload() {
    let dir = std::env::temp_dir().join(format!("meshlock-ml204-{}", std::process::id()));
    let mut args = vec!["check".to_owned()];
    args.extend(scenario_args(
        "messages/ml204-hint-from-the-selecting-service.yaml",
        &dir,
    ));
    let out = meshlock(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.contains("[ML204"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("its Services route 8000→8080"), "{line}");
    assert!(
        !line.contains("80 is the Service port"),
        "sleep's Service is no hint: {line}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plan_on_a_namespace_without_sidecars_says_no_sidecar() {
    let file = seed_file("cluster.yaml");
    let out = meshlock(&[
        "plan",
        "-f",
        &file,
        "--istio-version",
        "current",
        "--goal",
        "namespace=legacy",
    ]);
    let text = stdout(&out);
    assert!(text.contains("`legacy` has no sidecar (stage no-sidecar)"), "{text}");
    assert!(!text.contains("`legacy` already accepts mTLS"), "{text}");
    assert!(!text.contains("to `legacy`'s sidecars"), "{text}");
    assert!(text.contains("namespace legacy: no-sidecar"), "{text}");
}

#[test]
fn stages_of_the_seed() {
    let out = meshlock(&["stages", "-f", &seed_file("cluster.yaml"), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["namespaces"]["legacy"], "no-sidecar");
    assert_eq!(v["mesh"], "permissive");
}

#[test]
fn diff_refuses_disable_straight_to_strict() {
    let dir = std::env::temp_dir().join(format!("meshlock-402-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = |mode: &str| {
        let path = dir.join(format!("{mode}.yaml"));
        std::fs::write(
            &path,
            format!("apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {{name: default, namespace: ns0}}\nspec: {{mtls: {{mode: {mode}}}}}\n"),
        )
        .unwrap();
        path.display().to_string()
    };
    // A generated cluster (the project's generator, fixed seed) without policies.
    let generated = meshlock(&["generate", "--seed", "3", "--no-policies"]);
    let cluster = dir.join("cluster.yaml");
    std::fs::write(&cluster, &generated.stdout).unwrap();
    let cluster = cluster.display().to_string();
    let (disable, strict, permissive) = (policy("DISABLE"), policy("STRICT"), policy("PERMISSIVE"));
    let jump = meshlock(&["diff", "-f", &cluster, &disable, "--against", &cluster, &strict]);
    assert_eq!(jump.status.code(), Some(1));
    assert!(stdout(&jump).contains("ML402"), "{}", stdout(&jump));
    let step = meshlock(&["diff", "-f", &cluster, &disable, "--against", &cluster, &permissive]);
    assert!(!stdout(&step).contains("ML402"), "{}", stdout(&step));
    std::fs::remove_dir_all(&dir).ok();
}

/// The shared scenarios through the CLI: probes (`probe --format json`), diagnostics (`check`)
/// and refused inputs (exit 2). Scenarios that give a source its own namespace cannot be said
/// with one `-n` and are replayed by the library runner only; the count is printed.
#[test]
fn the_shared_scenarios_through_the_cli() {
    let files = support::scenario_files();
    let scratch = std::env::temp_dir().join(format!("meshlock-scenarios-{}", std::process::id()));
    let (mut replayed, mut skipped, mut probes) = (0, 0, 0);
    let mut failures = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let scenario: yaml_serde::Value = yaml_serde::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let sources = scenario["sources"].as_sequence().unwrap();
        if sources.iter().any(|s| s.get("namespace").is_some()) {
            skipped += 1;
            continue;
        }
        replayed += 1;
        let dir = scratch.join(i.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let mut args: Vec<String> = Vec::new();
        for (j, source) in sources.iter().enumerate() {
            // An intents CSV (`csv:`) is passed as the CLI takes one: `--intents FILE`.
            let csv = source.get("csv").and_then(|c| c.as_str());
            let (flag, path) = match (source.get("builtin"), source.get("yaml").and_then(|y| y.as_str()), csv) {
                (Some(_), None, None) => ("-f", seed_file("cluster.yaml")),
                (None, Some(text), None) | (None, None, Some(text)) => {
                    let name = source.get("name").and_then(|n| n.as_str()).unwrap_or("input.yaml");
                    let path = dir.join(format!("{j:02}-{name}"));
                    std::fs::write(&path, text).unwrap();
                    let flag = if csv.is_some() { "--intents" } else { "-f" };
                    (flag, path.display().to_string())
                }
                other => panic!("{}: bad source {other:?}", file.display()),
            };
            args.extend([flag.to_owned(), path]);
        }
        let settings = &scenario["settings"];
        if let Some(v) = settings.get("istio_version").and_then(|v| v.as_str()) {
            args.extend(["--istio-version".to_owned(), v.to_owned()]);
        }
        if let Some(on) = settings.get("auto_mtls").and_then(|v| v.as_bool()) {
            args.extend(["--auto-mtls".to_owned(), if on { "on" } else { "off" }.to_owned()]);
        }
        if let Some(ns) = settings.get("root_namespace").and_then(|v| v.as_str()) {
            args.extend(["--root-namespace".to_owned(), ns.to_owned()]);
        }
        let run = |command: &[&str]| {
            let mut all: Vec<String> = command.iter().map(|s| (*s).to_owned()).collect();
            all.extend(args.iter().cloned());
            Command::new(env!("CARGO_BIN_EXE_meshlock"))
                .args(&all)
                .output()
                .unwrap()
        };
        let expect = &scenario["expect"];
        let listed = move |key: &str| expect.get(key).and_then(|l| l.as_sequence()).into_iter().flatten();
        let name = file.strip_prefix(support::repo()).unwrap_or(file).display().to_string();
        if expect.get("load").and_then(|l| l.as_str()) == Some("error") {
            let out = run(&["matrix"]);
            if out.status.code() != Some(2) {
                failures.push(format!("{name}: want exit 2, got {:?}", out.status.code()));
            }
            for d in listed("diagnostics") {
                let code = d["code"].as_str().unwrap();
                if !stderr(&out).contains(code) {
                    failures.push(format!("{name}: {code} not on stderr"));
                }
            }
            continue;
        }
        let check = run(&["check", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
        let codes: Vec<&str> = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["code"].as_str())
            .collect();
        for d in listed("diagnostics") {
            let code = d["code"].as_str().unwrap();
            if !codes.contains(&code) {
                failures.push(format!("{name}: {code} not reported by check"));
            }
        }
        for code in listed("absent_diagnostics") {
            if codes.contains(&code.as_str().unwrap()) {
                failures.push(format!("{name}: {} must be absent", code.as_str().unwrap()));
            }
        }
        for probe in listed("probes") {
            probes += 1;
            let (from, to) = (probe["from"].as_str().unwrap(), probe["to"].as_str().unwrap());
            let out = run(&["probe", "--format", "json", "--from", from, "--to", to]);
            let got: serde_json::Value = match serde_json::from_slice(&out.stdout) {
                Ok(v) => v,
                Err(_) => {
                    failures.push(format!("{name}: probe {from} → {to}: {}", stderr(&out)));
                    continue;
                }
            };
            for key in ["status", "curl_exit", "transport", "verdict", "reason"] {
                let Some(want) = probe.get(key) else { continue };
                let want: serde_json::Value = serde_json::to_value(want).unwrap();
                if got[key] != want {
                    failures.push(format!(
                        "{name}: probe {from} → {to}: {key} want {want}, got {}",
                        got[key]
                    ));
                }
            }
        }
    }
    std::fs::remove_dir_all(&scratch).ok();
    println!(
        "CLI replayed {replayed} scenario files ({probes} probes); {skipped} give a source its own namespace (library runner only)"
    );
    assert!(replayed > 60, "only {replayed} scenarios replayed");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `ready` prints totals first and groups disagreements of one kind: here twelve callers the
/// input does not hold, each sending to httpbin.foo.
#[test]
fn ready_groups_disagreements_by_kind() {
    let dir = std::env::temp_dir().join(format!("meshlock-ready-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let metrics = dir.join("unknown.prom");
    let series: String = (0..12)
        .map(|i| {
            format!(
                "istio_requests_total{{reporter=\"destination\",destination_service=\"httpbin.foo.svc.cluster.local\",source_workload=\"job-{i}\",source_workload_namespace=\"batch\",connection_security_policy=\"mutual_tls\",response_code=\"200\"}} 5\n"
            )
        })
        .collect();
    std::fs::write(&metrics, series).unwrap();
    let out = meshlock(&[
        "ready",
        "-f",
        &seed_file("cluster.yaml"),
        "--metrics",
        metrics.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = text.lines().next().unwrap_or_default();
    assert_eq!(
        first, "5 service(s): 0 blocked, 1 ready, 4 no-traffic; 12 disagreement(s) with the model",
        "{text}"
    );
    assert!(text.contains("  12 × unknown-caller: from batch/job-0, batch/job-1, batch/job-10 and 9 more (12) to httpbin.foo.svc.cluster.local (1)"), "{text}");
    assert_eq!(text.matches("    e.g. ").count(), 3, "{text}");
    let all = stdout(&meshlock(&[
        "ready",
        "-f",
        &seed_file("cluster.yaml"),
        "--metrics",
        metrics.to_str().unwrap(),
        "--all",
    ]));
    assert_eq!(all.matches("  unknown-caller: batch/job-").count(), 12, "{all}");
    std::fs::remove_dir_all(&dir).ok();
}
