"""``check`` results: the static checker's report, mirror of the core's ``check`` module."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from ._migrate import EdgeGroup, MtlsMode
from ._types import _TEXT, Diagnostic, Edge, FrozenDict, Severity, _Result

__all__ = ["CheckReport", "Exposure", "MatrixSummary"]


@dataclass(frozen=True)
class MatrixSummary(_Result):
    """Edge counts of the checked mesh; ``by_status`` counts edges per status as curl prints it."""

    edges: int
    ok: int
    failing: int
    mtls: int
    plaintext: int
    by_status: FrozenDict[str, int]
    denied: int
    """Failing edges that the cluster's own authorization denies (intended, not a problem)."""
    mtls_broken: int
    """Failing edges that mTLS settings break."""


@dataclass(frozen=True)
class Exposure(_Result):
    """Per service port: who may call it in plaintext, and the AuthorizationPolicies (``Kind
    ns/name``) that apply to its endpoints."""

    service: str
    mode: Optional[MtlsMode]
    plaintext_clients: int
    plaintext_callers: Tuple[str, ...]
    plaintext_callers_text: str
    authorization: Tuple[str, ...]
    findings: Tuple[str, ...]


@dataclass(frozen=True, repr=False)
class CheckReport(_Result):
    """What ``meshlock check`` finds: the input's diagnostics (loading and policy) plus what needs
    the evaluated matrix (traffic that breaks, ports ready to lock, authorization that depends on
    mTLS). An input that does not load has its diagnostics and nothing else.

    ``str(report)`` is the text ``meshlock check`` prints; ``sarif()`` the SARIF 2.1.0 log
    (``meshlock check --format sarif``) for code scanning."""

    diagnostics: Tuple[Diagnostic, ...]
    summary: MatrixSummary
    failing: Tuple[Edge, ...]
    groups: Tuple[EdgeGroup, ...]
    """``failing`` grouped by effect, status, reason and deciding resource; the counts add up to
    ``summary.failing``."""
    exposure: Tuple[Exposure, ...]
    scope: Optional[FrozenDict[str, Any]] = field(default=None, metadata={"omit_empty": True})
    """Evidence and edge scope, when intents, metrics or ``edges=`` were given: ``edges``,
    ``declared``, ``observed``, ``in_scope``, ``failing``, ``broken``, ``declared_failing`` (ML309)
    and ``undeclared_plaintext`` (ML310, exposure)."""
    text: str = field(default="", compare=False, metadata=_TEXT)
    sarif_json: str = field(
        default="{}", compare=False, metadata={"key": "sarif", "dict": False, "read": lambda log: json.dumps(log, ensure_ascii=False)}
    )
    """The SARIF 2.1.0 log as JSON text, ready to write to a ``.sarif`` file."""

    def sarif(self) -> Dict[str, Any]:
        """The SARIF 2.1.0 log as a dict (a new one on each call: the report stays frozen)."""
        log: Dict[str, Any] = json.loads(self.sarif_json)
        return log

    def count(self, severity: Severity) -> int:
        """The number of diagnostics of ``severity``."""
        return sum(1 for d in self.diagnostics if d.severity is severity)

    @property
    def ok(self) -> bool:
        """No diagnostic is an error (``meshlock check`` exits 0)."""
        return self.count(Severity.ERROR) == 0

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s.value}" for s in Severity)
        return f"<CheckReport: {counts}; {self.summary.edges} edges, {self.summary.failing} failing>"
