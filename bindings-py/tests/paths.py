"""Paths into the repository, for the tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
"""The repository root (``bindings-py/tests/../..``)."""
SCENARIOS = REPO / "tests" / "scenarios"
"""The shared scenario corpus, replayed by every surface."""
SHARED_DATA = REPO.parent / "shared" / "data"
"""``../shared/data`` from the repository root: used in place, never copied."""
SEED = REPO / "core" / "seed"
"""The seed guide's manifests: the cluster, each step's policy (corrected and as published)."""
TELEMETRY = REPO / "tests" / "telemetry"
"""Hand-written Istio metrics of the seed guide (Prometheus text and API JSON), for ``ready``."""
