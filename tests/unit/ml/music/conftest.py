"""Fixtures for ml.music: the shipped weights."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shipped_weights() -> Path:
    from ml.music.config import DEFAULT_WEIGHTS

    assert DEFAULT_WEIGHTS.is_file(), f"{DEFAULT_WEIGHTS} must be in the repository"
    return DEFAULT_WEIGHTS
