"""The migration API: stages, plan, check, simulate, diff, ready; each held to the JSON twin."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

import pytest

import meshlock
from meshlock import Effect, MtlsMode, Readiness, Reason, RemedyKind, Stage
from paths import SEED, TELEMETRY

HTTPBIN_FOO = "httpbin.foo.svc.cluster.local"
# The seed's four sidecar service ports: legacy/sleep (no sidecar) holds back the lock-down of each.
LOCKABLE = (
    "httpbin.bar.svc.cluster.local:8000",
    f"{HTTPBIN_FOO}:8000",
    "sleep.bar.svc.cluster.local:80",
    "sleep.foo.svc.cluster.local:80",
)

# The guide's lock-down: the step-1 Policy, now STRICT (core/seed holds the manifests).
STRICT_FOO = (SEED / "step3-policy.yaml").read_text(encoding="utf-8")

DISABLE_FOO = """\
apiVersion: authentication.istio.io/v1alpha1
kind: Policy
metadata:
  name: example-httpbin-permissive
  namespace: foo
spec:
  targets:
  - name: httpbin
"""


def seed_step(name: str) -> meshlock.Source:
    """A manifest of the seed guide, applied in namespace foo as the guide does (``-n foo``)."""
    return meshlock.Source(name, (SEED / name).read_text(encoding="utf-8"), "foo")


STEP1 = seed_step("step1-policy.yaml")
STEP2 = seed_step("step2-destinationrule.yaml")


@pytest.fixture(scope="module")
def step2(seed: meshlock.Mesh) -> meshlock.Mesh:
    """The seed after the guide's steps 1 and 2 (PERMISSIVE Policy, ISTIO_MUTUAL DestinationRule)."""
    return seed.apply(inputs=[STEP1, STEP2])


def twin(op: str, **args: Any) -> Dict[str, Any]:
    """The JSON twin's answer about the seed (Istio 1.1), ``type`` checked and dropped."""
    request = {"op": op, "sources": [{"builtin": "seed"}], "settings": {"istio_version": "1.1"}, **args}
    answer: Dict[str, Any] = json.loads(meshlock.call_json(json.dumps(request)))
    assert answer.pop("type") == "success", answer
    return answer


# --- stages -------------------------------------------------------------------------------------


def test_stages_of_the_seed(seed: meshlock.Mesh) -> None:
    stages = seed.stages()
    assert stages.mesh is Stage.PERMISSIVE
    assert stages.namespaces == {"bar": "permissive", "foo": "permissive", "legacy": "no-sidecar"}
    httpbin = stages.service(f"{HTTPBIN_FOO}:8000")
    assert httpbin is not None
    assert (httpbin.stage, httpbin.mode, httpbin.blockers, httpbin.failing) == (
        Stage.PERMISSIVE,
        MtlsMode.PERMISSIVE,
        ("legacy/sleep",),
        (),
    )
    assert (httpbin.mtls_clients, httpbin.plaintext_clients) == (0, 5)
    assert stages.service("nowhere:1") is None
    assert str(stages) == stages.text and stages.text.splitlines()[0].endswith("mesh: permissive")
    assert stages.blocker_groups == (
        meshlock.ClientGroup(
            ("legacy/sleep",), "legacy/sleep", LOCKABLE, "2 ports of 2 services in bar, 2 ports of 2 services in foo"
        ),
    )
    assert stages.failing_groups == ()
    answer = twin("stages")
    assert answer.pop("diagnostics") == []
    assert stages.to_dict() == answer


def test_every_core_stage_has_a_member() -> None:
    assert [s.value for s in Stage] == json.loads(meshlock._meshlock._stages())


# --- plan ---------------------------------------------------------------------------------------


def test_plan_of_the_seed(seed: meshlock.Mesh) -> None:
    plan = seed.plan()
    assert str(plan.goal) == "strict" and plan.goal == meshlock.Goal("strict")
    assert {b.client for b in plan.blockers} == {"legacy/sleep"}
    assert f"{HTTPBIN_FOO}:8000" in {b.service for b in plan.blockers}
    blocker = next(b for b in plan.blockers if b.service == f"{HTTPBIN_FOO}:8000")
    assert (blocker.would_get, blocker.reason, blocker.step) == ("000", Reason.PLAINTEXT_TO_STRICT, "lock-httpbin-foo")
    assert [(r.kind, r.target) for r in blocker.remedies] == [
        (RemedyKind.INJECT_CLIENT, "legacy"),
        (RemedyKind.KEEP_PERMISSIVE, HTTPBIN_FOO),
        (RemedyKind.ALLOW_BREAK, "legacy/sleep"),
    ]
    locks = ("lock-httpbin-bar", "lock-httpbin-foo", "lock-sleep-bar", "lock-sleep-foo")
    assert plan.held_back == locks == tuple(sorted({b.step for b in plan.blockers}))
    (clients,) = plan.blocking_clients
    assert (clients.clients, clients.holds) == (("legacy/sleep",), locks)
    # One remedy releases every held-back lock-down: labelling the legacy namespace for injection.
    (remedy,) = plan.remedy_set
    assert (remedy.kind, remedy.target, remedy.edges, remedy.released) == (RemedyKind.INJECT_CLIENT, "legacy", 4, 4)
    assert remedy.action is not None and "kubectl label namespace legacy istio-injection=enabled" in remedy.action
    assert len(remedy.alternatives) == 2
    for step in plan.steps:
        assert sum(g.edges for g in step.groups) == len(step.delta)
    assert {(g.effect, g.change) for s in plan.steps for g in s.groups} == {(Effect.CHANGED, "plaintext → mtls")}
    assert plan.step("06-lock-httpbin-foo") is None
    assert plan.final.failing == 0 and plan.final.mesh is Stage.READY
    assert str(plan).startswith("# meshlock plan: goal `strict`")
    answer = twin("plan", goal="strict")
    assert (answer.pop("diagnostics"), answer.pop("text")) == ([], plan.text)
    assert plan.to_dict() == answer


def test_plan_allowing_legacy_to_break(seed: meshlock.Mesh) -> None:
    plan = seed.plan(allow_break=["legacy/sleep"])
    assert plan.blockers == ()
    lock = plan.step("06-lock-httpbin-foo")
    assert lock is not None and lock in plan.steps and len(plan) == len(plan.steps)
    assert any("mode: STRICT" in manifest for manifest in lock.apply)
    # A new Policy: undone by deleting it.
    assert (lock.rollback, lock.rollback_delete[0].splitlines()[-2:]) == ((), ["  name: httpbin-mtls", "  namespace: foo"])
    assert len(lock.prechecks) == 2
    assert lock.stages[f"{HTTPBIN_FOO}:8000"] == meshlock.StageChange(Stage.READY, Stage.BROKEN)
    broken = [c for c in lock.delta if c.breaks]
    assert [(c.from_, c.to, c.change) for c in broken] == [("legacy/sleep", f"{HTTPBIN_FOO}:8000", "plaintext → fail")]
    (group,) = lock.groups
    assert (group.effect, group.reason, group.resource, group.edges, group.clients_text, group.services_text) == (
        Effect.BREAKS,
        Reason.PLAINTEXT_TO_STRICT,
        "Policy foo/httpbin-mtls",
        1,
        "legacy/sleep",
        "httpbin.foo:8000",
    )
    assert group.examples == (meshlock.EdgeRef("legacy/sleep", f"{HTTPBIN_FOO}:8000"),)
    assert (plan.held_back, plan.blocking_clients, plan.remedy_set) == ((), (), ())
    assert plan.final.to_dict()["namespaces"] == {"bar": "broken", "foo": "broken", "legacy": "no-sidecar"}
    # A single client may be given as a string.
    assert seed.plan(allow_break="legacy/sleep") == plan
    answer = twin("plan", goal="strict", allow_break=["legacy/sleep"])
    assert (answer.pop("diagnostics"), answer.pop("text")) == ([], plan.text)
    assert plan.to_dict() == answer


def test_plan_goals(seed: meshlock.Mesh) -> None:
    foo = seed.plan("namespace=foo", ["legacy/sleep"])
    assert (foo.goal.type, foo.goal.namespaces, str(foo.goal)) == ("namespaces", ("foo",), "namespace=foo")
    assert [s.name for s in foo.steps] == [
        "01-client-mtls-httpbin-foo",
        "02-lock-httpbin-foo",
        "03-client-mtls-sleep-foo",
        "04-lock-sleep-foo",
    ]
    assert foo.goal.to_dict() == {"type": "namespaces", "namespaces": ["foo"]}
    assert seed.plan("mesh-strict").goal.to_dict() == {"type": "mesh-strict"}


@pytest.mark.parametrize(
    ("goal", "allow", "code"),
    [
        ("lockdown", [], "bad-request"),
        ("namespace=nowhere", [], "unknown-namespace"),
        ("strict", ["sleep"], "bad-client"),
    ],
)
def test_plan_errors(seed: meshlock.Mesh, goal: str, allow: List[str], code: str) -> None:
    with pytest.raises(meshlock.MeshlockError) as info:
        seed.plan(goal, allow)
    assert info.value.code == code


def test_plan_with_observed_traffic(step2: meshlock.Mesh) -> None:
    """Observed plaintext holds a lock-down back even where the model alone would allow it."""
    allow = ["legacy/sleep"]
    model = step2.plan("namespace=foo", allow)
    assert [s.name for s in model] == ["01-lock-httpbin-foo", "02-client-mtls-sleep-foo", "03-lock-sleep-foo"]
    plan = step2.plan("namespace=foo", allow, metrics=TELEMETRY / "contradiction.prom")
    assert [s.name for s in plan] == ["01-client-mtls-sleep-foo", "02-lock-sleep-foo"]
    assert any(b.client == "bar/sleep" and b.would_get == "observed plaintext" for b in plan.blockers)
    observed = step2.plan("namespace=foo", metrics=TELEMETRY / "seed-step2.json")
    assert any(b.client == "legacy/sleep" and b.service.startswith(HTTPBIN_FOO) for b in observed.blockers)
    with pytest.raises(meshlock.MeshlockError) as info:
        step2.plan(metrics=TELEMETRY / "malformed.prom")
    assert info.value.code == "invalid-metrics"


# --- check --------------------------------------------------------------------------------------


def test_check_of_the_published_policy() -> None:
    """The guide's step-1 Policy as published indents ``peers`` under the target: ML105 at line 9.
    ``check`` reports it (it does not raise), as ``meshlock check`` does."""
    path = SEED / "step1-policy.published.yaml"
    report = meshlock.check(path)
    (d,) = report.diagnostics
    assert (d.code, d.name, d.severity, d.source, d.line, d.column, d.path) == (
        "ML105",
        "misplaced-peers",
        meshlock.Severity.ERROR,
        str(path),
        9,
        5,
        "spec.targets[0].peers",
    )
    assert not report.ok and report.count(meshlock.Severity.ERROR) == 1
    assert report.summary.edges == 0 and report.failing == () and report.exposure == ()
    assert "ML105" in str(report)
    sarif = report.sarif()
    assert sarif["version"] == "2.1.0"
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "ML105"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 9
    assert json.loads(report.sarif_json) == sarif
    sarif["version"] = "changed"
    assert report.sarif()["version"] == "2.1.0", "sarif() gives a new dict each time"
    # The same text: inline and through the JSON twin.
    text = path.read_text(encoding="utf-8")
    inline = meshlock.check(text=text)
    assert inline.diagnostics[0].source == "<text>" and inline.diagnostics[0].line == 9
    answer = json.loads(meshlock.call_json(json.dumps({"op": "check", "sources": [{"name": str(path), "text": text}]})))
    assert (answer.pop("type"), answer.pop("sarif")) == ("success", report.sarif())
    assert report.to_dict() == answer
    # Loading it still raises.
    with pytest.raises(meshlock.MeshlockError) as info:
        meshlock.load(path)
    assert info.value.code == "invalid-input"


def test_check_of_the_seed(seed: meshlock.Mesh) -> None:
    report = seed.check()
    assert report.ok and report.summary.edges == 25 and report.summary.by_status == {"200": 25}
    assert (report.summary.denied, report.summary.mtls_broken, report.groups) == (0, 0, ())
    assert {d.code for d in report.diagnostics} == {"ML505"}
    assert {e.service for e in report.exposure} >= {f"{HTTPBIN_FOO}:8000"}
    assert repr(report) == "<CheckReport: 4 info, 0 warning, 0 error; 25 edges, 0 failing>"
    assert meshlock.check(meshlock.Source.seed(), istio_version="1.1") == report
    answer = twin("check")
    assert report.sarif() == answer.pop("sarif")
    assert report.to_dict() == answer
    with pytest.raises(meshlock.MeshlockError) as info:
        meshlock.check(text="", istio_version="one")
    assert info.value.code == "bad-request"


def test_check_groups_the_failing_edges(seed: meshlock.Mesh) -> None:
    """The guide's STRICT Policy without the clients' DestinationRule: every client of httpbin.foo
    fails, the sidecars with 503 and legacy/sleep with 000; one group per status."""
    report = seed.apply(STRICT_FOO, namespace="foo").check()
    assert (report.summary.failing, report.summary.mtls_broken, report.summary.denied) == (5, 5, 0)
    assert [(g.effect, g.change, g.reason, g.resource, g.edges, g.services_text) for g in report.groups] == [
        (Effect.MTLS_BROKEN, "503", Reason.PLAINTEXT_TO_STRICT, "Policy foo/example-httpbin-permissive", 4, "httpbin.foo:8000"),
        (Effect.MTLS_BROKEN, "000", Reason.PLAINTEXT_TO_STRICT, "Policy foo/example-httpbin-permissive", 1, "httpbin.foo:8000"),
    ]
    assert sum(g.edges for g in report.groups) == report.summary.failing == len(report.failing)
    assert report.groups[1].examples == (meshlock.EdgeRef("legacy/sleep", f"{HTTPBIN_FOO}:8000"),)
    assert report.groups[1].to_dict()["examples"] == [{"from": "legacy/sleep", "to": f"{HTTPBIN_FOO}:8000"}]


# --- ready --------------------------------------------------------------------------------------


def test_ready_after_steps_1_and_2(step2: meshlock.Mesh) -> None:
    """The guide after steps 1 and 2: foo and bar send mTLS, legacy/sleep plaintext; httpbin.foo
    cannot be locked yet."""
    path = TELEMETRY / "seed-step2.json"
    r = step2.ready(path)
    s = r.service(HTTPBIN_FOO)
    assert s is not None
    assert (s.readiness, s.stage, s.mtls_requests, s.plaintext_requests) == (Readiness.BLOCKED, Stage.READY, 78.0, 35.0)
    assert s.plaintext_senders == (meshlock.Sender("legacy/sleep", 35.0, True),)
    assert r.disagreements == ()
    assert {(e.from_, e.to) for e in r.observed} == {(f"{ns}/sleep", HTTPBIN_FOO) for ns in ("foo", "bar", "legacy")}
    sleep_foo = r.service("sleep.foo.svc.cluster.local")
    assert sleep_foo is not None and sleep_foo.readiness is Readiness.NO_TRAFFIC
    assert f"{HTTPBIN_FOO}: blocked: plaintext from legacy/sleep (35 requests)" in str(r)
    # A path as str or Path, the text itself, or a Source: the same answer.
    text = path.read_text(encoding="utf-8")
    assert step2.ready(str(path)) == r == step2.ready(text) == step2.ready(meshlock.Source("m.json", text))
    # Telemetry v2 cannot name the legacy client: the text exposition of the same step says `unknown`.
    prom = step2.ready(TELEMETRY / "seed-step2.prom").service(HTTPBIN_FOO)
    assert prom is not None and [x.client for x in prom.plaintext_senders] == ["unknown"]
    answer = json.loads(
        meshlock.call_json(
            json.dumps(
                {
                    "op": "ready",
                    "sources": [{"builtin": "seed"}, *(s.to_dict() for s in (STEP1, STEP2))],
                    "settings": {"istio_version": "1.1"},
                    "metrics": {"name": str(path), "text": text},
                }
            )
        )
    )
    assert (answer.pop("type"), answer.pop("diagnostics")) == ("success", [])
    assert r.to_dict() == answer


def test_contradicting_traffic_is_a_disagreement(step2: meshlock.Mesh) -> None:
    r = step2.ready(TELEMETRY / "contradiction.prom")
    kinds = {(d.kind, d.from_) for d in r.disagreements}
    assert (meshlock.DisagreementKind.PLAINTEXT_WHERE_MODEL_SAYS_MTLS, "bar/sleep") in kinds
    assert (meshlock.DisagreementKind.UNKNOWN_CALLER, "batch/cronjob-report") in kinds


@pytest.mark.parametrize(("name", "line"), [("malformed.prom", 2), ("malformed.json", None)])
def test_malformed_metrics_are_invalid_metrics(step2: meshlock.Mesh, name: str, line: Any) -> None:
    path = TELEMETRY / name
    with pytest.raises(meshlock.MeshlockError) as info:
        step2.ready(path)
    e = info.value
    assert e.code == "invalid-metrics" and "nothing was read" in str(e)
    assert e.diagnostics and all(d["source"] == str(path) and d["severity"] == "error" for d in e.diagnostics)
    assert e.diagnostics[0]["line"] == line
    with pytest.raises(meshlock.MeshlockError) as text_info:
        step2.ready(path.read_text(encoding="utf-8"))
    assert text_info.value.code == "invalid-metrics" and text_info.value.diagnostics[0]["source"] == "<metrics>"
    with pytest.raises(FileNotFoundError):
        step2.ready(TELEMETRY / "missing.prom")


# --- diff ---------------------------------------------------------------------------------------


def test_diff_with_a_break(step2: meshlock.Mesh) -> None:
    """The guide's step 3 after steps 1 and 2: the sidecar clients already send mTLS; locking
    httpbin.foo breaks legacy/sleep only."""
    strict = step2.apply(STRICT_FOO)
    d = meshlock.diff(step2, strict)
    assert d.broken == 1 and len(d) == len(d.changes) == 1
    (broken,) = d.breaking
    assert broken is d.changes[0]
    assert (broken.from_, broken.to, broken.change) == ("legacy/sleep", f"{HTTPBIN_FOO}:8000", "plaintext → fail")
    assert broken.before is not None and broken.after is not None
    assert (broken.before.status, broken.after.status, broken.after.curl_exit) == ("200", "000", 56)
    assert broken.before.ok and broken.after.reason is Reason.PLAINTEXT_TO_STRICT and not broken.after.ok
    assert broken.cause == ("Policy foo/example-httpbin-permissive",)
    assert d.groups == {"plaintext → fail": 1}
    assert d.diagnostics == ()
    (cause,) = d.by_cause
    assert (cause.effect, cause.change, cause.resource, cause.edges, cause.clients) == (
        Effect.BREAKS,
        "plaintext → fail",
        "Policy foo/example-httpbin-permissive",
        1,
        1,
    )
    assert str(d).startswith("1 changed edge(s), 1 broken")
    back = meshlock.diff(strict, step2)
    assert back.broken == 0 and back.groups == {"fail → plaintext": 1}
    assert meshlock.diff(step2, step2).changes == () and str(meshlock.diff(step2, step2)) == "no edge changes\n"
    sources = [{"builtin": "seed"}, STEP1.to_dict(), STEP2.to_dict()]
    answer = json.loads(
        meshlock.call_json(
            json.dumps(
                {"op": "diff", "sources": sources, "settings": {"istio_version": "1.1"},
                 "against": [*sources, {"name": "<apply>", "text": STRICT_FOO}]}
            )
        )
    )
    assert answer.pop("type") == "success"
    # The twin answers its loading diagnostics (here ML111: the Policy defined twice) where the
    # diff's own (ML402) would be: the rest must agree.
    assert [x["code"] for x in answer.pop("diagnostics")] == ["ML111"]
    assert {k: v for k, v in d.to_dict().items() if k != "diagnostics"} == answer


def test_diff_refuses_disable_to_strict(seed: meshlock.Mesh) -> None:
    d = meshlock.diff(seed.apply(DISABLE_FOO), seed.apply(STRICT_FOO))
    assert [x.code for x in d.diagnostics] == ["ML402"]
    assert d.diagnostics[0].severity is meshlock.Severity.ERROR
    assert "ML402" in str(d) and d.broken == 5


# --- simulate -----------------------------------------------------------------------------------


def test_simulate_the_guide(seed: meshlock.Mesh) -> None:
    steps = seed.simulate([STEP1, [STEP2.text], STRICT_FOO], namespace="foo")
    assert [s.name for s in steps] == ["step 1", "step 2", "step 3"]
    assert steps[0].delta == ()
    assert {c.change for c in steps[1].delta} == {"plaintext → mtls"} and len(steps[1].delta) == 4
    (broken,) = [c for c in steps[2].delta if c.breaks]
    assert broken.from_ == "legacy/sleep"
    final = seed.apply(inputs=[STEP1, STEP2]).apply(STRICT_FOO)
    assert steps[2].matrix == final.matrix() and steps[2].stages == final.stages()
    assert str(steps[2].matrix) == final.matrix().table and str(steps[2].stages) == final.stages().text
    # Paths, as files; the mesh does not change.
    from_paths = seed.simulate([SEED / "step1-policy.yaml", [SEED / "step2-destinationrule.yaml"]], namespace="foo")
    assert [s.delta for s in from_paths] == [s.delta for s in steps[:2]]
    assert seed.stages().mesh is Stage.PERMISSIVE
    assert seed.simulate([]) == ()
    with pytest.raises(meshlock.MeshlockError) as info:
        seed.simulate([STRICT_FOO, STRICT_FOO.replace("STRICT", "STRIKT")])
    assert info.value.code == "invalid-input" and info.value.diagnostics[0]["source"] == "<step 2>"
    src = meshlock.Source.seed().to_dict()
    answer = json.loads(
        meshlock.call_json(
            json.dumps(
                {"op": "simulate", "sources": [src], "settings": {"istio_version": "1.1"},
                 "steps": [[STEP1.to_dict()], [{**STEP2.to_dict(), "name": "<step 2>"}], [{"name": "<step 3>", "text": STRICT_FOO}]]}
            )
        )
    )
    # The twin answers a list under `value`, beside the loading diagnostics.
    assert answer == {"type": "success", "diagnostics": [], "value": [s.to_dict() for s in steps]}


def test_a_named_step_applies_and_deletes(seed: meshlock.Mesh) -> None:
    lock, undo = seed.simulate(
        [{"name": "lock foo", "apply": STRICT_FOO}, {"name": "undo", "delete": [SEED / "step3-policy.yaml"]}],
        namespace="foo",
    )
    assert (lock.name, undo.name) == ("lock foo", "undo")
    # STRICT before the clients are told to use mTLS (the guide's step 2): every client breaks.
    assert {c.from_ for c in lock.delta if c.breaks} == {"legacy/sleep", "foo/sleep", "bar/sleep", "foo/httpbin", "bar/httpbin"}
    assert {(c.from_, c.to, c.after, c.before) for c in undo.delta} == {(c.from_, c.to, c.before, c.after) for c in lock.delta}
    assert undo.matrix == seed.matrix()
    with pytest.raises(meshlock.MeshlockError) as info:
        seed.simulate([{"name": "typo", "aply": STRICT_FOO}])
    assert info.value.code == "bad-request" and "aply" in str(info.value)


# --- results ------------------------------------------------------------------------------------


def test_results_are_frozen_hashable_and_pickle(seed: meshlock.Mesh, step2: meshlock.Mesh) -> None:
    results: List[Any] = [
        seed.stages(),
        seed.plan(allow_break=["legacy/sleep"]),
        seed.check(),
        meshlock.diff(seed, seed.apply(STRICT_FOO)),
        seed.simulate([STRICT_FOO])[0],
        step2.ready(TELEMETRY / "seed-step2.json"),
        meshlock.check(SEED / "step1-policy.published.yaml"),
    ]
    for result in results:
        again = pickle.loads(pickle.dumps(result))
        assert again == result and hash(again) == hash(result)
        assert str(again) == str(result)
        assert copy.deepcopy(result) == result
        assert json.loads(result.to_json()) == result.to_dict()
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.text = ""
    plan = results[1]
    with pytest.raises(TypeError):
        plan.final.namespaces["foo"] = Stage.LOCKED
    with pytest.raises(AttributeError):
        plan.final.namespaces._items = {}
    assert dict(plan.final.namespaces) == {"bar": Stage.BROKEN, "foo": Stage.BROKEN, "legacy": Stage.NO_SIDECAR}
    assert repr(plan) == "<Plan strict: 8 steps, 0 blockers; mesh broken after, 4 failing>"


def test_threads_share_one_mesh_for_migration(seed: meshlock.Mesh) -> None:
    serial = [seed.plan(), seed.stages(), seed.check()]
    with ThreadPoolExecutor(max_workers=6) as pool:
        parallel = list(pool.map(lambda i: [seed.plan(), seed.stages(), seed.check()][i % 3], range(24)))
    assert all(p == serial[i % 3] for i, p in enumerate(parallel))
