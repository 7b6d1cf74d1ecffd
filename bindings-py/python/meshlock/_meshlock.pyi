"""The compiled half of meshlock (Rust, pyo3). Private: use the ``meshlock`` package.

Every call runs the core with the GIL released and answers JSON text in the core's serde shapes;
failures raise ``meshlock.MeshlockError``.
"""

from typing import final

__all__ = ["__version__", "Mesh", "tour", "seed_source", "seed_settings", "call_json", "_reasons", "_unwind"]

__version__: str

@final
class Mesh:
    """A loaded mesh (immutable, thread-safe). Not constructible: use ``Mesh.load``."""

    @staticmethod
    def load(sources: str, settings: str) -> Mesh:
        """``sources``: JSON list of ``{"name", "text", "namespace"?}`` or ``{"builtin": "seed"}``;
        ``settings``: JSON object of the core's ``MeshSettings``."""
    def apply(self, sources: str) -> Mesh:
        """What-if: a new mesh with ``sources`` (JSON, as in ``load``) applied."""
    def probe(self, from_: str, to: str) -> str:
        """JSON: the core's ``Outcome``, plus its rendered explanation under ``text``."""
    def matrix(self) -> str:
        """JSON: ``{"matrix": Matrix, "table": str, "csv": str}``."""
    def diagnostics(self) -> str:
        """JSON: list of the core's ``Diagnostic``."""
    def settings(self) -> str:
        """JSON: the core's ``ResolvedSettings``."""

def tour() -> str:
    """JSON: the core's ``Tour`` with the rendered tour under ``text`` and each row's outcome explained."""

def seed_source() -> str:
    """JSON: the built-in seed cluster's ``Source``."""

def seed_settings() -> str:
    """JSON: the seed's ``MeshSettings`` (Istio 1.1)."""

def call_json(request: str) -> str:
    """The core's JSON twin (``meshlock::api::call_json``); never raises."""

def _unwind(message: str) -> str:
    """Test hook: unwinds inside the panic guard, as a panic in core would; raises ``MeshlockError("internal")``."""

def _reasons() -> str:
    """JSON: every reason code of the core (``Reason::ALL``)."""
