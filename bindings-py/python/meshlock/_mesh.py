"""``Mesh``: an immutable loaded mesh, and the functions that build one.

Every operation is one request to the core (``meshlock._meshlock``, which runs it with the GIL
released): the ``op`` and its options under the core's keys, answered in JSON that the result
classes read. The core decides what the options mean (a string source is a path, what a step,
metrics, intents and settings are); here are only the host's conversions: paths, Python
documents, and the ``str`` forms of the Python API (YAML text, metrics text).
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any, Dict, Iterable, List, Mapping, NoReturn, Optional, Sequence, Tuple, Union

from . import _meshlock
from ._check import CheckReport
from ._errors import MeshlockError
from ._migrate import Diff, Plan, SimulatedStep, Stages
from ._observe import Reconciliation
from ._types import Diagnostic, Matrix, NamespaceMap, Outcome, Settings, Source, Tour

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
SimulationStep = Union[StepItem, Sequence[StepItem], Mapping[str, Any]]
"""One step of ``Mesh.simulate``, as every surface takes it: what to apply (one item or several),
or a named step ``{"name": ..., "apply": items, "delete": items}`` whose ``delete`` removes the
resources its documents name (``apply`` and ``delete`` each one item or several)."""


def _path(path: StrPath) -> str:
    """A path for the core to read; a missing one raises ``FileNotFoundError`` here, as ``open()``
    would (the core's ``io`` error does not say which ``OSError`` it was)."""
    os.stat(path)
    return os.fspath(path)


def _inline(source: Source, namespace: Optional[str]) -> Dict[str, Any]:
    """A ``Source`` as the core's inline source, in ``namespace`` when it names none (the core
    places the files it reads, not inline sources)."""
    return Source(source.name, source.text, source.namespace or namespace).to_dict()


def _sources(
    inputs: Union[Input, Iterable[Input]],
    namespace: Optional[str] = None,
    text: Optional[str] = None,
    docs: Optional[Iterable[Mapping[str, Any]]] = None,
    name: str = "<text>",
) -> List[Any]:
    """The core's ``SourceSpec``s: ``inputs`` (a path as a string, which the core reads as
    ``kubectl apply -f`` does; a ``Source`` inline), then ``text`` (named ``name``), then ``docs``."""
    if isinstance(inputs, (str, os.PathLike, Source)):
        inputs = [inputs]
    specs: List[Any] = []
    for item in inputs:
        if isinstance(item, Source):
            specs.append(_inline(item, namespace))
        elif isinstance(item, str) and "\n" in item:
            raise MeshlockError("this looks like YAML, not a path: pass it as text=...", "bad-request")
        else:
            specs.append(_path(item))
    if text is not None:
        specs.append(_inline(Source(name, text), namespace))
    if docs is not None:
        # JSON is YAML: one document per mapping, indented so that lines in diagnostics mean something.
        joined = "".join(f"---\n{json.dumps(d, indent=2, default=_yaml_scalar)}\n" for d in docs)
        specs.append(_inline(Source("<docs>", joined), namespace))
    return specs


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


def _metrics(metrics: Metrics) -> Any:
    """The core's ``MetricsSpec``: a path, or ``{name, text}``. A ``str`` holding a newline or a
    ``{`` (or nothing) is the text itself (see ``Metrics``)."""
    if isinstance(metrics, Source):
        return {"name": metrics.name, "text": metrics.text}
    if isinstance(metrics, str) and ("\n" in metrics or "{" in metrics or not metrics.strip()):
        return {"name": "<metrics>", "text": metrics}
    return _path(metrics)


def _weigh(
    edges: Optional[str],
    intents: Optional[Union[Input, Iterable[Input]]],
    metrics: Optional[Metrics],
    counts_only: bool = False,
) -> Dict[str, Any]:
    """The core's ``WeighRequest``: how an operation weighs edges (``None``: not given)."""
    return {
        "edges": edges,
        "intents": None if intents is None else _sources(intents),
        "metrics": None if metrics is None else _metrics(metrics),
        "counts_only": counts_only,
    }


def _options(**options: Any) -> Dict[str, Any]:
    """The options given (``None``: not given) under the core's keys, ``limits`` as a plain dict."""
    if options.get("limits") is not None:
        options["limits"] = dict(options["limits"])
    return {key: value for key, value in options.items() if value is not None}


def _load_options(
    namespace: Optional[str],
    istio_version: Optional[str],
    auto_mtls: Optional[bool],
    root_namespace: Optional[str],
    trust_domain: Optional[str],
    limits: Optional[Mapping[str, int]],
) -> Dict[str, Any]:
    """The core's ``LoadOptions``: the placement of the files read and the settings."""
    return _options(
        namespace=namespace,
        istio_version=istio_version,
        auto_mtls=auto_mtls,
        root_namespace=root_namespace,
        trust_domain=trust_domain,
        limits=limits,
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# How to rebuild a mesh (for pickling): the sources read and the options of `load`, then the
# sources read by each `apply` (JSON, all inline: files are not read again).
_Recipe = Tuple[str, str, Tuple[str, ...]]


class Mesh:
    """A loaded mesh: the model of one cluster under one set of settings. Immutable and safe to
    share between threads; every analysis releases the GIL.

    Build one with ``meshlock.load()``, ``Mesh.from_yaml()`` or ``Mesh.seed()``; ``apply()``
    returns a changed copy (what-if). Pickling a mesh pickles the text of its inputs (files are
    not read again) and rebuilds it.
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
            ("_diagnostics", tuple(Diagnostic._from(d) for d in _answer(inner, {"op": "diagnostics"}))),
            ("_settings", Settings._from(_answer(inner, {"op": "settings"}))),
        ):
            object.__setattr__(mesh, name, value)
        return mesh

    @classmethod
    def _load(cls, sources: str, options: str) -> Mesh:
        inner, read = _meshlock.Mesh.load(sources, options)
        return cls._wrap(inner, (read, options, ()))

    def _ask(self, op: str, render: Sequence[str] = (), **options: Any) -> Any:
        """The answer of ``op`` on this mesh with ``options`` (the core's keys) and the renderings
        the result class keeps beside it."""
        return _answer(self._inner, {"op": op, "render": list(render), **options})

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
        options = _load_options(namespace, istio_version, auto_mtls, root_namespace, trust_domain, limits)
        return cls._load(_json(_sources(inputs, namespace, text, docs)), _json(options))

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
        settings: Dict[str, Any] = json.loads(_meshlock.seed_settings())
        settings.update(
            _options(istio_version=istio_version, auto_mtls=auto_mtls, root_namespace=root_namespace, trust_domain=trust_domain)
        )
        return cls._load(_json([{"builtin": "seed"}]), _json(settings))

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
        return self._apply(_json(_sources(inputs, namespace, text, docs, name)), _json(_options(namespace=namespace)))

    def _apply(self, sources: str, options: str = "{}") -> Mesh:
        inner, read = self._inner.apply(sources, options)
        loaded, load_options, applied = self._recipe
        return self._wrap(inner, (loaded, load_options, (*applied, read)))

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
        return Outcome._from(self._ask("probe", ["text"], **{"from": from_, "to": to}))

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
        return Matrix._from(self._ask("matrix", ["table", "csv"], **_weigh(edges, intents, metrics)))

    def namespace_map(
        self,
        *,
        edges: Optional[str] = None,
        intents: Optional[Union[Input, Iterable[Input]]] = None,
        metrics: Optional[Metrics] = None,
    ) -> NamespaceMap:
        """Namespace × namespace (``meshlock matrix --by namespace``): per (client namespace,
        service namespace) pair, the edges per outcome class and the worst; its memory does not
        grow with the edges. ``edges``, ``intents``, ``metrics``: as in ``matrix``, the edges in
        that scope only."""
        return NamespaceMap._from(self._ask("namespace-map", **_weigh(edges, intents, metrics)))

    def matrix_between(
        self,
        client_ns: Optional[str] = None,
        service_ns: Optional[str] = None,
        *,
        edges: Optional[str] = None,
        intents: Optional[Union[Input, Iterable[Input]]] = None,
        metrics: Optional[Metrics] = None,
    ) -> Matrix:
        """The matrix of the clients in namespace ``client_ns`` × the service ports in namespace
        ``service_ns`` (``None``: every namespace on that side), a pair of ``namespace_map()``.
        ``edges``, ``intents``, ``metrics``: as in ``matrix``."""
        pair = {"client_namespace": client_ns, "service_namespace": service_ns}
        return Matrix._from(self._ask("matrix-between", ["table", "csv"], **pair, **_weigh(edges, intents, metrics)))

    def stages(self) -> Stages:
        """The migration stage of every service port, namespace and of the mesh (``meshlock stages``)."""
        return Stages._from(self._ask("stages", ["text"]))

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
        allow = [allow_break] if isinstance(allow_break, str) else list(allow_break)
        weigh = _weigh(edges, intents, metrics, counts_only)
        return Plan._from(self._ask("plan", ["text"], goal=goal, allow_break=allow, **weigh))

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
        return CheckReport._from(self._ask("check", ["text", "sarif"], **_weigh(edges, intents, metrics, counts_only)))

    def simulate(self, steps: Iterable[SimulationStep], *, namespace: Optional[str] = None) -> Tuple[SimulatedStep, ...]:
        """Applies ``steps`` in order, each on the result of the previous one, and reports the mesh
        after each (named ``step 1``, ``step 2``, …): the edges that changed, the stages, the matrix.

        A step is YAML text, a ``Source`` or a path, or a list of them, or a named step (see
        ``SimulationStep``); ``namespace`` is the default namespace of their documents without one.
        This mesh does not change.
        """
        placement = _json(_options(namespace=namespace))

        def read(index: int, items: Union[StepItem, Sequence[StepItem]]) -> Any:
            return json.loads(self._inner.read(_json(self._step(index, items, namespace)), placement))

        # Paths are read here (the core's steps take sources, not paths); the core reads the rest.
        requested = [
            {**step, **{key: read(i, step[key]) for key in ("apply", "delete") if key in step}}
            if isinstance(step, Mapping)
            else read(i, step)
            for i, step in enumerate(steps, 1)
        ]
        # Each step's stages and matrix come rendered (by the binding: the core's `simulate` has no renderings).
        return tuple(SimulatedStep._from(s) for s in _answer(self._inner, {"op": "simulate", "steps": requested}))

    @staticmethod
    def _step(index: int, step: Union[StepItem, Sequence[StepItem]], namespace: Optional[str]) -> List[Any]:
        """The sources of one step: YAML text named ``<step N>`` (``<step N.M>`` in a list)."""
        items: Sequence[StepItem] = [step] if isinstance(step, (str, Source, os.PathLike)) else step
        named = [
            Source(f"<step {index}>" if len(items) == 1 else f"<step {index}.{j}>", item) if isinstance(item, str) else item
            for j, item in enumerate(items, 1)
        ]
        return [_inline(item, namespace) if isinstance(item, Source) else _path(item) for item in named]

    def ready(self, metrics: Metrics) -> Reconciliation:
        """Reconciles this mesh with observed traffic (``meshlock ready``): per service, whether
        STRICT would break a sender that was seen. ``metrics``: see ``Metrics``.

        Raises ``MeshlockError`` with code ``invalid-metrics`` (a diagnostic per problem, with its
        line or JSON path) when the metrics are malformed; nothing is read from them then.
        """
        return Reconciliation._from(self._ask("ready", ["text"], metrics=_metrics(metrics)))

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
    loaded, options, applied = recipe
    mesh = Mesh._load(loaded, options)
    for sources in applied:
        mesh = mesh._apply(sources)
    return mesh


def _answer(inner: _meshlock.Mesh, request: Mapping[str, Any]) -> Any:
    """The answer of the core to ``request`` (``{"op": ..., ...}``) on ``inner``."""
    return json.loads(inner.call(_json(request)))


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
    options = {**_load_options(namespace, istio_version, auto_mtls, root_namespace, trust_domain, limits), "counts_only": counts_only}
    sources = _sources(inputs, namespace, text, docs)
    return CheckReport._from(json.loads(_meshlock.check(_json(sources), _json(options))))


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
    weigh = _json(_weigh(edges, intents, metrics))
    return Diff._from(json.loads(_meshlock.diff(before._inner, after._inner, weigh)))


def tour() -> Tour:
    """The seed guide replayed step by step on the built-in cluster; ``print(tour())`` shows it."""
    return Tour._from(json.loads(_meshlock.tour()))


def call_json(request: str) -> str:
    """The JSON twin of every operation: a JSON request in, a JSON answer out; never raises.

    ``{"op": "probe", "sources": [{"builtin": "seed"}], "from": "legacy/sleep", "to": "httpbin.foo:8000"}``
    answers ``{"type": "success", ...}`` or ``{"type": "failure", "code", "message", "diagnostics"}``.
    """
    return _meshlock.call_json(request)
