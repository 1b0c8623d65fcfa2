"""Arrangement: post-processing of the phrase network's voices on its eighth-note grid.

The network writes a chord per half bar first and then four voices; in 27 CPU minutes
of training the voices learned to follow that chord stage only loosely (the folk bass
drones on the tonic while the chords move, chorale voices rest and move in parallels).
These steps make the accompaniment follow the harmony a listener expects. They run
after the network and before the product grid, only when `generate(arrange=True)`
(the default); the network alone is `arrange=False, snap_to_key=False, candidates=1`.

- `follow_chords`: where the network's chord changes under a held bass note, the bass
  is attacked again on the new chord's root (so is a held inner note that is no tone
  of the new chord); a bass note attacked at the start of a half bar takes the root; any
  other note of alto, tenor or bass that is not a tone of its half bar's chord moves to
  the nearest chord tone. Rhythms are kept otherwise.
- `reharmonise`: alto, tenor and bass re-written from the melody by the rule that made
  the folk training accompaniment (`ml.music.corpus.harmonise`: one diatonic triad per
  half bar covering the melody, root in the bass), so that folk pieces are accompanied
  as the folk data was.
- `avoid_parallels`: an inner voice (else the bass) that arrives at a parallel fifth or
  octave moves to a nearby chord tone that makes none.
- `fill_rests`: an accompanying voice that falls silent while the melody sounds holds
  its last note (or anticipates its next one) so that all voices sound.

All take and return (tokens, onsets) of shape (tracks, T): token = pitch index or REST.
"""

from __future__ import annotations

import numpy as np

from ml.music.config import N_PITCHES, PITCH_LOW, REST
from ml.music.phrase import GRID_PER_QUARTER, HALF_BAR, NO_CHORD, chord_pcs, rasterise

BASS_RANGE = (33 - PITCH_LOW, 57 - PITCH_LOW)  # A1..A3: where a chorale bass moves


def grid_notes(tokens_row: np.ndarray, onsets_row: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, end, token) of every note of one voice: attacked on an onset or a pitch change."""
    notes = []
    start = None
    for t, tok in enumerate(tokens_row):
        new = tok != REST and (start is None or onsets_row[t] or tok != tokens_row[t - 1])
        if start is not None and (tok == REST or new):
            notes.append((start, t, int(tokens_row[start])))
            start = None
        if new:
            start = t
    if start is not None:
        notes.append((start, len(tokens_row), int(tokens_row[start])))
    return notes


def _write(notes: list[tuple[int, int, int]], n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    tokens = np.full(n_steps, REST, dtype=np.int8)
    onsets = np.zeros(n_steps, dtype=np.int8)
    for s, e, tok in notes:
        tokens[s:e] = tok
        onsets[s] = 1
    return tokens, onsets


def nearest_with_pcs(token: int, pcs: set[int], low: int = 0, high: int = N_PITCHES - 1) -> int:
    """The pitch index nearest `token` (ties: the lower) whose pitch class is in `pcs`."""
    options = [p for p in range(low, high + 1) if (p + PITCH_LOW) % 12 in pcs]
    if not options:
        return token
    return min(options, key=lambda p: (abs(p - token), p))


def follow_chords(
    tokens: np.ndarray, onsets: np.ndarray, chords: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Alto, tenor and bass follow the network's chord per half bar (see the module doc)."""
    tokens, onsets = np.array(tokens, copy=True), np.array(onsets, copy=True)
    n_tracks, n_steps = tokens.shape
    slots = [None if c == NO_CHORD else chord_pcs(int(c)) for c in chords]
    bass = n_tracks - 1
    # at a chord change a held bass is attacked again, and so is a held note of another
    # voice that is no tone of the new chord (it will move to one)
    for j in range(1, len(slots)):
        t = j * HALF_BAR
        if t >= n_steps or not slots[j] or slots[j] == slots[j - 1]:
            continue
        for k in range(1, n_tracks):
            if tokens[k, t] != REST and (k == bass or (int(tokens[k, t]) + PITCH_LOW) % 12 not in slots[j]):
                onsets[k, t] = 1
    for k in range(1, n_tracks):
        notes = []
        for s, e, tok in grid_notes(tokens[k], onsets[k]):
            pcs = slots[min(s // HALF_BAR, len(slots) - 1)]
            if pcs is not None:
                if k == bass and s % HALF_BAR == 0:
                    tok = nearest_with_pcs(tok, {pcs[0]}, *BASS_RANGE)
                elif (tok + PITCH_LOW) % 12 not in pcs:
                    tok = nearest_with_pcs(tok, set(pcs))
            notes.append((s, e, tok))
        tokens[k], onsets[k] = _write(notes, n_steps)
    return tokens, onsets


def reharmonise(tokens: np.ndarray, onsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alto, tenor and bass from the melody by the folk data's harmonisation rule."""
    from ml.music.corpus import harmonise

    n_tracks, n_steps = tokens.shape
    melody = [
        (s / GRID_PER_QUARTER, (e - s) / GRID_PER_QUARTER, tok + PITCH_LOW)
        for s, e, tok in grid_notes(tokens[0], onsets[0])
    ]
    if not melody:
        return tokens, onsets
    voices = harmonise(melody, n_steps / GRID_PER_QUARTER)
    acc_tokens, acc_onsets = rasterise(voices, n_steps)
    out_t, out_o = np.array(tokens, copy=True), np.array(onsets, copy=True)
    out_t[1:], out_o[1:] = acc_tokens[: n_tracks - 1], acc_onsets[: n_tracks - 1]
    return out_t, out_o


def fill_rests(tokens: np.ndarray, onsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Accompanying voices sound wherever the melody sounds (hold the last note, else the next)."""
    tokens, onsets = np.array(tokens, copy=True), np.array(onsets, copy=True)
    melody_sounds = tokens[0] != REST
    for k in range(1, len(tokens)):
        row = tokens[k]
        for t in range(len(row)):
            if row[t] == REST and melody_sounds[t]:
                if t > 0 and row[t - 1] != REST:
                    row[t] = row[t - 1]  # held: no onset
                else:
                    ahead = np.flatnonzero(row[t:] != REST)
                    if ahead.size:
                        row[t] = row[t + ahead[0]]
                        onsets[k, t] = 1  # the next note starts early
                        onsets[k, t + ahead[0]] = 0
    return tokens, onsets


def _parallel_at(tokens: np.ndarray, i: int, j: int, t0: int, t1: int) -> bool:
    """Do voices i and j move in parallel fifths/octaves (mod 12) from step t0 to t1?"""
    a0, a1, b0, b1 = (int(x) for x in (tokens[i, t0], tokens[i, t1], tokens[j, t0], tokens[j, t1]))
    if REST in (a0, a1, b0, b1) or a0 == a1 or b0 == b1 or (a1 > a0) != (b1 > b0):
        return False
    d0, d1 = (a0 - b0) % 12, (a1 - b1) % 12
    return d0 == d1 and d0 in (0, 7)


def _clashes(tokens: np.ndarray, k: int, times: list[int], index: int) -> int:
    """Parallels of voice k with any other voice into and out of times[index]."""
    count = 0
    for j in range(len(tokens)):
        if j == k:
            continue
        if index > 0 and _parallel_at(tokens, k, j, times[index - 1], times[index]):
            count += 1
        if index + 1 < len(times) and _parallel_at(tokens, k, j, times[index], times[index + 1]):
            count += 1
    return count


def avoid_parallels(
    tokens: np.ndarray, onsets: np.ndarray, chords: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Move an inner voice (else the bass) off parallel fifths/octaves, to a nearby chord tone.

    At every attack where two voices arrive at a perfect fifth/octave in similar motion
    from the same interval, the note of the voice a listener notices least (tenor, alto,
    then bass, but never its final note; never the melody) moves to the nearest tone of
    its half bar's chord (or
    of the sounding voices when there is no chord) within a fourth that makes no parallel
    with any voice and does not cross the voices next to it. Rhythms are kept.
    """
    tokens, onsets = np.array(tokens, copy=True), np.array(onsets, copy=True)
    n_tracks, n_steps = tokens.shape
    attacks = sorted({s for k in range(n_tracks) for s, _, _ in grid_notes(tokens[k], onsets[k])})
    order = [2, 1, 3]  # tenor, alto, bass
    starts = [{s: (s, e, tok) for s, e, tok in grid_notes(tokens[k], onsets[k])} for k in range(n_tracks)]
    for index, t in enumerate(attacks):
        if index == 0:
            continue
        for k in order:
            if t not in starts[k] or _clashes(tokens, k, attacks, index) == 0:
                continue  # (a held note's parallel is the other voice's to fix)
            s, e, tok = starts[k][t]
            if k == n_tracks - 1 and e == n_steps:
                continue  # the bass's final note is the cadence
            slot = min(t // HALF_BAR, len(chords) - 1)
            pcs = chord_pcs(int(chords[slot])) if chords is not None else None
            if pcs is None:
                pcs = tuple(int(x + PITCH_LOW) % 12 for x in tokens[:, t] if x != REST)
            above = int(tokens[k - 1, t]) if tokens[k - 1, t] != REST else N_PITCHES
            below = int(tokens[k + 1, t]) if k + 1 < n_tracks and tokens[k + 1, t] != REST else -1
            best = None
            for cand in sorted(range(tok - 5, tok + 6), key=lambda p: (abs(p - tok), p)):
                if cand == tok or not below < cand < above or (cand + PITCH_LOW) % 12 not in pcs:
                    continue
                tokens[k, s:e] = cand
                if _clashes(tokens, k, attacks, index) == 0:
                    best = cand
                    break
                tokens[k, s:e] = tok
            if best is None:
                tokens[k, s:e] = tok
            else:
                onsets[k, s] = 1
                starts[k][s] = (s, e, best)
    return tokens, onsets


ARRANGEMENTS = {
    "follow_chords": follow_chords,
    "reharmonise": reharmonise,
    "fill_rests": fill_rests,
    "avoid_parallels": avoid_parallels,
}
CHORD_STEPS = ("follow_chords", "avoid_parallels")  # the steps that read the network's chords
