"""music21's bundled corpus -> per-piece token arrays (4 monophonic tracks, 16 steps per bar).

Three styles, each a sub-corpus that ships inside the music21 wheel:

- ``chorale``: Bach's four-part chorales (S, A, T, B as they are written).
- ``renaissance``: Palestrina's masses (soprano, alto, the lowest tenor, bass of 4-6
  voices), note values halved as modern editions print them (4/2 -> 4/4).
- ``folk``: Essen folk songs (monophonic, 2/4 and 4/4). The three lower tracks are a
  rule-based harmonisation (one diatonic triad per half bar chosen to cover the melody,
  root in the bass, close voicing), because the corpus has no accompaniment. Documented
  in the model card: the folk accompaniment the GAN learns is this rule's.

Only pieces whose bar is 2 or 4 quarter notes long (after scaling) are kept, so that
a grid bar of 16 sixteenths is one 4/4 bar or two 2/4 bars; pick-up bars are dropped.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml.music.config import N_PITCHES, N_TRACKS, PITCH_LOW, REST, STEPS_PER_BAR
from ml.music.theory import find_key

STEPS_PER_QUARTER = STEPS_PER_BAR // 4

# Which corpus files make each style (fixed lists so that every build is the same).
ESSEN_FILES: tuple[str, ...] = ("han1.abc", "han2.abc", "kinder0.abc", "altdeu10.abc")
PALESTRINA_EVERY = 4  # every 4th Palestrina file keeps parsing time reasonable on 2 cores


@dataclass
class ParsedPiece:
    """One piece as 4 token rows (see ml.music.config) plus where it came from."""

    piece_id: str
    style: str
    tokens: np.ndarray  # (N_TRACKS, n_steps) int8
    meta: dict = field(default_factory=dict)


def corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def corpus_tasks(
    styles: Iterable[str] = ("chorale", "renaissance", "folk"), limit: int | None = None
) -> list[tuple[str, str]]:
    """(style, path) parse tasks for the chosen styles; `limit` keeps the first few per style."""
    root = corpus_root()
    tasks: list[tuple[str, str]] = []
    for style in styles:
        if style == "chorale":
            paths = sorted(
                p
                for p in (root / "bach").iterdir()
                if p.suffix in (".mxl", ".xml", ".krn") and p.name.startswith("bwv")
            )
        elif style == "renaissance":
            paths = sorted((root / "palestrina").glob("*.krn"))[::PALESTRINA_EVERY]
        elif style == "folk":
            paths = [root / "essenFolksong" / name for name in ESSEN_FILES]
        else:
            raise ValueError(f"unknown style {style!r}")
        if limit is not None:
            paths = paths[:limit]
        tasks.extend((style, str(p)) for p in paths)
    return tasks


def _fold(pitch: int) -> int:
    """Move a MIDI pitch by octaves into the model's range."""
    while pitch < PITCH_LOW:
        pitch += 12
    while pitch >= PITCH_LOW + N_PITCHES:
        pitch -= 12
    return pitch


def notes_to_tokens(voices: list[list[tuple[float, float, int]]], n_steps: int) -> np.ndarray:
    """Rasterise (start_ql, dur_ql, midi) lists into (N_TRACKS, n_steps) tokens."""
    tokens = np.full((N_TRACKS, n_steps), REST, dtype=np.int8)
    for track, notes in enumerate(voices):
        for start, dur, midi in sorted(notes):
            s = int(round(start * STEPS_PER_QUARTER))
            e = int(round((start + dur) * STEPS_PER_QUARTER))
            if e <= 0 or s >= n_steps:
                continue
            s, e = max(s, 0), min(max(e, s + 1), n_steps)
            tokens[track, s:e] = _fold(int(midi)) - PITCH_LOW
    return tokens


# --- harmonisation of monophonic tunes -------------------------------------------------

_MAJOR_CHORDS = (
    (0, 4, 7, 0.30),
    (2, 5, 9, 0.0),
    (4, 7, 11, -0.10),
    (5, 9, 0, 0.10),
    (7, 11, 2, 0.20),
    (9, 0, 4, 0.0),
)
_MINOR_CHORDS = (
    (0, 3, 7, 0.30),
    (5, 8, 0, 0.10),
    (7, 11, 2, 0.20),
    (8, 0, 3, 0.0),
    (3, 7, 10, 0.0),
    (10, 2, 5, -0.05),
)


def _nearest_with_pc(target: int, pcs: Iterable[int], low: int, high: int) -> int:
    candidates = [p for p in range(low, high + 1) if p % 12 in set(pcs)]
    if not candidates:
        return max(low, min(high, target))
    return min(candidates, key=lambda p: (abs(p - target), p))


def harmonise(
    melody: list[tuple[float, float, int]], length_ql: float
) -> list[list[tuple[float, float, int]]]:
    """Alto, tenor and bass for a melody: one diatonic triad per half bar (2 quarters).

    The triad maximises the share of melody time on chord tones plus a small prior
    for I, V and IV; the bass takes the root, alto and tenor the nearest chord tones
    below the melody (smooth voice leading).
    """
    hist = np.zeros(12)
    for _, dur, midi in melody:
        hist[midi % 12] += dur
    tonic, mode, _ = find_key(hist)
    chords = _MAJOR_CHORDS if mode == "major" else _MINOR_CHORDS
    alto_prev, tenor_prev, bass_prev = 62, 55, 45
    alto, tenor, bass = [], [], []
    span = 2.0
    n = int(np.ceil(length_ql / span))
    for i in range(n):
        lo, hi = i * span, (i + 1) * span
        weights = np.zeros(12)
        mel_low = 127
        for start, dur, midi in melody:
            overlap = min(hi, start + dur) - max(lo, start)
            if overlap > 0:
                weights[midi % 12] += overlap
                mel_low = min(mel_low, midi)
        if weights.sum() <= 0:
            continue
        best, best_score = None, -1e9
        for a, b, c, prior in chords:
            pcs = {(tonic + a) % 12, (tonic + b) % 12, (tonic + c) % 12}
            score = sum(weights[pc] for pc in pcs) / weights.sum() + 0.5 * prior
            if score > best_score:
                best, best_score = (a, b, c), score
        root, third, fifth = ((tonic + d) % 12 for d in best)
        bass_prev = _nearest_with_pc(bass_prev, [root], 38, 52)
        top = min(69, mel_low - 1) if mel_low < 127 else 69
        alto_prev = _nearest_with_pc(alto_prev, [root, third, fifth], 53, max(top, 55))
        rest_pcs = [pc for pc in (root, third, fifth) if pc != alto_prev % 12]
        tenor_prev = _nearest_with_pc(tenor_prev, rest_pcs, 46, max(alto_prev - 1, 48))
        dur = min(hi, length_ql) - lo
        alto.append((lo, dur, alto_prev))
        tenor.append((lo, dur, tenor_prev))
        bass.append((lo, dur, bass_prev))
    return [alto, tenor, bass]


# --- music21 scores -> pieces ---------------------------------------------------------


def _part_notes(part, scale: float, grid_start: float, lowest: bool) -> list[tuple[float, float, int]]:
    notes = []
    for element in part.flatten().notes:
        pitches = [p.midi for p in element.pitches]
        if not pitches:
            continue
        midi = min(pitches) if lowest else max(pitches)
        start = float(element.offset) * scale - grid_start
        dur = float(element.duration.quarterLength) * scale
        if dur <= 0 or start < 0:
            continue
        notes.append((start, dur, midi))
    return notes


_VOICE_NAMES = (
    ("soprano", "cantus", "superius"),
    ("alto", "altus", "contra"),
    ("tenor",),
    ("bass", "bassus"),
)


def _satb(parts: list) -> list | None:
    """Soprano, alto, tenor, bass parts by name (lowest-sounding duplicates win for T/B).

    Exactly four unnamed parts are taken in score order; otherwise an unnamed extra
    part (e.g. a horn doubling in a cantata chorale) makes the piece unusable.
    """
    names = [f"{p.partName or ''} {p.id or ''}".lower() for p in parts]
    chosen = []
    for index, keys in enumerate(_VOICE_NAMES):
        matches = [p for p, n in zip(parts, names, strict=False) if any(k in n for k in keys)]
        if not matches:
            return parts if len(parts) == 4 else None
        # first soprano/alto, last tenor/bass: outer voices of the texture
        chosen.append(matches[0] if index < 2 else matches[-1])
    return chosen


def score_to_piece(score, style: str, piece_id: str, scale: float = 1.0) -> ParsedPiece | None:
    """A music21 score -> ParsedPiece, or None when it does not fit (meter, voices)."""
    from music21 import meter

    parts = list(score.parts)
    if not parts:
        return None
    signatures = list(parts[0].recurse().getElementsByClass(meter.TimeSignature))
    if not signatures:
        return None
    bar_ql = float(signatures[0].barDuration.quarterLength) * scale
    if any(float(ts.barDuration.quarterLength) * scale != bar_ql for ts in signatures):
        return None  # meter changes inside the piece
    if bar_ql not in (2.0, 4.0):
        return None
    grid_start = None
    for measure in parts[0].getElementsByClass("Measure"):
        if abs(float(measure.duration.quarterLength) * scale - bar_ql) < 1e-6:
            grid_start = float(measure.offset) * scale
            break
    if grid_start is None:
        return None
    length = float(parts[0].highestTime) * scale - grid_start
    if len(parts) == 1:
        melody = _part_notes(parts[0], scale, grid_start, lowest=False)
        if len(melody) < 8:
            return None
        voices = [melody, *harmonise(melody, length)]
    elif len(parts) >= 4:
        chosen = _satb(parts)
        if chosen is None:
            return None
        voices = [_part_notes(p, scale, grid_start, lowest=(i == 3)) for i, p in enumerate(chosen)]
    else:
        return None
    n_steps = int(length * STEPS_PER_QUARTER) // STEPS_PER_BAR * STEPS_PER_BAR
    if n_steps < STEPS_PER_BAR * 4:
        return None
    tokens = notes_to_tokens(voices, n_steps)
    return ParsedPiece(
        piece_id=piece_id, style=style, tokens=tokens, meta={"bar_ql": bar_ql, "parts": len(parts)}
    )


def parse_task(task: tuple[str, str]) -> list[ParsedPiece]:
    """Parse one corpus file into pieces (an Essen file holds hundreds of tunes)."""
    from music21 import converter, stream

    style, path = task
    scale = 0.5 if style == "renaissance" else 1.0
    try:
        parsed = converter.parse(path)
    except Exception:  # a corpus file music21 cannot read is skipped, not fatal
        return []
    scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    pieces = []
    for index, score in enumerate(scores):
        piece_id = f"{style}:{Path(path).name}" + (f"#{index}" if len(scores) > 1 else "")
        try:
            piece = score_to_piece(score, style, piece_id, scale=scale)
        except Exception:  # malformed tune inside a collection: skip that tune only
            piece = None
        if piece is not None:
            pieces.append(piece)
    return pieces


def parse_task_cached(task: tuple[str, str], cache_dir: Path | None) -> list[ParsedPiece]:
    """parse_task with a per-file pickle cache, so a rebuild does not reparse."""
    if cache_dir is None:
        return parse_task(task)
    key = hashlib.sha1(f"v1|{task[0]}|{task[1]}".encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"{task[0]}_{Path(task[1]).stem}_{key}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)
    pieces = parse_task(task)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(pieces, fh)
    tmp.replace(path)
    return pieces
