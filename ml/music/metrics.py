"""Objective metrics of pieces and sets of pieces.

Piece level (stored with each composition): `piece_metrics`.

Set level (the evaluation, see ml.music.evaluate):

- mgeval-style (Yang & Lerch 2018): per-piece features; for each feature the intra-set
  distances of the reference set and the inter-set distances to the compared set are
  smoothed with a Gaussian KDE; we report their overlapping area (OA, 1 = the compared
  set is as close to the reference as the reference is to itself) and KL divergence;
- MuseGAN's (Dong et al. 2018): empty bars (EB), used pitch classes per bar (UPC),
  qualified notes (QN, notes of at least 2 sixteenths here, since our grid has 16 steps
  per bar rather than 96), tonal distance between tracks (TD, Harte's tonal centroid);
- originality: the longest span of bars of a piece found verbatim (all tracks, any
  transposition) in the training pieces.

Everything works on `pitches` arrays: (tracks, steps) MIDI pitches with -1 for rests,
16 steps per bar; consecutive equal pitches are one held note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import combinations

import numpy as np

from ml.music.config import STEPS_PER_BAR
from ml.music.theory import find_key, tonal_centroid

NOTE_LENGTH_CLASSES = np.array([1, 2, 3, 4, 6, 8, 12, 16, 24, 32])  # in sixteenths


def notes_of(row: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, end, pitch) runs of one track (rests skipped).

    Repeated steps of one pitch are one held note: this is also the 'merge' post-processing
    that MIDI writing and the piano roll use.
    """
    runs, start = [], 0
    for t in range(1, len(row) + 1):
        if t == len(row) or row[t] != row[start]:
            if row[start] >= 0:
                runs.append((start, t, int(row[start])))
            start = t
    return runs


def all_notes(pitches: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(track, start, end, pitch) of every note of the piece."""
    return [(k, s, e, p) for k, row in enumerate(pitches) for s, e, p in notes_of(row)]


# --- mgeval features --------------------------------------------------------------------


def feature_pitch_count(pitches: np.ndarray) -> float:
    return float(len(np.unique(pitches[pitches >= 0])))


def feature_pitch_class_histogram(pitches: np.ndarray) -> np.ndarray:
    notes = all_notes(pitches)
    hist = np.bincount([p % 12 for *_, p in notes], minlength=12).astype(float)
    return hist / hist.sum() if hist.sum() else hist


def feature_pitch_range(pitches: np.ndarray) -> float:
    s = pitches[pitches >= 0]
    return float(s.max() - s.min()) if s.size else 0.0


def feature_avg_pitch_interval(pitches: np.ndarray) -> float:
    """Mean absolute interval between consecutive melody notes (semitones)."""
    notes = notes_of(pitches[0])
    if len(notes) < 2:
        return 0.0
    return float(np.mean(np.abs(np.diff([p for *_, p in notes]))))


def feature_note_count(pitches: np.ndarray) -> float:
    return float(len(all_notes(pitches)))


def feature_avg_ioi(pitches: np.ndarray) -> float:
    """Mean inter-onset interval (sixteenths) over the onsets of all tracks."""
    onsets = sorted({s for _, s, _, _ in all_notes(pitches)})
    return float(np.mean(np.diff(onsets))) if len(onsets) > 1 else 0.0


def feature_note_length_histogram(pitches: np.ndarray) -> np.ndarray:
    lengths = [e - s for _, s, e, _ in all_notes(pitches)]
    hist = np.zeros(len(NOTE_LENGTH_CLASSES))
    for length in lengths:
        hist[int(np.abs(NOTE_LENGTH_CLASSES - length).argmin())] += 1
    return hist / hist.sum() if hist.sum() else hist


MGEVAL_FEATURES: dict[str, Callable[[np.ndarray], float | np.ndarray]] = {
    "pitch_count": feature_pitch_count,
    "pitch_class_histogram": feature_pitch_class_histogram,
    "pitch_range": feature_pitch_range,
    "avg_pitch_interval": feature_avg_pitch_interval,
    "note_count": feature_note_count,
    "avg_ioi": feature_avg_ioi,
    "note_length_histogram": feature_note_length_histogram,
}


def feature_matrix(pieces: Sequence[np.ndarray], name: str) -> np.ndarray:
    """(n_pieces, dims) values of one feature."""
    return np.array([np.atleast_1d(MGEVAL_FEATURES[name](p)) for p in pieces], dtype=float)


def intra_distances(a: np.ndarray) -> np.ndarray:
    """Euclidean distances between all pairs within a set of feature rows."""
    i, j = np.triu_indices(len(a), k=1)
    return np.linalg.norm(a[i] - a[j], axis=1)


def inter_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between every row of a and every row of b."""
    return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2).ravel()


def _kde(values: np.ndarray, grid: np.ndarray, scale: float) -> np.ndarray:
    from scipy.stats import gaussian_kde

    values = np.asarray(values, dtype=float)
    if values.size < 2 or np.ptp(values) < 1e-9:
        # all distances equal: a narrow bump instead of a singular KDE
        centre = values.mean() if values.size else 0.0
        width = max(scale * 0.02, 1e-6)
        dens = np.exp(-0.5 * ((grid - centre) / width) ** 2)
    else:
        dens = gaussian_kde(values)(grid)
    area = np.trapz(dens, grid)
    return dens / area if area > 0 else dens


def _subsample(values: np.ndarray, limit: int = 20_000) -> np.ndarray:
    """At most `limit` values (a fixed, evenly spaced subset) to keep KDEs fast."""
    values = np.asarray(values, dtype=float)
    if len(values) <= limit:
        return values
    return values[np.linspace(0, len(values) - 1, limit).astype(int)]


def overlap_and_kl(p_values: np.ndarray, q_values: np.ndarray, points: int = 512) -> tuple[float, float]:
    """(overlapping area, KL(p || q)) of the KDEs of two samples of distances."""
    p_values, q_values = _subsample(p_values), _subsample(q_values)
    lo = min(np.min(p_values), np.min(q_values))
    hi = max(np.max(p_values), np.max(q_values))
    span = max(hi - lo, 1e-6)
    grid = np.linspace(lo - 0.25 * span, hi + 0.25 * span, points)
    p = _kde(p_values, grid, span)
    q = _kde(q_values, grid, span)
    oa = float(np.trapz(np.minimum(p, q), grid))
    eps = 1e-10
    kl = float(np.trapz(p * np.log((p + eps) / (q + eps)), grid))
    return min(max(oa, 0.0), 1.0), max(kl, 0.0)


def mgeval_compare(
    reference: Sequence[np.ndarray], other: Sequence[np.ndarray]
) -> dict[str, dict[str, float]]:
    """Per feature: OA and KL between intra(reference) and inter(reference, other)."""
    out = {}
    for name in MGEVAL_FEATURES:
        ref = feature_matrix(reference, name)
        oth = feature_matrix(other, name)
        oa, kl = overlap_and_kl(intra_distances(ref), inter_distances(ref, oth))
        out[name] = {"oa": oa, "kl": kl}
    return out


# --- MuseGAN metrics --------------------------------------------------------------------


def bars_of(row: np.ndarray) -> np.ndarray:
    return row[: len(row) // STEPS_PER_BAR * STEPS_PER_BAR].reshape(-1, STEPS_PER_BAR)


def empty_bar_ratio(pitches: np.ndarray) -> np.ndarray:
    """Per track: share of bars without any sounding step."""
    return np.array([float((bars_of(row) < 0).all(axis=1).mean()) for row in pitches])


def used_pitch_classes(pitches: np.ndarray) -> np.ndarray:
    """Per track: mean number of pitch classes in its non-empty bars (nan if all empty)."""
    out = []
    for row in pitches:
        counts = [len(np.unique(b[b >= 0] % 12)) for b in bars_of(row) if (b >= 0).any()]
        out.append(float(np.mean(counts)) if counts else np.nan)
    return np.array(out)


def qualified_note_ratio(pitches: np.ndarray, min_steps: int = 2) -> np.ndarray:
    """Per track: share of notes lasting at least `min_steps` sixteenths (nan if no notes)."""
    out = []
    for row in pitches:
        lengths = [e - s for s, e, _ in notes_of(row)]
        out.append(float(np.mean([n >= min_steps for n in lengths])) if lengths else np.nan)
    return np.array(out)


def chroma_per_bar(row: np.ndarray) -> np.ndarray:
    """(bars, 12) sounding steps per pitch class."""
    bars = bars_of(row)
    out = np.zeros((len(bars), 12))
    for i, b in enumerate(bars):
        s = b[b >= 0]
        if s.size:
            out[i] = np.bincount(s % 12, minlength=12)
    return out


def tonal_distance(pitches: np.ndarray) -> float:
    """Mean over track pairs and bars (both non-empty) of the tonal-centroid distance."""
    chromas = [chroma_per_bar(row) for row in pitches]
    dists = []
    for a, b in combinations(range(len(pitches)), 2):
        for ca, cb in zip(chromas[a], chromas[b], strict=False):
            if ca.sum() and cb.sum():
                dists.append(np.linalg.norm(tonal_centroid(ca) - tonal_centroid(cb)))
    return float(np.mean(dists)) if dists else float("nan")


def musegan_metrics(pieces: Sequence[np.ndarray]) -> dict[str, float]:
    """Set averages of EB, UPC, QN (over tracks) and TD."""
    import warnings

    eb = np.mean([empty_bar_ratio(p) for p in pieces], axis=0)
    with warnings.catch_warnings():  # a track silent in every piece gives an all-nan column
        warnings.simplefilter("ignore", RuntimeWarning)
        upc = np.nanmean([used_pitch_classes(p) for p in pieces], axis=0)
        qn = np.nanmean([qualified_note_ratio(p) for p in pieces], axis=0)
        td = np.nanmean([tonal_distance(p) for p in pieces])
    return {
        "EB": float(np.mean(eb)),
        "UPC": float(np.nanmean(upc)),
        "QN": float(np.nanmean(qn)),
        "TD": float(td),
    }


# --- mood-related measurements ----------------------------------------------------------


def detected_mode(pitches: np.ndarray) -> str:
    """ "major" or "minor": Krumhansl-Schmuckler on the duration-weighted pitch classes."""
    s = pitches[pitches >= 0]
    return find_key(np.bincount(s % 12, minlength=12).astype(float))[1]


def note_density(pitches: np.ndarray) -> float:
    """Note onsets per bar, all tracks together."""
    bars = pitches.shape[1] / STEPS_PER_BAR
    return len(all_notes(pitches)) / max(bars, 1e-9)


# --- originality ------------------------------------------------------------------------


def _window_key(window: np.ndarray) -> bytes | None:
    """Transposition-invariant key of a (tracks, steps) window; None for silence."""
    s = window[window >= 0]
    if not s.size:
        return None
    rel = np.where(window >= 0, window - s.min(), -1).astype(np.int8)
    return rel.tobytes()


class CopyIndex:
    """Hashes of every k-bar window of the training pieces, for k = 1..max_bars."""

    def __init__(self, pieces: Iterable[np.ndarray], max_bars: int = 4):
        self.max_bars = max_bars
        self.keys: list[set[bytes]] = [set() for _ in range(max_bars + 1)]
        for p in pieces:
            self.add(p)

    def add(self, pitches: np.ndarray) -> None:
        n_bars = pitches.shape[1] // STEPS_PER_BAR
        for k in range(1, self.max_bars + 1):
            for b in range(0, n_bars - k + 1):
                key = _window_key(pitches[:, b * STEPS_PER_BAR : (b + k) * STEPS_PER_BAR])
                if key is not None:
                    self.keys[k].add(key)

    def longest_copy(self, pitches: np.ndarray) -> int:
        """Longest k (bars) such that some k-bar window of `pitches` is in the index."""
        n_bars = pitches.shape[1] // STEPS_PER_BAR
        best = 0
        for k in range(1, min(self.max_bars, n_bars) + 1):
            found = any(
                _window_key(pitches[:, b * STEPS_PER_BAR : (b + k) * STEPS_PER_BAR]) in self.keys[k]
                for b in range(0, n_bars - k + 1)
            )
            if not found:
                break
            best = k
        return best


# --- one piece ------------------------------------------------------------------------


def piece_metrics(piece) -> dict[str, float]:
    """JSON-able numbers describing one Piece (stored with each composition).

    Keys: bars, notes, note_density (onsets per bar), empty_bar_ratio, used_pitch_classes
    (per bar, mean over tracks), qualified_note_ratio, polyphony (mean sounding tracks
    where anything sounds), pitch_range, pitch_classes (distinct in the piece),
    key_tonic (0 = C), key_is_major (1/0), key_correlation, in_key_ratio, tonal_distance.
    """
    pitches = np.asarray(piece.pitches)
    sounding = pitches >= 0
    s = pitches[sounding]
    hist = np.bincount(s % 12, minlength=12).astype(float) if s.size else np.zeros(12)
    tonic, mode, corr = find_key(hist)
    from ml.music.theory import scale_pitch_classes

    scale = scale_pitch_classes(tonic, mode)
    any_sound = sounding.any(axis=0)

    def clean(x: float) -> float:
        return 0.0 if x is None or not np.isfinite(x) else round(float(x), 4)

    return {
        "bars": float(piece.bars),
        "notes": float(len(all_notes(pitches))),
        "note_density": clean(note_density(pitches)),
        "empty_bar_ratio": clean(empty_bar_ratio(pitches).mean()),
        "used_pitch_classes": clean(np.nanmean(used_pitch_classes(pitches))) if s.size else 0.0,
        "qualified_note_ratio": clean(np.nanmean(qualified_note_ratio(pitches))) if s.size else 0.0,
        "polyphony": clean(sounding[:, any_sound].sum(axis=0).mean()) if any_sound.any() else 0.0,
        "pitch_range": clean(feature_pitch_range(pitches)),
        "pitch_classes": float(len(np.unique(s % 12))) if s.size else 0.0,
        "key_tonic": float(tonic),
        "key_is_major": 1.0 if mode == "major" else 0.0,
        "key_correlation": clean(corr),
        "in_key_ratio": clean(scale[s % 12].mean()) if s.size else 0.0,
        "tonal_distance": clean(tonal_distance(pitches)),
    }
