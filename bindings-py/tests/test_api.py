"""The Python API: inputs, results, errors, immutability, pickling, threads."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml

import meshlock
from meshlock import Reason, Transport, Verdict
from paths import SEED

# The guide's lock-down: the step-1 Policy, now STRICT (core/seed holds the manifests).
STRICT_FOO = (SEED / "step3-policy.yaml").read_text(encoding="utf-8")

BROKEN = """\
apiVersion: authentication.istio.io/v1alpha1
kind: Policy
metadata:
  name: p
  namespace: foo
spec:
  peers:
  - mtls:
      mode: STRIKT
"""

DIAGNOSTIC_KEYS = {"code", "name", "severity", "message", "help", "source", "document", "path", "line", "column"}


# --- results ------------------------------------------------------------------------------------


def test_probe_the_seed(seed: meshlock.Mesh) -> None:
    out = seed.probe("legacy/sleep", "httpbin.foo:8000")
    assert (out.status, out.curl_exit, out.transport, out.verdict, out.reason) == (
        "200",
        0,
        Transport.PLAINTEXT,
        Verdict.OK,
        Reason.PLAINTEXT,
    )
    assert out.ok
    assert out.from_ == "legacy/sleep"
    assert out.to == "httpbin.foo.svc.cluster.local:8000"
    assert [step.side for step in out.explain] == ["client", "network", "server", "result"]
    assert out.text.startswith("legacy/sleep → httpbin.foo.svc.cluster.local:8000: 200")
    assert str(out) == out.text == seed.explain("legacy/sleep", "httpbin.foo:8000")


def test_enums_are_strings(seed: meshlock.Mesh) -> None:
    out = seed.probe("foo/sleep", "httpbin.foo:8000")
    assert isinstance(out.reason, str) and out.reason == "plaintext" and f"{out.reason}" == "plaintext"
    assert str(Reason.PLAINTEXT_TO_STRICT) == "plaintext-to-strict"
    assert Reason("mtls") is Reason.MTLS
    assert repr(Transport.MTLS) == "Transport.MTLS"


def test_every_core_reason_has_a_member() -> None:
    core = json.loads(meshlock._meshlock._reasons())
    assert [r.value for r in Reason] == core


def test_results_are_frozen_comparable_and_hashable(seed: meshlock.Mesh) -> None:
    a = seed.probe("bar/sleep", "httpbin.foo:8000")
    b = seed.probe("bar/sleep", "httpbin.foo:8000")
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != seed.probe("legacy/sleep", "httpbin.foo:8000")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.status = "503"  # type: ignore[misc]
    m = seed.matrix()
    assert m == seed.matrix()
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.edges = ()  # type: ignore[misc]


def test_repr(seed: meshlock.Mesh) -> None:
    assert repr(seed) == "<meshlock.Mesh: 5 workloads, 5 services, Istio 1.1, 0 diagnostics>"
    out = seed.probe("legacy/sleep", "httpbin.foo:8000")
    assert repr(out) == (
        "Outcome(from_='legacy/sleep', to='httpbin.foo.svc.cluster.local:8000', status='200', curl_exit=0, "
        "transport=Transport.PLAINTEXT, verdict=Verdict.OK, reason=Reason.PLAINTEXT)"
    )
    assert repr(seed.matrix()) == "<Matrix: 5 clients × 5 service ports = 25 edges, 0 failing; Istio 1.1>"
    assert repr(seed.settings).startswith("Settings(istio_version='1.1', istio_version_origin=SettingOrigin.EXPLICIT")


def test_to_dict_and_to_json(seed: meshlock.Mesh) -> None:
    out = seed.probe("legacy/sleep", "httpbin.foo:8000")
    d = out.to_dict()
    assert d["from"] == "legacy/sleep" and d["transport"] == "plaintext" and "text" not in d
    assert "alternatives" not in d  # skipped when empty, as the core does
    assert json.loads(out.to_json()) == d
    assert json.loads(out.to_json(indent=2)) == d
    twin = json.loads(
        meshlock.call_json(
            json.dumps({"op": "probe", "sources": [{"builtin": "seed"}], "settings": {"istio_version": "1.1"},
                        "from": "legacy/sleep", "to": "httpbin.foo:8000"})
        )
    )
    assert twin.pop("type") == "success" and twin.pop("diagnostics") == []
    assert twin == d


def test_matrix(seed: meshlock.Mesh) -> None:
    m = seed.matrix()
    assert len(m) == 25 and len(list(m)) == 25
    assert all(isinstance(e, meshlock.Edge) for e in m)
    assert {c.id for c in m.clients} == {"bar/httpbin", "bar/sleep", "foo/httpbin", "foo/sleep", "legacy/sleep"}
    assert [c.sidecar for c in m.clients if c.id == "legacy/sleep"] == [False]
    httpbin = next(s for s in m.services if s.id == "httpbin.foo.svc.cluster.local:8000")
    assert (httpbin.port, httpbin.port_name, httpbin.endpoints) == (8000, "http", ("foo/httpbin",))
    edge = m.edge("legacy/sleep", "httpbin.foo.svc.cluster.local:8000")
    assert edge is not None and edge.reason is Reason.PLAINTEXT and edge.ok
    assert m.edge("legacy/sleep", "nowhere:1") is None
    assert m.failing == ()
    records = m.to_records()
    assert len(records) == 25
    assert set(records[0]) == {"from", "to", "status", "curl_exit", "transport", "verdict", "reason"}
    assert m.csv.splitlines()[0] == "from,to,status,curl_exit,transport,verdict,reason"
    assert len(m.csv.splitlines()) == 26
    assert str(m) == m.table and m.table.rstrip().endswith("25 edges, 0 failing")


def test_namespace_map(seed: meshlock.Mesh) -> None:
    m = seed.namespace_map()
    assert (m.clients, m.service_ports, m.edges) == (5, 5, 25)
    assert [(n.name, n.clients, n.service_ports) for n in m.namespaces] == [("bar", 2, 2), ("foo", 2, 2), ("legacy", 1, 1)]
    assert m.totals == meshlock.ClassCounts(ok_mtls=0, ok_plaintext=25, denied=0, other_failure=0, mtls_broken=0)
    assert m.worst is meshlock.OutcomeClass.OK_PLAINTEXT and len(m.pairs) == 9
    assert sum(p.edges for p in m.pairs) == m.edges
    pair = m.pair("legacy", "foo")
    assert pair is not None and (pair.edges, pair.worst) == (2, meshlock.OutcomeClass.OK_PLAINTEXT)
    assert m.pair("legacy", "nowhere") is None
    assert repr(m) == "<NamespaceMap: 3 namespaces, 9 pairs, 25 edges, worst ok-plaintext>"
    # Locking foo without the clients' DestinationRule breaks every client of httpbin.foo.
    strict = seed.apply(STRICT_FOO).namespace_map()
    assert strict.worst is meshlock.OutcomeClass.MTLS_BROKEN and strict.totals.mtls_broken == 5
    broken = strict.pair("legacy", "foo")
    assert broken is not None and (broken.counts.mtls_broken, broken.worst) == (1, meshlock.OutcomeClass.MTLS_BROKEN)
    # Under a scope: nothing is declared, so no edge is in it.
    assert seed.namespace_map(edges="declared").edges == 0 and seed.namespace_map(edges="declared").worst is None
    answer = json.loads(
        meshlock.call_json(json.dumps({"op": "namespace-map", "sources": [{"builtin": "seed"}], "settings": {"istio_version": "1.1"}}))
    )
    assert (answer.pop("type"), answer.pop("diagnostics")) == ("success", [])
    assert m.to_dict() == answer and answer["pairs"][0]["from"] == "bar"
    assert pickle.loads(pickle.dumps(m)) == m and hash(m) == hash(seed.namespace_map())


def test_matrix_between(seed: meshlock.Mesh) -> None:
    whole = seed.matrix()
    pair = seed.matrix_between("legacy", "foo")
    assert {e.from_ for e in pair} == {"legacy/sleep"} and len(pair) == 2
    assert all(e == whole.edge(e.from_, e.to) for e in pair)
    assert [c.id for c in pair.clients] == ["legacy/sleep"] and {s.namespace for s in pair.services} == {"foo"}
    assert pair.csv.splitlines()[0] == "from,to,status,curl_exit,transport,verdict,reason" and len(pair.csv.splitlines()) == 3
    assert str(pair) == pair.table
    # A side left out is every namespace.
    assert seed.matrix_between() == whole
    assert len(seed.matrix_between(service_ns="foo")) == 10 and len(seed.matrix_between("bar")) == 10
    # Weighed: the edges in the scope, each with its evidence.
    possible = seed.matrix_between("legacy", "foo", edges="possible")
    assert len(possible) == 2 and all(e.evidence == ("possible",) for e in possible)
    with pytest.raises(meshlock.MeshlockError) as info:
        seed.matrix_between("legacy", "foo", edges="everything")
    assert info.value.code == "bad-request"


def test_settings_and_diagnostics() -> None:
    mesh = meshlock.Mesh.from_yaml(STRICT_FOO)
    assert mesh.settings.istio_version == "1.1"
    assert mesh.settings.istio_version_origin is meshlock.SettingOrigin.INFERRED
    assert "ML109" in [d.code for d in mesh.diagnostics]
    d = next(d for d in mesh.diagnostics if d.code == "ML109")
    assert d.severity is meshlock.Severity.INFO and d.name == "version-inferred"
    assert set(d.to_dict()) == DIAGNOSTIC_KEYS
    current = meshlock.Mesh.seed(istio_version="current")
    assert current.settings.istio_version != "1.1" and current.settings.auto_mtls


def test_tour() -> None:
    tour = meshlock.tour()
    assert tour.istio_version == "1.1"
    assert [s.id for s in tour.steps] == ["0", "1", "2", "3", "3'"]
    assert [s.base for s in tour.steps] == [None, "0", "1", "2", "1"]
    step3 = tour.steps[3]
    legacy = next(r for r in step3.rows if r.outcome.from_ == "legacy/sleep")
    assert (legacy.outcome.status, legacy.outcome.curl_exit, legacy.guide_prints) == ("000", 56, "503")
    assert legacy.outcome.text.startswith("legacy/sleep → ")
    assert step3.applied[0].namespace == "foo"
    assert tour.steps[1].published_diagnostics[0].code == "ML105"
    assert "Step 3: Lock down to mutual TLS" in str(tour)
    assert json.loads(tour.to_json())["steps"][0]["id"] == "0"


# --- inputs -------------------------------------------------------------------------------------


def test_load_paths_text_and_docs(tmp_path: Path) -> None:
    seed_source = meshlock.Source.seed()
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(seed_source.text, encoding="utf-8")
    policy = tmp_path / "policies" / "strict.yaml"
    policy.parent.mkdir()
    policy.write_text(STRICT_FOO, encoding="utf-8")
    (policy.parent / "notes.txt").write_text("not a manifest", encoding="utf-8")
    want = ("000", 56, Reason.PLAINTEXT_TO_STRICT)

    def legacy(mesh: meshlock.Mesh) -> Any:
        out = mesh.probe("legacy/sleep", "httpbin.foo:8000")
        return (out.status, out.curl_exit, out.reason)

    assert legacy(meshlock.load([str(cluster), policy.parent], istio_version="1.1")) == want
    assert legacy(meshlock.load(cluster, text=STRICT_FOO, istio_version="1.1")) == want
    docs = list(yaml.safe_load_all(seed_source.text)) + [yaml.safe_load(STRICT_FOO)]
    from_docs = meshlock.load(docs=docs, istio_version="1.1")
    assert legacy(from_docs) == want
    assert legacy(meshlock.Mesh.load([seed_source, meshlock.Source("p.yaml", STRICT_FOO)])) == want
    with pytest.raises(FileNotFoundError):
        meshlock.load(tmp_path / "missing.yaml")
    with pytest.raises(meshlock.MeshlockError, match="text=") as info:
        meshlock.load(STRICT_FOO)
    assert info.value.code == "bad-request"


TWO_POLICIES = """\
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: b-permissive, namespace: foo, creationTimestamp: "2021-06-01T08:00:00Z"}
spec: {mtls: {mode: PERMISSIVE}}
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: a-strict, namespace: foo, creationTimestamp: 2020-01-01T00:00:00Z}
spec: {mtls: {mode: STRICT}}
"""


def test_docs_keep_creation_timestamps() -> None:
    """YAML loaders turn timestamps into datetimes; they go back as RFC 3339 UTC, so the oldest
    namespace-wide policy (STRICT, listed second) still wins."""
    docs = list(yaml.safe_load_all(TWO_POLICIES))
    assert docs[1]["metadata"]["creationTimestamp"].year == 2020
    for mesh in (
        meshlock.load(meshlock.Source.seed(), text=TWO_POLICIES, istio_version="current"),
        meshlock.load(meshlock.Source.seed(), docs=docs, istio_version="current"),
    ):
        assert mesh.probe("legacy/sleep", "httpbin.foo:8000").reason is Reason.PLAINTEXT_TO_STRICT
        assert "ML201" in [d.code for d in mesh.diagnostics]
    with pytest.raises(TypeError, match="YAML/JSON values"):
        meshlock.load(docs=[{"kind": object()}])


def test_diagnostics_name_their_source(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    cases: List[Tuple[Dict[str, Any], str]] = [
        ({"inputs": path}, str(path)),
        ({"text": BROKEN}, "<text>"),
        ({"docs": [yaml.safe_load(BROKEN)]}, "<docs>"),
    ]
    for kwargs, source in cases:
        with pytest.raises(meshlock.MeshlockError) as info:
            meshlock.load(**kwargs)
        (d,) = [d for d in info.value.diagnostics if d["code"] == "ML102"]
        assert d["source"] == source and d["path"] == "spec.peers[0].mtls.mode" and d["document"] == 0
    with pytest.raises(meshlock.MeshlockError) as info:
        meshlock.Mesh.from_yaml(BROKEN, name="policy.yaml")
    assert [(d["line"], d["column"]) for d in info.value.diagnostics if d["code"] == "ML102"] == [(9, 13)]


def test_namespace_is_the_default_for_documents_without_one() -> None:
    without_ns = "apiVersion: v1\nkind: Service\nmetadata: {name: extra}\nspec: {ports: [{port: 80}], selector: {app: sleep}}\n"
    mesh = meshlock.load(meshlock.Source.seed(), text=without_ns, namespace="bar", istio_version="1.1")
    assert "extra.bar.svc.cluster.local:80" in {s.id for s in mesh.matrix().services}
    # A Source that names its own namespace keeps it.
    mesh = meshlock.load([meshlock.Source.seed(), meshlock.Source("x.yaml", without_ns, "foo")], namespace="bar")
    assert "extra.foo.svc.cluster.local:80" in {s.id for s in mesh.matrix().services}


# --- what-if and immutability -------------------------------------------------------------------


def test_apply_is_a_what_if(seed: meshlock.Mesh) -> None:
    strict = seed.apply(STRICT_FOO)
    assert strict.probe("legacy/sleep", "httpbin.foo:8000").reason is Reason.PLAINTEXT_TO_STRICT
    assert strict.probe("foo/sleep", "httpbin.foo:8000").status == "503"
    assert seed.probe("legacy/sleep", "httpbin.foo:8000").reason is Reason.PLAINTEXT
    # Same kind, namespace and name replaces: back to PERMISSIVE.
    permissive = strict.apply(STRICT_FOO.replace("STRICT", "PERMISSIVE"))
    assert permissive.probe("legacy/sleep", "httpbin.foo:8000").reason is Reason.PLAINTEXT
    assert permissive.matrix() == seed.matrix()
    with pytest.raises(meshlock.MeshlockError) as info:
        seed.apply(BROKEN)
    assert info.value.code == "invalid-input" and info.value.diagnostics[0]["source"] == "<apply>"


def test_mesh_is_immutable(seed: meshlock.Mesh) -> None:
    with pytest.raises(AttributeError, match="immutable"):
        seed.anything = 1
    with pytest.raises(AttributeError, match="immutable"):
        seed._inner = None  # type: ignore[assignment]
    with pytest.raises(AttributeError, match="immutable"):
        del seed._settings
    with pytest.raises(TypeError, match="meshlock.load"):
        meshlock.Mesh()
    with pytest.raises(TypeError):
        meshlock._meshlock.Mesh()
    assert copy.copy(seed) is seed and copy.deepcopy(seed) is seed


# --- errors -------------------------------------------------------------------------------------


def test_invalid_input() -> None:
    with pytest.raises(meshlock.MeshlockError) as info:
        meshlock.Mesh.from_yaml(BROKEN)
    e = info.value
    assert isinstance(e, ValueError)
    assert e.code == "invalid-input"
    assert "ML102" in str(e)
    assert all(set(d) == DIAGNOSTIC_KEYS for d in e.diagnostics)
    assert e.diagnostics[0]["severity"] == "error"
    assert json.loads(e.json()) == {"code": "invalid-input", "message": e.message, "diagnostics": e.diagnostics}
    again = pickle.loads(pickle.dumps(e))
    assert (type(again), again.code, again.diagnostics, str(again)) == (meshlock.MeshlockError, e.code, e.diagnostics, str(e))
    assert repr(e).startswith("MeshlockError(code='invalid-input', message=")


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda m: m.probe("nobody/here", "httpbin.foo:8000"), "unknown-client"),
        (lambda m: m.probe("sleep", "httpbin.foo:8000"), "bad-client"),
        (lambda m: m.probe("legacy/sleep", "httpbin.foo:notaport"), "bad-target"),
        (lambda m: meshlock.Mesh.seed(istio_version="2.0"), "bad-request"),
        (lambda m: meshlock.load(text="", istio_version="one"), "bad-request"),
    ],
    ids=["unknown-client", "bad-client", "bad-target", "bad-version", "bad-version-load"],
)
def test_error_codes(seed: meshlock.Mesh, call: Any, code: str) -> None:
    with pytest.raises(meshlock.MeshlockError) as info:
        call(seed)
    assert info.value.code == code and info.value.diagnostics == []


def test_a_panic_in_core_is_an_internal_error() -> None:
    with pytest.raises(meshlock.MeshlockError) as info:
        meshlock._meshlock._unwind("boom")
    assert info.value.code == "internal"
    assert "boom" in str(info.value) and "please report it" in str(info.value)


def test_the_json_twin_never_raises() -> None:
    answer = json.loads(meshlock.call_json("{not json"))
    assert (answer["type"], answer["code"]) == ("failure", "bad-request")


# --- pickling -----------------------------------------------------------------------------------


def test_pickling(seed: meshlock.Mesh) -> None:
    strict = seed.apply(STRICT_FOO)
    again = pickle.loads(pickle.dumps(strict))
    assert isinstance(again, meshlock.Mesh) and again is not strict
    assert again.matrix() == strict.matrix()
    assert again.diagnostics == strict.diagnostics and again.settings == strict.settings
    for result in (strict.probe("legacy/sleep", "httpbin.foo:8000"), strict.matrix(), meshlock.tour(), strict.settings):
        copy_ = pickle.loads(pickle.dumps(result))
        assert copy_ == result
    out = pickle.loads(pickle.dumps(strict.probe("legacy/sleep", "httpbin.foo:8000")))
    assert out.text and out.reason is Reason.PLAINTEXT_TO_STRICT
    with pytest.raises(TypeError):
        pickle.dumps(seed._inner)


def test_a_pickled_mesh_keeps_what_its_files_held(tmp_path: Path) -> None:
    cluster, policy = tmp_path / "cluster.yaml", tmp_path / "strict.yaml"
    cluster.write_text(meshlock.Source.seed().text, encoding="utf-8")
    policy.write_text(STRICT_FOO, encoding="utf-8")
    mesh = meshlock.load(cluster, istio_version="1.1").apply(inputs=policy)
    pickled = pickle.dumps(mesh)
    cluster.unlink()
    policy.unlink()
    again = pickle.loads(pickled)
    assert again.matrix() == mesh.matrix() and again.diagnostics == mesh.diagnostics
    assert again.probe("legacy/sleep", "httpbin.foo:8000").reason is Reason.PLAINTEXT_TO_STRICT


# --- threads ------------------------------------------------------------------------------------


def test_threads_share_one_mesh(seed: meshlock.Mesh) -> None:
    mesh = seed.apply(STRICT_FOO)
    clients = ["foo/sleep", "bar/sleep", "legacy/sleep", "foo/httpbin", "bar/httpbin"]
    targets = ["httpbin.foo:8000", "httpbin.bar:8000", "sleep.legacy:80", "sleep.foo:80/ip"]
    jobs = [(c, t) for c in clients for t in targets] * 10
    serial = [mesh.probe(c, t) for c, t in jobs]
    matrix = mesh.matrix()
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda job: mesh.probe(*job), jobs))
        matrices = list(pool.map(lambda _: mesh.matrix(), range(16)))
        applied = list(pool.map(lambda _: seed.apply(STRICT_FOO).matrix(), range(8)))
    assert parallel == serial
    assert all(m == matrix for m in matrices + applied)


def test_meshes_built_in_threads() -> None:
    def build(i: int) -> str:
        mesh = meshlock.Mesh.seed().apply(STRICT_FOO if i % 2 else STRICT_FOO.replace("STRICT", "PERMISSIVE"))
        return mesh.probe("legacy/sleep", "httpbin.foo:8000").status

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(build, range(12)))
    assert statuses == ["200", "000"] * 6
