"""Fixtures for ml.music: a tiny dataset parsed from a handful of corpus pieces (no cache)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml.music.corpus import ParsedPiece, corpus_root, parse_task


@pytest.fixture(scope="session")
def tiny_pieces() -> list[ParsedPiece]:
    """3 Bach chorales, 2 Palestrina pieces and the 5 tunes of a small Essen file."""
    root = corpus_root()
    tasks = [
        ("chorale", str(root / "bach" / name)) for name in ("bwv10.7.mxl", "bwv11.6.mxl", "bwv110.7.mxl")
    ]
    tasks += [("renaissance", str(root / "palestrina" / name)) for name in ("Agnus_03.krn", "Agnus.krn")]
    tasks += [("folk", str(root / "essenFolksong" / "testd.abc"))]
    pieces = [p for task in tasks for p in parse_task(task)]
    assert pieces, "the corpus pieces of the fixture did not parse"
    return pieces


@pytest.fixture(scope="session")
def tiny_arrays(tiny_pieces) -> dict[str, np.ndarray]:
    from ml.music.dataset import build_arrays

    return build_arrays(tiny_pieces, augment=(-1, 1))


@pytest.fixture(scope="session")
def shipped_weights() -> Path:
    from ml.music.config import DEFAULT_WEIGHTS

    assert DEFAULT_WEIGHTS.is_file(), f"{DEFAULT_WEIGHTS} must be in the repository"
    return DEFAULT_WEIGHTS
