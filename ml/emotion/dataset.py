"""FER2013 faces for training and evaluating our expression CNN.

The data lives outside the repository (`../shared/data/fer2013_train.npz` by default, or
a path the user gives). The validation split is stratified by class with a fixed seed,
and exact duplicate images (FER2013 has a few hundred) always fall on the same side, so
no validation face was also seen in training.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.errors import MLError
from ml.mood import EMOTIONS

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "fer2013_train.npz"
IMAGE_SIZE = 48
SPLIT_SEED = 2026
VAL_FRACTION = 0.12


class DatasetError(MLError, ValueError):
    """A data file that is missing or not the FER2013 layout."""


@dataclass(frozen=True)
class Faces:
    """uint8 images (N, 48, 48) and int labels (N,) in ml.mood.EMOTIONS order."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(EMOTIONS))
        return {name: int(n) for name, n in zip(EMOTIONS, counts, strict=True)}


def load_faces(path: str | Path = DEFAULT_DATA) -> Faces:
    """Read a FER2013 npz (`images` (N, 48, 48) uint8, `labels` (N,), `label_names`)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"No FER2013 file at {path}.")
    with np.load(path, allow_pickle=False) as data:
        try:
            images, labels = data["images"], data["labels"].astype(np.int64)
            names = tuple(str(n) for n in data["label_names"])
        except KeyError as missing:
            raise DatasetError(f"{path} has no {missing} array.") from None
    if names != EMOTIONS:
        raise DatasetError(f"{path} labels {names} are not in the order {EMOTIONS}.")
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(images) != len(labels):
        raise DatasetError(f"{path} images have shape {images.shape}, expected (N, 48, 48).")
    return Faces(images.astype(np.uint8), labels)


def split(faces: Faces, *, val_fraction: float = VAL_FRACTION, seed: int = SPLIT_SEED) -> tuple[Faces, Faces]:
    """(train, validation): stratified by class; duplicates of one image stay together."""
    digests = np.array([hashlib.blake2b(img.tobytes(), digest_size=8).hexdigest() for img in faces.images])
    _, group = np.unique(digests, return_inverse=True)
    rng = np.random.default_rng(seed)
    val = np.zeros(len(faces), bool)
    for label in range(len(EMOTIONS)):
        groups = np.unique(group[faces.labels == label])
        rng.shuffle(groups)
        chosen = groups[: round(len(groups) * val_fraction)]
        val |= np.isin(group, chosen) & (faces.labels == label)
    # A duplicate carrying another label must not leak into training either.
    val |= np.isin(group, np.unique(group[val]))
    return (
        Faces(faces.images[~val], faces.labels[~val]),
        Faces(faces.images[val], faces.labels[val]),
    )
