"""meshlock: what ``curl`` sees in an Istio mesh moving to mutual TLS, predicted from its YAML.

>>> import meshlock
>>> mesh = meshlock.Mesh.seed()
>>> out = mesh.probe("legacy/sleep", "httpbin.foo:8000")
>>> out.status, out.transport, out.reason
('200', Transport.PLAINTEXT, Reason.PLAINTEXT)

The Rust core does the work (``meshlock._meshlock``); this package converts its answers into
frozen result classes. Errors are ``MeshlockError`` (a ``ValueError``) with ``.code`` and
``.diagnostics``.
"""

from ._errors import DiagnosticDict, MeshlockError
from ._meshlock import __version__
from ._mesh import Input, Mesh, StrPath, call_json, load, tour
from ._types import (
    Alternative,
    Client,
    Diagnostic,
    Edge,
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
    "Client",
    "Diagnostic",
    "DiagnosticDict",
    "Edge",
    "Input",
    "Matrix",
    "Mesh",
    "MeshlockError",
    "Outcome",
    "Reason",
    "ServicePort",
    "SettingOrigin",
    "Settings",
    "Severity",
    "Side",
    "Source",
    "Step",
    "StrPath",
    "Tour",
    "TourRow",
    "TourStep",
    "Transport",
    "Verdict",
    "__version__",
    "call_json",
    "load",
    "tour",
]
