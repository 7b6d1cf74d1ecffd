"""The shared scenario corpus (``tests/scenarios/**/*.yaml``) replayed through Python.

Exactly the checks of ``core/tests/scenarios.rs``: load ok/error; diagnostics (those of loading,
plus what ``check`` finds on a mesh that loads) present, with code and source/document/line/
column/path when given, or absent; per probe status, curl_exit, transport (``null`` must be null;
an absent key is not checked), verdict and reason; then the migration expectations (``stages``,
``plans``). Unknown keys fail, as the Rust runner's ``deny_unknown_fields`` does.

Everything is asked of the native API (``Mesh.check``, ``Mesh.stages``, ``Mesh.plan``); a second
test asks the JSON twin, ``meshlock.call_json``, the same questions and holds the native results'
``to_dict()`` to its answers, field for field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import AbstractSet, Any, Dict, List, Mapping, Optional, Tuple

import pytest
import yaml

import meshlock
from paths import SCENARIOS

FILES = sorted(SCENARIOS.rglob("*.yaml"))

SCENARIO_KEYS = {"name", "description", "rule", "settings", "sources", "metrics", "expect"}
REQUIRED_KEYS = {"name", "description", "rule", "sources", "expect"}
SETTINGS_KEYS = {"istio_version", "auto_mtls", "root_namespace"}
SOURCE_KEYS = {"builtin", "name", "namespace", "yaml", "csv"}
EXPECT_KEYS = {"load", "diagnostics", "absent_diagnostics", "probes", "stages", "plans", "scope", "evidence"}
SCOPE_KEYS = {"edges", "in_scope", "failing", "declared_failing", "undeclared_plaintext"}
EVIDENCE_KEYS = {"from", "to", "evidence"}
DIAGNOSTIC_KEYS = {"code", "source", "document", "line", "column", "path"}
PROBE_KEYS = {"from", "to", "status", "curl_exit", "transport", "verdict", "reason"}
PLAN_KEYS = {"goal", "allow_break", "edges", "steps", "blockers", "remedies", "after"}
BLOCKER_KEYS = {"client", "service", "evidence"}


def _keys(where: str, value: Any, allowed: AbstractSet[str], required: AbstractSet[str] = frozenset()) -> Mapping[str, Any]:
    assert isinstance(value, dict), f"{where}: expected a mapping, got {value!r}"
    unknown = set(value) - allowed
    assert not unknown, f"{where}: unknown key(s) {sorted(unknown)}"
    missing = required - set(value)
    assert not missing, f"{where}: missing key(s) {sorted(missing)}"
    return value


def read(path: Path) -> Mapping[str, Any]:
    scenario = _keys(str(path), yaml.safe_load(path.read_text(encoding="utf-8")), SCENARIO_KEYS, REQUIRED_KEYS)
    _keys("settings", scenario.get("settings", {}), SETTINGS_KEYS)
    for i, source in enumerate(scenario["sources"]):
        _keys(f"sources[{i}]", source, SOURCE_KEYS)
    expect = _keys("expect", scenario["expect"], EXPECT_KEYS)
    for i, d in enumerate(expect.get("diagnostics", [])):
        _keys(f"expect.diagnostics[{i}]", d, DIAGNOSTIC_KEYS, {"code"})
    for i, p in enumerate(expect.get("probes", [])):
        _keys(f"expect.probes[{i}]", p, PROBE_KEYS, {"from", "to"})
    stages = expect.get("stages", {})
    assert isinstance(stages, dict) and all(isinstance(v, str) for v in stages.values()), f"expect.stages: {stages!r}"
    for i, plan in enumerate(expect.get("plans", [])):
        _keys(f"expect.plans[{i}]", plan, PLAN_KEYS, {"goal", "steps"})
        for j, b in enumerate(plan.get("blockers", [])):
            _keys(f"expect.plans[{i}].blockers[{j}]", b, BLOCKER_KEYS, {"client", "service"})
    if "scope" in expect:
        _keys("expect.scope", expect["scope"], SCOPE_KEYS)
    for i, e in enumerate(expect.get("evidence", [])):
        _keys(f"expect.evidence[{i}]", e, EVIDENCE_KEYS, EVIDENCE_KEYS)
    return scenario


def metrics(scenario: Mapping[str, Any]) -> Optional[meshlock.Source]:
    """The scenario's observed traffic (a file of ``tests/telemetry/``), if any."""
    file = scenario.get("metrics")
    if file is None:
        return None
    return meshlock.Source(file, (SCENARIOS.parent / "telemetry" / file).read_text(encoding="utf-8"))


def evidence(mesh: meshlock.Mesh, scenario: Mapping[str, Any]) -> List[str]:
    """The ``scope`` and ``evidence`` checks of the Rust runner."""
    failures: List[str] = []
    expect = scenario["expect"]
    observed = metrics(scenario)
    if "scope" in expect:
        want = expect["scope"]
        got = mesh.check(edges=want.get("edges", "all"), metrics=observed).scope
        assert got is not None, "check: no scope report"
        for key in ("in_scope", "failing"):
            if key in want and want[key] != got[key]:
                failures.append(f"scope {key}: want {want[key]}, got {got[key]}")
        if "declared_failing" in want:
            declared = sorted((f["from"], f["to"]) for f in got["declared_failing"])
            wanted = sorted((f["from"], f["to"]) for f in want["declared_failing"])
            if declared != wanted:
                failures.append(f"scope declared_failing: want {wanted}, got {declared}")
        if "undeclared_plaintext" in want:
            undeclared = {x["service"]: sorted(x["callers"]) for x in got["undeclared_plaintext"]}
            wanted_x = {k: sorted(v) for k, v in want["undeclared_plaintext"].items()}
            if undeclared != wanted_x:
                failures.append(f"scope undeclared_plaintext: want {wanted_x}, got {undeclared}")
    if expect.get("evidence"):
        edges = {(e.from_, e.to): e for e in mesh.matrix(edges="all", metrics=observed).edges}
        for want in expect["evidence"]:
            edge = edges.get((want["from"], want["to"]))
            kinds = sorted(edge.evidence or ()) if edge else []
            if kinds != sorted(want["evidence"]):
                failures.append(f"evidence of {want['from']} → {want['to']}: want {sorted(want['evidence'])}, got {kinds}")
    return failures


def sources(scenario: Mapping[str, Any]) -> List[meshlock.Source]:
    out = []
    for s in scenario["sources"]:
        if s.get("builtin") == "seed" and "yaml" not in s and "csv" not in s:
            out.append(meshlock.Source.seed())
        elif "builtin" not in s and ("yaml" in s) != ("csv" in s):
            out.append(meshlock.Source(s.get("name", "input.yaml"), s.get("yaml", s.get("csv")), s.get("namespace")))
        else:
            raise AssertionError(f"{scenario['name']}: bad source {s!r}")
    return out


def load(scenario: Mapping[str, Any]) -> Tuple[Optional[meshlock.Mesh], List[Dict[str, Any]]]:
    """The mesh (``None`` when loading failed) and its diagnostics as dicts (``mesh.diagnostics``,
    or the error's)."""
    settings = scenario.get("settings", {})
    try:
        mesh = meshlock.load(
            sources(scenario),
            istio_version=settings.get("istio_version"),
            auto_mtls=settings.get("auto_mtls"),
            root_namespace=settings.get("root_namespace"),
        )
    except meshlock.MeshlockError as e:
        assert e.code == "invalid-input", f"load failed with {e.code}, not invalid-input: {e}"
        return None, [dict(d) for d in e.diagnostics]
    return mesh, [d.to_dict() for d in mesh.diagnostics]


def run(scenario: Mapping[str, Any]) -> List[str]:
    """Checks one scenario; returns the mismatches."""
    failures: List[str] = []
    expect = scenario["expect"]
    mesh, diagnostics = load(scenario)
    if mesh is not None:
        # As the Rust runner: loading diagnostics plus what `check` finds (which starts with them).
        checked = [d.to_dict() for d in mesh.check().diagnostics]
        assert checked[: len(diagnostics)] == diagnostics, "check does not start with the loading diagnostics"
        diagnostics = checked
    loaded = "ok" if mesh is not None else "error"
    if loaded != expect.get("load", "ok"):
        failures.append(f"load: want {expect.get('load', 'ok')}, got {loaded}: {diagnostics}")
    for want in expect.get("diagnostics", []):
        # A key given as null is not checked, as an absent one (the Rust runner reads Option<_>).
        if not any(all(v is None or d.get(k) == v for k, v in want.items()) for d in diagnostics):
            failures.append(f"diagnostic {want} not reported; got {diagnostics}")
    for code in expect.get("absent_diagnostics", []):
        found = [d for d in diagnostics if d["code"] == code]
        if found:
            failures.append(f"diagnostic {code} must be absent, got {found[0]}")
    if mesh is None:
        return failures
    for want in expect.get("probes", []):
        try:
            got = mesh.probe(want["from"], want["to"])
        except meshlock.MeshlockError as e:
            failures.append(f"probe {want['from']} -> {want['to']}: {e}")
            continue
        actual = {
            "status": got.status,
            "curl_exit": got.curl_exit,
            "transport": None if got.transport is None else got.transport.value,
            "verdict": got.verdict.value,
            "reason": got.reason.value,
        }
        # `transport: null` means "must be null"; any other key given as null is not checked.
        given = {k: w for k, w in want.items() if k in actual and (w is not None or k == "transport")}
        mismatches = [f"{k} want {w!r} got {actual[k]!r}" for k, w in given.items() if w != actual[k]]
        if mismatches:
            failures.append(f"probe {want['from']} -> {want['to']}: {'; '.join(mismatches)}\n{got.text}")
    return failures + migration(mesh, scenario) + evidence(mesh, scenario)


def stage_of(stages: meshlock.Stages, what: str) -> Optional[str]:
    """``mesh``, ``namespace/NS`` or a service port (``fqdn:port``), as the scenario names it."""
    if what == "mesh":
        return stages.mesh.value
    if what.startswith("namespace/"):
        stage = stages.namespaces.get(what[len("namespace/") :])
        return None if stage is None else stage.value
    service = stages.service(what)
    return None if service is None else service.stage.value


def migration(mesh: meshlock.Mesh, scenario: Mapping[str, Any]) -> List[str]:
    """The ``stages`` and ``plans`` checks of the Rust runner."""
    failures: List[str] = []
    expect = scenario["expect"]
    if expect.get("stages"):
        stages = mesh.stages()
        for what, want in expect["stages"].items():
            got = stage_of(stages, what)
            if got != want:
                failures.append(f"stage of {what}: want {want}, got {got}")
    for want in expect.get("plans", []):
        goal = want["goal"]
        try:
            plan = mesh.plan(goal, want.get("allow_break", []), metrics(scenario), edges=want.get("edges"))
        except meshlock.MeshlockError as e:
            failures.append(f"plan {goal}: {e.code}: {e}")
            continue
        steps = [s.name for s in plan.steps]
        if steps != want["steps"]:
            failures.append(f"plan {goal} steps: want {want['steps']}, got {steps}")
        blockers = sorted({(b.client, b.service) for b in plan.blockers})
        wanted = sorted({(b["client"], b["service"]) for b in want.get("blockers", [])})
        if blockers != wanted:
            failures.append(f"plan {goal} blockers: want {wanted}, got {blockers}")
        for w in (b for b in want.get("blockers", []) if "evidence" in b):
            if not any((b.client, b.service) == (w["client"], w["service"]) and b.evidence[:1] == (w["evidence"],) for b in plan.blockers):
                failures.append(f"plan {goal}: no blocker {w}")
        for b in plan.blockers:
            kinds = [r.kind.value for r in b.remedies]
            for kind in want.get("remedies", []):
                if kind not in kinds:
                    failures.append(f"plan {goal}: blocker {b.client} → {b.service} lacks remedy {kind} (has {kinds})")
        after = plan.final.to_dict()
        for key, value in want.get("after", {}).items():
            if after.get(key) != value:
                failures.append(f"plan {goal} after: {key} want {value}, got {after.get(key)}")
    return failures


def test_the_corpus_is_there() -> None:
    assert len(FILES) >= 20, f"expected the scenario corpus in {SCENARIOS}, found {len(FILES)} files"
    names = [read(f)["name"] for f in FILES]
    assert len(names) == len(set(names)), "duplicate scenario names"


@pytest.mark.parametrize("path", FILES, ids=[str(f.relative_to(SCENARIOS)) for f in FILES])
def test_scenario(path: Path) -> None:
    scenario = read(path)
    failures = run(scenario)
    assert not failures, f"{scenario['name']} ({path}): {len(failures)} failure(s):\n\n" + "\n\n".join(failures)


def twin(op: str, scenario: Mapping[str, Any], **args: Any) -> Dict[str, Any]:
    """Asks the JSON twin (``meshlock.call_json``) the same question."""
    specs = [{"builtin": "seed"} if "builtin" in raw else s.to_dict() for s, raw in zip(sources(scenario), scenario["sources"])]
    settings = {k: v for k, v in scenario.get("settings", {}).items() if v is not None}
    answer: Dict[str, Any] = json.loads(meshlock.call_json(json.dumps({"op": op, "sources": specs, "settings": settings, **args})))
    return answer


@pytest.mark.parametrize("path", FILES, ids=[str(f.relative_to(SCENARIOS)) for f in FILES])
def test_the_json_twin_agrees(path: Path) -> None:
    """The native objects lose nothing: ``to_dict()`` equals the JSON twin's answer, field for field."""
    scenario = read(path)
    mesh, diagnostics = load(scenario)
    settings = scenario.get("settings", {})
    # `check` answers for input that does not load too (its errors are the findings).
    checked = twin("check", scenario)
    assert checked.pop("type") == "success"
    report = meshlock.check(
        sources(scenario),
        istio_version=settings.get("istio_version"),
        auto_mtls=settings.get("auto_mtls"),
        root_namespace=settings.get("root_namespace"),
    )
    assert report.sarif() == checked.pop("sarif")
    assert report.to_dict() == checked
    matrix = twin("matrix", scenario)
    assert matrix.pop("diagnostics") == diagnostics
    if mesh is None:
        assert (matrix["type"], matrix["code"]) == ("failure", "invalid-input")
        assert [d.to_dict() for d in report.diagnostics] == diagnostics and not report.ok
        return
    assert mesh.check() == report
    assert matrix.pop("type") == "success"
    assert mesh.matrix().to_dict() == matrix
    for want in scenario["expect"].get("probes", []):
        probe = twin("probe", scenario, **{"from": want["from"], "to": want["to"]})
        assert (probe.pop("type"), probe.pop("diagnostics")) == ("success", diagnostics)
        assert mesh.probe(want["from"], want["to"]).to_dict() == probe
    stages = twin("stages", scenario)
    assert (stages.pop("type"), stages.pop("diagnostics")) == ("success", diagnostics)
    assert mesh.stages().to_dict() == stages
    for want in scenario["expect"].get("plans", []):
        allow = want.get("allow_break", [])
        observed = metrics(scenario)
        weighing: Dict[str, Any] = {"edges": want.get("edges")}
        if observed is not None:
            weighing["metrics"] = observed.to_dict()
        plan = twin("plan", scenario, goal=want["goal"], allow_break=allow, **weighing)
        assert (plan.pop("type"), plan.pop("diagnostics")) == ("success", diagnostics)
        native = mesh.plan(want["goal"], allow, observed, edges=want.get("edges"))
        assert native.text == plan.pop("text")
        assert native.to_dict() == plan


@pytest.mark.parametrize("path", FILES, ids=[str(f.relative_to(SCENARIOS)) for f in FILES])
def test_the_groups_add_up(path: Path) -> None:
    """The grouped results account for every edge of the lists they group, once: check's groups
    for the failing edges (intended denials apart from mTLS breakage), the stages' client groups
    for the blockers and failing clients, a plan's step groups for its delta and its blocking
    clients for its blockers."""
    scenario = read(path)
    mesh, _ = load(scenario)
    if mesh is None:
        return
    report = mesh.check()
    summary = report.summary
    assert sum(g.edges for g in report.groups) == summary.failing == len(report.failing)
    assert summary.denied == sum(1 for e in report.failing if e.reason is meshlock.Reason.RBAC_DENIED)
    by_effect = {effect: sum(g.edges for g in report.groups if g.effect is effect) for effect in meshlock.Effect}
    assert (by_effect[meshlock.Effect.DENIED], by_effect[meshlock.Effect.MTLS_BROKEN]) == (summary.denied, summary.mtls_broken)
    assert all(len(g.examples) == min(g.edges, 10) for g in report.groups)
    stages = mesh.stages()
    for groups, pick in ((stages.blocker_groups, "blockers"), (stages.failing_groups, "failing")):
        pairs = {(c, h) for g in groups for c in g.clients for h in g.holds}
        assert pairs == {(c, s.service) for s in stages.services for c in getattr(s, pick)}
        clients = [c for g in groups for c in g.clients]
        assert len(clients) == len(set(clients)), "every client is in one group only"
    for want in scenario["expect"].get("plans", []):
        plan = mesh.plan(want["goal"], want.get("allow_break", []), metrics(scenario), edges=want.get("edges"))
        for step in plan.steps:
            assert sum(g.edges for g in step.groups) == len(step.delta)
        assert set(plan.held_back) == {b.step for b in plan.blockers}
        assert {(c, h) for g in plan.blocking_clients for c in g.clients for h in g.holds} == {
            (b.client, b.step) for b in plan.blockers
        }
        # `released` counts the lock-downs released by a remedy and those before it.
        released = [r.released for r in plan.remedy_set]
        assert released == sorted(released) and all(n <= len(plan.held_back) for n in released)
