"""Shared fixtures."""

from __future__ import annotations

import pytest

import meshlock


@pytest.fixture(scope="session")
def seed() -> meshlock.Mesh:
    """The built-in seed cluster under the guide's settings (Istio 1.1)."""
    return meshlock.Mesh.seed()
