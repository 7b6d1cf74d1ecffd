"""Result classes: frozen, comparable, picklable mirrors of the core's serialised results.

Each class reads the core's JSON shape in ``_from`` (conversion only: every value is computed by
the core) and gives it back with ``to_dict()`` / ``to_json()``. Fields named ``from`` in the core
are ``from_`` here; ``to_dict()`` uses the core's key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, TypeVar, Union, cast

from . import _meshlock

__all__ = [
    "Alternative",
    "Client",
    "Diagnostic",
    "Edge",
    "FrozenDict",
    "Matrix",
    "Outcome",
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


def _opt_enum(kind: Any, value: Optional[str]) -> Any:
    return None if value is None else kind(value)


class _Result:
    """``to_dict()`` / ``to_json()`` for the dataclasses below.

    Field metadata: ``key`` renames a field in the dict, ``dict=False`` leaves it out (rendered
    text), ``omit_empty`` leaves it out when empty (as the core's ``skip_serializing_if``).
    """

    __slots__ = ()

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

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Source:
        return cls(d["name"], d["text"], d.get("namespace"))


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

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Diagnostic:
        return cls(
            d["code"],
            d["name"],
            Severity(d["severity"]),
            d["message"],
            d.get("help"),
            d.get("source", ""),
            d.get("document"),
            d.get("path"),
            d.get("line"),
            d.get("column"),
        )


@dataclass(frozen=True)
class Step(_Result):
    """One link of an explanation: which side, which resource decided, and what."""

    side: Side
    resource: Optional[str]
    text: str

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Step:
        return cls(Side(d["side"]), d.get("resource"), d["text"])


@dataclass(frozen=True)
class Alternative(_Result):
    """Endpoints of one service that behave differently from the others."""

    status: str
    curl_exit: int
    transport: Optional[Transport]
    reason: Reason
    endpoints: Tuple[str, ...]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Alternative:
        return cls(
            d["status"], d["curl_exit"], _opt_enum(Transport, d["transport"]), Reason(d["reason"]), tuple(d["endpoints"])
        )


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

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Outcome:
        return cls(
            d["from"],
            d["to"],
            d["status"],
            d["curl_exit"],
            _opt_enum(Transport, d["transport"]),
            Verdict(d["verdict"]),
            Reason(d["reason"]),
            tuple(Step._from(s) for s in d["explain"]),
            tuple(Alternative._from(a) for a in d.get("alternatives", ())),
            d.get("text", ""),
        )


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

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Edge:
        return cls(
            d["from"],
            d["to"],
            d["status"],
            d["curl_exit"],
            _opt_enum(Transport, d["transport"]),
            Verdict(d["verdict"]),
            Reason(d["reason"]),
            None if d.get("evidence") is None else tuple(d["evidence"]),
        )


@dataclass(frozen=True)
class Client(_Result):
    """A client workload (``namespace/name``), its kind and whether it runs a sidecar, and why."""

    id: str
    kind: str
    sidecar: bool
    sidecar_reason: str

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Client:
        return cls(d["id"], d["kind"], d["sidecar"], d["sidecar_reason"])


@dataclass(frozen=True)
class ServicePort(_Result):
    """A service port (``id`` is ``fqdn:port``, as in ``Edge.to``) and the workloads behind it."""

    id: str
    namespace: str
    name: str
    port: int
    port_name: Optional[str]
    endpoints: Tuple[str, ...]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> ServicePort:
        return cls(d["id"], d["namespace"], d["name"], d["port"], d.get("port_name"), tuple(d["endpoints"]))


@dataclass(frozen=True)
class Settings(_Result):
    """The settings in force, each with where it came from."""

    istio_version: str
    istio_version_origin: SettingOrigin
    auto_mtls: bool
    auto_mtls_origin: SettingOrigin
    root_namespace: str
    trust_domain: str

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Settings:
        return cls(
            d["istio_version"],
            SettingOrigin(d["istio_version_origin"]),
            d["auto_mtls"],
            SettingOrigin(d["auto_mtls_origin"]),
            d["root_namespace"],
            d["trust_domain"],
        )


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

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Matrix:
        return cls(
            Settings._from(d["settings"]),
            tuple(Client._from(c) for c in d["clients"]),
            tuple(ServicePort._from(s) for s in d["services"]),
            tuple(Edge._from(e) for e in d["edges"]),
            d.get("table", ""),
            d.get("csv", ""),
        )


@dataclass(frozen=True)
class TourRow(_Result):
    """One client's line of a tour step; ``guide_prints`` is what the guide shows when it differs."""

    outcome: Outcome
    guide_prints: Optional[str]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> TourRow:
        return cls(Outcome._from(d["outcome"]), d.get("guide_prints"))


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

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> TourStep:
        return cls(
            d["id"],
            d["title"],
            d.get("base"),
            d.get("command"),
            tuple(Source._from(s) for s in d["applied"]),
            tuple(Diagnostic._from(x) for x in d["published_diagnostics"]),
            d.get("note"),
            tuple(TourRow._from(r) for r in d["rows"]),
        )


@dataclass(frozen=True)
class Tour(_Result):
    """The seed guide replayed step by step on the built-in cluster; ``str(tour)`` renders it."""

    title: str
    istio_version: str
    steps: Tuple[TourStep, ...] = field(repr=False)
    text: str = field(default="", repr=False, compare=False, metadata=_TEXT)

    def __str__(self) -> str:
        return self.text

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Tour:
        return cls(d["title"], d["istio_version"], tuple(TourStep._from(s) for s in d["steps"]), d.get("text", ""))
