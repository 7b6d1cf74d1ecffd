"""The hostile corpus (``tests/hostile/``) through Python, with the expectations of
``tests/hostile/expect.txt`` (read in place: the one table every surface replays).

Each case is a file, read as ``meshlock.load(path)`` and ``meshlock.check(path)`` read it (bytes
decoded as the CLI decodes a file argument). The binding's contract for input that does not load:
``load`` raises ``MeshlockError`` with code ``invalid-input`` whose first error diagnostic is the
case's code at its line; ``check`` never raises for it and reports the same first error among its
diagnostics. An ``ok`` case loads without an error diagnostic.

Time: each case (load and check) is timed and must finish within ``BOUND_S`` seconds, a generous
hang guard, not a benchmark; ``faulthandler`` ends the run with a traceback if one case hangs far
past it. Memory: the process's peak RSS after each case is reported. The report prints at the end
of the run, even under ``pytest -q``.
"""

from __future__ import annotations

import faulthandler
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

import pytest

import meshlock
from paths import REPO

HOSTILE = REPO / "tests" / "hostile"
GENERATE = REPO / "scripts" / "hostile-gen"
BOUND_S = 30.0
"""Per case, load and check together: generous (release build, a shared machine)."""
HANG_S = 300
"""Past this, one case is a hang: faulthandler dumps the stacks and ends the process."""


@dataclass(frozen=True)
class Case:
    file: str
    outcome: str
    """``ok`` or the first error's code (``ML101``)."""
    line: Optional[int]


def _cases() -> List[Case]:
    cases = []
    for raw in (HOSTILE / "expect.txt").read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        file, outcome, line = raw.split()[:3]
        cases.append(Case(file, outcome, None if line == "-" else int(line)))
    return cases


def _generated() -> Optional[str]:
    """Writes ``tests/hostile/generated`` when missing, as the core's test does; the reason when it
    could not."""
    if (HOSTILE / "generated").is_dir():
        return None
    try:
        subprocess.run([sys.executable, str(GENERATE)], check=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as error:
        return f"`{GENERATE}` failed: {error}"
    return None


def _first_error(diagnostics: Iterable[Tuple[str, str, Optional[int]]]) -> Tuple[str, Optional[int]]:
    """``(code, line)`` of the first ``(code, severity, line)`` that is an error, or ``("ok", None)``."""
    return next(((code, line) for code, severity, line in diagnostics if severity == "error"), ("ok", None))


def _of(diagnostics: Iterable[meshlock.Diagnostic]) -> List[Tuple[str, str, Optional[int]]]:
    return [(d.code, d.severity.value, d.line) for d in diagnostics]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _run(case: Case) -> List[str]:
    """The failures of one case, loaded and checked."""
    path = HOSTILE / case.file
    want = (case.outcome, case.line)
    failures = []
    # load: raises invalid-input for an error case.
    try:
        mesh = meshlock.load(path)
        loaded = _first_error(_of(mesh.diagnostics))
    except meshlock.MeshlockError as error:
        if error.code != "invalid-input":
            failures.append(f"load raised code {error.code!r}, not 'invalid-input': {error}")
        loaded = _first_error((d["code"], d["severity"], d["line"]) for d in error.diagnostics)
        first = next((d for d in error.diagnostics if d["severity"] == "error"), None)
        if first is not None and (first["source"] != str(path) or first["column"] is None):
            failures.append(f"load: error without a full location: {first}")
    if loaded != want:
        failures.append(f"load: want {want}, got {loaded}")
    # check: never raises for input that does not load; reports the same first error.
    report = meshlock.check(path)
    checked = _first_error(_of(report.diagnostics))
    if case.outcome == "ok":
        loading = [d for d in report.diagnostics if d.severity is meshlock.Severity.ERROR and d.code.startswith("ML1")]
        if loading:
            failures.append(f"check: an ok case has input errors: {loading[0]}")
    elif checked != want:
        failures.append(f"check: want {want}, got {checked}")
    return failures


def test_the_hostile_corpus_gives_the_expected_codes_in_bounded_time(capsys: pytest.CaptureFixture[str]) -> None:
    skipped = _generated()
    failures: List[str] = []
    rows: List[str] = []
    for case in _cases():
        if case.file.startswith("generated/") and skipped is not None:
            continue
        if sys.__stderr__ is not None:  # pytest captures sys.stderr: write to the real one
            faulthandler.dump_traceback_later(HANG_S, exit=True, file=sys.__stderr__)
        started = time.perf_counter()
        try:
            failures.extend(f"{case.file}: {f}" for f in _run(case))
        except Exception as error:  # anything but MeshlockError where it belongs is a crash
            failures.append(f"{case.file}: {type(error).__name__}: {error}")
        took = time.perf_counter() - started
        faulthandler.cancel_dump_traceback_later()
        rows.append(f"{took * 1e3:>9.1f} ms  peak RSS {_peak_rss_mib():>7.1f} MiB  {case.outcome:<6} {case.file}")
        if took > BOUND_S:
            failures.append(f"{case.file}: took {took:.1f} s, more than {BOUND_S} s")
    with capsys.disabled():
        print("\nhostile corpus through Python (load + check per case):\n" + "\n".join(rows))
        if skipped is not None:
            print(f"SKIPPED: the generated hostile inputs: {skipped}")
    assert not failures, "\n".join(failures)


def test_a_file_over_the_bindings_input_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """The bindings' default input limit is 256 MiB (the CLI's is 1 GiB): one byte more is ML106,
    refused from the file's size, unread (a sparse file: nothing is written or read)."""
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as f:
        f.truncate((256 << 20) + 1)
    before = _peak_rss_mib()
    with pytest.raises(meshlock.MeshlockError) as info:
        meshlock.load(path)
    assert info.value.code == "invalid-input"
    first = info.value.diagnostics[0]
    assert (first["code"], first["source"]) == ("ML106", str(path))
    assert "268435456" in first["message"] and "max_input_bytes" in first["message"]
    report = meshlock.check(path)
    assert [d.code for d in report.diagnostics] == ["ML106"]
    assert _peak_rss_mib() - before < 64, "the file was read"


def test_limits_are_settings_of_load_and_check(tmp_path: Path) -> None:
    """Every limit can be raised or lowered per call: a file past ``limits.max_input_bytes`` is
    refused from its size, by ``load`` and by ``check`` alike."""
    path = tmp_path / "small.yaml"
    path.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: foo}\n")
    assert meshlock.load(path, limits={"max_input_bytes": 1000}).diagnostics == ()
    with pytest.raises(meshlock.MeshlockError) as info:
        meshlock.load(path, limits={"max_input_bytes": 10})
    assert info.value.diagnostics[0]["code"] == "ML106"
    assert "10" in info.value.diagnostics[0]["message"]
    assert [d.code for d in meshlock.check(path, limits={"max_input_bytes": 10}).diagnostics] == ["ML106"]
    with pytest.raises(meshlock.MeshlockError) as info:
        meshlock.load(path, limits={"max_inputs": 10})
    assert info.value.code == "bad-request"


def test_listed_edges_are_limited_counts_are_not() -> None:
    """Past ``limits.max_listed_edges``, ``check`` keeps its counts and groups and says (ML106)
    that the per-edge lists are left out; ``counts_only`` asks for that without an error; the
    matrix, which is nothing but its edges, is refused; the plan notes that its blockers are
    left out. The seed has 25 edges."""
    mesh = meshlock.load(meshlock.Source.seed(), limits={"max_listed_edges": 24})
    report = mesh.check()
    limit = [d for d in report.diagnostics if d.code == "ML106"]
    assert len(limit) == 1 and "max_listed_edges" in limit[0].message and "counts_only=True" in (limit[0].help or "")
    assert report.summary.edges == 25 and report.failing == ()
    assert [e.plaintext_callers for e in report.exposure] == [()] * len(report.exposure)
    assert all(e.plaintext_clients == 5 for e in report.exposure)
    counts_only = mesh.check(counts_only=True)
    assert "ML106" not in [d.code for d in counts_only.diagnostics] and counts_only.summary == report.summary
    with pytest.raises(meshlock.MeshlockError) as info:
        mesh.matrix()
    assert (info.value.code, info.value.diagnostics[0]["code"]) == ("invalid-input", "ML106")
    plan = mesh.plan()
    assert plan.blocked_edges == 4 and plan.blockers == ()
    assert any("max_listed_edges" in note for note in plan.notes)
    within = meshlock.load(meshlock.Source.seed(), limits={"max_listed_edges": 25})
    assert len(within.matrix().edges) == 25 and len(within.plan().blockers) == 4
    assert len(meshlock.check(text=meshlock.Source.seed().text, counts_only=True).failing) == 0
