"""Migration results: stages, plans, diffs and simulations, mirrors of the core's ``migrate``
module (conversion only, as in ``_types``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional, Tuple

from ._types import (
    _FROM,
    _TEXT,
    Diagnostic,
    FrozenDict,
    Matrix,
    Reason,
    Transport,
    Verdict,
    _opt_enum,
    _Result,
    _StrEnum,
)

__all__ = [
    "Blocker",
    "Diff",
    "EdgeChange",
    "EdgeState",
    "Goal",
    "MtlsMode",
    "Plan",
    "PlanStep",
    "PlanSummary",
    "Remedy",
    "RemedyKind",
    "ServiceStage",
    "SimulatedStep",
    "Stage",
    "StageChange",
    "Stages",
]


class Stage(_StrEnum):
    """Where a service port (and, aggregated, a namespace or the mesh) is on the way from
    plaintext to STRICT."""

    BROKEN = "broken"
    """STRICT (or mTLS-only) and some client fails."""
    NO_SIDECAR = "no-sidecar"
    """No endpoint has a sidecar: nothing to migrate."""
    PLAINTEXT = "plaintext"
    """DISABLE: the server accepts plaintext only."""
    PERMISSIVE = "permissive"
    """Accepts both, no client sends mTLS."""
    UPGRADING = "upgrading"
    """Accepts both, some sidecar clients send mTLS."""
    READY = "ready"
    """Accepts both, every sidecar client sends mTLS; the plaintext callers left have no sidecar."""
    LOCKED = "locked"
    """STRICT, nothing breaks."""


class MtlsMode(_StrEnum):
    """A server's mutual-TLS mode, as Istio spells it."""

    UNSET = "UNSET"
    DISABLE = "DISABLE"
    PERMISSIVE = "PERMISSIVE"
    STRICT = "STRICT"


class RemedyKind(_StrEnum):
    """A way out for a blocker."""

    INJECT_CLIENT = "inject-client"
    KEEP_PERMISSIVE = "keep-permissive"
    ALLOW_BREAK = "allow-break"
    FIX_DESTINATION_RULE = "fix-destination-rule"


def _stage_map(d: Mapping[str, str]) -> FrozenDict[str, Stage]:
    return FrozenDict((k, Stage(v)) for k, v in d.items())


@dataclass(frozen=True)
class ServiceStage(_Result):
    """The stage of one service port (``fqdn:port``, as in ``Edge.to``) and why."""

    service: str
    namespace: str
    stage: Stage
    mode: Optional[MtlsMode]
    """The strongest mode among the endpoints with a sidecar."""
    mtls_clients: int
    plaintext_clients: int
    failing: Tuple[str, ...]
    """Clients that fail because of mTLS settings."""
    blockers: Tuple[str, ...]
    """Clients without a sidecar that still send plaintext: they break when the port is locked."""

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> ServiceStage:
        return cls(
            d["service"],
            d["namespace"],
            Stage(d["stage"]),
            _opt_enum(MtlsMode, d.get("mode")),
            d["mtls_clients"],
            d["plaintext_clients"],
            tuple(d["failing"]),
            tuple(d["blockers"]),
        )


@dataclass(frozen=True)
class Stages(_Result):
    """The stage of every service port, then of every namespace and of the mesh (a namespace is as
    far as its least advanced service with a sidecar; broken wins). ``str(stages)`` is the table
    ``meshlock stages`` prints."""

    services: Tuple[ServiceStage, ...] = field(repr=False)
    namespaces: FrozenDict[str, Stage]
    mesh: Stage
    text: str = field(default="", repr=False, compare=False, metadata=_TEXT)

    def service(self, id: str) -> Optional[ServiceStage]:
        """The stage of service port ``fqdn:port``, if it exists."""
        return next((s for s in self.services if s.service == id), None)

    def __str__(self) -> str:
        return self.text

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Stages:
        return cls(
            tuple(ServiceStage._from(s) for s in d["services"]),
            _stage_map(d["namespaces"]),
            Stage(d["mesh"]),
            d.get("text", ""),
        )


@dataclass(frozen=True)
class EdgeState(_Result):
    """One side of a changed edge: what ``curl`` sees."""

    status: str
    curl_exit: int
    transport: Optional[Transport]
    verdict: Verdict
    reason: Reason

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> EdgeState:
        return cls(d["status"], d["curl_exit"], _opt_enum(Transport, d["transport"]), Verdict(d["verdict"]), Reason(d["reason"]))


@dataclass(frozen=True)
class EdgeChange(_Result):
    """An edge whose status or transport changes. ``before``/``after`` is ``None`` when the edge
    exists on one side only; ``change`` is the group (``plaintext → mtls``, ``mtls → fail``, …);
    ``cause`` the changed resources that took part in deciding it."""

    from_: str = field(metadata=_FROM)
    to: str
    before: Optional[EdgeState]
    after: Optional[EdgeState]
    change: str
    cause: Tuple[str, ...] = ()

    @property
    def breaks(self) -> bool:
        """A working edge that stops working."""
        return self.before is not None and self.after is not None and self.before.ok and not self.after.ok

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> EdgeChange:
        before, after = d.get("before"), d.get("after")
        return cls(
            d["from"],
            d["to"],
            None if before is None else EdgeState._from(before),
            None if after is None else EdgeState._from(after),
            d["change"],
            tuple(d["cause"]),
        )


@dataclass(frozen=True)
class Diff(_Result):
    """Every edge that changes between two configurations (``meshlock.diff(before, after)``),
    grouped; ``broken`` counts the edges that worked and fail after; ``diagnostics`` are the
    transitions the migration refuses (ML402: DISABLE straight to STRICT). ``str(diff)`` renders it."""

    changes: Tuple[EdgeChange, ...] = field(repr=False)
    groups: FrozenDict[str, int]
    broken: int
    diagnostics: Tuple[Diagnostic, ...] = field(default=(), repr=False)
    text: str = field(default="", repr=False, compare=False, metadata=_TEXT)

    def __iter__(self) -> Iterator[EdgeChange]:
        return iter(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    @property
    def breaking(self) -> Tuple[EdgeChange, ...]:
        """The changes that break a working edge."""
        return tuple(c for c in self.changes if c.breaks)

    def __str__(self) -> str:
        return self.text

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Diff:
        return cls(
            tuple(EdgeChange._from(c) for c in d["changes"]),
            FrozenDict(d["groups"]),
            d["broken"],
            tuple(Diagnostic._from(x) for x in d["diagnostics"]),
            d.get("text", ""),
        )


@dataclass(frozen=True)
class Goal(_Result):
    """Where a plan goes: ``type`` is ``strict`` (lock every namespace that can be locked),
    ``namespaces`` (lock these only) or ``mesh-strict`` (every namespace, then the mesh).
    ``str(goal)`` is the string ``Mesh.plan`` takes."""

    type: str
    namespaces: Tuple[str, ...] = field(default=(), metadata={"omit_empty": True})

    def __str__(self) -> str:
        return f"namespace={','.join(self.namespaces)}" if self.type == "namespaces" else self.type

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Goal:
        return cls(d["type"], tuple(d.get("namespaces", ())))


@dataclass(frozen=True)
class StageChange(_Result):
    before: Stage
    after: Stage

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> StageChange:
        return cls(Stage(d["before"]), Stage(d["after"]))


@dataclass(frozen=True)
class PlanStep(_Result):
    """One step of a plan: manifests to apply (and to ``kubectl delete``), how to undo it, the
    edges it changes, the stages it moves, and what to verify on the live cluster first."""

    name: str
    """Deterministic and file-name safe: ``01-client-mtls-httpbin-foo``."""
    description: str
    apply: Tuple[str, ...] = field(repr=False)
    delete: Tuple[str, ...] = field(repr=False)
    rollback: Tuple[str, ...] = field(repr=False)
    """Applying ``rollback`` and deleting ``rollback_delete`` restores the state before this step."""
    rollback_delete: Tuple[str, ...] = field(repr=False)
    delta: Tuple[EdgeChange, ...] = field(repr=False)
    stages: FrozenDict[str, StageChange] = field(repr=False)
    """Service ports and namespaces whose stage changes."""
    prechecks: Tuple[str, ...] = field(repr=False)

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> PlanStep:
        return cls(
            d["name"],
            d["description"],
            tuple(d["apply"]),
            tuple(d["delete"]),
            tuple(d["rollback"]),
            tuple(d["rollback_delete"]),
            tuple(EdgeChange._from(c) for c in d["delta"]),
            FrozenDict((k, StageChange._from(v)) for k, v in d["stages"].items()),
            tuple(d["prechecks"]),
        )


@dataclass(frozen=True)
class Remedy(_Result):
    """A way out for a blocker; ``action`` is the YAML or command that implements it, if any."""

    kind: RemedyKind
    description: str
    action: Optional[str]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Remedy:
        return cls(RemedyKind(d["kind"]), d["description"], d.get("action"))


@dataclass(frozen=True)
class Blocker(_Result):
    """A client that a lock-down step would break (``would_get``: what it would see), the step
    that was held back, and the narrowest ways out."""

    client: str
    service: str
    would_get: str
    reason: Reason
    step: str
    remedies: Tuple[Remedy, ...] = field(repr=False)

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Blocker:
        return cls(
            d["client"], d["service"], d["would_get"], Reason(d["reason"]), d["step"], tuple(Remedy._from(r) for r in d["remedies"])
        )


@dataclass(frozen=True)
class PlanSummary(_Result):
    """The mesh after a plan: edge counts and stages (the core's ``Summary``)."""

    edges: int
    ok: int
    failing: int
    mtls: int
    plaintext: int
    namespaces: FrozenDict[str, Stage]
    mesh: Stage

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> PlanSummary:
        return cls(d["edges"], d["ok"], d["failing"], d["mtls"], d["plaintext"], _stage_map(d["namespaces"]), Stage(d["mesh"]))


@dataclass(frozen=True, repr=False)
class Plan(_Result):
    """A migration plan: ``steps`` in order, ``blockers`` (clients a lock-down would break, each
    step held back), ``notes`` (what needs no step, and why) and the ``final`` state.
    ``str(plan)`` is the Markdown runbook ``meshlock plan`` prints."""

    goal: Goal
    notes: Tuple[str, ...]
    steps: Tuple[PlanStep, ...]
    blockers: Tuple[Blocker, ...]
    final: PlanSummary
    text: str = field(default="", compare=False, metadata=_TEXT)

    def step(self, name: str) -> Optional[PlanStep]:
        """The step called ``name`` (``06-lock-httpbin-foo``), if any."""
        return next((s for s in self.steps if s.name == name), None)

    def __iter__(self) -> Iterator[PlanStep]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return (
            f"<Plan {self.goal}: {len(self.steps)} steps, {len(self.blockers)} blockers; "
            f"mesh {self.final.mesh.value} after, {self.final.failing} failing>"
        )

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Plan:
        return cls(
            Goal._from(d["goal"]),
            tuple(d["notes"]),
            tuple(PlanStep._from(s) for s in d["steps"]),
            tuple(Blocker._from(b) for b in d["blockers"]),
            PlanSummary._from(d["final"]),
            d.get("text", ""),
        )


@dataclass(frozen=True)
class SimulatedStep(_Result):
    """The mesh after one step of ``Mesh.simulate``: the edges that changed against the previous
    step, the stages and the whole matrix."""

    name: str
    delta: Tuple[EdgeChange, ...] = field(repr=False)
    stages: Stages = field(repr=False)
    matrix: Matrix

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> SimulatedStep:
        return cls(
            d["name"],
            tuple(EdgeChange._from(c) for c in d["delta"]),
            Stages._from(d["stages"]),
            Matrix._from(d["matrix"]),
        )
