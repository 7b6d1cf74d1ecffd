"""``Mesh``: an immutable loaded mesh, and the functions that build one.

Everything here is conversion: gathering inputs into ``Source``s, JSON to and from the compiled
module ``meshlock._meshlock`` (which runs the core with the GIL released), and wrapping answers
in the result classes of ``_types``.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, NoReturn, Optional, Sequence, Tuple, Union

from . import _meshlock
from ._check import CheckReport
from ._errors import MeshlockError
from ._migrate import Diff, Plan, SimulatedStep, Stages
from ._observe import Reconciliation
from ._types import Diagnostic, Matrix, Outcome, Settings, Source, Tour

__all__ = ["Mesh", "StrPath", "Input", "Metrics", "StepItem", "SimulationStep", "call_json", "check", "diff", "load", "tour"]

StrPath = Union[str, "os.PathLike[str]"]
"""A file or directory path."""
Input = Union[StrPath, Source]
"""A path (a directory means its ``*.yaml``, ``*.yml`` and ``*.json`` files, sorted) or a ``Source``."""
Metrics = Union[StrPath, Source]
"""Istio telemetry: Prometheus text exposition or the JSON of the Prometheus HTTP API
(``/api/v1/query``, ``/api/v1/query_range``). A ``str`` holding a newline or a ``{`` is the
metrics text itself (named ``<metrics>``); any other ``str`` or path names a file; a ``Source``
gives the text and its name."""
StepItem = Union[str, Source, "os.PathLike[str]"]
"""In a simulation step: YAML text (a ``str``), a ``Source``, or a path (file or directory)."""
SimulationStep = Union[StepItem, Sequence[StepItem]]
"""One step of ``Mesh.simulate``: what to apply, one item or several."""

def _read(path: StrPath, settings: str = "{}") -> List[Source]:
    """Like the CLI: a file is one source named by its path, its bytes decoded as kubectl decodes
    them (line ends kept as they are; bytes that are not text raise ``MeshlockError`` with code
    ``invalid-input`` and the located diagnostic, and so does a file past the input limit, before
    it is read; ``settings``: JSON, whose ``limits`` apply); a directory is its manifests, sorted."""
    if isinstance(path, str) and "\n" in path:
        raise MeshlockError("this looks like YAML, not a path: pass it as text=...", "bad-request")
    Path(path).stat()  # a missing path raises FileNotFoundError, as open() would
    return [Source(s["name"], s["text"]) for s in json.loads(_meshlock.read_path(os.fspath(path), settings))]


def _gather(
    inputs: Union[Input, Iterable[Input]],
    text: Optional[str],
    docs: Optional[Iterable[Mapping[str, Any]]],
    namespace: Optional[str],
    text_name: str,
    settings: str = "{}",
) -> List[Source]:
    if isinstance(inputs, (str, os.PathLike, Source)):
        inputs = [inputs]
    sources: List[Source] = []
    for item in inputs:
        sources.extend([item] if isinstance(item, Source) else _read(item, settings))
    if text is not None:
        sources.append(Source(text_name, text))
    if docs is not None:
        # JSON is YAML: one document per mapping, indented so that lines in diagnostics mean something.
        joined = "".join(f"---\n{json.dumps(d, indent=2, default=_yaml_scalar)}\n" for d in docs)
        sources.append(Source("<docs>", joined))
    if namespace is not None:
        sources = [s if s.namespace is not None else Source(s.name, s.text, namespace) for s in sources]
    return sources


def _yaml_scalar(value: object) -> str:
    """``json.dumps`` fallback for what YAML loaders produce beyond JSON: timestamps
    (``creationTimestamp``) go back to Kubernetes' RFC 3339 UTC form, ``2024-05-01T12:00:00Z``."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"documents must hold YAML/JSON values, not {type(value).__name__}: {value!r}")


def _metrics_json(metrics: Metrics) -> str:
    if isinstance(metrics, Source):
        source = metrics
    elif isinstance(metrics, str) and ("\n" in metrics or "{" in metrics or not metrics.strip()):
        source = Source("<metrics>", metrics)
    else:
        source = Source(os.fspath(metrics), Path(metrics).read_text(encoding="utf-8"))
    return json.dumps(source.to_dict(), ensure_ascii=False)


def _step_sources(index: int, step: SimulationStep, namespace: Optional[str]) -> List[Source]:
    items: Sequence[StepItem] = [step] if isinstance(step, (str, Source, os.PathLike)) else step
    sources: List[Source] = []
    for j, item in enumerate(items, 1):
        if isinstance(item, Source):
            sources.append(item)
        elif isinstance(item, str):
            sources.append(Source(f"<step {index}>" if len(items) == 1 else f"<step {index}.{j}>", item))
        else:
            sources.extend(_read(item))
    return [s if s.namespace is not None or namespace is None else Source(s.name, s.text, namespace) for s in sources]


def _weighing_json(
    edges: Optional[str],
    intents: Optional[Union[Input, Iterable[Input]]],
    metrics: Optional[Metrics],
    counts_only: bool = False,
) -> Optional[str]:
    """The ``{"edges", "intents", "metrics", "counts_only"}`` of an operation that weighs edges;
    ``None``: nothing given."""
    if edges is None and intents is None and metrics is None and not counts_only:
        return None
    weighing: Dict[str, Any] = {"counts_only": True} if counts_only else {}
    if edges is not None:
        weighing["edges"] = edges
    if intents is not None:
        weighing["intents"] = [s.to_dict() for s in _gather(intents, None, None, None, "<intents>")]
    if metrics is not None:
        weighing["metrics"] = json.loads(_metrics_json(metrics))
    return json.dumps(weighing, ensure_ascii=False)


def _sources_json(sources: Iterable[Source]) -> str:
    return json.dumps([s.to_dict() for s in sources], ensure_ascii=False)


def _settings_json(
    istio_version: Optional[str],
    auto_mtls: Optional[bool],
    root_namespace: Optional[str],
    trust_domain: Optional[str],
    limits: Optional[Mapping[str, int]] = None,
) -> str:
    settings: Dict[str, Any] = {
        "istio_version": istio_version,
        "auto_mtls": auto_mtls,
        "root_namespace": root_namespace,
        "trust_domain": trust_domain,
    }
    if limits is not None:
        settings["limits"] = dict(limits)
    return json.dumps(settings)


# How to rebuild a mesh (for pickling): sources JSON, settings JSON, then each apply's sources JSON.
_Recipe = Tuple[str, str, Tuple[str, ...]]


class Mesh:
    """A loaded mesh: the model of one cluster under one set of settings. Immutable and safe to
    share between threads; every analysis releases the GIL.

    Build one with ``meshlock.load()``, ``Mesh.from_yaml()`` or ``Mesh.seed()``; ``apply()``
    returns a changed copy (what-if). Pickling a mesh pickles its inputs and rebuilds it.
    """

    __slots__ = ("_inner", "_recipe", "_diagnostics", "_settings", "__weakref__")
    _inner: _meshlock.Mesh
    _recipe: _Recipe
    _diagnostics: Tuple[Diagnostic, ...]
    _settings: Settings

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("build a Mesh with meshlock.load(), Mesh.from_yaml() or Mesh.seed()")

    @classmethod
    def _wrap(cls, inner: _meshlock.Mesh, recipe: _Recipe) -> Mesh:
        mesh = object.__new__(cls)
        for name, value in (
            ("_inner", inner),
            ("_recipe", recipe),
            ("_diagnostics", tuple(Diagnostic._from(d) for d in json.loads(inner.diagnostics()))),
            ("_settings", Settings._from(json.loads(inner.settings()))),
        ):
            object.__setattr__(mesh, name, value)
        return mesh

    @classmethod
    def _load(cls, sources: str, settings: str) -> Mesh:
        return cls._wrap(_meshlock.Mesh.load(sources, settings), (sources, settings, ()))

    @classmethod
    def load(
        cls,
        inputs: Union[Input, Iterable[Input]] = (),
        *,
        text: Optional[str] = None,
        docs: Optional[Iterable[Mapping[str, Any]]] = None,
        namespace: Optional[str] = None,
        istio_version: Optional[str] = None,
        auto_mtls: Optional[bool] = None,
        root_namespace: Optional[str] = None,
        trust_domain: Optional[str] = None,
        limits: Optional[Mapping[str, int]] = None,
    ) -> Mesh:
        """Loads manifests: ``inputs`` (paths, directories or ``Source``s, in order, like several
        ``-f`` flags), then ``text`` (YAML, named ``<text>``), then ``docs`` (parsed documents, e.g.
        from ``yaml.safe_load_all``, or the Kubernetes client's
        ``ApiClient().sanitize_for_serialization(obj)``).

        ``namespace`` is the default namespace of documents without one (``kubectl apply -n``).
        ``istio_version`` (``"1.0"`` … ``"1.28"`` or ``"current"``) chooses the release whose rules
        apply; unset, v1alpha1 resources mean 1.1 and anything else means current. ``limits``
        raises the safe defaults for trusted input: ``max_input_bytes``, ``max_documents``,
        ``max_depth``, ``max_alias_nodes``, ``max_string_bytes``, ``max_listed_edges``.

        Raises ``MeshlockError`` (code ``invalid-input``, with ``diagnostics``) when the input holds
        errors, or code ``bad-request`` for a bad setting.
        """
        settings = _settings_json(istio_version, auto_mtls, root_namespace, trust_domain, limits)
        sources = _gather(inputs, text, docs, namespace, "<text>", settings)
        return cls._load(_sources_json(sources), settings)

    @classmethod
    def from_yaml(
        cls,
        text: str,
        *,
        name: str = "<text>",
        namespace: Optional[str] = None,
        istio_version: Optional[str] = None,
        auto_mtls: Optional[bool] = None,
        root_namespace: Optional[str] = None,
        trust_domain: Optional[str] = None,
    ) -> Mesh:
        """Loads one YAML text (several documents allowed); ``name`` is used in diagnostics."""
        return cls.load(
            Source(name, text, namespace),
            istio_version=istio_version,
            auto_mtls=auto_mtls,
            root_namespace=root_namespace,
            trust_domain=trust_domain,
        )

    @classmethod
    def seed(
        cls,
        *,
        istio_version: Optional[str] = None,
        auto_mtls: Optional[bool] = None,
        root_namespace: Optional[str] = None,
        trust_domain: Optional[str] = None,
    ) -> Mesh:
        """The built-in seed cluster under the guide's settings (Istio 1.1), each overridable."""
        given = {"istio_version": istio_version, "auto_mtls": auto_mtls, "root_namespace": root_namespace, "trust_domain": trust_domain}
        settings: Dict[str, Any] = json.loads(_meshlock.seed_settings())
        settings.update({k: v for k, v in given.items() if v is not None})
        return cls._load(_sources_json([Source.seed()]), json.dumps(settings))

    def apply(
        self,
        text: Optional[str] = None,
        *,
        inputs: Union[Input, Iterable[Input]] = (),
        docs: Optional[Iterable[Mapping[str, Any]]] = None,
        namespace: Optional[str] = None,
        name: str = "<apply>",
    ) -> Mesh:
        """What-if: a new mesh with ``text`` (YAML, named ``name``), ``inputs`` and ``docs`` added; a
        resource with the kind, namespace and name of an existing one replaces it (``kubectl
        apply``). This mesh does not change. ``diagnostics`` of the result are about what was applied.
        """
        return self._apply(_sources_json(_gather(inputs, text, docs, namespace, name)))

    def _apply(self, sources: str) -> Mesh:
        sources_json, settings_json, applied = self._recipe
        return self._wrap(self._inner.apply(sources), (sources_json, settings_json, (*applied, sources)))

    @property
    def diagnostics(self) -> Tuple[Diagnostic, ...]:
        """What meshlock found in the input (warnings and notes; errors fail the load)."""
        return self._diagnostics

    @property
    def settings(self) -> Settings:
        """The settings in force, each with its origin."""
        return self._settings

    def probe(self, from_: str, to: str) -> Outcome:
        """What ``curl http://TO`` in client workload ``from_`` (``namespace/name``) sees; ``to`` is
        ``HOST:PORT[/PATH]``, resolved from the client's namespace (``httpbin.foo:8000``)."""
        return Outcome._from(json.loads(self._inner.probe(from_, to)))

    def explain(self, from_: str, to: str) -> str:
        """The decision chain of ``probe(from_, to)`` in prose, as ``meshlock explain`` prints it."""
        return self.probe(from_, to).text

    def matrix(
        self,
        *,
        edges: Optional[str] = None,
        intents: Optional[Union[Input, Iterable[Input]]] = None,
        metrics: Optional[Metrics] = None,
    ) -> Matrix:
        """Every client workload × every service port. With ``edges`` (a scope: ``"all"``,
        ``"possible"``, ``"declared,observed"``…), ``intents`` (TrafficIntent YAML or intents CSV,
        as inputs) or ``metrics`` (observed traffic), only the edges in the scope, each with its
        ``evidence``."""
        return Matrix._from(json.loads(self._inner.matrix(_weighing_json(edges, intents, metrics))))

    def stages(self) -> Stages:
        """The migration stage of every service port, namespace and of the mesh (``meshlock stages``)."""
        return Stages._from(json.loads(self._inner.stages()))

    def plan(
        self,
        goal: str = "strict",
        allow_break: Iterable[str] = (),
        metrics: Optional[Metrics] = None,
        *,
        edges: Optional[str] = None,
        intents: Optional[Union[Input, Iterable[Input]]] = None,
        counts_only: bool = False,
    ) -> Plan:
        """Plans the migration to mutual TLS, one reversible step at a time (``meshlock plan``).

        ``goal``: ``"strict"`` (lock every namespace that can be locked), ``"mesh-strict"`` (then
        the whole mesh) or ``"namespace=NS[,NS…]"``. ``allow_break``: ``ns/workload`` clients that
        may break (their lock-down steps are no longer held back). ``metrics``: observed traffic
        (see ``Metrics``) as extra evidence: observed plaintext senders hold a lock-down back too.
        ``edges``: the edges the plan protects (``"all"``, ``"possible"``, ``"declared,observed"``…);
        ``intents``: declared traffic (TrafficIntent YAML or intents CSV, as inputs).
        ``counts_only``: leave ``blockers`` empty (counts, groups and remedies stay complete); past
        ``limits.max_listed_edges`` edges they are left out anyway, and ``notes`` says so.

        Raises ``MeshlockError``: ``bad-request`` (unknown goal), ``bad-client`` (a malformed
        ``allow_break`` entry), ``unknown-namespace``, ``invalid-metrics``.
        """
        if isinstance(allow_break, str):
            allow_break = [allow_break]
        metrics_json = None if metrics is None else _metrics_json(metrics)
        weighing = _weighing_json(edges, intents, None, counts_only)
        return Plan._from(json.loads(self._inner.plan(goal, list(allow_break), metrics_json, weighing)))

    def check(
        self,
        *,
        edges: Optional[str] = None,
        intents: Optional[Union[Input, Iterable[Input]]] = None,
        metrics: Optional[Metrics] = None,
        counts_only: bool = False,
    ) -> CheckReport:
        """What ``meshlock check`` finds in this mesh: see ``CheckReport``. For input that may not
        load, ``meshlock.check()`` reports the loading errors instead of raising. ``edges``,
        ``intents``, ``metrics``: as in ``plan``; the scope's counts, the declared edges that fail
        and the undeclared plaintext callers are under ``scope``. ``counts_only``: no per-edge
        lists (``failing``, ``plaintext_callers``), what a large cluster needs; past
        ``limits.max_listed_edges`` listed edges they are left out with an ML106 error."""
        weighing = _weighing_json(edges, intents, metrics, counts_only)
        return CheckReport._from(json.loads(self._inner.check(weighing)))

    def simulate(self, steps: Iterable[SimulationStep], *, namespace: Optional[str] = None) -> Tuple[SimulatedStep, ...]:
        """Applies ``steps`` in order, each on the result of the previous one, and reports the mesh
        after each (named ``step 1``, ``step 2``, …): the edges that changed, the stages, the matrix.

        A step is YAML text, a ``Source`` or a path, or a list of them; ``namespace`` is the default
        namespace of their documents without one. This mesh does not change.
        """
        specs = [[s.to_dict() for s in _step_sources(i, step, namespace)] for i, step in enumerate(steps, 1)]
        answer = json.loads(self._inner.simulate(json.dumps(specs, ensure_ascii=False)))
        return tuple(SimulatedStep._from(s) for s in answer)

    def ready(self, metrics: Metrics) -> Reconciliation:
        """Reconciles this mesh with observed traffic (``meshlock ready``): per service, whether
        STRICT would break a sender that was seen. ``metrics``: see ``Metrics``.

        Raises ``MeshlockError`` with code ``invalid-metrics`` (a diagnostic per problem, with its
        line or JSON path) when the metrics are malformed; nothing is read from them then.
        """
        return Reconciliation._from(json.loads(self._inner.ready(_metrics_json(metrics))))

    def __repr__(self) -> str:
        return repr(self._inner)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Mesh is immutable (cannot set {name!r}): mesh.apply(...) returns a changed copy")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Mesh is immutable (cannot delete {name!r})")

    def __copy__(self) -> Mesh:
        return self

    def __deepcopy__(self, memo: Dict[int, Any]) -> Mesh:
        return self

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild, (self._recipe,))


def _rebuild(recipe: _Recipe) -> Mesh:
    """Unpickles a ``Mesh``: loads its sources again and replays every ``apply``."""
    sources_json, settings_json, applied = recipe
    mesh = Mesh._load(sources_json, settings_json)
    for sources in applied:
        mesh = mesh._apply(sources)
    return mesh


def load(
    inputs: Union[Input, Iterable[Input]] = (),
    *,
    text: Optional[str] = None,
    docs: Optional[Iterable[Mapping[str, Any]]] = None,
    namespace: Optional[str] = None,
    istio_version: Optional[str] = None,
    auto_mtls: Optional[bool] = None,
    root_namespace: Optional[str] = None,
    trust_domain: Optional[str] = None,
    limits: Optional[Mapping[str, int]] = None,
) -> Mesh:
    """Loads a mesh: see ``Mesh.load``."""
    return Mesh.load(
        inputs,
        text=text,
        docs=docs,
        namespace=namespace,
        istio_version=istio_version,
        auto_mtls=auto_mtls,
        root_namespace=root_namespace,
        trust_domain=trust_domain,
        limits=limits,
    )


def check(
    inputs: Union[Input, Iterable[Input]] = (),
    *,
    text: Optional[str] = None,
    docs: Optional[Iterable[Mapping[str, Any]]] = None,
    namespace: Optional[str] = None,
    istio_version: Optional[str] = None,
    auto_mtls: Optional[bool] = None,
    root_namespace: Optional[str] = None,
    trust_domain: Optional[str] = None,
    limits: Optional[Mapping[str, int]] = None,
    counts_only: bool = False,
) -> CheckReport:
    """``meshlock check`` of manifests (inputs and settings as in ``Mesh.load``): the report of the
    mesh, or, when the input does not load, a report of its errors (never
    ``MeshlockError("invalid-input")``: for CI, where the errors are the findings). A bad setting
    still raises ``bad-request``. ``counts_only``: as in ``Mesh.check``."""
    settings = _settings_json(istio_version, auto_mtls, root_namespace, trust_domain, limits)
    try:
        sources = _gather(inputs, text, docs, namespace, "<text>", settings)
    except MeshlockError as error:
        if error.code != "invalid-input":
            raise
        # A file whose bytes are not text does not load either: reported with its located error.
        return CheckReport._from(json.loads(_meshlock.check_diagnostics(json.dumps(error.diagnostics), settings)))
    return CheckReport._from(json.loads(_meshlock.check(_sources_json(sources), settings, counts_only)))


def diff(
    before: Mesh,
    after: Mesh,
    *,
    edges: Optional[str] = None,
    intents: Optional[Union[Input, Iterable[Input]]] = None,
    metrics: Optional[Metrics] = None,
) -> Diff:
    """Every edge whose status or transport changes from ``before`` to ``after`` (``meshlock
    diff``), grouped, each with the changed resources that caused it; refused transitions (ML402)
    under ``diagnostics``. ``edges``, ``intents``, ``metrics``: the breaks that count are those in
    the scope (``scope``), each change with its ``evidence``."""
    weighing = _weighing_json(edges, intents, metrics)
    return Diff._from(json.loads(_meshlock.diff(before._inner, after._inner, weighing)))


def tour() -> Tour:
    """The seed guide replayed step by step on the built-in cluster; ``print(tour())`` shows it."""
    return Tour._from(json.loads(_meshlock.tour()))


def call_json(request: str) -> str:
    """The JSON twin of every operation: a JSON request in, a JSON answer out; never raises.

    ``{"op": "probe", "sources": [{"builtin": "seed"}], "from": "legacy/sleep", "to": "httpbin.foo:8000"}``
    answers ``{"type": "success", ...}`` or ``{"type": "failure", "code", "message", "diagnostics"}``.
    """
    return _meshlock.call_json(request)
