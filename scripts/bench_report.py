#!/usr/bin/env python3
"""Measures meshlock on realistic cluster dumps and writes BENCHMARKS.md (issue #12).

Driven by scripts/bench, which installs the tools, builds the binaries and generates the inputs;
this file only measures and reports, so the report can be rewritten from the saved results
(`bench_report.py report RESULTS.json`) without measuring again. Python 3 standard library only.

Every command is measured the same way:
  1. one run under /usr/bin/time (peak RSS, `%M`), in its own process group, killed after
     BENCH_TIMEOUT seconds ("> timeout") and limited to BENCH_MEM_MB of address space ("> memory
     limit"): a slow or exploding command is recorded, never fatal. This run also warms the page
     cache, so hyperfine needs no warm-up run;
  2. if that run took less than BENCH_SLOW seconds, hyperfine times BENCH_RUNS more runs (mean ±
     standard deviation); otherwise the single run is the figure (n = 1), as repeating a
     multi-minute command on a shared 2-core machine buys little precision for a lot of time.
A command that timed out (or hit the memory limit) on an input is not run again on a larger input
or another format of the same size: the evaluation does not get cheaper there. BENCH_NO_SKIP=1
runs it anyway.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

# Commands that load, then evaluate: (label, arguments after the binary, with {f} the input).
# probe's client and destination are filled in per size (see probe_target).
ANALYSES = [
    ("probe", ["probe", "-f", "{f}", "--from", "{client}", "--to", "{dest}"]),
    # What a person runs (grouped text), and the JSON that lists every failing edge.
    ("check", ["check", "-f", "{f}"]),
    ("check json", ["check", "-f", "{f}", "--format", "json"]),
    ("plan", ["plan", "-f", "{f}"]),
    ("stages", ["stages", "-f", "{f}"]),
    ("matrix csv", ["matrix", "-f", "{f}", "--format", "csv"]),
]
# Exit 1 means "the run worked and found failing edges or errors" for every analysis command.
OK_EXITS = (0, 1)


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value else default


TIMEOUT = env_float("BENCH_TIMEOUT", 600)
SLOW = env_float("BENCH_SLOW", 60)
RUNS = int(env_float("BENCH_RUNS", 3))
MEM_MB = int(env_float("BENCH_MEM_MB", 8192))
NO_SKIP = os.environ.get("BENCH_NO_SKIP", "") not in ("", "0")


def limit_memory() -> None:
    """Runs in the child before exec: caps its address space, so a command whose memory grows with
    the number of edges fails alone instead of pushing the shared machine into the OOM killer."""
    if MEM_MB > 0 and not os.environ.get("BENCH_UNLIMITED"):
        cap = MEM_MB * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def run_limited(argv: list[str], timeout: float, stdout=subprocess.DEVNULL, stderr=None):
    """Runs argv in a new process group (so a timeout kills its children too); returns
    (exit code or None on timeout)."""
    proc = subprocess.Popen(argv, stdout=stdout, stderr=stderr, start_new_session=True, preexec_fn=limit_memory)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def measure(argv: list[str], workdir: Path, accept_exits=OK_EXITS, expect_stderr: str | None = None,
            mem_limit: bool = True) -> dict:
    """One command: status ok|timeout|memory|error, wall seconds (mean, sd, n), peak RSS KB.
    mem_limit=False for Node: V8 reserves far more address space than it uses (WebAssembly
    memories reserve guard regions of several GB), so an address-space cap would break it."""
    workdir.mkdir(parents=True, exist_ok=True)
    if not mem_limit:
        os.environ["BENCH_UNLIMITED"] = "1"
    try:
        return _measure(argv, workdir, accept_exits, expect_stderr)
    finally:
        os.environ.pop("BENCH_UNLIMITED", None)


def _measure(argv: list[str], workdir: Path, accept_exits, expect_stderr: str | None) -> dict:
    with tempfile.NamedTemporaryFile("w+", dir=workdir, suffix=".time") as tfile, tempfile.NamedTemporaryFile(
        "w+", dir=workdir, suffix=".err"
    ) as err, tempfile.NamedTemporaryFile("w+", dir=workdir, suffix=".out") as out:
        timed = ["/usr/bin/time", "-f", "%e %M", "-o", tfile.name, *argv]
        code = run_limited(timed, TIMEOUT, stdout=out, stderr=err)
        result: dict = {"argv": argv}
        if code is None:
            return {**result, "status": "timeout", "note": f"killed after {TIMEOUT:g} s"}
        err.seek(0)
        stderr = err.read()
        out.seek(0)
        result["stdout_head"] = out.read(2000)
        lines = [l for l in open(tfile.name).read().splitlines() if l.strip()]
        last = lines[-1].split() if lines else []
        if len(last) == 2:
            result["single_s"], result["rss_kb"] = float(last[0]), int(last[1])
        if "memory allocation of" in stderr or "Cannot allocate memory" in stderr or "MemoryError" in stderr:
            return {**result, "status": "memory", "note": f"over the {MEM_MB} MB address-space limit"}
        if code not in accept_exits or (expect_stderr is not None and expect_stderr not in stderr):
            tail = [l for l in stderr.splitlines() if l.strip()][-1:] or [f"exit {code}"]
            return {**result, "status": "error", "note": f"exit {code}: {tail[0][:200]}"}
        result["status"] = "ok"
        if result.get("single_s", SLOW) >= SLOW or RUNS <= 0:
            result.update(mean=result.get("single_s"), sd=0.0, n=1)
            return result
        export = Path(tfile.name + ".json")
        hf = ["hyperfine", "-N", "--style", "none", "--warmup", "0", "--runs", str(RUNS), "--export-json", str(export)]
        if code != 0:
            hf.append("-i")  # the expected non-zero exit seen above
        hf.append(shlex.join(argv))
        hcode = run_limited(hf, TIMEOUT * RUNS + 30, stderr=subprocess.DEVNULL)
        if hcode == 0 and export.exists():
            r = json.loads(export.read_text())["results"][0]
            result.update(mean=r["mean"], sd=r.get("stddev") or 0.0, n=len(r.get("times", [])) or RUNS)
            export.unlink()
        else:
            # hyperfine failed or ran out of time on a later run: keep the single measured run.
            result.update(mean=result.get("single_s"), sd=0.0, n=1, note="hyperfine did not finish: one run")
        return result


def probe_target(yaml_path: Path) -> tuple[str, str]:
    """A real client workload and service port from the dump (the first Deployment, the first
    Service's first port), read from the top of the multi-document YAML without parsing all of it."""
    client = dest = None
    kind = name = ns = port = None

    def flush() -> None:
        nonlocal client, dest
        if kind == "Deployment" and client is None and name and ns:
            client = f"{ns}/{name}"
        if kind == "Service" and dest is None and name and ns and port:
            dest = f"{name}.{ns}:{port}"

    with open(yaml_path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line == "---":
                flush()
                kind = name = ns = port = None
                if client and dest:
                    break
            elif line.startswith("kind: "):
                kind = line[6:].strip()
            elif line.startswith("  name: ") and name is None:
                name = line[8:].strip().strip('"')
            elif line.startswith("  namespace: ") and ns is None:
                ns = line[13:].strip().strip('"')
            elif kind == "Service" and port is None and re.fullmatch(r"    port: \d+", line):
                port = line.split(":")[1].strip()
        flush()
    if not client or not dest:
        raise SystemExit(f"bench_report: no Deployment and Service found in {yaml_path}")
    return client, dest


def count_pods(path: Path) -> int:
    """Pods in the dump (the `kind` lines of YAML and of kubectl's indented JSON)."""
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip().rstrip(",")
            if s in ("kind: Pod", '"kind": "Pod"'):
                n += 1
    return n


def pods_of(size: str) -> int:
    """`1k` -> 1000, `2.5k` -> 2500, `700` -> 700 (as scripts/bench reads BENCH_SIZES)."""
    return int(float(size[:-1]) * 1000) if size.endswith("k") else int(size)


def sh(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine(root: Path) -> dict:
    cpu = ""
    meminfo = ""
    try:
        cpu = next(
            (l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), ""
        )
        meminfo = next((l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal")), "")
    except OSError:
        pass
    dirty = sh(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": sh(["nproc"]) or str(os.cpu_count()),
        "cpu": cpu,
        "memory": meminfo,
        "kernel": platform.release(),
        "git_rev": sh(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"]) + (" (dirty)" if dirty else ""),
        "git_branch": sh(["git", "-C", str(root), "rev-parse", "--abbrev-ref", "HEAD"]),
        "rustc": sh(["rustc", "-V"]),
        "hyperfine": sh(["hyperfine", "--version"]),
        "loadavg_start": open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else [],
    }


def self_reported(floor: dict) -> float | None:
    """The seconds parse_floor prints for the parse alone (`floor (1 thread): 0.293 s, …`)."""
    m = re.search(r"\):\s*(\d+(?:\.\d+)?)\s*s", floor.get("stdout_head", ""))
    return float(m.group(1)) if m else None


def binding_runs(root: Path, path: Path) -> list[tuple[str, list[str] | None, str, str]]:
    """(label, argv or None when not built, compared CLI command, note) for each binding present."""
    out: list[tuple[str, list[str] | None, str, str]] = []
    py = Path(os.environ.get("BENCH_PYTHON", root / ".venv/bin/python"))
    py_ok = py.exists() and subprocess.run([str(py), "-c", "import meshlock"], capture_output=True).returncode == 0
    for op, cli in (("load", "probe"), ("check", "check json")):
        call = "meshlock.Mesh.load([sys.argv[1]])" + (".check()" if op == "check" else "")
        argv = [str(py), "-c", f"import sys, meshlock; {call}", str(path)] if py_ok else None
        out.append((f"Python {op}", argv, cli, f"not built: ./scripts/test-py (or BENCH_PYTHON=…/python)" if not py_ok else ""))
    node = sh(["sh", "-c", "command -v node"])
    native = Path(os.environ.get("BENCH_NODE_PKG", root / "bindings-node"))
    native_ok = bool(node) and any(native.glob("*.node"))
    wasm_ok = bool(node) and (root / "web-playground/pkg-node/meshlock_wasm.js").exists()
    for impl, module, ok, how in (
        ("Node", str(native), native_ok, "cd bindings-node && npm ci && npm run build (or ./scripts/test-node)"),
        ("WASM (Node)", str(root / "bindings-node/wasm.cjs"), wasm_ok, "./scripts/test-wasm (or web-playground/scripts/build-wasm.sh)"),
    ):
        for op, cli in (("load", "probe"), ("check", "check json")):
            js = f"const m = require(process.argv[1]).Mesh.load([process.argv[2]]);" + (" m.check();" if op == "check" else "")
            argv = [node, "-e", js, module, str(path)] if ok else None
            out.append((f"{impl} {op}", argv, cli, "" if ok else f"not built: {how}"))
    return out


def run(args: argparse.Namespace) -> None:
    root = Path(args.root).resolve()
    out_dir = Path(args.out).resolve()
    work = out_dir / "tmp"
    inputs = []
    for spec in args.input:
        size, fmt, path = spec.split(":", 2)
        inputs.append({"size": size, "format": fmt, "path": str(Path(path).resolve())})
    yaml_of = {i["size"]: Path(i["path"]) for i in inputs if i["format"] == "yaml"}
    results: dict = {"machine": machine(root), "settings": {
        "timeout_s": TIMEOUT, "slow_s": SLOW, "runs": RUNS, "mem_mb": MEM_MB, "no_skip": NO_SKIP,
        "sizes": os.environ.get("BENCH_SIZES", ""), "seed": args.seed, "bindings_size": args.bindings_size,
    }, "floor_kind": "parse_floor" if args.floor_bin else "probe", "inputs": [], "bindings": []}
    failed_on: dict[str, str] = {}  # command label -> the input it timed out / ran out of memory on
    by_input: dict[str, dict] = {}
    for inp in inputs:
        path = Path(inp["path"])
        inp["bytes"] = path.stat().st_size
        inp["pods"] = count_pods(path)
        client, dest = probe_target(yaml_of.get(inp["size"], path))
        name = path.name
        print(f"== {name}: {inp['bytes'] / 1e6:.1f} MB, {inp['pods']} pods", flush=True)
        rows = []
        if args.floor_bin:
            floor = measure([args.floor_bin, str(path)], work, accept_exits=(0,))
            floor["label"] = "floor (parse_floor)"
            floor_s = self_reported(floor)
            if floor_s is not None:
                floor["self_reported_s"] = floor_s
        else:
            # Load-only: an unknown client is reported after the whole input is parsed and modelled.
            floor = measure([args.bin, "probe", "-f", str(path), "--from", "a/b", "--to", "c:80"], work,
                            accept_exits=(2,), expect_stderr="unknown client workload")
            floor["label"] = "load (probe)"
        floor["command"] = "floor"
        rows.append(floor)
        report_row(floor)
        for label, tmpl in ANALYSES:
            argv = [args.bin] + [a.format(f=path, client=client, dest=dest) for a in tmpl]
            if label in failed_on and not NO_SKIP:
                row = {"argv": argv, "status": "skipped", "note": f"skipped: {failed_on[label]}"}
            else:
                row = measure(argv, work)
                if row["status"] in ("timeout", "memory"):
                    why = "> timeout" if row["status"] == "timeout" else "> memory limit"
                    failed_on[label] = f"{why} on {name}"
            row.update(label=label, command=label)
            rows.append(row)
            report_row(row)
        inp["rows"] = rows
        results["inputs"].append(inp)
        by_input[f"{inp['size']}:{inp['format']}"] = inp
    bsize = args.bindings_size
    base = by_input.get(f"{bsize}:yaml")
    if base is None:
        results["bindings_note"] = f"bindings: skipped, they are measured on the {bsize} YAML input, not run here"
        print(results["bindings_note"])
    else:
        cli = {r["command"]: r for r in base["rows"]}
        for label, argv, versus, note in binding_runs(root, Path(base["path"])):
            if argv is None:
                row = {"status": "not built", "note": note}
            elif cli.get(versus, {}).get("status") != "ok":
                row = {"argv": argv, "status": "skipped", "note": f"skipped: the CLI's {versus} did not finish"}
            else:
                row = measure(argv, work, accept_exits=(0,), mem_limit=not label.startswith(("Node", "WASM")))
            row.update(label=label, versus=versus)
            results["bindings"].append(row)
            report_row(row)
    results["machine"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else []
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1))
    Path(args.report).write_text(render(results, root, args))
    print(f"wrote {out_dir / 'results.json'} and {args.report}")


def report_row(row: dict) -> None:
    """Progress on stdout as the run goes (a 10k run takes a while)."""
    print(f"  {row['label']:<20} {fmt_wall(row):>22}  {fmt_rss(row):>8} MB  {row.get('note', '')}", flush=True)


def fmt_wall(row: dict) -> str:
    status = row.get("status")
    if status == "ok":
        sd = f" ± {row['sd']:.2f}" if row.get("n", 1) > 1 else ""
        return f"{row['mean']:.2f}{sd} (n={row.get('n', 1)})"
    if status == "timeout":
        return "> timeout"
    if status == "memory":
        return "> memory limit"
    if status == "skipped":
        return "not run"
    return status or "?"


def fmt_rss(row: dict, mem_mb: int = MEM_MB) -> str:
    if row.get("status") == "memory":
        return f"> {mem_mb}"  # the cap it hit: the figure is at least that
    return f"{row['rss_kb'] / 1024:.0f}" if row.get("status") == "ok" and row.get("rss_kb") else "—"


def rel(path: str, root: Path) -> str:
    """Paths in the report as typed from the repository's root when they are inside it."""
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return path


def render(results: dict, root: Path, args: argparse.Namespace) -> str:
    m = results["machine"]
    s = results["settings"]
    sizes = s.get("sizes") or "1k 10k"
    env = [f'BENCH_SIZES="{sizes}"']
    for var, val, default in (("BENCH_TIMEOUT", s["timeout_s"], 600), ("BENCH_RUNS", s["runs"], 3),
                              ("BENCH_SLOW", s["slow_s"], 60), ("BENCH_MEM_MB", s["mem_mb"], 8192)):
        if val != default:
            env.append(f"{var}={val:g}")
    floor_desc = (
        "`parse_floor` (core/examples/parse_floor.rs): a typed single-threaded serde parse of the same file, "
        "the least any analysis must pay to read it"
        if results["floor_kind"] == "parse_floor"
        else "**load (probe)**: `core/examples/parse_floor.rs` did not exist at this revision, so the floor is "
        "`meshlock probe -f FILE --from a/b --to c:80`, which parses and models the input, then stops at the "
        "unknown client: today's load time, not the typed-parse floor of issue #12"
    )
    L = [
        "# Benchmarks",
        "",
        "Written by `scripts/bench` (`scripts/bench_report.py`) from one run; not edited by hand. Issue #12 has the",
        "targets. Inputs are realistic `kubectl get -o yaml|json` dumps from `../shared/tools/gen_cluster.py`",
        f"(seed {s['seed']}), generated in place and cached under `target/bench/inputs/`.",
        "",
        "## Reproduce",
        "",
        "```sh",
        f"{' '.join(env)} ./scripts/bench",
        "./scripts/bench_report.py report target/bench/results.json   # rewrite this file from the saved results",
        "```",
        "",
        "`BENCH_SIZES` takes `1k`, `10k`, `50k` (~650 MB of YAML: opt-in) or any `Nk`/`N`; `BENCH_TIMEOUT` (s, default",
        "600) stops a command, recorded as `> timeout`; `BENCH_MEM_MB` (default 8192) caps its address space, recorded as",
        "`> memory limit`; `BENCH_RUNS` (default 3) hyperfine runs after the measured first run when it took less than",
        "`BENCH_SLOW` s (default 60), else that run alone is the figure (n=1). A command that timed out or ran out of",
        "memory is not run again on larger inputs or other formats of the same size (`BENCH_NO_SKIP=1` runs it).",
        "`BENCH_CRITERION=1` also runs the criterion benches (`core/benches/analysis.rs`) on the 1k dump.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| date | {m['date']} |",
        f"| git | `{m['git_rev']}` ({m['git_branch']}) |",
        f"| nproc | {m['nproc']} (shared with other work: load average {' '.join(m.get('loadavg_start', []))} at the start, "
        f"{' '.join(m.get('loadavg_end', []))} at the end) |",
        f"| CPU | {m['cpu']} |",
        f"| memory | {m['memory']} |",
        f"| tools | {m['rustc']}, {m['hyperfine']}, kernel {m['kernel']} |",
        f"| limits | timeout {s['timeout_s']:g} s, address space {s['mem_mb']} MB per command |",
        "",
        "## How to read",
        "",
        f"- **floor**: {floor_desc}.",
        "- **wall s**: mean ± standard deviation over n runs of the whole process (start, read, parse, analysis, output",
        "  to /dev/null), hyperfine `-N`. **× floor**: wall / the floor's wall on the same input in the same run.",
        "- **peak RSS**: `/usr/bin/time -f %M` of the first run. **× input**: peak RSS / the input file's size.",
        "- probe asks for one real edge (the first Deployment to the first Service port of the dump).",
        "- The floor binary is what `cargo run --release -p meshlock-core --example parse_floor -- FILE` runs, timed",
        "  without cargo in front of it.",
        "",
    ]
    for inp in results["inputs"]:
        mb = inp["bytes"] / 1e6
        gen = (f"python3 ../shared/tools/gen_cluster.py --pods {pods_of(inp['size'])} --format {inp['format']} "
               f"--seed {s['seed']} -o {rel(inp['path'], root)}")
        L += [f"## {inp['size']} pods, {inp['format']}: `{Path(inp['path']).name}`", "",
              f"{mb:.1f} MB, {inp['pods']:,} pods: `{gen}`.", "",
              "| command | wall s | × floor | peak RSS MB | × input | note |", "|---|---:|---:|---:|---:|---|"]
        floor = inp["rows"][0]
        fmean = floor.get("mean") if floor.get("status") == "ok" else None
        for row in inp["rows"]:
            ratio = f"{row['mean'] / fmean:.2f}" if fmean and row.get("status") == "ok" else "—"
            rss_ratio = f"{row['rss_kb'] * 1024 / inp['bytes']:.2f}" if row.get("status") == "ok" and row.get("rss_kb") else "—"
            note = row.get("note", "")
            if row.get("status") == "memory" and row.get("single_s") is not None and row.get("rss_kb"):
                note += f"; aborted after {row['single_s']:.0f} s, {row['rss_kb'] / 1024:.0f} MB resident"
            floor_s = self_reported(row)
            if floor_s is not None:
                note = (note + "; " if note else "") + f"parse alone (self-reported): {floor_s:.3f} s"
            L.append(f"| {row['label']} | {fmt_wall(row)} | {ratio} | {fmt_rss(row, s['mem_mb'])} | {rss_ratio} | {note} |")
        L += ["", "<details><summary>commands</summary>", "", "```sh"]
        L += [shlex.join(rel(a, root) for a in row["argv"]) for row in inp["rows"] if row.get("argv")]
        L += ["```", "", "</details>", ""]
    # Growth: the same command on the 50k and the 10k YAML input.
    ok = {(i["size"], i["format"]): {r["command"]: r for r in i["rows"]} for i in results["inputs"]}
    if ("10k", "yaml") in ok and ("50k", "yaml") in ok:
        L += ["## Growth 10k → 50k (YAML)", "", "| command | 10k s | 50k s | × |", "|---|---:|---:|---:|"]
        a, b = ok[("10k", "yaml")], ok[("50k", "yaml")]
        for cmd in ["floor"] + [label for label, _ in ANALYSES]:
            ra, rb = a.get(cmd, {}), b.get(cmd, {})
            g = f"{rb['mean'] / ra['mean']:.2f}" if ra.get("status") == rb.get("status") == "ok" else "—"
            L.append(f"| {ra.get('label', cmd)} | {fmt_wall(ra)} | {fmt_wall(rb)} | {g} |")
        L.append("")
    else:
        L += ["## Growth 10k → 50k", "", "Not measured in this run (`BENCH_SIZES=\"1k 10k 50k\"` adds it).", ""]
    L += ["## Bindings", ""]
    if results.get("bindings_note"):
        L += [results["bindings_note"] + ".", ""]
    if results["bindings"]:
        base = next((i for i in results["inputs"] if i["size"] == args.bindings_size and i["format"] == "yaml"), None)
        cli = {r["command"]: r for r in base["rows"]} if base else {}
        L += [f"On the {args.bindings_size} YAML input; × CLI is the wall time over the CLI's on the same input (`load`",
              "against `probe`, `check` against `check --format json`), interpreter start included.", "",
              "| binding | wall s | × CLI | peak RSS MB | note |", "|---|---:|---:|---:|---|"]
        for row in results["bindings"]:
            c = cli.get(row["versus"], {})
            ratio = f"{row['mean'] / c['mean']:.2f}" if row.get("status") == "ok" and c.get("status") == "ok" else "—"
            L.append(f"| {row['label']} | {fmt_wall(row)} | {ratio} | {fmt_rss(row, s['mem_mb'])} | {row.get('note', '')} |")
        L.append("")
        cmds = [shlex.join(rel(a, root) for a in r["argv"]) for r in results["bindings"] if r.get("argv")]
        if cmds:
            L += ["```sh", *cmds, "```", ""]
        L += ["Build them first (the bench script does not): `./scripts/test-py` (Python, into `.venv`),",
              "`cd bindings-node && npm ci && npm run build` (Node), `./scripts/test-wasm` or",
              "`sh web-playground/scripts/build-wasm.sh` after `npm ci` in `web-playground` (WASM for Node).", ""]
    return "\n".join(L)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="measure, then write results.json and the report")
    r.add_argument("--root", required=True)
    r.add_argument("--bin", required=True, help="the meshlock CLI")
    r.add_argument("--floor-bin", help="the parse_floor example binary; without it the floor is probe's load")
    r.add_argument("--input", action="append", required=True, help="SIZE:FORMAT:PATH, smallest first")
    r.add_argument("--out", required=True, help="directory for results.json")
    r.add_argument("--report", required=True, help="the Markdown file to write")
    r.add_argument("--seed", default="42")
    r.add_argument("--bindings-size", default="10k")
    w = sub.add_parser("report", help="rewrite the report from a results.json")
    w.add_argument("results")
    w.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    w.add_argument("--report", default=str(Path(__file__).resolve().parent.parent / "BENCHMARKS.md"))
    args = p.parse_args()
    if args.cmd == "run":
        run(args)
    else:
        results = json.loads(Path(args.results).read_text())
        args.bindings_size = results["settings"].get("bindings_size", "10k")
        Path(args.report).write_text(render(results, Path(args.root).resolve(), args))
        print(f"wrote {args.report}")


if __name__ == "__main__":
    main()
