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


# --- listener facts -------------------------------------------------------------------
#
# What a musician notices first, each a plain count on the `pitches` array (16 steps per
# bar, track 0 the melody, the last track the bass). Tested on hand-made pieces in
# tests/unit/ml/music/test_listener_facts.py.


def _voice_bars(row: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(bar index, steps) of every bar in which the voice sounds."""
    return [(b, bar) for b, bar in enumerate(bars_of(row)) if (bar >= 0).any()]


def downbeat_onset_share(pitches: np.ndarray) -> float:
    """Share of sounding voice-bars with a note attacked on the bar's first step."""
    hits = []
    for row in pitches:
        starts = {s for s, _, _ in notes_of(row)}
        hits += [b * STEPS_PER_BAR in starts for b, _ in _voice_bars(row)]
    return float(np.mean(hits)) if hits else float("nan")


def barline_tie_share(pitches: np.ndarray) -> float:
    """Share of sounding voice-bars (after the first) entered by a note held over the barline."""
    hits = []
    for row in pitches:
        notes = notes_of(row)
        for b, _ in _voice_bars(row):
            if b == 0:
                continue
            line = b * STEPS_PER_BAR
            hits.append(any(s < line < e for s, e, _ in notes))
    return float(np.mean(hits)) if hits else float("nan")


def melody_intervals(pitches: np.ndarray, track: int = 0) -> np.ndarray:
    """Semitones between consecutive notes of a track (rests in between ignored)."""
    notes = [p for _, _, p in notes_of(pitches[track])]
    return np.diff(notes) if len(notes) > 1 else np.zeros(0, dtype=int)


def stepwise_share(pitches: np.ndarray) -> float:
    """Share of melodic intervals of at most a whole tone (repeated notes included)."""
    iv = np.abs(melody_intervals(pitches))
    return float((iv <= 2).mean()) if iv.size else float("nan")


def leap_share(pitches: np.ndarray) -> float:
    """Share of melodic intervals of a fifth (7 semitones) or more."""
    iv = np.abs(melody_intervals(pitches))
    return float((iv >= 7).mean()) if iv.size else float("nan")


def long_note_share(pitches: np.ndarray, min_steps: int = STEPS_PER_BAR // 2) -> float:
    """Share of melody notes lasting a half note (8 sixteenths) or longer."""
    lengths = [e - s for s, e, _ in notes_of(pitches[0])]
    return float(np.mean([n >= min_steps for n in lengths])) if lengths else float("nan")


def melody_notes_per_bar(pitches: np.ndarray) -> float:
    return len(notes_of(pitches[0])) / max(pitches.shape[1] / STEPS_PER_BAR, 1e-9)


def piece_tonic(pitches: np.ndarray) -> int:
    """Tonic pitch class of the piece (Krumhansl-Schmuckler, duration-weighted)."""
    s = pitches[pitches >= 0]
    return find_key(np.bincount(s % 12, minlength=12).astype(float))[0]


def ends_on_tonic(pitches: np.ndarray, track: int) -> bool:
    """Is the last note of `track` the piece's tonic (any octave)?"""
    notes = notes_of(pitches[track])
    return bool(notes) and notes[-1][2] % 12 == piece_tonic(pitches)


def bar_rhythm(row: np.ndarray, bar: int) -> tuple:
    """A bar's rhythm: where notes are attacked (steps in the bar) and whether it opens held."""
    lo, hi = bar * STEPS_PER_BAR, (bar + 1) * STEPS_PER_BAR
    notes = notes_of(row)
    attacks = tuple(s - lo for s, _, _ in notes if lo <= s < hi)
    held = any(s < lo < e for s, e, _ in notes)
    return attacks, held


def rhythm_reuse(pitches: np.ndarray, min_matches: int = 2) -> bool:
    """Do at least `min_matches` of bars 5-8 repeat the melody rhythm of their bar in 1-4?

    Bar 5 is compared with bar 1, 6 with 2, and so on: the answering half of a period
    (or a repeated strain) takes up the rhythm of the first half. Needs 8 bars.
    """
    if pitches.shape[1] < 8 * STEPS_PER_BAR:
        return False
    row = pitches[0]
    # a silent bar repeated is not a reused rhythm
    matches = sum(
        bool(bar_rhythm(row, b)[0]) and bar_rhythm(row, b) == bar_rhythm(row, b + 4) for b in range(4)
    )
    return matches >= min_matches


_TRIADS = [frozenset({r % 12, (r + t) % 12, (r + 7) % 12}) for r in range(12) for t in (3, 4)]


def sonorities(pitches: np.ndarray, min_voices: int = 3) -> list[tuple[int, ...]]:
    """The vertical sonorities: at every step where some voice attacks, the sounding pitches.

    Only sonorities of at least `min_voices` sounding voices are kept.
    """
    attacks = set()
    for row in pitches:
        attacks.update(s for s, _, _ in notes_of(row))
    out = []
    for t in sorted(attacks):
        sounding = tuple(int(p) for p in pitches[:, t] if p >= 0)
        if len(sounding) >= min_voices:
            out.append(sounding)
    return out


def triadic_share(pitches: np.ndarray) -> float:
    """Share of sonorities of 3+ voices whose pitch classes are (part of) a major/minor triad."""
    sets = [frozenset(p % 12 for p in s) for s in sonorities(pitches)]
    if not sets:
        return float("nan")
    return float(np.mean([any(s <= triad for triad in _TRIADS) for s in sets]))


def parallel_perfects(pitches: np.ndarray) -> int:
    """Parallel fifths and octaves (unisons included) between any two voices.

    Two voices a perfect fifth (or octave) apart, mod 12, both move in the same
    direction to the next sonority where both sound and are again a fifth (octave)
    apart. Counted at every step where either voice attacks.
    """
    count = 0
    for i, j in combinations(range(len(pitches)), 2):
        a, b = pitches[i], pitches[j]
        times = sorted({s for s, _, _ in notes_of(a)} | {s for s, _, _ in notes_of(b)})
        times = [t for t in times if a[t] >= 0 and b[t] >= 0]
        for t0, t1 in zip(times, times[1:], strict=False):
            d0, d1 = (int(a[t0]) - int(b[t0])) % 12, (int(a[t1]) - int(b[t1])) % 12
            move_a, move_b = int(a[t1]) - int(a[t0]), int(b[t1]) - int(b[t0])
            if d0 == d1 and d0 in (0, 7) and move_a and move_b and (move_a > 0) == (move_b > 0):
                count += 1
    return count


# The widest gap a listener hears as one chord between adjacent voices (semitones): an
# octave between soprano and alto and between alto and tenor, a twelfth between tenor
# and bass (the spacing rule of four-part writing, which Bach's chorales keep).
SPACING_LIMITS = (12, 12, 19)


def voice_crossing_share(pitches: np.ndarray) -> float:
    """Share of the sounding steps at which a lower voice sounds above the voice over it.

    Adjacent voices only (soprano under alto, alto under tenor, tenor under bass), at
    steps where both of a pair sound; a unison is in order. A listener then hears the
    inner voice as the tune (or the bass as an inner voice). nan when no adjacent pair
    ever sounds together.
    """
    pitches = np.asarray(pitches)
    upper, lower = pitches[:-1], pitches[1:]
    both = (upper >= 0) & (lower >= 0)
    crossed = (both & (lower > upper)).any(axis=0)
    counted = both.any(axis=0)
    return float(crossed[counted].mean()) if counted.any() else float("nan")


def spacing_fault_share(pitches: np.ndarray, limits: tuple[int, ...] = SPACING_LIMITS) -> float:
    """Share of the sonorities of all voices with adjacent voices spread too far apart.

    At every attack where every voice sounds, a fault when soprano-alto or alto-tenor are
    more than an octave apart, or tenor-bass more than a twelfth (`SPACING_LIMITS`); the
    chord then falls apart into a high and a low group. nan without such a sonority.
    """
    chords = sonorities(pitches, min_voices=len(pitches))
    if not chords:
        return float("nan")
    gaps = -np.diff(np.asarray(chords), axis=1)
    return float((gaps > np.asarray(limits[: gaps.shape[1]])).any(axis=1).mean())


def sounding_through_breaths(pitches: np.ndarray) -> np.ndarray:
    """(tracks, steps) bool: the voice sounds, or takes a one-sixteenth breath between two of
    its notes of the same pitch.

    On the product's grid that breath is how a re-attacked note is written (the note before
    gives up its last sixteenth, `ml.music.phrase_generate.grid_to_tokens16`), in real and
    generated pieces alike: a listener hears a repeated note, not a voice dropping out.
    """
    pitches = np.asarray(pitches)
    sounding = pitches >= 0
    breath = np.zeros_like(sounding)
    breath[:, 1:-1] = ~sounding[:, 1:-1] & sounding[:, :-2] & (pitches[:, :-2] == pitches[:, 2:])
    return sounding | breath


def all_voices_sounding_share(pitches: np.ndarray, breaths_sound: bool = True) -> float:
    """Share of the steps where anything sounds at which every voice sounds.

    With `breaths_sound` (the listener's view) a re-attack's one-sixteenth breath counts as
    sounding (`sounding_through_breaths`); without it every silent sixteenth counts.
    """
    sounding = sounding_through_breaths(pitches) if breaths_sound else np.asarray(pitches) >= 0
    anything = sounding.any(axis=0)
    return float(sounding.all(axis=0)[anything].mean()) if anything.any() else float("nan")


def bass_on_tonic_share(pitches: np.ndarray) -> float:
    """Share of the bass's sounding steps on the piece's tonic: near 1 is a tonic drone."""
    bass = pitches[-1][pitches[-1] >= 0]
    return float((bass % 12 == piece_tonic(pitches)).mean()) if bass.size else float("nan")


def bass_moves_per_bar(pitches: np.ndarray) -> float:
    """Changes of the bass's pitch class per bar (rests skipped): the harmonic rhythm a
    listener follows in the bass. A drone is 0, a new chord root every half bar about 2."""
    pcs = [p % 12 for _, _, p in notes_of(pitches[-1])]
    moves = sum(a != b for a, b in zip(pcs, pcs[1:], strict=False))
    return moves / max(pitches.shape[1] / STEPS_PER_BAR, 1e-9)


def music21_mode(pitches: np.ndarray, method: str = "aarden") -> str:
    """ "major" or "minor" from music21's own key finder: "aarden" (its default,
    Aarden-Essen) or "krumhansl" (Krumhansl-Schmuckler), on the notes of all voices."""
    from music21 import note, stream

    s = stream.Stream()
    for _, start, end, pitch in all_notes(pitches):
        n = note.Note(int(pitch))
        n.quarterLength = (end - start) / 4.0
        s.insert(start / 4.0, n)
    if not s.notes:
        return "major"
    return str(s.analyze(f"key.{method}").mode)


LISTENER_FACTS: dict[str, Callable[[np.ndarray], float]] = {
    "downbeat_onsets": downbeat_onset_share,
    "barline_ties": barline_tie_share,
    "stepwise": stepwise_share,
    "leaps_5th": leap_share,
    "long_notes": long_note_share,
    "melody_notes_per_bar": melody_notes_per_bar,
    "melody_ends_on_tonic": lambda p: float(ends_on_tonic(p, 0)),
    "bass_ends_on_tonic": lambda p: float(ends_on_tonic(p, len(p) - 1)),
    "rhythm_reuse_5_8": lambda p: float(rhythm_reuse(p)),
    "triadic_sonorities": triadic_share,
    "bass_on_tonic": bass_on_tonic_share,
    "bass_moves_per_bar": bass_moves_per_bar,
    "parallels_per_8_bars": lambda p: parallel_perfects(p) * 8 * STEPS_PER_BAR / max(p.shape[1], 1),
    "all_voices_sounding": all_voices_sounding_share,
    "all_voices_sounding_strict": lambda p: all_voices_sounding_share(p, breaths_sound=False),
    "voices_out_of_order": voice_crossing_share,
    "spacing_faults": spacing_fault_share,
}


def listener_facts(pieces: Sequence[np.ndarray]) -> dict[str, float]:
    """Mean of every listener fact over a set of pieces (nan-valued pieces skipped)."""
    import warnings

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name, fn in LISTENER_FACTS.items():
            out[name] = float(np.nanmean([fn(np.asarray(p)) for p in pieces])) if pieces else float("nan")
    return out
