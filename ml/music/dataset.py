"""Dataset helpers shared by the phrase data (`ml.music.phrase`): the by-piece split and
loading a built cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ml.music.config import STYLES
from ml.music.errors import DatasetMissing

VALIDATION_SHARE = 0.1


def split_pieces(
    pieces: Sequence, share: float = VALIDATION_SHARE, seed: int = 0, styles: Sequence[str] = STYLES
) -> np.ndarray:
    """Boolean mask: True for validation pieces (a fixed random share per style).

    Anything with a `.style` splits this way (parsed pieces here, tunes in ml.music.phrase).
    """
    rng = np.random.default_rng(seed)
    is_val = np.zeros(len(pieces), dtype=bool)
    for style in styles:
        idx = np.array([i for i, p in enumerate(pieces) if p.style == style])
        if len(idx) < 2:
            continue
        rng.shuffle(idx)
        n_val = max(1, int(round(share * len(idx))))
        is_val[idx[:n_val]] = True
    return is_val


def load_dataset(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a dataset cache; DatasetMissing names the commands that build it."""
    path = Path(path)
    if not path.exists():
        raise DatasetMissing(
            f"No phrase dataset at {path}; build it with `python -m ml.music parse-corpus` and "
            f"`python -m ml.music build-phrases --out {path}`."
        )
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
