"""Small, dependency-free music theory on numpy: key finding, scales, tonal centroids.

The key finder is Krumhansl-Schmuckler with the Krumhansl-Kessler profiles, correlated
with a duration-weighted pitch-class histogram. The same function labels the data
(valence = mode) and judges generated pieces, so the label and the check agree.
"""

from __future__ import annotations

import numpy as np

MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
# Aarden-Essen profiles (Aarden 2003, from the Essen folk songs): music21's default key
# finder (`music21.analysis.discrete.AardenEssen.getWeights`), copied so labelling is fast.
AARDEN_MAJOR = np.array(
    [
        17.7661,
        0.145624,
        14.9265,
        0.160186,
        19.8049,
        11.3587,
        0.291248,
        22.062,
        0.145624,
        8.15494,
        0.232998,
        4.95122,
    ]
)
AARDEN_MINOR = np.array(
    [
        18.2648,
        0.737619,
        14.0499,
        16.8599,
        0.702494,
        14.4362,
        0.702494,
        18.6161,
        4.56621,
        1.93186,
        7.37619,
        1.75623,
    ]
)
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
# Natural minor plus the raised seventh: what the data's minor pieces actually use.
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10, 11)


def _rotations(profile: np.ndarray) -> np.ndarray:
    """12 x 12 matrix: row t is the profile for tonic t."""
    return np.stack([np.roll(profile, t) for t in range(12)])


_MAJOR_ROT = _rotations(MAJOR_PROFILE)
_MINOR_ROT = _rotations(MINOR_PROFILE)
_AARDEN_MAJOR_ROT = _rotations(AARDEN_MAJOR)
_AARDEN_MINOR_ROT = _rotations(AARDEN_MINOR)


def _corr_rows(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    m = matrix - matrix.mean(axis=1, keepdims=True)
    v = vector - vector.mean()
    denom = np.sqrt((m**2).sum(axis=1) * (v**2).sum()) + 1e-12
    return (m @ v) / denom


def key_correlations(pc_hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Correlation of a pitch-class histogram with every major and every minor key."""
    hist = np.asarray(pc_hist, dtype=float)
    return _corr_rows(_MAJOR_ROT, hist), _corr_rows(_MINOR_ROT, hist)


def find_key(
    pc_hist: np.ndarray, mode: str | None = None, profiles: str = "krumhansl"
) -> tuple[int, str, float]:
    """(tonic pitch class, "major"|"minor", correlation) of the best key.

    `mode` restricts the search to one mode. An empty histogram gives C major, 0.0.
    `profiles` is "krumhansl" (Krumhansl-Kessler) or "aarden" (Aarden-Essen).
    """
    hist = np.asarray(pc_hist, dtype=float)
    if hist.sum() <= 0:
        return 0, mode or "major", 0.0
    if profiles == "aarden":
        major, minor = _corr_rows(_AARDEN_MAJOR_ROT, hist), _corr_rows(_AARDEN_MINOR_ROT, hist)
    else:
        major, minor = key_correlations(hist)
    if mode == "major" or (mode is None and major.max() >= minor.max()):
        tonic = int(major.argmax())
        return tonic, "major", float(major[tonic])
    tonic = int(minor.argmax())
    return tonic, "minor", float(minor[tonic])


def find_key_aarden(pc_hist: np.ndarray, mode: str | None = None) -> tuple[int, str, float]:
    """`find_key` with the Aarden-Essen profiles (what music21's `analyze("key")` uses)."""
    return find_key(pc_hist, mode, profiles="aarden")


def key_name(tonic: int, mode: str) -> str:
    """A key name pretty_midi understands, e.g. "Eb Major" / "C# minor"."""
    names = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
    if mode == "minor":
        names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
        return f"{names[tonic % 12]} minor"
    return f"{names[tonic % 12]} Major"


def scale_pitch_classes(tonic: int, mode: str) -> np.ndarray:
    """Boolean mask over the 12 pitch classes of the scale."""
    mask = np.zeros(12, dtype=bool)
    for degree in MAJOR_SCALE if mode == "major" else MINOR_SCALE:
        mask[(tonic + degree) % 12] = True
    return mask


def snap_pitch(pitch: int, mask: np.ndarray) -> int:
    """The nearest pitch whose class is in `mask` (ties go down, as a flat would)."""
    if mask[pitch % 12]:
        return pitch
    for delta in (1, 2):
        if mask[(pitch - delta) % 12]:
            return pitch - delta
        if mask[(pitch + delta) % 12]:
            return pitch + delta
    return pitch


# Harte, Sandler & Gasser (2006) 6-D tonal centroid: circles of fifths, minor and major thirds.
_R = (1.0, 1.0, 0.5)
_TONAL_MATRIX = np.array(
    [
        [_R[0] * np.sin(p * 7 * np.pi / 6) for p in range(12)],
        [_R[0] * np.cos(p * 7 * np.pi / 6) for p in range(12)],
        [_R[1] * np.sin(p * 3 * np.pi / 2) for p in range(12)],
        [_R[1] * np.cos(p * 3 * np.pi / 2) for p in range(12)],
        [_R[2] * np.sin(p * 2 * np.pi / 3) for p in range(12)],
        [_R[2] * np.cos(p * 2 * np.pi / 3) for p in range(12)],
    ]
)


def tonal_centroid(chroma: np.ndarray) -> np.ndarray:
    """6-D tonal centroid of a 12-bin chroma vector (zeros for silence)."""
    chroma = np.asarray(chroma, dtype=float)
    total = chroma.sum()
    if total <= 0:
        return np.zeros(6)
    return _TONAL_MATRIX @ (chroma / total)
