"""Shared fixtures: paths to the bundled data and small configs written per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# The test command must give the same verdict on every run, so property tests
# draw the same examples each time (seeded from the test's name). To look for
# new failing cases, run with HYPOTHESIS_PROFILE=explore.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


@pytest.fixture
def demo_dir() -> Path:
    """The bundled demo data folder."""
    return DEMO


@pytest.fixture
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a text file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
