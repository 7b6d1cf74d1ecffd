"""Result classes: frozen, comparable, picklable mirrors of the core's serialised results.

A class is declared by its fields only: one converter (``_Result._from``) reads the core's JSON
as the field annotations say (conversion only: every value is computed by the core), and
``to_dict()`` / ``to_json()`` give it back. Fields named ``from`` in the core are ``from_`` here;
``to_dict()`` uses the core's key. ``tests/test_schema.py`` holds the fields to the core's
generated schema (``schema/meshlock.schema.json``).
"""

from __future__ import annotations

import json
from dataclasses import MISSING, Field, dataclass, field, fields
from enum import Enum
from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

from . import _meshlock
from ._errors import MeshlockError

__all__ = [
    "Alternative",
    "ClassCounts",
    "Client",
    "Diagnostic",
    "Edge",
    "FrozenDict",
    "MapNamespace",
    "Matrix",
    "NamespaceMap",
    "NamespacePair",
    "Outcome",
    "OutcomeClass",
    "Reason",
    "ServicePort",
    "SettingOrigin",
    "Settings",
    "Severity",
    "Side",
    "Source",
    "Step",
    "Tour",
    "TourRow",
    "TourStep",
    "Transport",
    "Verdict",
]


class _StrEnum(str, Enum):
    """An enum whose members are their core string, so ``outcome.reason == "mtls"`` holds."""

    def __str__(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


class Transport(_StrEnum):
    """What the client put on the wire."""

    MTLS = "mtls"
    PLAINTEXT = "plaintext"


class Verdict(_StrEnum):
    OK = "ok"
    FAIL = "fail"


class Reason(_StrEnum):
    """Stable reason codes (``tests/scenarios/README.md``), from best to worst."""

    MTLS = "mtls"
    PLAINTEXT = "plaintext"
    PLAINTEXT_TO_STRICT = "plaintext-to-strict"
    MTLS_TO_NO_SIDECAR = "mtls-to-no-sidecar"
    MTLS_TO_DISABLED = "mtls-to-disabled"
    TLS_ORIGINATION_REJECTED = "tls-origination-rejected"
    RBAC_DENIED = "rbac-denied"
    TLS_HANDSHAKE_FAILED = "tls-handshake-failed"
    NETWORK_POLICY = "network-policy"
    NO_ENDPOINTS = "no-endpoints"
    UNKNOWN_PORT = "unknown-port"
    UNKNOWN_HOST = "unknown-host"


class Severity(_StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Side(_StrEnum):
    """Where a step of an explanation happens."""

    CLIENT = "client"
    NETWORK = "network"
    SERVER = "server"
    RESULT = "result"


class SettingOrigin(_StrEnum):
    """Where a resolved setting came from."""

    EXPLICIT = "explicit"
    MESH_CONFIG = "mesh-config"
    INFERRED = "inferred"
    DEFAULT = "default"


K = TypeVar("K")
V = TypeVar("V", covariant=True)


class FrozenDict(Mapping[K, V]):
    """An immutable, hashable mapping: the dict-valued fields of results (``Stages.namespaces``,
    ``Diff.groups``, …), so that results stay frozen and hashable. Compares equal to a ``dict``
    with the same items; ``dict(frozen)`` gives a plain one."""

    __slots__ = ("_items",)
    _items: Dict[K, V]

    def __init__(self, items: Union[Mapping[K, V], Iterable[Tuple[K, V]]] = ()) -> None:
        object.__setattr__(self, "_items", dict(items))

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return repr(self._items)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("FrozenDict is immutable")

    def __reduce__(self) -> Tuple[Any, ...]:
        return (FrozenDict, (self._items,))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, _Result):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, FrozenDict):
        return {k: _plain(v) for k, v in value.items()}
    return value


R = TypeVar("R", bound="_Result")

# Per class: its fields with their resolved annotations (resolved once: `get_type_hints` is slow).
_FIELDS: Dict[type, List[Tuple[Field[Any], Any]]] = {}


def _fields_of(cls: type) -> List[Tuple[Field[Any], Any]]:
    known = _FIELDS.get(cls)
    if known is None:
        hints = get_type_hints(cls)
        known = _FIELDS[cls] = [(f, hints[f.name]) for f in fields(cls)]
    return known


def _value(kind: Any, value: Any) -> Any:
    """``value`` of the core's JSON as the annotation ``kind`` says: result classes from objects,
    enums from their strings, tuples from lists, ``FrozenDict``s from objects; ``null`` is ``None``
    (the core writes it for ``Optional`` fields only)."""
    if value is None:
        return None
    origin = get_origin(kind)
    if origin is Union:
        (inner,) = [a for a in get_args(kind) if a is not type(None)]
        return _value(inner, value)
    if origin is tuple:
        return tuple(_value(get_args(kind)[0], v) for v in value)
    if origin is FrozenDict:
        return FrozenDict((k, _value(get_args(kind)[1], v)) for k, v in value.items())
    if isinstance(kind, type):
        if issubclass(kind, _Result):
            return kind._from(value)
        if issubclass(kind, Enum):
            return kind(value)
        if kind is float:
            return float(value)  # JSON writes 35.0 as 35
    # Under `Any` (a `scope` report): frozen all the way down, so that the result stays hashable.
    if isinstance(value, dict):
        return FrozenDict((k, _value(Any, v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_value(Any, v) for v in value)
    return value


class _Result:
    """``_from`` (the core's JSON → the class) and ``to_dict()`` / ``to_json()`` (back) for the
    dataclasses below, driven by their fields.

    Field metadata: ``key`` is the core's name of a field, ``dict=False`` leaves it out of the dict
    (a rendering beside the result: ``text``, ``table``…), ``omit_empty`` leaves it out when empty
    (as the core's ``skip_serializing_if``), ``read`` converts the core's value instead of the
    annotation. A key the core leaves out takes the field's default.
    """

    __slots__ = ()

    @classmethod
    def _from(cls: Type[R], d: Mapping[str, Any]) -> R:
        values: Dict[str, Any] = {}
        for f, kind in _fields_of(cls):
            key = f.metadata.get("key", f.name)
            if key in d:
                read = f.metadata.get("read")
                values[f.name] = read(d[key]) if read is not None else _value(kind, d[key])
            elif f.default is MISSING and f.default_factory is MISSING:
                raise MeshlockError(f"the core's answer has no `{key}` for {cls.__name__}: please report it", "internal")
        return cls(**values)

    def to_dict(self) -> Dict[str, Any]:
        """The core's JSON shape as plain Python values (enums as strings, tuples as lists)."""
        out: Dict[str, Any] = {}
        for f in fields(cast(Any, self)):
            value = getattr(self, f.name)
            if not f.metadata.get("dict", True) or (f.metadata.get("omit_empty") and not value):
                continue
            out[f.metadata.get("key", f.name)] = _plain(value)
        return out

    def to_json(self, *, indent: Optional[int] = None) -> str:
        """``to_dict()`` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


_FROM = {"key": "from"}
_TEXT = {"dict": False}


@dataclass(frozen=True)
class Source(_Result):
    """One input: a name for diagnostics, YAML (or JSON) text, and an optional default namespace
    for documents without one (like ``kubectl apply -n``)."""

    name: str
    text: str = field(repr=False)
    namespace: Optional[str] = None

    @classmethod
    def seed(cls) -> Source:
        """The built-in seed cluster: the "Mutual TLS Migration" guide's, Istio 1.1 samples."""
        return cls._from(json.loads(_meshlock.seed_source()))


@dataclass(frozen=True)
class Diagnostic(_Result):
    """A finding about the input, with a stable ``code`` (``ML105``) and ``name`` (slug)."""

    code: str
    name: str
    severity: Severity
    message: str
    help: Optional[str] = None
    source: str = ""
    document: Optional[int] = None
    path: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None


@dataclass(frozen=True)
class Step(_Result):
    """One link of an explanation: which side, which resource decided, and what."""

    side: Side
    resource: Optional[str]
    text: str


@dataclass(frozen=True)
class Alternative(_Result):
    """Endpoints of one service that behave differently from the others."""

    status: str
    curl_exit: int
    transport: Optional[Transport]
    reason: Reason
    endpoints: Tuple[str, ...]


@dataclass(frozen=True)
class Outcome(_Result):
    """What ``curl`` in the client pod sees: ``status`` as curl prints it (``"000"`` when no HTTP
    answer came), curl's exit code, the transport attempted, the verdict and a stable reason.
    ``explain`` is the decision chain; ``text`` (and ``str(outcome)``) the same in prose."""

    from_: str = field(metadata=_FROM)
    to: str
    status: str
    curl_exit: int
    transport: Optional[Transport]
    verdict: Verdict
    reason: Reason
    explain: Tuple[Step, ...] = field(default=(), repr=False)
    alternatives: Tuple[Alternative, ...] = field(default=(), repr=False, metadata={"omit_empty": True})
    text: str = field(default="", repr=False, compare=False, metadata=_TEXT)

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Edge(_Result):
    """One cell of the matrix: a client workload and a service port (``fqdn:port``)."""

    from_: str = field(metadata=_FROM)
    to: str
    status: str
    curl_exit: int
    transport: Optional[Transport]
    verdict: Verdict
    reason: Reason
    evidence: Optional[Tuple[str, ...]] = field(default=None, metadata={"omit_empty": True})
    """Its evidence (``observed``, ``declared``, ``possible``, ``forbidden``), when the matrix weighs
    evidence (``Mesh.matrix(edges=…, intents=…, metrics=…)``)."""

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK


@dataclass(frozen=True)
class Client(_Result):
    """A client workload (``namespace/name``), its kind and whether it runs a sidecar, and why."""

    id: str
    kind: str
    sidecar: bool
    sidecar_reason: str


@dataclass(frozen=True)
class ServicePort(_Result):
    """A service port (``id`` is ``fqdn:port``, as in ``Edge.to``) and the workloads behind it."""

    id: str
    namespace: str
    name: str
    port: int
    port_name: Optional[str]
    endpoints: Tuple[str, ...]


@dataclass(frozen=True)
class Settings(_Result):
    """The settings in force, each with where it came from."""

    istio_version: str
    istio_version_origin: SettingOrigin
    auto_mtls: bool
    auto_mtls_origin: SettingOrigin
    root_namespace: str
    trust_domain: str


@dataclass(frozen=True, repr=False)
class Matrix(_Result):
    """Every client workload × every service port. Iterating yields the ``Edge``s;
    ``to_records()`` gives them as dicts (``pandas.DataFrame(m.to_records())``)."""

    settings: Settings
    clients: Tuple[Client, ...]
    services: Tuple[ServicePort, ...]
    edges: Tuple[Edge, ...]
    table: str = field(default="", compare=False, metadata=_TEXT)
    """The fixed-width table ``meshlock matrix`` prints (also ``str(matrix)``)."""
    csv: str = field(default="", compare=False, metadata=_TEXT)
    """The matrix as CSV, one row per edge, as ``meshlock matrix --format csv`` prints it."""

    def __iter__(self) -> Iterator[Edge]:
        return iter(self.edges)

    def __len__(self) -> int:
        return len(self.edges)

    def edge(self, from_: str, to: str) -> Optional[Edge]:
        """The edge from client ``namespace/name`` to service port ``fqdn:port``, if any."""
        return next((e for e in self.edges if e.from_ == from_ and e.to == to), None)

    @property
    def failing(self) -> Tuple[Edge, ...]:
        return tuple(e for e in self.edges if not e.ok)

    def to_records(self) -> List[Dict[str, Any]]:
        """One dict per edge, with the core's keys (``from``, ``to``, ``status``, …)."""
        return [e.to_dict() for e in self.edges]

    def __str__(self) -> str:
        return self.table

    def __repr__(self) -> str:
        return (
            f"<Matrix: {len(self.clients)} clients × {len(self.services)} service ports = "
            f"{len(self.edges)} edges, {len(self.failing)} failing; Istio {self.settings.istio_version}>"
        )


class OutcomeClass(_StrEnum):
    """What an edge means at a glance, best to worst (a pair of the namespace map takes its worst)."""

    OK_MTLS = "ok-mtls"
    OK_PLAINTEXT = "ok-plaintext"
    DENIED = "denied"
    """Denied by the cluster's own authorization (403, or closed on TCP): intended."""
    OTHER_FAILURE = "other-failure"
    """Fails for another reason (no endpoints, unknown port or host)."""
    MTLS_BROKEN = "mtls-broken"
    """Broken by the mTLS configuration: what a migration must not cause."""


@dataclass(frozen=True)
class ClassCounts(_Result):
    """Edges per outcome class."""

    ok_mtls: int
    ok_plaintext: int
    denied: int
    other_failure: int
    mtls_broken: int


@dataclass(frozen=True)
class MapNamespace(_Result):
    """A namespace of the map: its client workloads and service ports."""

    name: str
    clients: int
    service_ports: int


@dataclass(frozen=True)
class NamespacePair(_Result):
    """The edges from the clients of namespace ``from_`` to the service ports of namespace ``to``."""

    from_: str = field(metadata=_FROM)
    to: str
    edges: int
    counts: ClassCounts
    worst: OutcomeClass


@dataclass(frozen=True, repr=False)
class NamespaceMap(_Result):
    """Namespace × namespace (``meshlock matrix --by namespace``): the pairs with edges, each with
    its edges per outcome class and the worst; the pairs' counts add up to ``totals``.
    ``Mesh.matrix_between`` gives the edges of one pair."""

    clients: int
    service_ports: int
    edges: int
    totals: ClassCounts
    worst: Optional[OutcomeClass]
    """``None``: no edges."""
    namespaces: Tuple[MapNamespace, ...]
    """Every namespace with a client or a service port, in name order."""
    pairs: Tuple[NamespacePair, ...]

    def pair(self, from_: str, to: str) -> Optional[NamespacePair]:
        """The pair of client namespace ``from_`` and service namespace ``to``, if it has edges."""
        return next((p for p in self.pairs if p.from_ == from_ and p.to == to), None)

    def __repr__(self) -> str:
        worst = "none" if self.worst is None else self.worst.value
        return (
            f"<NamespaceMap: {len(self.namespaces)} namespaces, {len(self.pairs)} pairs, "
            f"{self.edges} edges, worst {worst}>"
        )


@dataclass(frozen=True)
class TourRow(_Result):
    """One client's line of a tour step; ``guide_prints`` is what the guide shows when it differs."""

    outcome: Outcome
    guide_prints: Optional[str]


@dataclass(frozen=True)
class TourStep(_Result):
    """One step of the guide: what it applies, what meshlock says about the published manifest,
    and what each client sees afterwards."""

    id: str
    title: str
    #: The step whose state this one starts from; ``None``: the cluster as it is (3′ starts from 1).
    base: Optional[str]
    command: Optional[str]
    applied: Tuple[Source, ...] = field(repr=False)
    published_diagnostics: Tuple[Diagnostic, ...] = field(repr=False)
    note: Optional[str]
    rows: Tuple[TourRow, ...] = field(repr=False)


@dataclass(frozen=True)
class Tour(_Result):
    """The seed guide replayed step by step on the built-in cluster; ``str(tour)`` renders it."""

    title: str
    istio_version: str
    steps: Tuple[TourStep, ...] = field(repr=False)
    text: str = field(default="", repr=False, compare=False, metadata=_TEXT)

    def __str__(self) -> str:
        return self.text
