"""The v2 representation: whole 8-bar phrases on an eighth-note grid, with onsets and chords.

One training sample is one 8-bar window of a tune (4 quarters per grid bar, 8 eighths):

- ``tokens`` (4 tracks, 64 steps): a pitch index 0..63 (MIDI PITCH_LOW + index) or REST;
- ``onsets`` (4, 64): 1 where a note is attacked, 0 where the previous note is held,
  so repeated notes and re-attacks are learnable (v1 merged them into one long note);
- ``chords`` (16 half bars): the triad that best covers the four voices in each half
  bar (24 major/minor triads, or NO_CHORD), the harmony stage the generator writes
  first and the voices follow;
- the condition: valence, arousal, one-hot style and **cadence** (1 when the window ends
  at a phrase end: the end of the tune, a fermata in a chorale, or an 8-bar strain
  boundary of a folk tune (eight 4/4 bars or eight 2/4 bars, counted from bar 1).

Folk tunes are monophonic; their alto, tenor and bass come from the rule-based
harmonisation of v1 (`ml.music.corpus.harmonise`, one triad per half bar), re-attacked
every half bar. Each window is transposed so that its key's tonic is C. Labels:
valence +1 when both the Krumhansl-Kessler and the Aarden-Essen key finders say major,
-1 when both say minor, 0 when they disagree; arousal = the window's onsets per bar (all
tracks) as a percentile rank within its style, in -1..1. The validation split is by tune.

Sixteenth notes do not fit the eighth grid: the first note of an eighth keeps the step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ml.music.config import N_PITCHES, N_TRACKS, PITCH_LOW, REST
from ml.music.corpus import harmonise
from ml.music.dataset import split_pieces
from ml.music.notes import Tune
from ml.music.theory import find_key

GRID_PER_QUARTER = 2
GRID_PER_BAR = 8
PHRASE_BARS = 8
PHRASE_STEPS = GRID_PER_BAR * PHRASE_BARS
HALF_BAR = GRID_PER_BAR // 2
N_CHORD_SLOTS = PHRASE_STEPS // HALF_BAR
N_CHORDS = 25  # 12 major, 12 minor triads, NO_CHORD
NO_CHORD = 24
PHRASE_STYLES: tuple[str, ...] = ("chorale", "renaissance", "folk")  # same one-hot as v1
COND2_DIM = 3 + len(PHRASE_STYLES)  # valence, arousal, cadence, style
VALIDATION_SHARE = 0.1
FOLK_STRAIN_QL = 32.0  # eight 4/4 bars; a 2/4 strain of eight bars is 16 quarters


def chord_pcs(chord: int) -> tuple[int, int, int] | None:
    """Pitch classes of a chord index (0-11 major on that root, 12-23 minor), None for NO_CHORD."""
    if chord == NO_CHORD:
        return None
    root = chord % 12
    third = 4 if chord < 12 else 3
    return root, (root + third) % 12, (root + 7) % 12


CHORD_MASKS = np.zeros((24, 12))  # (chord, pitch class) membership of the 24 triads
for _c in range(24):
    CHORD_MASKS[_c, list(chord_pcs(_c))] = 1.0


def rasterise(
    voices: Sequence[Sequence[tuple[float, float, int]]], n_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """(tokens, onsets), each (len(voices), n_steps), of (start_ql, dur_ql, midi) note lists.

    A note shorter than an eighth that starts inside an eighth already attacked by
    another note gives that step up (the first note of an eighth wins).
    """
    tokens = np.full((len(voices), n_steps), REST, dtype=np.int8)
    onsets = np.zeros((len(voices), n_steps), dtype=np.int8)
    for k, notes in enumerate(voices):
        for start, dur, midi in sorted(notes):
            s = int(math.floor(start * GRID_PER_QUARTER + 1e-6))
            e = int(round((start + dur) * GRID_PER_QUARTER))
            if s < n_steps and onsets[k, s]:
                if (start + dur) * GRID_PER_QUARTER <= s + 1 + 1e-6:
                    continue  # a short note inside an eighth another note attacked
                s += 1  # that eighth already belongs to an earlier note
            e = min(max(e, s + 1), n_steps)
            if s >= n_steps or s >= e:
                continue
            pitch = int(midi)
            while pitch < PITCH_LOW:
                pitch += 12
            while pitch >= PITCH_LOW + N_PITCHES:
                pitch -= 12
            tokens[k, s:e] = pitch - PITCH_LOW
            onsets[k, s] = 1
            onsets[k, s + 1 : e] = 0
            if e < n_steps and tokens[k, e] != REST and not onsets[k, e]:
                onsets[k, e] = 1  # what is left of an overlapping earlier note sounds again
    return tokens, onsets


def chord_labels(tokens: np.ndarray) -> np.ndarray:
    """(n_steps // HALF_BAR,) best triad per half bar: most sounding steps on chord tones.

    NO_CHORD when the half bar is silent or no triad covers at least half of it; the
    bass note counts double (it decides the chord's root position for a listener).
    """
    n_slots = tokens.shape[1] // HALF_BAR
    out = np.full(n_slots, NO_CHORD, dtype=np.int8)
    for j in range(n_slots):
        window = tokens[:, j * HALF_BAR : (j + 1) * HALF_BAR].astype(int)
        hist = np.zeros(12)
        for k, row in enumerate(window):
            sounding = row[row != REST] + PITCH_LOW
            np.add.at(hist, sounding % 12, 2.0 if k == len(window) - 1 else 1.0)
        if hist.sum() == 0:
            continue
        cover = CHORD_MASKS @ hist / hist.sum()
        best = int(cover.argmax())
        if cover[best] >= 0.5:
            out[j] = best
    return out


def key_modes(hist: np.ndarray) -> tuple[int, str, str]:
    """(Krumhansl-Kessler tonic, KK mode, Aarden-Essen mode) of a pitch-class histogram."""
    from ml.music.theory import find_key_aarden

    tonic, mode_kk, _ = find_key(hist)
    _, mode_ae, _ = find_key_aarden(hist)
    return tonic, mode_kk, mode_ae


def tune_grid(tune: Tune) -> tuple[np.ndarray, np.ndarray]:
    """(tokens, onsets) of a whole tune, folk tunes harmonised; the last part bar kept."""
    n_bars = int(math.ceil(tune.length_ql / 4.0 - 0.26))  # a last bar of at least a quarter
    n_steps = n_bars * GRID_PER_BAR
    voices = list(tune.voices)
    if len(voices) == 1:
        voices = [voices[0], *harmonise(voices[0], min(tune.length_ql, n_bars * 4.0))]
    tokens, onsets = rasterise(voices[:N_TRACKS], n_steps)
    return tokens, onsets


def phrase_ends(tune: Tune, n_bars: int) -> set[int]:
    """Grid bars b (1..n_bars) such that a phrase ends at the end of bar b."""
    ends = {n_bars}
    if tune.style == "chorale":
        for offset in tune.fermatas:
            ends.add(int(offset // 4.0) + 1)
    else:
        strain_bars = int(FOLK_STRAIN_QL * (tune.bar_ql / 4.0) / 4.0)  # 8 real bars in grid bars
        ends.update(range(strain_bars, n_bars + 1, strain_bars))
    return {b for b in ends if 1 <= b <= n_bars}


def transpose(tokens: np.ndarray, shift: int) -> np.ndarray | None:
    out = tokens.astype(np.int16)
    sounding = out != REST
    out[sounding] += shift
    if sounding.any() and (out[sounding].min() < 0 or out[sounding].max() >= N_PITCHES):
        return None
    return out.astype(np.int8)


def window_to_c(tokens: np.ndarray) -> tuple[np.ndarray, float] | None:
    """(tokens moved so the KK tonic is C, valence label) or None if out of range."""
    flat = tokens[tokens != REST].astype(int) + PITCH_LOW
    hist = np.bincount(flat % 12, minlength=12).astype(float)
    tonic, mode_kk, mode_ae = key_modes(hist)
    valence = 0.0 if mode_kk != mode_ae else (1.0 if mode_kk == "major" else -1.0)
    shift = ((-tonic + 6) % 12) - 6
    for candidate in (shift, shift + 12, shift - 12):
        moved = transpose(tokens, candidate)
        if moved is not None:
            return moved, valence
    return None


def density(onsets: np.ndarray, tokens: np.ndarray) -> float:
    """Attacks per bar, all tracks."""
    return float(((onsets == 1) & (tokens != REST)).sum() / (tokens.shape[1] / GRID_PER_BAR))


def tune_windows(tune: Tune, hop_bars: int) -> list[dict]:
    """The 8-bar windows of one tune (hop `hop_bars`, plus the window ending at the end)."""
    tokens, onsets = tune_grid(tune)
    n_bars = tokens.shape[1] // GRID_PER_BAR
    if n_bars < PHRASE_BARS:
        return []
    ends = phrase_ends(tune, n_bars)
    starts = set(range(0, n_bars - PHRASE_BARS + 1, hop_bars)) | {n_bars - PHRASE_BARS}
    starts |= {e - PHRASE_BARS for e in ends if e >= PHRASE_BARS}
    out = []
    for bar in sorted(starts):
        sl = slice(bar * GRID_PER_BAR, (bar + PHRASE_BARS) * GRID_PER_BAR)
        tok, ons = tokens[:, sl], onsets[:, sl]
        melody_bars = (tok[0].reshape(PHRASE_BARS, -1) != REST).any(axis=1).sum()
        if melody_bars < PHRASE_BARS - 1 or (tok != REST).mean() < 0.5:
            continue
        moved = window_to_c(tok)
        if moved is None:
            continue
        tok_c, valence = moved
        out.append(
            {
                "tokens": tok_c,
                "onsets": ons,
                "chords": chord_labels(tok_c),
                "valence": valence,
                "cadence": 1.0 if bar + PHRASE_BARS in ends else 0.0,
                "density": density(ons, tok_c),
                "bar": bar,
            }
        )
    return out


def split_tunes(tunes: Sequence[Tune], share: float = VALIDATION_SHARE, seed: int = 0) -> np.ndarray:
    """True for validation tunes: a fixed random share of each style's tunes."""
    return split_pieces(tunes, share, seed, styles=PHRASE_STYLES)


def build_phrase_arrays(tunes: Sequence[Tune], progress: bool = True) -> dict[str, np.ndarray]:
    """Windows, labels and the by-tune split as arrays for np.savez_compressed."""
    from scipy.stats import rankdata
    from tqdm import tqdm

    is_val = split_tunes(tunes)
    rows: list[dict] = []
    for index, tune in enumerate(tqdm(tunes, desc="phrases", unit="tune", disable=not progress)):
        for w in tune_windows(tune, hop_bars=8 if is_val[index] else 2):
            w["tune"] = index
            w["style"] = PHRASE_STYLES.index(tune.style)
            w["is_val"] = bool(is_val[index])
            rows.append(w)
    styles = np.array([r["style"] for r in rows])
    dens = np.array([r["density"] for r in rows], dtype=np.float32)
    arousal = np.zeros(len(rows), dtype=np.float32)
    medians = np.zeros(len(PHRASE_STYLES), dtype=np.float32)
    for k in range(len(PHRASE_STYLES)):
        sel = styles == k
        if sel.sum() > 1:
            arousal[sel] = 2 * (rankdata(dens[sel]) - 1) / (sel.sum() - 1) - 1
            medians[k] = np.median(dens[sel])
    cond = np.zeros((len(rows), COND2_DIM), dtype=np.float32)
    cond[:, 0] = [r["valence"] for r in rows]
    cond[:, 1] = arousal
    cond[:, 2] = [r["cadence"] for r in rows]
    cond[np.arange(len(rows)), 3 + styles] = 1.0
    val = np.array([r["is_val"] for r in rows])
    arrays: dict[str, np.ndarray] = {}
    for prefix, mask in (("train", ~val), ("val", val)):
        arrays[f"{prefix}_tokens"] = np.stack([r["tokens"] for r in rows])[mask]
        arrays[f"{prefix}_onsets"] = np.stack([r["onsets"] for r in rows])[mask]
        arrays[f"{prefix}_chords"] = np.stack([r["chords"] for r in rows])[mask]
        arrays[f"{prefix}_cond"] = cond[mask]
        arrays[f"{prefix}_tune"] = np.array([r["tune"] for r in rows], dtype=np.int32)[mask]
        arrays[f"{prefix}_bar"] = np.array([r["bar"] for r in rows], dtype=np.int32)[mask]
        arrays[f"{prefix}_density"] = dens[mask]
    arrays["tune_ids"] = np.array([t.tune_id for t in tunes])
    arrays["tune_styles"] = np.array([t.style for t in tunes])
    arrays["tune_collections"] = np.array([t.collection for t in tunes])
    arrays["tune_is_val"] = is_val
    arrays["style_density_median"] = medians
    return arrays


def build_phrase_dataset(tunes_path: Path, out: Path) -> dict:
    """Windows of the parsed corpus (`ml.music.notes`) written to `out`; returns the counts."""
    from collections import Counter

    from ml.music.notes import load_tunes

    tunes = load_tunes(tunes_path)
    arrays = build_phrase_arrays(tunes)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(out)
    is_val = arrays["tune_is_val"]
    summary: dict = {
        "tunes": len(tunes),
        "validation_tunes": int(is_val.sum()),
        "train_windows": len(arrays["train_tokens"]),
        "val_windows": len(arrays["val_tokens"]),
        "tunes_by_collection": dict(Counter(t.collection for t in tunes)),
        "validation_tunes_by_style": dict(Counter(t.style for t, v in zip(tunes, is_val, strict=True) if v)),
    }
    for prefix in ("train", "val"):
        cond = arrays[f"{prefix}_cond"]
        summary[f"{prefix}_cadence_share"] = round(float(cond[:, 2].mean()), 3)
        summary[f"{prefix}_valence_major_minor_ambiguous"] = [
            int((cond[:, 0] > 0).sum()),
            int((cond[:, 0] < 0).sum()),
            int((cond[:, 0] == 0).sum()),
        ]
        summary[f"{prefix}_windows_by_style"] = {
            s: int((cond[:, 3 + k] == 1).sum()) for k, s in enumerate(PHRASE_STYLES)
        }
    summary["style_density_median"] = [round(float(m), 3) for m in arrays["style_density_median"]]
    return summary
