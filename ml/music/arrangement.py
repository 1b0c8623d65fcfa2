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
  the nearest chord tone, except an off-beat eighth passing or neighbour tone between
  two notes a step away. Rhythms are kept otherwise.
- `reharmonise`: alto, tenor and bass re-written from the melody by the rule that made
  the folk training accompaniment (`ml.music.corpus.harmonise`: one diatonic triad per
  half bar covering the melody, root in the bass), so that folk pieces are accompanied
  as the folk data was.
- `fill_rests`: an accompanying voice that falls silent while the melody sounds sings
  on: it holds its last note while that is a tone of the half bar's chord, moves to the
  nearest chord tone where the chord changes (the bass to the new root), and a voice
  that has not come in yet anticipates its next note (or the chord tone nearest it).
- `hold_repeats`: alto and tenor hold a note the network strikes again at the same
  pitch inside a half bar (within one chord a singer holds it).
- `smooth_repeats`: alto, tenor and bass never strike a note again on the off-beat
  eighth (real chorale voices never do): it becomes a passing tone to a note a third
  away, a lower neighbour between two equal notes, else it is held through the beat.
- `answer_rhythm`: the consequent (bars 5-8) of each 8-bar phrase answers the
  antecedent's melody rhythm as real periods do: consequent bars among 5-7 (the
  cadence bar 8 is left alone) are re-timed to their antecedent bar's rhythm until 2
  bars match, with the network's pitches (all in order when the note counts agree, else
  the pitch it sounds at each new attack; only bars within one note of the antecedent
  bar's count, so the bar stays close to what the network wrote). Accompaniment steps run after it.
- `order_voices`: alto, tenor and bass moved by octaves (never the melody) so that each
  sounds under the voice above it and within an octave of it (a twelfth between tenor
  and bass), keeping the network's own leaps and making no new parallel fifth/octave.
  The network's alto crosses over its melody on 4 % of the steps (real chorales 0.2 %).
- `avoid_parallels`: an inner voice (else the bass) that arrives at a parallel fifth or
  octave moves to a nearby chord tone that makes none (run last: filled rests and moved
  notes make new pairs of attacks).

All take and return (tokens, onsets) of shape (tracks, T): token = pitch index or REST.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np

from ml.music.config import N_PITCHES, PITCH_LOW, REST
from ml.music.metrics import SPACING_LIMITS
from ml.music.phrase import GRID_PER_BAR, GRID_PER_QUARTER, HALF_BAR, NO_CHORD, chord_pcs, rasterise

BASS_RANGE = (33 - PITCH_LOW, 57 - PITCH_LOW)  # A1..A3: where a chorale bass moves
SEARCH = 7  # semitones a voice may move off a parallel: a fifth either way


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
        written = grid_notes(tokens[k], onsets[k])
        notes = []
        for s, e, tok in written:
            pcs = slots[min(s // HALF_BAR, len(slots) - 1)]
            if pcs is not None:
                if k == bass and s % HALF_BAR == 0:
                    tok = nearest_with_pcs(tok, {pcs[0]}, *BASS_RANGE)
                elif (tok + PITCH_LOW) % 12 not in pcs:
                    tok = nearest_with_pcs(tok, set(pcs))
            notes.append((s, e, tok))
        tokens[k], onsets[k] = _write(_keep_passing_tones(written, notes), n_steps)
    return tokens, onsets


STEP = 2  # semitones: at most a whole tone is a step
SCALE_SIZE = 7


def _is_passing_or_neighbour(before: int, tone: int, after: int) -> bool:
    """Is `tone` a step from both notes around it, between them (passing) or beside a
    repeated one (neighbour)?"""
    steps = 0 < abs(tone - before) <= STEP and 0 < abs(after - tone) <= STEP
    return steps and (before == after or (tone - before) * (after - tone) > 0)


def _keep_passing_tones(
    written: list[tuple[int, int, int]], moved: list[tuple[int, int, int]]
) -> list[tuple[int, int, int]]:
    """`moved` with the network's own off-beat eighth passing and neighbour tones put back.

    Chorale inner voices and basses move on the off-beat by step between two chord tones
    (17-21 % of their notes in the training windows); moving such a note to the nearest
    chord tone makes it a struck-again repeat of its neighbour, or a third where the voice
    moved by step. Kept where the note is one eighth off the beat, joined to the notes
    around it, and a step from both as they now stand.
    """
    out = list(moved)
    for i in range(1, len(out) - 1):
        s, e, tok = written[i]
        _, prev_end, before = out[i - 1]
        next_start, _, after = out[i + 1]
        joined = prev_end == s and next_start == e
        if s % GRID_PER_QUARTER and e - s == 1 and joined and _is_passing_or_neighbour(before, tok, after):
            out[i] = (s, e, tok)
    return out


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


def _bounds(tokens: np.ndarray, k: int, t: int) -> tuple[int, int]:
    """The pitch range voice k may take at step t without crossing the sounding voices next to it."""
    above = int(tokens[k - 1, t]) if k > 0 and tokens[k - 1, t] != REST else N_PITCHES
    below = int(tokens[k + 1, t]) if k + 1 < len(tokens) and tokens[k + 1, t] != REST else -1
    return below + 1, above - 1


def _fill_tone(
    tokens: np.ndarray, k: int, t: int, near: int, pcs: tuple[int, ...] | None, root: bool = False
) -> int:
    """The note voice k takes at step t of a filled rest: the chord's root in the bass's range
    if `root`, else `near` itself if it is a chord tone (or there is no chord), else the
    nearest chord tone between the neighbouring voices."""
    if pcs is None:
        return near
    if root:
        return nearest_with_pcs(near, {pcs[0]}, *BASS_RANGE)
    if (near + PITCH_LOW) % 12 in pcs:
        return near
    low, high = _bounds(tokens, k, t)
    if low > high:
        low, high = 0, N_PITCHES - 1
    return nearest_with_pcs(near, set(pcs), low, high)


def fill_rests(
    tokens: np.ndarray, onsets: np.ndarray, chords: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Alto, tenor and bass sound wherever the melody sounds, on tones of the half bar's chord.

    A rest of an accompanying voice under a sounding melody is filled as a chorale singer
    would sing through it: the note before is held while it belongs to the half bar's
    chord; where it does not (the chord changed), the voice moves to the nearest chord
    tone between its neighbours (a bass at a half bar: the root). A voice that has not
    come in yet anticipates its next note (or the chord tone nearest it). The melody and
    every note the network wrote stay as they are. Without chords notes are only held or
    anticipated.
    """
    tokens, onsets = np.array(tokens, copy=True), np.array(onsets, copy=True)
    n_tracks, n_steps = tokens.shape
    bass = n_tracks - 1
    melody_sounds = tokens[0] != REST

    def chord_at(t: int) -> tuple[int, ...] | None:
        if chords is None:
            return None
        c = int(chords[min(t // HALF_BAR, len(chords) - 1)])
        return None if c == NO_CHORD else chord_pcs(c)

    for k in range(1, n_tracks):
        row = tokens[k]
        for t in range(n_steps):
            if row[t] != REST or not melody_sounds[t]:
                continue
            pcs = chord_at(t)
            if t > 0 and row[t - 1] != REST:  # go on from the note before
                prev = int(row[t - 1])
                chord_changes = t % HALF_BAR == 0 and pcs != chord_at(t - 1)
                tone = _fill_tone(tokens, k, t, prev, pcs, root=k == bass and chord_changes)
                row[t] = tone
                onsets[k, t] = int(tone != prev)
                continue
            ahead = np.flatnonzero(row[t:] != REST)
            if ahead.size:  # come in early: the next note, or a chord tone near it
                nxt = t + int(ahead[0])
                tone = _fill_tone(tokens, k, t, int(row[nxt]), pcs, root=k == bass and t % HALF_BAR == 0)
                row[t] = tone
                onsets[k, t] = 1
                if tone == row[nxt] and nxt // HALF_BAR == t // HALF_BAR:
                    onsets[k, nxt] = 0  # the next note itself starts early
            else:
                before = np.flatnonzero(row[:t] != REST)
                if before.size:  # silent to the end: take up its last note's register
                    row[t] = _fill_tone(tokens, k, t, int(row[before[-1]]), pcs, root=k == bass)
                    onsets[k, t] = 1
    return tokens, onsets


def hold_repeats(tokens: np.ndarray, onsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alto and tenor hold a note the network re-attacks at the same pitch inside a half bar.

    The network's inner voices strike a repeated note about twice as often per bar as
    they change pitch; within one chord a singer would hold it. Re-attacks on a half bar
    (where the chord may change) and every melody and bass note stay.
    """
    tokens, onsets = np.array(tokens, copy=True), np.array(onsets, copy=True)
    n_tracks, n_steps = tokens.shape
    for k in range(1, n_tracks - 1):
        for t in range(1, n_steps):
            if onsets[k, t] and t % HALF_BAR and tokens[k, t] != REST and tokens[k, t] == tokens[k, t - 1]:
                onsets[k, t] = 0
    return tokens, onsets


def _step_tone(
    tokens: np.ndarray, k: int, t: int, start: int, goal: int, preference: np.ndarray
) -> int | None:
    """The tone voice k takes at step t between `start` and `goal`: a step from both, between
    them (a passing tone) or, when they are the same note, below it (else above: a
    neighbour tone); of those, the one the piece sounds most (its scale's), and never
    crossing the voices next to it. Only the piece's own scale, its seven pitch classes
    sounded most (the key snap would move any other onto a neighbour), and no tone that
    moves in parallel fifths/octaves with another voice."""
    low, high = _bounds(tokens, k, t)
    scale = set(np.argsort(-preference, kind="stable")[:SCALE_SIZE].tolist())

    def usable(tones) -> list[int]:
        return [
            p
            for p in tones
            if low <= p <= high and (p + PITCH_LOW) % 12 in scale and not _makes_parallels(tokens, k, t, p)
        ]

    if start == goal:
        options = usable(start - d for d in (1, STEP)) or usable(start + d for d in (1, STEP))
    else:
        between = range(min(start, goal) + 1, max(start, goal))
        options = usable(p for p in between if abs(p - start) <= STEP and abs(goal - p) <= STEP)
    if not options:
        return None
    return max(options, key=lambda p: (preference[(p + PITCH_LOW) % 12], -abs(p - start)))


def _makes_parallels(tokens: np.ndarray, k: int, t: int, tone: int) -> bool:
    """Would voice k sounding `tone` for the one step t move in parallel fifths/octaves
    with another voice into or out of it?"""
    if t == 0 or t + 1 >= tokens.shape[1]:
        return False
    trial = np.array(tokens[:, t - 1 : t + 2], copy=True)
    trial[k, 1] = tone
    pairs = [(min(k, j), max(k, j)) for j in range(len(trial)) if j != k]
    return any(_parallel_at(trial, i, j, 0, 1) or _parallel_at(trial, i, j, 1, 2) for i, j in pairs)


def smooth_repeats(tokens: np.ndarray, onsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alto, tenor and bass never strike their note again on the off-beat eighth.

    In the chorale training windows no voice re-attacks a note on the off-beat (0 % of
    their notes, against 16-22 % of the network's alto, tenor and bass notes); there the
    voices move on the off-beat by step (17-21 %). A repeated off-beat eighth that leads
    to a note a third away becomes the passing tone between them, one that leads to the
    same note again its lower neighbour (the scale tone the piece sounds most); any other
    off-beat repeat is held from the beat, as a singer holds a note within a beat.
    Repeats on the beat, the melody and every pitch the network wrote elsewhere stay.
    """
    tokens, onsets = np.array(tokens, copy=True), np.array(onsets, copy=True)
    n_tracks, n_steps = tokens.shape
    sounding = tokens[tokens != REST].astype(int)
    preference = np.bincount((sounding + PITCH_LOW) % 12, minlength=12)
    for k in range(1, n_tracks):
        notes = grid_notes(tokens[k], onsets[k])
        for i in range(1, len(notes)):
            s, e, tok = notes[i]
            _, prev_end, prev_tok = notes[i - 1]
            if not s % GRID_PER_QUARTER or prev_end != s or prev_tok != tok:
                continue
            after = notes[i + 1] if i + 1 < len(notes) and notes[i + 1][0] == e else None
            moves = after is not None and e - s == 1 and abs(after[2] - tok) in (0, 3, 4)
            tone = _step_tone(tokens, k, s, tok, after[2], preference) if moves else None
            if tone is None:
                onsets[k, s] = 0  # held through the beat
            else:
                tokens[k, s] = tone
                notes[i] = (s, e, tone)
    return tokens, onsets


PHRASE_BARS = 8
ANSWER_MATCHES = 2  # consequent bars that take up the antecedent's rhythm (metrics.rhythm_reuse)
ANSWER_NOTE_CHANGE = 1  # at most this many notes more or fewer: a bar close to the answer


def _bar_notes(
    notes: list[tuple[int, int, int]], lo: int, hi: int, held_in: bool = False
) -> list[tuple[int, int, int]] | None:
    """The notes sounding in [lo, hi), or None when one crosses the end barline (or, unless
    `held_in`, enters held over the start barline)."""
    inside = [n for n in notes if n[1] > lo and n[0] < hi]
    if any(e > hi or (s < lo and not held_in) for s, e, _ in inside):
        return None
    return inside


def _same_rhythm(first, second, offset: int) -> bool:
    """Do the consequent bar's notes (`second`, `offset` steps later) start and end as `first`'s?"""
    return (
        bool(first)
        and second is not None
        and [(s, e) for s, e, _ in first] == [(s - offset, e - offset) for s, e, _ in second]
    )


def _answer_pitches(first, second, offset: int) -> list[int]:
    """The consequent's pitches for the antecedent's notes: all of them in order when the
    counts agree, else the one the network sounds at each new attack (or nearest it), so
    the melody keeps its pitch against the harmony at every attack."""
    if len(first) == len(second):
        return [tok for _, _, tok in second]

    def distance(note: tuple[int, int, int], t: int) -> int:
        s, e, _ = note
        return 0 if s <= t < e else min(abs(s - t), abs(e - 1 - t))

    return [min(second, key=lambda n: distance(n, s + offset))[2] for s, _, _ in first]


def answer_rhythm(tokens: np.ndarray, onsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-time consequent melody bars to the antecedent's rhythm (see the module docstring).

    An antecedent bar counts when its notes stay inside its barlines; the consequent bar
    when none of its notes runs over its end barline (the next bar stays as written).
    """
    tokens, onsets = np.array(tokens, copy=True), np.array(onsets, copy=True)
    n_steps = tokens.shape[1]
    notes = grid_notes(tokens[0], onsets[0])
    offset = 4 * GRID_PER_BAR
    for start in range(0, n_steps - PHRASE_BARS * GRID_PER_BAR + 1, PHRASE_BARS * GRID_PER_BAR):
        pairs = []
        for b in range(4):
            lo = start + b * GRID_PER_BAR
            first = _bar_notes(notes, lo, lo + GRID_PER_BAR)
            second = _bar_notes(notes, lo + offset, lo + offset + GRID_PER_BAR, held_in=True)
            pairs.append((lo, first, second))
        matches = sum(_same_rhythm(f, s, offset) for _, f, s in pairs)
        for lo, first, second in pairs[:3]:  # bar 8 is the cadence
            if matches >= ANSWER_MATCHES:
                break
            if not first or not second or _same_rhythm(first, second, offset):
                continue
            if abs(len(first) - len(second)) > ANSWER_NOTE_CHANGE:
                continue
            pitches = _answer_pitches(first, second, offset)
            tokens[0, lo + offset : lo + offset + GRID_PER_BAR] = REST
            onsets[0, lo + offset : lo + offset + GRID_PER_BAR] = 0
            for (s, e, _), tok in zip(first, pitches, strict=True):
                tokens[0, s + offset : e + offset] = tok
                onsets[0, s + offset] = 1
            matches += 1
    return tokens, onsets


def _parallel_at(tokens: np.ndarray, i: int, j: int, t0: int, t1: int) -> bool:
    """Do voices i (the upper) and j move in parallel fifths/octaves (mod 12) from step t0 to t1?"""
    a0, a1, b0, b1 = (int(x) for x in (tokens[i, t0], tokens[i, t1], tokens[j, t0], tokens[j, t1]))
    if REST in (a0, a1, b0, b1) or a0 == a1 or b0 == b1 or (a1 > a0) != (b1 > b0):
        return False
    d0, d1 = (a0 - b0) % 12, (a1 - b1) % 12
    return d0 == d1 and d0 in (0, 7)


def _both_sounding(tokens: np.ndarray, times: list[int]) -> dict[tuple[int, int], list[int]]:
    """Per voice pair (upper, lower): the indices into `times` at which both voices sound.

    Moving a note off a parallel changes its pitch, never whether it sounds, so this is
    computed once per piece.
    """
    sounding = tokens[:, times] != REST
    n = len(tokens)
    return {
        (i, j): np.flatnonzero(sounding[i] & sounding[j]).tolist() for i in range(n) for j in range(i + 1, n)
    }


def _clashes(
    tokens: np.ndarray, k: int, times: list[int], index: int, both: dict[tuple[int, int], list[int]]
) -> int:
    """Parallels of voice k with any other voice into and out of times[index].

    For each pair the neighbouring attack times are the nearest ones at which both voices
    sound (`both`: a rest in between does not hide a parallel from the ear, nor from
    `ml.music.metrics.parallel_perfects`).
    """
    count = 0
    t = times[index]
    for j in range(len(tokens)):
        if j == k or tokens[k, t] == REST or tokens[j, t] == REST:
            continue
        upper, lower = min(k, j), max(k, j)  # the interval is measured down from the upper voice
        shared = both[(upper, lower)]
        at = bisect_left(shared, index)
        if at > 0 and _parallel_at(tokens, upper, lower, times[shared[at - 1]], t):
            count += 1
        if at + 1 < len(shared) and _parallel_at(tokens, upper, lower, t, times[shared[at + 1]]):
            count += 1
    return count


def avoid_parallels(
    tokens: np.ndarray, onsets: np.ndarray, chords: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Move an inner voice (else the bass) off parallel fifths/octaves, to a nearby chord tone.

    At every attack where two voices arrive at a perfect fifth/octave in similar motion
    from the same interval, the note of the voice a listener notices least (tenor, alto,
    then bass, but never its final note; never the melody) moves to the nearest tone of
    its half bar's chord (or of the sounding voices when there is no chord) within a fifth
    that makes no parallel with any voice and does not cross the voices next to it.
    Rhythms are kept.
    """
    tokens, onsets = np.array(tokens, copy=True), np.array(onsets, copy=True)
    n_tracks, n_steps = tokens.shape
    attacks = sorted({s for k in range(n_tracks) for s, _, _ in grid_notes(tokens[k], onsets[k])})
    order = [2, 1, 3]  # tenor, alto, bass
    starts = [{s: (s, e, tok) for s, e, tok in grid_notes(tokens[k], onsets[k])} for k in range(n_tracks)]
    both = _both_sounding(tokens, attacks)
    for index, t in enumerate(attacks):
        if index == 0:
            continue
        for k in order:
            if t not in starts[k] or _clashes(tokens, k, attacks, index, both) == 0:
                continue  # (a held note's parallel is the other voice's to fix)
            s, e, tok = starts[k][t]
            if k == n_tracks - 1 and e == n_steps:
                continue  # the bass's final note is the cadence
            slot = min(t // HALF_BAR, len(chords) - 1)
            pcs = chord_pcs(int(chords[slot])) if chords is not None else None
            if pcs is None:
                pcs = tuple(int(x + PITCH_LOW) % 12 for x in tokens[:, t] if x != REST)
            low, high = _bounds(tokens, k, t)
            best = None
            for cand in sorted(range(tok - SEARCH, tok + SEARCH + 1), key=lambda p: (abs(p - tok), p)):
                if cand == tok or not low <= cand <= high or (cand + PITCH_LOW) % 12 not in pcs:
                    continue
                tokens[k, s:e] = cand
                if _clashes(tokens, k, attacks, index, both) == 0:
                    best = cand
                    break
                tokens[k, s:e] = tok
            if best is None:
                tokens[k, s:e] = tok
            else:
                onsets[k, s] = 1
                starts[k][s] = (s, e, best)
    return tokens, onsets


# Where each accompanying voice may be moved to by octaves (pitch indices): alto G3-Eb5,
# tenor C3-Bb4, bass C2-E4, the 0.5-99.5th percentiles of each voice's pitches in the
# chorale training windows (key normalised to C) (`order_voices`). A note already
# outside may stay where it is.
VOICE_RANGES = {
    1: (55 - PITCH_LOW, 75 - PITCH_LOW),
    2: (48 - PITCH_LOW, 70 - PITCH_LOW),
    3: (36 - PITCH_LOW, 64 - PITCH_LOW),
}
# The widest gap from voice k to the voice above before a chord falls apart: the
# spacing rule the listener fact measures.
GAP_ABOVE = {k + 1: limit for k, limit in enumerate(SPACING_LIMITS)}
# Costs of `order_voices`, per eighth step: a voice above the one over it (or under the
# one below) is what a listener hears first; a too wide gap next; each semitone a move
# adds to the voice's leap from its previous note is the smoothness (the network's own
# leaps are its line), each note moved off the network's octave a little more; a new
# parallel fifth/octave is never bought.
ORDER_COST, SPACING_COST, MOVE_COST, SHIFT_COST, PARALLEL_COST = 12.0, 8.0, 0.5, 2.0, 100.0
BELOW_SHARE = 0.25  # of a fault against the voice below, which can still move out of the way


def _octave_options(tok: int, k: int) -> list[int]:
    """The note itself and its octaves within voice k's range (and the grid)."""
    low, high = VOICE_RANGES.get(k, (0, N_PITCHES - 1))
    moved = [tok + 12 * m for m in (-2, -1, 1, 2)]
    return [tok] + [p for p in moved if max(low, 0) <= p <= min(high, N_PITCHES - 1)]


def _placement_costs(tokens: np.ndarray, k: int, s: int, e: int, pitches: list[int]) -> np.ndarray:
    """Order and spacing faults of voice k sounding each of `pitches` over steps [s, e)
    against the voices next to it as they stand (the one above is placed already, the
    one below not)."""
    options = np.asarray(pitches)[:, None]
    cost = np.zeros(len(pitches))
    if k > 0:
        above = tokens[k - 1, s:e].astype(int)[None, :]
        sounds = above != REST
        cost += ORDER_COST * (sounds & (options > above)).sum(axis=1)
        cost += SPACING_COST * (sounds & (above - options > GAP_ABOVE.get(k, 12))).sum(axis=1)
    if k + 1 < len(tokens):  # the voice below moves next: its faults weigh less
        below = tokens[k + 1, s:e].astype(int)[None, :]
        sounds = below != REST
        faults = ORDER_COST * (sounds & (below > options)).sum(axis=1)
        faults += SPACING_COST * (sounds & (options - below > GAP_ABOVE.get(k + 1, 12))).sum(axis=1)
        cost += BELOW_SHARE * faults
    return cost


def _is_parallel(upper: tuple[int, int], lower: tuple[int, int]) -> bool:
    """Do two voices (pitches before, after) move in parallel fifths/octaves (mod 12)?"""
    (a0, a1), (b0, b1) = upper, lower
    if a0 == a1 or b0 == b1 or (a1 > a0) != (b1 > b0):
        return False
    d0, d1 = (a0 - b0) % 12, (a1 - b1) % 12
    return d0 == d1 and d0 in (0, 7)


def _parallel_starts(tokens: np.ndarray, attacked: np.ndarray, k: int, notes) -> list[list[tuple[int, int]]]:
    """Per note of voice k: (other voice j, step t0) for every voice sounding at the note's
    start, t0 the last step before it at which k or j attacks and both sound (where a
    parallel into the note starts, as `ml.music.metrics.parallel_perfects` reads it).
    Octave moves change no voice's sounding, so this holds for every choice."""
    sounding = tokens != REST
    starts = {s for s, _, _ in notes}
    out: dict[int, list[tuple[int, int]]] = {s: [] for s in starts}
    for j in range(len(tokens)):
        if j == k:
            continue
        last = None
        for t in range(tokens.shape[1]):
            if t in starts and sounding[j, t] and last is not None:
                out[t].append((j, last))
            if (attacked[k, t] or attacked[j, t]) and sounding[k, t] and sounding[j, t]:
                last = t
    return [out[s] for s, _, _ in notes]


def _parallel_pairs(
    rows: list[list[int]], k: int, note, before, starts
) -> list[tuple[bool, int, int, int, bool]]:
    """What a parallel of voice k into the note depends on, per other voice sounding at its
    start: (k comes from its previous note, k's pitch at t0 otherwise, the other voice's
    pitch at t0 and at the start, k is the upper voice)."""
    s = note[0]
    return [(before[0] <= t0 < before[1], rows[k][t0], rows[j][t0], rows[j][s], k < j) for j, t0 in starts]


def _parallels_into(pairs, pitch: int, previous: int) -> int:
    """Parallel fifths/octaves voice k makes arriving at `pitch` from `previous` (its
    previous note's pitch, where that note is the one sounding); `pairs` from `_parallel_pairs`."""
    count = 0
    for from_previous, a0, b0, b1, upper in pairs:
        mine, other = (previous if from_previous else a0, pitch), (b0, b1)
        count += _is_parallel(mine, other) if upper else _is_parallel(other, mine)
    return count


def order_voices(tokens: np.ndarray, onsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alto, tenor and bass moved by octaves so that each voice sounds under the one above
    it and close to it, the melody's pitches untouched.

    Each voice in turn, from the alto down, takes for every note the note itself or one of
    its octaves within the voice's range (`VOICE_RANGES`): the choice for the whole voice
    (a shortest path over its notes) that puts fewest of its steps above the voice over it
    or under the one below, then fewest gaps wider than an octave (a twelfth above the
    bass), then adds least to its leaps from note to note and moves fewest notes (so a
    passage moves an octave as a whole, and comes back where its own line leaps), with
    no parallel fifth/octave a move would make. Rhythms and pitch classes are kept, so chords and the
    key are too; a voice with nothing to mend stays as it is.
    """
    tokens, onsets = np.array(tokens, copy=True), np.array(onsets, copy=True)
    n_tracks = len(tokens)
    voices = [grid_notes(tokens[j], onsets[j]) for j in range(n_tracks)]
    attacked = np.zeros(tokens.shape, dtype=bool)
    for j, notes in enumerate(voices):
        attacked[j, [s for s, _, _ in notes]] = True
    for k in range(1, n_tracks):
        notes = voices[k]
        if not notes:
            continue
        starts = _parallel_starts(tokens, attacked, k, notes)
        # best[i][p]: (cost, pitch of note i-1) of the cheapest voice up to note i sounding p
        best: list[dict[int, tuple[float, int]]] = []
        rows = tokens.tolist()
        for i, (s, e, tok) in enumerate(notes):
            row = {}
            options = _octave_options(tok, k)
            placements = _placement_costs(tokens, k, s, e, options)
            if i:
                prev_tok = notes[i - 1][2]
                pairs = _parallel_pairs(rows, k, notes[i], notes[i - 1], starts[i])
                # only parallels a move makes: the network's own are avoid_parallels' to mend
                written = _parallels_into(pairs, tok, prev_tok)
            for p, place in zip(options, placements.tolist(), strict=True):
                own = place + SHIFT_COST * (p != tok)
                if i == 0:
                    row[p] = (own, -1)
                    continue
                cost, _, q = min(
                    (
                        cost
                        + MOVE_COST * max(abs(p - q) - abs(tok - prev_tok), 0)
                        + PARALLEL_COST * max(_parallels_into(pairs, p, q) - written, 0),
                        q != prev_tok,
                        q,
                    )
                    for q, (cost, _) in best[-1].items()
                )
                row[p] = (own + cost, q)
            best.append(row)
        pitch = min(best[-1], key=lambda p: (best[-1][p][0], p != notes[-1][2]))
        chosen = [pitch]
        for i in range(len(notes) - 1, 0, -1):
            pitch = best[i][pitch][1]
            chosen.append(pitch)
        for (s, e, _), p in zip(notes, reversed(chosen), strict=True):
            tokens[k, s:e] = p  # the network's onsets stay: a note moved onto its neighbour's
            # pitch without an attack of its own is held on (no new off-beat repeat)
    return tokens, onsets


ARRANGEMENTS = {
    "follow_chords": follow_chords,
    "reharmonise": reharmonise,
    "fill_rests": fill_rests,
    "avoid_parallels": avoid_parallels,
    "hold_repeats": hold_repeats,
    "answer_rhythm": answer_rhythm,
    "smooth_repeats": smooth_repeats,
    "order_voices": order_voices,
}
CHORD_STEPS = ("follow_chords", "avoid_parallels", "fill_rests")  # the steps that read the network's chords
