"""Paths into the repository, for the tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
"""The repository root (``bindings-py/tests/../..``)."""
SCENARIOS = REPO / "tests" / "scenarios"
"""The shared scenario corpus, replayed by every surface."""
SHARED_DATA = REPO.parent / "shared" / "data"
"""``../shared/data`` from the repository root: used in place, never copied."""
