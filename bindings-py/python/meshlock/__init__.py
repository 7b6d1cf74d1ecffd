"""meshlock: what ``curl`` sees in an Istio mesh moving to mutual TLS, predicted from its YAML.

>>> import meshlock
>>> mesh = meshlock.Mesh.seed()
>>> out = mesh.probe("legacy/sleep", "httpbin.foo:8000")
>>> out.status, out.transport, out.reason
('200', Transport.PLAINTEXT, Reason.PLAINTEXT)

The migration to mutual TLS: ``mesh.stages()``, ``mesh.plan()``, ``mesh.check()`` (or
``meshlock.check(paths)`` for input that may not load), ``mesh.simulate(steps)``,
``meshlock.diff(before, after)`` and ``mesh.ready(metrics)``.

The Rust core does the work (``meshlock._meshlock``); this package converts its answers into
frozen result classes. Errors are ``MeshlockError`` (a ``ValueError``) with ``.code`` and
``.diagnostics``.
"""

from ._check import CheckReport, Exposure, MatrixSummary
from ._errors import DiagnosticDict, MeshlockError
from ._meshlock import __version__
from ._mesh import Input, Mesh, Metrics, SimulationStep, StepItem, StrPath, call_json, check, diff, load, tour
from ._migrate import (
    Blocker,
    ClientGroup,
    Diff,
    EdgeChange,
    EdgeGroup,
    EdgeRef,
    EdgeState,
    Effect,
    Goal,
    MtlsMode,
    Plan,
    PlanStep,
    PlanSummary,
    Remedy,
    RemedyChoice,
    RemedyKind,
    ServiceStage,
    SimulatedStep,
    Stage,
    StageChange,
    Stages,
)
from ._observe import Disagreement, DisagreementKind, ObservedEdge, Readiness, Reconciliation, Sender, ServiceReadiness
from ._types import (
    Alternative,
    Client,
    Diagnostic,
    Edge,
    FrozenDict,
    Matrix,
    Outcome,
    Reason,
    ServicePort,
    SettingOrigin,
    Settings,
    Severity,
    Side,
    Source,
    Step,
    Tour,
    TourRow,
    TourStep,
    Transport,
    Verdict,
)

__all__ = [
    "Alternative",
    "Blocker",
    "CheckReport",
    "Client",
    "ClientGroup",
    "Diagnostic",
    "DiagnosticDict",
    "Diff",
    "Disagreement",
    "DisagreementKind",
    "Edge",
    "EdgeChange",
    "EdgeGroup",
    "EdgeRef",
    "EdgeState",
    "Effect",
    "Exposure",
    "FrozenDict",
    "Goal",
    "Input",
    "Matrix",
    "MatrixSummary",
    "Mesh",
    "MeshlockError",
    "Metrics",
    "MtlsMode",
    "ObservedEdge",
    "Outcome",
    "Plan",
    "PlanStep",
    "PlanSummary",
    "Readiness",
    "Reason",
    "Reconciliation",
    "Remedy",
    "RemedyChoice",
    "RemedyKind",
    "Sender",
    "ServicePort",
    "ServiceReadiness",
    "ServiceStage",
    "SettingOrigin",
    "Settings",
    "Severity",
    "Side",
    "SimulatedStep",
    "SimulationStep",
    "Source",
    "Stage",
    "StageChange",
    "Stages",
    "Step",
    "StepItem",
    "StrPath",
    "Tour",
    "TourRow",
    "TourStep",
    "Transport",
    "Verdict",
    "__version__",
    "call_json",
    "check",
    "diff",
    "load",
    "tour",
]
