#!/usr/bin/env python3
"""Runs the fenced code blocks of the READMEs as tests (scripts/test-snippets sets the stage).

The convention (also in README.md, "Snippets are tests"):
  ```sh / ```bash        run with bash -e -o pipefail, the CLI on PATH, from the repository root
  ```python              run with $SNIPPET_PYTHON, from the repository root
  ```js                  run with node, as .cjs when it calls require() and as .mjs otherwise
                         (```cjs / ```mjs force one), from a project where `meshlock` is installed
  ```LANG skip           shown, not run (the text around it says why)
  ```text output         right after a run block (blank lines between at most): its stdout must
                         equal this; a line `...` stands for any lines, a line ending in `…` for
                         any rest of that line
  exit=N                 in a run block's info string: the block must exit with N (default 0)
Any other block (```text, ```yaml, ```toml, ```, …) is not code and is not run.

Usage: snippets.py FILE... (from anywhere; paths relative to the repository root are reported).
Environment: SNIPPET_PYTHON (python), SNIPPET_NODE_PROJECT (a folder with node_modules/meshlock),
SNIPPET_PATH (prepended to PATH: where `meshlock` is), SNIPPET_ONLY (run only blocks whose
location contains it), SNIPPET_LANGS (run only these kinds, comma-separated: sh, python, js; e.g. the
Node blocks again on the package without its native addon).
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHELL = {"sh", "bash", "shell"}
PYTHON = {"python", "py"}
NODE = {"js", "javascript", "cjs", "mjs"}
TIMEOUT = 180


@dataclass
class Block:
    file: str
    line: int
    lang: str
    words: list[str]
    code: str
    expected: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Every fenced block, with the `output` block that follows a run block attached to it."""
    rel = str(path.resolve().relative_to(REPO))
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[tuple[Block, int, int]] = []  # (block, its opening line, the line after its closing fence)
    i = 0
    while i < len(lines):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})\s*(.*)$", lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group(1), m.group(2).split()
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        words = info[1:] if info else []
        attrs = dict(w.split("=", 1) for w in words if "=" in w)
        block = Block(rel, start + 1, info[0].lower() if info else "", words, "\n".join(body) + "\n", attrs=attrs)
        found.append((block, start, i))
    result: list[Block] = []
    previous_end = -1
    previous: Block | None = None
    for block, start, end in found:
        if "output" in block.words:
            gap = lines[previous_end:start] if previous is not None else ["x"]
            if previous is None or not runnable(previous) or any(line.strip() for line in gap):
                sys.exit(f"{block.where}: an `output` block must directly follow a run block")
            previous.expected = block.code
        else:
            result.append(block)
        previous, previous_end = block, end
    return result


def runnable(block: Block) -> bool:
    return block.lang in SHELL | PYTHON | NODE and "skip" not in block.words and "output" not in block.words


def matches(expected: str, actual: str) -> bool:
    pattern = ""
    for line in expected.rstrip("\n").split("\n"):
        line = line.rstrip()
        if line == "...":
            pattern += r"(?:[^\n]*\n)*?"
        elif line.endswith("…"):
            pattern += re.escape(line[:-1]) + r"[^\n]*\n"
        else:
            pattern += re.escape(line) + r"[ \t]*\n"
    actual = "\n".join(line.rstrip() for line in actual.rstrip("\n").split("\n")) + "\n"
    return re.fullmatch(pattern, actual) is not None


def command(block: Block, scratch: Path, index: int) -> list[str]:
    if block.lang in SHELL:
        script = scratch / f"snippet-{index}.sh"
        script.write_text(block.code)
        return ["bash", "-e", "-o", "pipefail", str(script)]
    if block.lang in PYTHON:
        script = scratch / f"snippet-{index}.py"
        script.write_text(block.code)
        return [os.environ.get("SNIPPET_PYTHON", sys.executable), str(script)]
    # Node resolves `meshlock` from the script's folder: the scripts go into the project.
    project = Path(os.environ.get("SNIPPET_NODE_PROJECT", scratch))
    kind = block.lang
    if kind not in ("cjs", "mjs"):
        esm = re.search(r"^\s*(import|export)\s", block.code, re.M) or "require(" not in block.code
        kind = "mjs" if esm else "cjs"
    script = project / f"snippet-{index}.{kind}"
    script.write_text(block.code)
    return ["node", str(script)]


def run(block: Block, scratch: Path, index: int) -> str | None:
    """None when the block passes, else what went wrong."""
    env = dict(os.environ)
    if os.environ.get("SNIPPET_PATH"):
        env["PATH"] = os.environ["SNIPPET_PATH"] + os.pathsep + env["PATH"]
    env["NO_COLOR"] = "1"
    try:
        done = subprocess.run(
            command(block, scratch, index), cwd=REPO, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {TIMEOUT} s"
    want_exit = int(block.attrs.get("exit", "0"))
    problems = []
    if done.returncode != want_exit:
        problems.append(f"exit {done.returncode}, want {want_exit}")
    if block.expected is not None and not matches(block.expected, done.stdout):
        diff = difflib.unified_diff(
            block.expected.splitlines(), done.stdout.splitlines(), "README (output block)", "actual stdout", lineterm=""
        )
        problems.append("stdout differs:\n" + "\n".join(diff))
    if not problems:
        return None
    return "; ".join(problems) + f"\n--- stderr:\n{done.stderr[-3000:]}" + (
        f"\n--- stdout:\n{done.stdout[-3000:]}" if block.expected is None else ""
    )


def main() -> int:
    only = os.environ.get("SNIPPET_ONLY", "")
    kinds = {"sh": SHELL, "python": PYTHON, "js": NODE}
    langs: set[str] = set()
    for kind in filter(None, os.environ.get("SNIPPET_LANGS", "").split(",")):
        if kind not in kinds:
            sys.exit(f"SNIPPET_LANGS: unknown kind {kind!r}, expected some of {', '.join(kinds)}")
        langs |= kinds[kind]
    passed, failed, shown = 0, [], 0
    with tempfile.TemporaryDirectory(prefix="meshlock-snippets-") as tmp:
        scratch = Path(tmp)
        index = 0
        for name in sys.argv[1:]:
            for block in blocks(Path(name)):
                if not runnable(block):
                    shown += 1
                    continue
                if (only and only not in block.where) or (langs and block.lang not in langs):
                    continue
                index += 1
                problem = run(block, scratch, index)
                if problem is None:
                    passed += 1
                    print(f"ok      {block.where} ({block.lang})")
                else:
                    failed.append(block.where)
                    print(f"FAILED  {block.where} ({block.lang}): {problem}")
    print(f"snippets: {passed} passed, {len(failed)} failed, {shown} shown only (skip, output, not code)")
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
