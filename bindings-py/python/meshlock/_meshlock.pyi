"""The compiled half of meshlock (Rust, pyo3). Private: use the ``meshlock`` package.

Every call runs the core with the GIL released and answers JSON text in the core's serde shapes;
failures raise ``meshlock.MeshlockError``.
"""

from typing import Optional, Sequence, final

__all__ = [
    "__version__",
    "Mesh",
    "tour",
    "diff",
    "check",
    "check_diagnostics",
    "read_path",
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
    def load(sources: str, settings: str) -> Mesh:
        """``sources``: JSON list of ``{"name", "text", "namespace"?}`` or ``{"builtin": "seed"}``;
        ``settings``: JSON object of the core's ``MeshSettings``."""
    def apply(self, sources: str) -> Mesh:
        """What-if: a new mesh with ``sources`` (JSON, as in ``load``) applied."""
    def probe(self, from_: str, to: str) -> str:
        """JSON: the core's ``Outcome``, plus its rendered explanation under ``text``."""
    def matrix(self, weighing: Optional[str] = None) -> str:
        """JSON: the core's ``Matrix``, its renderings under ``table`` and ``csv``. ``weighing``: JSON
        ``{"edges"?, "intents"?, "metrics"?}``: the edges in the scope, each with its ``evidence``."""
    def stages(self) -> str:
        """JSON: the core's ``Stages``, rendered under ``text``."""
    def plan(
        self, goal: str, allow_break: Sequence[str], metrics: Optional[str] = None, weighing: Optional[str] = None
    ) -> str:
        """JSON: the core's ``Plan`` (runbook under ``text``). ``goal``: ``strict``, ``mesh-strict`` or
        ``namespace=NS[,NS]``; ``allow_break``: ``ns/workload`` clients; ``metrics``: JSON ``Source``;
        ``weighing``: JSON ``{"edges"?, "intents"?, "counts_only"?}``."""
    def check(self, weighing: Optional[str] = None) -> str:
        """JSON: the core's ``CheckReport``, its text under ``text``, its SARIF 2.1.0 log under ``sarif``;
        ``weighing``: JSON ``{"edges"?, "intents"?, "metrics"?, "counts_only"?}``."""
    def simulate(self, steps: str) -> str:
        """JSON: list of the core's ``SimulatedStep``; ``steps``: JSON list of source lists (as in ``load``).
        Each step's stages are rendered under ``stages.text``, its matrix under ``matrix.table``/``matrix.csv``."""
    def ready(self, metrics: str) -> str:
        """JSON: the core's ``Reconciliation`` with the metrics (JSON ``Source``), rendered under ``text``."""
    def call(self, request: str) -> str:
        """JSON: the answer of any operation on this mesh (``{"op": "namespace-map", ...}``)."""
    def diagnostics(self) -> str:
        """JSON: list of the core's ``Diagnostic``."""
    def settings(self) -> str:
        """JSON: the core's ``ResolvedSettings``."""

def tour() -> str:
    """JSON: the core's ``Tour`` with the rendered tour under ``text`` and each row's outcome explained."""

def diff(before: Mesh, after: Mesh, weighing: Optional[str] = None) -> str:
    """JSON: the core's ``Diff`` from ``before`` to ``after``, rendered under ``text``; ``weighing``: JSON
    ``{"edges"?, "intents"?, "metrics"?}``."""

def check(sources: str, settings: str, counts_only: bool = False) -> str:
    """JSON: the ``CheckReport`` of ``sources`` under ``settings`` (as in ``Mesh.load``), with ``text`` and
    ``sarif``; input that does not load is reported, not raised; ``counts_only``: no per-edge lists."""

def check_diagnostics(diagnostics: str, settings: str) -> str:
    """JSON: the ``CheckReport`` of input that does not load, from its diagnostics (JSON, as
    ``MeshlockError.diagnostics`` holds them), with ``text`` and ``sarif``; ``settings`` checked as in ``check``."""

def read_path(path: str, settings: str) -> str:
    """JSON: the sources (``[{"name", "text", "namespace"}]``) of a file, or of a directory's
    manifests in name order, read as the CLI reads ``-f`` under the limits of ``settings`` (JSON):
    past the input limit, ``MeshlockError("invalid-input")`` (ML106) before a file is read; bytes
    that are not text, ``invalid-input`` with the located ML101."""

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
