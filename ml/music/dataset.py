"""Build the training/validation dataset: parse, segment, label, split by piece, augment.

Labels come from the music itself (documented in ml/weights/MUSIC_MODEL_CARD.md):

- ``style``: the sub-corpus (chorale, renaissance, folk);
- ``valence``: +1 when the segment's Krumhansl-Schmuckler key is major, -1 when minor;
- ``arousal``: the segment's note density (onsets per bar, all tracks) as a percentile
  rank within its style, mapped to -1..1 (so 0 is the style's median density).

Each segment (4 bars) is transposed so that its key's tonic is C (shift -6..+5): the
network then learns one tonal frame and generation transposes to the requested key.
Training segments are augmented with further shifts of +-1 and +-2 semitones.
Validation pieces are a by-piece 10 % split per style and are never augmented.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from ml.music.config import (
    BARS_PER_SEGMENT,
    COND_DIM,
    N_PITCHES,
    REST,
    SEGMENT_STEPS,
    STEPS_PER_BAR,
    STYLES,
)
from ml.music.corpus import ParsedPiece, corpus_tasks, parse_task_cached
from ml.music.errors import DatasetMissing
from ml.music.theory import find_key

AUGMENT_SHIFTS: tuple[int, ...] = (-2, -1, 1, 2)
VALIDATION_SHARE = 0.1


def pitch_class_histogram(tokens: np.ndarray) -> np.ndarray:
    """Steps per pitch class over all tracks (a duration-weighted histogram)."""
    from ml.music.config import PITCH_LOW

    flat = tokens[tokens != REST].astype(int) + PITCH_LOW
    return np.bincount(flat % 12, minlength=12).astype(float)


def onset_mask(tokens: np.ndarray) -> np.ndarray:
    """True where a note starts (a sounding step whose pitch differs from the step before)."""
    prev = np.concatenate([np.full(tokens.shape[:-1] + (1,), REST, tokens.dtype), tokens[..., :-1]], axis=-1)
    return (tokens != REST) & (tokens != prev)


def note_density(tokens: np.ndarray) -> float:
    """Onsets per bar, all tracks together."""
    bars = tokens.shape[-1] / STEPS_PER_BAR
    return float(onset_mask(tokens).sum() / max(bars, 1e-9))


def transpose_tokens(tokens: np.ndarray, shift: int) -> np.ndarray | None:
    """Tokens moved by `shift` semitones, or None if a note would leave the range."""
    if shift == 0:
        return tokens.copy()
    out = tokens.astype(np.int16)
    sounding = out != REST
    out[sounding] += shift
    if sounding.any() and (out[sounding].min() < 0 or out[sounding].max() >= N_PITCHES):
        return None
    return out.astype(np.int8)


def normalise_key(tokens: np.ndarray) -> tuple[np.ndarray, int, str] | None:
    """(tokens with the tonic moved to C, shift applied, mode) or None if out of range."""
    tonic, mode, _ = find_key(pitch_class_histogram(tokens))
    shift = ((-tonic + 6) % 12) - 6
    for candidate in (shift, shift + 12, shift - 12):
        moved = transpose_tokens(tokens, candidate)
        if moved is not None:
            return moved, candidate, mode
    return None


def usable_segment(tokens: np.ndarray) -> bool:
    """Enough music: the melody sounds in at least 3 of 4 bars and most steps are notes."""
    bars = tokens[0].reshape(-1, STEPS_PER_BAR)
    melody_bars = int((bars != REST).any(axis=1).sum())
    return melody_bars >= tokens.shape[-1] // STEPS_PER_BAR - 1 and (tokens != REST).mean() >= 0.5


@dataclass
class Segment:
    tokens: np.ndarray
    piece: int
    bar: int
    mode: str
    density: float


def segment_piece(tokens: np.ndarray, piece_index: int, hop_bars: int) -> list[Segment]:
    """Key-normalised 4-bar windows of one piece, `hop_bars` apart."""
    n_bars = tokens.shape[1] // STEPS_PER_BAR
    out = []
    for bar in range(0, n_bars - BARS_PER_SEGMENT + 1, hop_bars):
        window = tokens[:, bar * STEPS_PER_BAR : bar * STEPS_PER_BAR + SEGMENT_STEPS]
        if not usable_segment(window):
            continue
        normalised = normalise_key(window)
        if normalised is None:
            continue
        moved, _, mode = normalised
        out.append(Segment(moved, piece_index, bar, mode, note_density(moved)))
    return out


def style_cond(style: str) -> np.ndarray:
    vec = np.zeros(len(STYLES), dtype=np.float32)
    vec[STYLES.index(style)] = 1.0
    return vec


def make_cond(valence: float, arousal: float, style: str) -> np.ndarray:
    """The generator/critic conditioning vector: valence, arousal, one-hot style."""
    return np.concatenate([np.array([valence, arousal], dtype=np.float32), style_cond(style)])


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


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """Rank of each value in -1..1 (ties share their mean rank)."""
    from scipy.stats import rankdata

    if len(values) < 2:
        return np.zeros(len(values), dtype=np.float32)
    return (2 * (rankdata(values) - 1) / (len(values) - 1) - 1).astype(np.float32)


def parse_corpus(
    tasks: Sequence[tuple[str, str]], processes: int = 2, cache_dir: Path | None = None
) -> list[ParsedPiece]:
    """Parse every task with a pool of `processes` and a progress bar."""
    from tqdm import tqdm

    work = partial(parse_task_cached, cache_dir=cache_dir)
    pieces: list[ParsedPiece] = []
    # Biggest files first so the two workers finish together.
    ordered = sorted(tasks, key=lambda t: -Path(t[1]).stat().st_size)
    if processes <= 1:
        iterator = map(work, ordered)
        for result in tqdm(iterator, total=len(ordered), desc="parse", unit="file"):
            pieces.extend(result)
    else:
        with mp.get_context("fork").Pool(processes) as pool:
            for result in tqdm(
                pool.imap_unordered(work, ordered), total=len(ordered), desc="parse", unit="file"
            ):
                pieces.extend(result)
    pieces.sort(key=lambda p: p.piece_id)  # imap_unordered order is not reproducible
    return pieces


def build_arrays(
    pieces: Sequence[ParsedPiece], augment: Sequence[int] = AUGMENT_SHIFTS, seed: int = 0
) -> dict[str, np.ndarray]:
    """Segments, labels and the by-piece split as arrays ready for np.savez_compressed."""
    is_val = split_pieces(pieces, seed=seed)
    segments: list[Segment] = []
    seg_is_val: list[bool] = []
    for index, piece in enumerate(pieces):
        hop = BARS_PER_SEGMENT if is_val[index] else 2
        found = segment_piece(piece.tokens, index, hop)
        segments.extend(found)
        seg_is_val.extend([bool(is_val[index])] * len(found))
    if not segments:
        raise DatasetMissing("No usable 4-bar segment in the chosen pieces.")
    styles = np.array([STYLES.index(pieces[s.piece].style) for s in segments])
    density = np.array([s.density for s in segments], dtype=np.float32)
    arousal = np.zeros(len(segments), dtype=np.float32)
    medians = np.zeros(len(STYLES), dtype=np.float32)
    for k in range(len(STYLES)):
        sel = styles == k
        if sel.any():
            arousal[sel] = percentile_rank(density[sel])
            medians[k] = np.median(density[sel])
    valence = np.array([1.0 if s.mode == "major" else -1.0 for s in segments], dtype=np.float32)
    seg_is_val_arr = np.array(seg_is_val)

    def pack(mask: np.ndarray, shifts: Sequence[int]) -> dict[str, np.ndarray]:
        toks, conds, piece_idx, bars, shift_col, dens = [], [], [], [], [], []
        for i in np.flatnonzero(mask):
            seg = segments[i]
            cond = np.concatenate([[valence[i], arousal[i]], style_cond(pieces[seg.piece].style)]).astype(
                np.float32
            )
            for shift in (0, *shifts):
                moved = transpose_tokens(seg.tokens, shift)
                if moved is None:
                    continue
                toks.append(moved)
                conds.append(cond)
                piece_idx.append(seg.piece)
                bars.append(seg.bar)
                shift_col.append(shift)
                dens.append(density[i])
        empty_t = np.zeros((0, 4, SEGMENT_STEPS), np.int8)
        return {
            "tokens": np.stack(toks).astype(np.int8) if toks else empty_t,
            "cond": np.stack(conds).astype(np.float32) if conds else np.zeros((0, COND_DIM), np.float32),
            "piece": np.array(piece_idx, dtype=np.int32),
            "bar": np.array(bars, dtype=np.int32),
            "shift": np.array(shift_col, dtype=np.int8),
            "density": np.array(dens, dtype=np.float32),
        }

    train = pack(~seg_is_val_arr, tuple(augment))
    val = pack(seg_is_val_arr, ())
    # Whole train pieces (as parsed, not normalised) for the originality check.
    train_pieces = [p.tokens for p, v in zip(pieces, is_val, strict=False) if not v]
    arrays = {f"train_{k}": v for k, v in train.items()}
    arrays.update({f"val_{k}": v for k, v in val.items()})
    arrays.update(
        {
            "piece_ids": np.array([p.piece_id for p in pieces]),
            "piece_styles": np.array([p.style for p in pieces]),
            "piece_is_val": is_val,
            "style_density_median": medians,
            "styles": np.array(STYLES),
            "train_piece_tokens": np.concatenate(train_pieces, axis=1)
            if train_pieces
            else np.zeros((4, 0), np.int8),
            "train_piece_lengths": np.array([p.shape[1] for p in train_pieces], dtype=np.int32),
        }
    )
    return arrays


def build_dataset(
    out: Path,
    styles: Sequence[str] = STYLES,
    limit: int | None = None,
    processes: int = 2,
    augment: Sequence[int] = AUGMENT_SHIFTS,
    parse_cache: Path | None = None,
) -> dict[str, int]:
    """Parse the corpus and write the compressed dataset cache; returns a summary."""
    tasks = corpus_tasks(styles, limit=limit)
    pieces = parse_corpus(tasks, processes=processes, cache_dir=parse_cache)
    arrays = build_arrays(pieces, augment=augment)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(out)
    summary = {
        "pieces": len(pieces),
        "validation_pieces": int(arrays["piece_is_val"].sum()),
        "train_segments": int(len(arrays["train_tokens"])),
        "val_segments": int(len(arrays["val_tokens"])),
    }
    for style in STYLES:
        summary[f"pieces_{style}"] = sum(p.style == style for p in pieces)
    return summary


def load_dataset(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a dataset cache; DatasetMissing names the command that builds it."""
    path = Path(path)
    if not path.exists():
        raise DatasetMissing(
            f"No dataset at {path}; build it with `python -m ml.music build-dataset --out {path}`."
        )
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
