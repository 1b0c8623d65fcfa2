"""The octave each part of an arrangement plays in: in its instrument's range, and in the
written voicing.

An instrument that cannot play a voice where it was written plays it an octave (or more)
away. Moving one part alone opens the chord the voices wrote: a melody under the violin's
G3 moved up an octave leaves a 17-semitone hole under it, a bass under the cello's C2
moved up meets the tenor. So the parts are moved together:

1. every part fits its instrument where it was written: nothing moves;
2. the melody leaves its instrument's range: the whole ensemble moves by the octave the
   melody needs, if every part then fits (the written voicing is kept exactly);
3. else, part by part from the top, each takes the placing that fits its instrument and
   makes the fewest new faults against the parts above it (a voice above the voice over
   it first, then adjacent voices wider apart than `SPACING_LIMITS`; faults the voices
   wrote themselves do not count), then folds the fewest notes, moving with the part
   above where that is as good. A placing is a whole-octave move that fits, or the part
   where it was written (or where `range_shift` puts it) with the notes still outside
   folded in by octaves: a cello takes the bass's few notes under its C2 up an octave
   rather than the whole line over the tenor. A part doubling voices already placed
   (the double bass under the cello) takes the whole-octave move nearest the part it
   doubles;
4. so a part no octave fits is folded in where it was written or where the rule of old
   puts it (`range_shift`, then each note still outside folded in), whichever makes
   fewer faults.

Parts carry `PartNote`s (`ml.music.instrumentation`); a part's voices are the piece's
voices its notes come from. The sounding voices (`sounding_pitches`) are, per voice, the
notes of the first part that plays it (a doubling is not a voice of its own).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ml.music.metrics import SPACING_LIMITS

VOICES = 4
OCTAVE = 12
OCTAVE_MOVES = tuple(range(-4 * OCTAVE, 4 * OCTAVE + 1, OCTAVE))


def range_shift(pitches: np.ndarray, low: int, high: int) -> int:
    """The octaves (in semitones) that move a part into [low, high] as far as a whole-part
    move can: up while its lowest note is under `low` and its highest still fits, down
    while its highest is over `high` and its lowest still fits."""
    shift = 0
    while pitches.min() + shift < low and pitches.max() + shift + OCTAVE <= high:
        shift += OCTAVE
    while pitches.max() + shift > high and pitches.min() + shift - OCTAVE >= low:
        shift -= OCTAVE
    return shift


def folded_into_range(pitches: np.ndarray, low: int, high: int) -> np.ndarray:
    """Each pitch moved by octaves until it is in [low, high]."""
    out = pitches.copy()
    for i, pitch in enumerate(out):
        while pitch < low:
            pitch += OCTAVE
        while pitch > high:
            pitch -= OCTAVE
        out[i] = pitch
    return out


def sounding_pitches(parts: Sequence, n_steps: int) -> np.ndarray:
    """(4, n_steps) the pitch each voice sounds at each step (-1: silent), from the first
    part that plays the voice; a later note of that part replaces a held one."""
    return _sounding(parts, [np.array([n.pitch for n in p.notes], dtype=int) for p in parts], n_steps)


def fitted_pitches(parts: Sequence, n_steps: int) -> list[np.ndarray]:
    """Per part, the pitches its notes sound at (aligned with `part.notes`): every part in
    its `range`, moved by octaves so as to keep the written voicing (module docstring).
    Drum parts and parts without notes are returned as they are."""
    written = [np.array([n.pitch for n in p.notes], dtype=int) for p in parts]
    pitched = [i for i, p in enumerate(parts) if not p.is_drum and p.notes]
    if all(_fits(written[i], parts[i].range) for i in pitched):
        return written
    melody = next((i for i in pitched if 0 in _voices(parts[i])), None)
    if melody is not None:
        whole = range_shift(written[melody], *parts[melody].range)
        if whole and all(_fits(written[i] + whole, parts[i].range) for i in pitched):
            return [w + whole if i in pitched else w for i, w in enumerate(written)]
    return _part_by_part(parts, written, pitched, n_steps)


def _part_by_part(
    parts: Sequence, written: list[np.ndarray], pitched: list[int], n_steps: int
) -> list[np.ndarray]:
    out = list(written)
    placed: list[np.ndarray | None] = [None] * len(parts)  # the parts placed so far
    written_sounding = _sounding(parts, written, n_steps)
    voice_moves: dict[int, int] = {}  # voice -> the octave move of the part playing it
    move_above = 0
    for i in sorted(pitched, key=lambda i: (min(_voices(parts[i])), i)):
        voices = _voices(parts[i])
        new_voices = voices - voice_moves.keys()
        options = _options(written[i], parts[i].range)
        if new_voices:

            def cost(option: tuple[int, np.ndarray, int], i: int = i, move_above: int = move_above) -> tuple:
                move, pitches, folded = option
                trial = placed[:i] + [pitches] + placed[i + 1 :]
                faults = _new_faults(_sounding(parts, trial, n_steps), written_sounding)
                return (*faults, folded, move != move_above, abs(move - move_above), abs(move))

            move, out[i], _ = min(options, key=cost)
            voice_moves.update(dict.fromkeys(new_voices, move))
            move_above = move
        else:  # a doubling: whole, as far from the part it doubles as it was written
            doubled = voice_moves[min(voices)]
            move, out[i], _ = min(options, key=lambda o, doubled=doubled: (o[2], abs(o[0] - doubled), o[0]))
        placed[i] = out[i]
    return out


def _options(written: np.ndarray, pitch_range: tuple[int, int]) -> list[tuple[int, np.ndarray, int]]:
    """(octave move, pitches, notes folded) a part may take: every whole-octave move that
    fits, and, where notes stick out, the part as written or as `range_shift` moves it
    with those notes folded in (a cello taking the bass's notes under its C2 up an octave
    while the double bass keeps them; the rule of old when no octave fits)."""
    options = [(move, written + move, 0) for move in OCTAVE_MOVES if _fits(written + move, pitch_range)]
    for move in sorted({0, range_shift(written, *pitch_range)}):
        folded = folded_into_range(written + move, *pitch_range)
        count = int((folded != written + move).sum())
        if count:
            options.append((move, folded, count))
    return options


def _voices(part) -> set[int]:
    return {n.voice for n in part.notes if n.voice >= 0}


def _fits(pitches: np.ndarray, pitch_range: tuple[int, int]) -> bool:
    return bool(pitch_range[0] <= pitches.min() and pitches.max() <= pitch_range[1])


def _sounding(parts: Sequence, pitches: Sequence[np.ndarray | None], n_steps: int) -> np.ndarray:
    """`sounding_pitches` with the parts' notes at `pitches` (None: a part left out)."""
    out = np.full((VOICES, n_steps), -1, dtype=int)
    first_part: dict[int, int] = {}
    for index, (part, part_pitches) in enumerate(zip(parts, pitches, strict=True)):
        if part.is_drum or part_pitches is None:
            continue
        for note, pitch in zip(part.notes, part_pitches, strict=True):
            if first_part.setdefault(note.voice, index) == index and 0 <= note.voice < VOICES:
                out[note.voice, note.start : note.end] = pitch
    return out


def _pair_faults(sounding: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pairs, steps) bool: the lower voice of an adjacent pair above the upper one; the
    pair wider apart than its spacing limit (both only where both sound)."""
    upper, lower = sounding[:-1], sounding[1:]
    both = (upper >= 0) & (lower >= 0)
    limits = np.asarray(SPACING_LIMITS[: len(upper)])[:, None]
    return both & (lower > upper), both & (upper - lower > limits)


def _new_faults(sounding: np.ndarray, written: np.ndarray) -> tuple[int, int]:
    """Crossings and spacing faults (pair-steps) the sounding voices have and the written
    ones do not."""
    crossed, spread = _pair_faults(sounding)
    written_crossed, written_spread = _pair_faults(written)
    return int((crossed & ~written_crossed).sum()), int((spread & ~written_spread).sum())
