"""Migration results: stages, plans, diffs and simulations, mirrors of the core's ``migrate``
module, declared by their fields (as in ``_types``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Tuple

from ._types import (
    _FROM,
    _TEXT,
    Diagnostic,
    FrozenDict,
    Matrix,
    Reason,
    Transport,
    Verdict,
    _Result,
    _StrEnum,
)

__all__ = [
    "Blocker",
    "ClientGroup",
    "Diff",
    "EdgeChange",
    "EdgeGroup",
    "EdgeRef",
    "EdgeState",
    "Effect",
    "Goal",
    "MtlsMode",
    "Plan",
    "PlanStep",
    "PlanSummary",
    "Remedy",
    "RemedyChoice",
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


class Effect(_StrEnum):
    """What a group of edges means for the migration."""

    MTLS_BROKEN = "mtls-broken"
    """A failing edge whose failure mTLS settings cause: a problem to fix."""
    DENIED = "denied"
    """A failing edge that the cluster's own authorization denies (403, closed on TCP): intended."""
    OTHER_FAILURE = "other-failure"
    """A failing edge for another reason (no endpoints, unknown port or host, TLS handshake)."""
    BREAKS = "breaks"
    """A working edge that fails after the change."""
    STILL_DENIED = "still-denied"
    """Denied by authorization before, failing after: refused before and still, not a break."""
    STILL_FAILING = "still-failing"
    """Failing before and after for other reasons."""
    REPAIRED = "repaired"
    """A failing edge that works after the change."""
    CHANGED = "changed"
    """Working before and after, over another transport (plaintext → mTLS)."""
    ADDED_OR_REMOVED = "added-or-removed"
    """An edge on one side only (a workload or service added or removed)."""


@dataclass(frozen=True)
class EdgeRef(_Result):
    """One edge named by a group as an example."""

    from_: str = field(metadata=_FROM)
    to: str


@dataclass(frozen=True)
class EdgeGroup(_Result):
    """Edges alike in effect, change, reason and deciding resource (``Kind namespace/name``, when
    one decided), with counts, the clients and service ports in compact form, and the first edges
    as ``examples``. The groups of a list add up to the edges grouped."""

    effect: Effect
    change: str
    """``mtls → fail`` for a change; for a failing edge, the status as curl prints it (``403``)."""
    reason: Reason
    """The reason of the failure, or of the state after the change."""
    resource: Optional[str]
    edges: int
    clients: int
    clients_text: str
    """The clients in compact form: ``charlie-rating-2/* (20 clients)``."""
    services: int
    """Service ports."""
    services_text: str
    """The service ports in compact form: ``5 ports of 3 services in foo``."""
    examples: Tuple[EdgeRef, ...] = field(repr=False)


@dataclass(frozen=True)
class ClientGroup(_Result):
    """Clients that hold back (or break on) the same things, each client in one group only:
    ``holds`` are service ports (``Stages``) or lock-down steps (``Plan``)."""

    clients: Tuple[str, ...] = field(repr=False)
    clients_text: str
    holds: Tuple[str, ...] = field(repr=False)
    holds_text: str


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


@dataclass(frozen=True)
class Stages(_Result):
    """The stage of every service port, then of every namespace and of the mesh (a namespace is as
    far as its least advanced service with a sidecar; broken wins). ``str(stages)`` is the table
    ``meshlock stages`` prints."""

    services: Tuple[ServiceStage, ...] = field(repr=False)
    namespaces: FrozenDict[str, Stage]
    mesh: Stage
    blocker_groups: Tuple[ClientGroup, ...] = field(repr=False)
    """The blockers, each client once, with the ports whose lock-down it holds back."""
    failing_groups: Tuple[ClientGroup, ...] = field(repr=False)
    """The clients that fail because of mTLS settings, each once, with the ports they fail on."""
    text: str = field(default="", repr=False, compare=False, metadata=_TEXT)

    def service(self, id: str) -> Optional[ServiceStage]:
        """The stage of service port ``fqdn:port``, if it exists."""
        return next((s for s in self.services if s.service == id), None)

    def __str__(self) -> str:
        return self.text


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
    evidence: Optional[Tuple[str, ...]] = field(default=None, metadata={"omit_empty": True})
    """Its evidence before the change (``observed``, ``declared``, ``possible``, ``forbidden``), when
    the diff weighs evidence."""

    @property
    def breaks(self) -> bool:
        """A working edge that stops working."""
        return self.before is not None and self.after is not None and self.before.ok and not self.after.ok


@dataclass(frozen=True)
class Diff(_Result):
    """Every edge that changes between two configurations (``meshlock.diff(before, after)``),
    grouped; ``broken`` counts the edges that worked and fail after; ``diagnostics`` are the
    transitions the migration refuses (ML402: DISABLE straight to STRICT). ``str(diff)`` renders it."""

    changes: Tuple[EdgeChange, ...] = field(repr=False)
    groups: FrozenDict[str, int]
    by_cause: Tuple[EdgeGroup, ...] = field(repr=False)
    """The changes grouped by effect, change, reason after and cause; the counts add up to ``len(diff)``."""
    broken: int
    diagnostics: Tuple[Diagnostic, ...] = field(default=(), repr=False)
    scope: Optional[FrozenDict[str, Any]] = field(default=None, metadata={"omit_empty": True})
    """Under an edge scope (``edges=``): ``edges``, ``broken`` (in the scope), ``broken_outside``,
    ``by_evidence``."""
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


@dataclass(frozen=True)
class Goal(_Result):
    """Where a plan goes: ``type`` is ``strict`` (lock every namespace that can be locked),
    ``namespaces`` (lock these only) or ``mesh-strict`` (every namespace, then the mesh).
    ``str(goal)`` is the string ``Mesh.plan`` takes."""

    type: str
    namespaces: Tuple[str, ...] = field(default=(), metadata={"omit_empty": True})

    def __str__(self) -> str:
        return f"namespace={','.join(self.namespaces)}" if self.type == "namespaces" else self.type


@dataclass(frozen=True)
class StageChange(_Result):
    before: Stage
    after: Stage


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
    groups: Tuple[EdgeGroup, ...] = field(repr=False)
    """``delta`` grouped by effect, change, reason after and deciding resource."""
    stages: FrozenDict[str, StageChange] = field(repr=False)
    """Service ports and namespaces whose stage changes."""
    prechecks: Tuple[str, ...] = field(repr=False)


@dataclass(frozen=True)
class Remedy(_Result):
    """A way out for a blocker; ``target`` is what it acts on (the namespace to inject, the rule to
    fix, the port or service to keep PERMISSIVE, the client to let break); ``action`` is the YAML or
    command that implements it, if any."""

    kind: RemedyKind
    target: str
    description: str
    action: Optional[str]


@dataclass(frozen=True)
class RemedyChoice(_Result):
    """One remedy of a plan's ``remedy_set``: ``edges`` counts the blocked edges it deals with (not
    dealt with by the remedies before it), ``released`` the lock-downs released once it and the
    remedies before it are applied; ``alternatives`` are the other ways out for the same edges."""

    kind: RemedyKind
    target: str
    description: str
    action: Optional[str] = field(repr=False)
    edges: int
    released: int
    alternatives: Tuple[str, ...] = field(repr=False)


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
    evidence: Tuple[str, ...] = ()
    """What says the edge is used (``observed``, ``declared``, ``possible``), strongest first."""
    evidence_text: str = ""
    """The strongest evidence in words (``observed 35 requests in plaintext``)."""


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


@dataclass(frozen=True, repr=False)
class Plan(_Result):
    """A migration plan: ``steps`` in order, ``blockers`` (clients a lock-down would break, each
    step held back), ``notes`` (what needs no step, and why) and the ``final`` state.
    ``str(plan)`` is the Markdown runbook ``meshlock plan`` prints."""

    goal: Goal
    notes: Tuple[str, ...]
    steps: Tuple[PlanStep, ...]
    blocked_edges: int
    """How many edges the held-back lock-downs would break (``blockers`` lists them)."""
    blockers: Tuple[Blocker, ...]
    held_back: Tuple[str, ...]
    """The lock-downs held back (step names, without the number)."""
    blocking_clients: Tuple[ClientGroup, ...]
    """The blocking clients, each once, with the lock-downs it holds back."""
    remedy_set: Tuple[RemedyChoice, ...]
    """The smallest set of remedies found that releases the held-back lock-downs, in order."""
    final: PlanSummary
    edges: Optional[str] = field(default=None, metadata={"omit_empty": True})
    """The edges the plan protects (``edges=``); ``None``: all."""
    breaks_outside_scope: int = field(default=0, metadata={"omit_empty": True})
    """Edges outside that scope that the steps break (the notes name them)."""
    blocked_by_evidence: FrozenDict[str, int] = field(default=FrozenDict(), metadata={"omit_empty": True})
    """Blocked edges per strongest evidence, when the plan weighs evidence."""
    strongest_blockers: Tuple[Blocker, ...] = field(default=(), repr=False, metadata={"omit_empty": True})
    """A few blockers with the strongest evidence."""
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


@dataclass(frozen=True)
class SimulatedStep(_Result):
    """The mesh after one step of ``Mesh.simulate``: the edges that changed against the previous
    step, the stages and the whole matrix."""

    name: str
    delta: Tuple[EdgeChange, ...] = field(repr=False)
    stages: Stages = field(repr=False)
    matrix: Matrix
