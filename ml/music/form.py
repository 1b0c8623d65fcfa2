"""Form: the sections of a piece, chosen by length and mood, and how the piece ends.

The phrase network writes 8-bar phrases; a piece is a chain of them, one per section.

- **Sections** (`plan_form`). Up to 15 bars a piece is one or two phrases of one
  section (A, or the period A A). From 16 bars on it has at least four sections of at
  most 8 bars: the song form A A B A (a calm, sad or neutral mood: arousal <= 0.3) or
  verse/chorus A B A B (an aroused mood: the chorus comes back), extended for longer
  pieces with a bridge C; from 48 bars a 4-bar intro and outro frame it (both are
  written from A's material: the listener hears the tune to come and the tune that was).
- **Returns** reuse their section's noise and condition (`phrase_generate.phrase_noise`:
  piece-wide + section + a little fresh noise), so a returning A is a varied repeat.
- **Key regions**: a new section (B, C) is moved to a related key: in major B to the
  dominant and C to the subdominant, in minor B to the subdominant and C to the
  dominant (both minor); the last section before the outro is always in the home key
  (a verse/chorus piece closes with its chorus at home). The network writes every
  section in the home key; moving a diatonic section keeps it diatonic in its new key,
  so no note is re-snapped.
- **Cadences**: every section is asked for a closing phrase (cadence condition 1) but
  the intro and the first phrase of a period, which lead on. A section shorter than the
  phrase keeps the phrase's first bars and its cadence bar.
- **Ending** (`end_piece`): the last bar is a held tonic chord (melody and bass on the
  tonic, inner voices on the triad's third and fifth, nearest to where they were), and
  a piece for a mood of low or middle arousal slows down over its last two bars
  (`ritardando`, used by `ml.music.expression`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ml.mood import Mood
from ml.music.config import N_PITCHES, PITCH_LOW, STEPS_PER_BAR
from ml.music.phrase import GRID_PER_BAR, HALF_BAR, PHRASE_BARS

SECTION_BARS = PHRASE_BARS  # one phrase of the network per section, at most
FRAME_BARS = 4  # intro and outro
FRAMED_FROM = 48  # pieces this long get an intro and an outro
SECTIONS_FROM = 16  # pieces this long get at least four sections
VERSE_CHORUS_AROUSAL = 0.3  # above it, verse/chorus; else the song form
RITARDANDO_AROUSAL = 0.5  # at or below it the piece slows down at its end
RITARDANDO_BARS = 2

# Section letters for n core sections (the table repeats itself past eight).
SONG_FORM = {1: "A", 2: "AA", 3: "ABA", 4: "AABA", 5: "AABAA", 6: "AABACA", 7: "AABACBA", 8: "AABACABA"}
VERSE_CHORUS = {1: "A", 2: "AB", 3: "ABB", 4: "ABAB", 5: "ABABB", 6: "ABABCB", 7: "ABABCBB", 8: "ABABCBAB"}
INTRO, OUTRO = "I", "O"
# Related key of each new section, semitones above the home tonic, per mode.
KEY_REGIONS = {"major": {"B": 7, "C": 5}, "minor": {"B": 5, "C": 7}}


@dataclass(frozen=True)
class Section:
    """One section: its letter, where it starts (bar, 0-based), how long it is, what it reuses."""

    letter: str
    start_bar: int
    bars: int
    material: str  # the section whose noise it is written from (intro/outro: A)
    cadence: float  # the network's cadence condition: 1 closes, 0 leads on
    key_shift: int = 0  # semitones from the home key (set by `apply_key_regions`)


@dataclass(frozen=True)
class Form:
    bars: int
    kind: str  # "single", "period", "song", "verse-chorus"
    sections: tuple[Section, ...]
    ritardando: bool = False

    @property
    def name(self) -> str:
        """The letters, e.g. "AABA" or "IABABCBBO"."""
        return "".join(s.letter for s in self.sections)

    def to_json(self) -> dict:
        """What the composition stores: {"form": "AABA", "kind", "sections": [...], "ritardando"}."""
        return {
            "form": self.name,
            "kind": self.kind,
            "ritardando": self.ritardando,
            "sections": [
                {k: v for k, v in asdict(s).items() if k in ("letter", "start_bar", "bars", "key_shift")}
                for s in self.sections
            ],
        }

    def section_at(self, bar: int) -> Section:
        for section in self.sections:
            if section.start_bar <= bar < section.start_bar + section.bars:
                return section
        raise IndexError(bar)


def _letters(table: dict[int, str], n: int) -> str:
    out = ""
    while n > 0:
        take = min(n, max(table))
        out += table[take]
        n -= take
    return out


def _split(bars: int, n: int) -> list[int]:
    """`bars` in n near-equal parts, the longer ones first."""
    base, extra = divmod(bars, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def plan_form(bars: int, mood: Mood) -> Form:
    """The sections of a piece of `bars` bars for `mood` (see the module doc)."""
    ritardando = mood.arousal <= RITARDANDO_AROUSAL
    if bars < SECTIONS_FROM:
        lengths = [SECTION_BARS, bars - SECTION_BARS] if bars > SECTION_BARS else [bars]
        period = len(lengths) == 2
        sections, start = [], 0
        for i, length in enumerate(lengths):
            sections.append(Section("A", start, length, "A", 0.0 if period and i == 0 else 1.0))
            start += length
        return Form(bars, "period" if period else "single", tuple(sections), ritardando)
    framed = bars >= FRAMED_FROM
    core = bars - 2 * FRAME_BARS if framed else bars
    n = max(4, math.ceil(core / SECTION_BARS))
    verse_chorus = mood.arousal > VERSE_CHORUS_AROUSAL
    letters = _letters(VERSE_CHORUS if verse_chorus else SONG_FORM, n)
    plan = list(zip(letters, _split(core, n), strict=True))
    if framed:
        plan = [(INTRO, FRAME_BARS), *plan, (OUTRO, FRAME_BARS)]
    sections, start = [], 0
    for letter, length in plan:
        material = "A" if letter in (INTRO, OUTRO) else letter
        sections.append(Section(letter, start, length, material, 0.0 if letter == INTRO else 1.0))
        start += length
    return Form(bars, "verse-chorus" if verse_chorus else "song", tuple(sections), ritardando)


def kept_steps(form: Form) -> np.ndarray:
    """Eighth-grid steps kept of the chained phrases (one per section): each section keeps
    its phrase's first bars and its cadence bar (the phrase's last)."""
    steps = []
    for index, section in enumerate(form.sections):
        first = index * PHRASE_BARS
        keep = [first + b for b in range(section.bars - 1)] + [first + PHRASE_BARS - 1]
        steps += [np.arange(b * GRID_PER_BAR, (b + 1) * GRID_PER_BAR) for b in keep]
    return np.concatenate(steps)


def form_grid(
    tokens: np.ndarray, onsets: np.ndarray, slots: np.ndarray | None, form: Form
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The chained phrases' full eighth grid cut to the form's kept steps (chords alike)."""
    keep = kept_steps(form)
    cut_slots = None if slots is None else np.asarray(slots)[keep[::HALF_BAR] // HALF_BAR]
    return tokens[:, keep], onsets[:, keep], cut_slots


def _region_shift(interval: int, block: np.ndarray) -> int:
    """`interval` or the same key an octave lower (whichever moves less), if it stays in range."""
    sounding = block[block >= 0]
    for shift in sorted((interval, interval - 12), key=abs):
        if not sounding.size or (
            sounding.min() + shift >= PITCH_LOW and sounding.max() + shift < PITCH_LOW + N_PITCHES
        ):
            return shift
    return 0


def apply_key_regions(pitches: np.ndarray, form: Form, mode: str) -> tuple[np.ndarray, Form]:
    """New sections moved to their related key (see the module doc); returns the pitches
    and the form with each section's `key_shift`."""
    out = pitches.copy()
    sections = []
    # the last section before any outro comes home (a closing chorus is in the home key)
    closing = max(i for i, s in enumerate(form.sections) if s.letter != OUTRO)
    for index, section in enumerate(form.sections):
        interval = KEY_REGIONS[mode].get(section.letter, 0) if index != closing else 0
        lo, hi = section.start_bar * STEPS_PER_BAR, (section.start_bar + section.bars) * STEPS_PER_BAR
        shift = _region_shift(interval, out[:, lo:hi]) if interval else 0
        if shift:
            block = out[:, lo:hi]
            block[block >= 0] += shift
        sections.append(Section(**{**asdict(section), "key_shift": shift}))
    return out, Form(form.bars, form.kind, tuple(sections), form.ritardando)


def _nearest(pitch: int, pcs: set[int], low: int, high: int) -> int:
    options = [p for p in range(low, high + 1) if p % 12 in pcs]
    if not options:  # no room below the voice above: the nearest anywhere
        options = [p for p in range(PITCH_LOW, PITCH_LOW + N_PITCHES) if p % 12 in pcs]
    return min(options, key=lambda p: (abs(p - pitch), p))


def _last_pitch(row: np.ndarray, default: int) -> int:
    sounding = np.flatnonzero(row >= 0)
    return int(row[sounding[-1]]) if sounding.size else default


def end_piece(pitches: np.ndarray, tonic: int, mode: str) -> np.ndarray:
    """The last bar (the last half of a one-bar piece) becomes a held tonic chord.

    Melody and bass take the tonic nearest their last note, the inner voices the nearest
    third/fifth of the tonic triad (each voice stays below the one above it).
    """
    out = pitches.copy()
    n_tracks, n_steps = out.shape
    length = min(STEPS_PER_BAR, n_steps // 2) or n_steps
    start = n_steps - length
    third = (tonic + (4 if mode == "major" else 3)) % 12
    fifth = (tonic + 7) % 12
    low, high = PITCH_LOW, PITCH_LOW + N_PITCHES - 1
    above = high
    for k in range(n_tracks):
        previous = _last_pitch(out[k, : start + 1], 60 - 12 * k)
        outer = k in (0, n_tracks - 1)
        pcs = {tonic} if outer else {third, fifth} if k % 2 else {fifth, third, tonic}
        target = _nearest(previous, pcs, low, min(high, above - 1))
        out[k, start:] = target
        above = target
    return out


def melody_section_profiles(pitches: np.ndarray, form: Form) -> list[tuple[np.ndarray, np.ndarray]]:
    """(pitch-class histogram, onset pattern per bar position) of the melody in each section,
    relative to the section's own key: the material a listener recognises when it returns."""
    from ml.music.metrics import notes_of

    profiles = []
    melody = pitches[0]
    for section in form.sections:
        lo, hi = section.start_bar * STEPS_PER_BAR, (section.start_bar + section.bars) * STEPS_PER_BAR
        notes = notes_of(melody[lo:hi])
        hist = np.zeros(12)
        onsets = np.zeros(STEPS_PER_BAR)
        for s, e, p in notes:
            hist[(p - section.key_shift) % 12] += e - s
            onsets[s % STEPS_PER_BAR] += 1
        profiles.append((hist, onsets))
    return profiles


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    denom = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / denom if denom else 0.0


def section_similarity(pitches: np.ndarray, form: Form) -> dict[str, float]:
    """Mean melody pitch-class and rhythm (onset position) cosine similarity of pairs of
    sections that share a letter ("return") and of pairs that do not ("different");
    intro and outro are left out. nan where a piece has no such pair."""
    profiles = melody_section_profiles(pitches, form)
    letters = [s.letter for s in form.sections]
    pairs: dict[str, list[tuple[float, float]]] = {"return": [], "different": []}
    for i in range(len(letters)):
        for j in range(i + 1, len(letters)):
            if INTRO in (letters[i], letters[j]) or OUTRO in (letters[i], letters[j]):
                continue
            kind = "return" if letters[i] == letters[j] else "different"
            pairs[kind].append(
                (_cosine(profiles[i][0], profiles[j][0]), _cosine(profiles[i][1], profiles[j][1]))
            )
    out = {}
    for kind, values in pairs.items():
        arr = np.array(values) if values else np.full((1, 2), np.nan)
        out[f"{kind}_pitch_class"] = float(arr[:, 0].mean())
        out[f"{kind}_rhythm"] = float(arr[:, 1].mean())
    return out
