"""The one exception of meshlock, raised by the compiled module (see ``src/lib.rs``: ``raise``)."""

from __future__ import annotations

import json
from typing import Any, List, Optional, Sequence, Tuple, TypedDict

__all__ = ["DiagnosticDict", "MeshlockError"]


class DiagnosticDict(TypedDict):
    """One finding about the input, as the core serialises it (see ``meshlock.Diagnostic``)."""

    code: str
    """Stable code, e.g. ``ML105``."""
    name: str
    """Stable slug of the code, e.g. ``misplaced-peers``."""
    severity: str
    """``info``, ``warning`` or ``error``."""
    message: str
    help: Optional[str]
    source: str
    """The source (file) name; empty when the finding is about the whole mesh."""
    document: Optional[int]
    """0-based index of the YAML document in the source."""
    path: Optional[str]
    """YAML path inside the document, e.g. ``spec.peers[0].mtls.mode``."""
    line: Optional[int]
    """1-based line in the source."""
    column: Optional[int]
    """1-based column in the source."""


class MeshlockError(ValueError):
    """meshlock refused a request.

    ``code`` is stable: ``invalid-input`` (the YAML holds errors: see ``diagnostics``),
    ``invalid-metrics`` (malformed telemetry given to ``ready`` or ``plan``: see ``diagnostics``),
    ``bad-request`` (a bad argument, e.g. an unknown ``istio_version`` or plan goal),
    ``unknown-client``, ``bad-client``, ``bad-target``, ``unknown-namespace`` (a plan goal names a
    namespace the input lacks), or ``internal`` (a bug in meshlock: please report it).
    """

    code: str
    message: str
    diagnostics: List[DiagnosticDict]

    def __init__(self, message: str, code: str = "internal", diagnostics: Sequence[DiagnosticDict] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.diagnostics = list(diagnostics)

    def json(self, *, indent: Optional[int] = None) -> str:
        """The error as JSON: ``{"code", "message", "diagnostics"}``, as the JSON twin answers it."""
        return json.dumps(
            {"code": self.code, "message": self.message, "diagnostics": self.diagnostics},
            indent=indent,
            ensure_ascii=False,
        )

    def __repr__(self) -> str:
        return f"MeshlockError(code={self.code!r}, message={self.message!r}, diagnostics=<{len(self.diagnostics)}>)"

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.message, self.code, self.diagnostics))


# Tracebacks and reprs name the public home: `meshlock.MeshlockError`.
MeshlockError.__module__ = "meshlock"
