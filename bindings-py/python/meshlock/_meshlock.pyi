"""The compiled half of meshlock (Rust, pyo3). Private: use the ``meshlock`` package.

Every call runs the core with the GIL released and answers JSON text in the core's serde shapes;
requests and options are JSON with the core's keys (``meshlock::api``). Failures raise
``meshlock.MeshlockError``.
"""

from typing import Tuple, final

__all__ = [
    "__version__",
    "Mesh",
    "tour",
    "diff",
    "check",
    "seed_source",
    "seed_settings",
    "call_json",
    "_reasons",
    "_stages",
    "_unwind",
]

__version__: str

@final
class Mesh:
    """A loaded mesh (immutable, thread-safe). Not constructible: use ``Mesh.load``."""

    @staticmethod
    def load(sources: str, options: str) -> Tuple[Mesh, str]:
        """``sources``: JSON list of the core's ``SourceSpec`` (a string is a path); ``options``: JSON
        ``LoadOptions`` (``namespace`` and the ``MeshSettings`` keys). Answers the mesh and the JSON of
        the sources read."""
    def apply(self, sources: str, options: str) -> Tuple[Mesh, str]:
        """What-if: a new mesh with ``sources`` (as in ``load``) applied; ``options``: JSON
        ``Placement``. Answers the mesh and the JSON of the sources read."""
    def read(self, sources: str, options: str) -> str:
        """JSON: the sources that ``apply`` would read from ``sources``, under this mesh's limits."""
    def call(self, request: str) -> str:
        """JSON: the answer of the core request ``request`` (``{"op": "probe", ...}``, ``MeshRequest``)."""

def tour() -> str:
    """JSON: the core's ``Tour`` with the rendered tour under ``text`` and each row's outcome explained."""

def diff(before: Mesh, after: Mesh, options: str) -> str:
    """JSON: the core's ``Diff`` from ``before`` to ``after``, rendered under ``text``; ``options``: JSON
    ``WeighRequest``."""

def check(sources: str, options: str) -> str:
    """JSON: the ``CheckReport`` of ``sources`` (as in ``Mesh.load``) under ``options`` (JSON
    ``CheckOptions``), with ``text`` and ``sarif``; input that does not load is reported, not raised."""

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

def _stages() -> str:
    """JSON: every migration stage of the core (``Stage::ALL``)."""
