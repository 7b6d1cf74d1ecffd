"""Observed traffic reconciled with the model (``Mesh.ready``), mirror of the core's ``observe``
module."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

from ._migrate import Stage
from ._types import _FROM, _TEXT, _Result, _StrEnum

__all__ = ["Disagreement", "DisagreementKind", "ObservedEdge", "Readiness", "Reconciliation", "Sender", "ServiceReadiness"]


class Readiness(_StrEnum):
    """Whether the observed traffic lets a service be locked."""

    READY = "ready"
    """Only mTLS observed from known clients: STRICT breaks nothing that was seen."""
    BLOCKED = "blocked"
    """Plaintext observed: its senders would break."""
    NO_TRAFFIC = "no-traffic"
    """Nothing observed in the window: readiness cannot be proven."""


class DisagreementKind(_StrEnum):
    PLAINTEXT_WHERE_MODEL_SAYS_MTLS = "plaintext-where-model-says-mtls"
    """Observed plaintext where the model predicts mTLS (a DestinationRule the input lacks?)."""
    MTLS_WHERE_MODEL_SAYS_PLAINTEXT = "mtls-where-model-says-plaintext"
    UNKNOWN_CALLER = "unknown-caller"
    """Traffic from a caller the model does not know: declare it as an external caller."""
    UNKNOWN_SERVICE = "unknown-service"


@dataclass(frozen=True)
class Sender(_Result):
    """A plaintext sender: ``ns/workload``, or ``unknown`` (a caller outside the mesh, which
    Telemetry v2 cannot name)."""

    client: str
    requests: float
    in_model: bool


@dataclass(frozen=True)
class ServiceReadiness(_Result):
    """One service (``fqdn``): its readiness from the observed traffic and its stage in the model."""

    service: str
    readiness: Readiness
    stage: Optional[Stage]
    mtls_requests: float
    plaintext_requests: float
    plaintext_senders: Tuple[Sender, ...]


@dataclass(frozen=True)
class ObservedEdge(_Result):
    """Requests observed from a client to a service, by transport."""

    from_: str = field(metadata=_FROM)
    to: str
    mtls: float
    plaintext: float


@dataclass(frozen=True)
class Disagreement(_Result):
    """Where the observed traffic contradicts the model."""

    kind: DisagreementKind
    from_: str = field(metadata=_FROM)
    to: str
    detail: str


@dataclass(frozen=True)
class Reconciliation(_Result):
    """The mesh reconciled with observed traffic (``meshlock ready``): readiness per service, the
    observed edges, and the disagreements. ``str(r)`` is the text ``meshlock ready`` prints."""

    services: Tuple[ServiceReadiness, ...] = field(repr=False)
    observed: Tuple[ObservedEdge, ...] = field(repr=False)
    disagreements: Tuple[Disagreement, ...]
    unobserved_model_edges: int
    """Model edges with no observed traffic (the model assumes every client may call)."""
    text: str = field(default="", repr=False, compare=False, metadata=_TEXT)

    def service(self, fqdn: str) -> Optional[ServiceReadiness]:
        """The readiness of service ``fqdn`` (``httpbin.foo.svc.cluster.local``), if it is known."""
        return next((s for s in self.services if s.service == fqdn), None)

    def __str__(self) -> str:
        return self.text
