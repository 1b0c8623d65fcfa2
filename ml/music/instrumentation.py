"""Arrangements a listener recognises: the generated voices given to instruments and textures.

An arrangement never writes new melody: every pitched note it plays is a note of one of
the piece's four voices (melody, alto, tenor, bass) at that moment, possibly doubled an
octave away, re-attacked in a rhythm (arpeggio, stabs, a walking pulse) or moved by
octaves into the instrument's range (the parts together where they can, so that the
chord keeps its written voicing: `ml.music.part_octaves`). Drums (General MIDI channel 10) are the one thing
added, and they carry no pitch.

- ``piano``: right hand the melody; left hand the lower voices, arpeggiated in eighths
  for calm moods, as the written block chords for aroused ones.
- ``strings``: violin melody, string ensemble on the inner voices, cello bass doubled
  by a double bass an octave lower.
- ``acoustic``: flute melody over a nylon guitar picking the lower voices.
- ``ambient``: electric piano melody over warm pads holding each half bar's chord.
- ``beat``: keys (melody and chord stabs), electric bass pulsing the bass voice, and a
  drum kit whose pattern follows arousal (quarter hats and side stick when calm, a
  backbeat with eighth hats in the middle, sixteenth hats and a busier kick when
  aroused), with a crash at every section start and on the final chord.

Every part is a list of `PartNote` on the piece's 16-step grid; `ml.music.expression`
turns them into velocities and seconds, `ml.music.midi` into MIDI. The live soundtrack
(`ml.music.stream`) arranges each phrase it plays with the same builders
(`arrange_parts(..., whole=False)`: the music goes on after the phrase) and sends the
parts on the channels `part_channels` gives them, the ones a composition's MIDI file uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ml.mood import Mood
from ml.music.config import STEPS_PER_BAR
from ml.music.metrics import notes_of
from ml.music.part_octaves import fitted_pitches, folded_into_range, range_shift

HALF_BAR = STEPS_PER_BAR // 2
QUARTER = STEPS_PER_BAR // 4
EIGHTH = STEPS_PER_BAR // 8


@dataclass(frozen=True)
class PartNote:
    start: int  # step
    end: int  # step (exclusive)
    pitch: int
    voice: int  # the piece's voice it comes from (-1: drums)


@dataclass
class Part:
    name: str
    program: int  # General MIDI program, 0-based
    role: str  # "melody", "harmony", "bass" or "drums"
    range: tuple[int, int] = (21, 108)
    is_drum: bool = False
    notes: list[PartNote] = field(default_factory=list)


# (General MIDI program, lowest, highest MIDI pitch) of the instruments used.
INSTRUMENTS: dict[str, tuple[int, int, int]] = {
    "piano": (0, 21, 108),
    "violin": (40, 55, 100),
    "strings": (48, 36, 96),
    "cello": (42, 36, 76),
    "double bass": (43, 28, 60),
    "flute": (73, 60, 96),
    "nylon guitar": (24, 40, 84),
    "electric piano": (4, 36, 96),
    "warm pad": (89, 36, 96),
    "electric bass": (33, 28, 67),
}
DRUM_CHANNEL = 9  # channel 10 in General MIDI's 1-based numbering
KICK, SIDE_STICK, SNARE, CLOSED_HAT, OPEN_HAT, CRASH = 36, 37, 38, 42, 46, 49


def _part(instrument: str, role: str, name: str | None = None) -> Part:
    program, low, high = INSTRUMENTS[instrument]
    return Part(name=name or instrument, program=program, role=role, range=(low, high))


# --- textures, all from the voices' own notes -------------------------------------------


def voice_notes(pitches: np.ndarray, voice: int, transpose: int = 0) -> list[PartNote]:
    """One voice as it was written (optionally doubled `transpose` semitones away)."""
    return [PartNote(s, e, p + transpose, voice) for s, e, p in notes_of(pitches[voice])]


def arpeggio(pitches: np.ndarray, voices: tuple[int, ...], every: int = EIGHTH) -> list[PartNote]:
    """The sounding pitches of `voices` broken into a low-high-middle figure, one note every
    `every` steps, each held to the end of its half bar (as with the sustain pedal)."""
    notes = []
    n_steps = pitches.shape[1]
    for t in range(0, n_steps, every):
        chord = sorted({(int(pitches[v, t]), v) for v in voices if pitches[v, t] >= 0})
        if not chord:
            continue
        figure = [0, len(chord) - 1] + list(range(1, len(chord) - 1))  # low, high, the middle ones
        index = (t % HALF_BAR) // every
        pitch, voice = chord[figure[index % len(figure)]]
        end = min(n_steps, (t // HALF_BAR + 1) * HALF_BAR)
        notes.append(PartNote(t, end, pitch, voice))
    return notes


def held_chords(pitches: np.ndarray, voices: tuple[int, ...]) -> list[PartNote]:
    """Each half bar, the pitches the voices sound at its start, held for the half bar
    (a note still sounding from the half bar before is held on, not attacked again)."""
    notes: list[PartNote] = []
    open_notes: dict[int, PartNote] = {}
    n_steps = pitches.shape[1]
    for t in range(0, n_steps, HALF_BAR):
        end = min(n_steps, t + HALF_BAR)
        now = {int(pitches[v, t]): v for v in voices if pitches[v, t] >= 0}
        for pitch in list(open_notes):
            if pitch not in now:
                notes.append(open_notes.pop(pitch))
        for pitch, voice in now.items():
            held = open_notes.get(pitch)
            open_notes[pitch] = PartNote(held.start if held else t, end, pitch, voice)
    return notes + list(open_notes.values())


def pulse(pitches: np.ndarray, voice: int, every: int, length: int) -> list[PartNote]:
    """The voice's sounding pitch re-attacked every `every` steps, `length` steps long."""
    notes = []
    n_steps = pitches.shape[1]
    for t in range(0, n_steps, every):
        if pitches[voice, t] >= 0:
            notes.append(PartNote(t, min(n_steps, t + length), int(pitches[voice, t]), voice))
    return notes


def stabs(pitches: np.ndarray, voices: tuple[int, ...], every: int, length: int) -> list[PartNote]:
    return [n for v in voices for n in pulse(pitches, v, every, length)]


def fit_range(notes: list[PartNote], low: int, high: int) -> list[PartNote]:
    """One part alone moved by whole octaves into the instrument's range (`range_shift`),
    then any note still outside folded in by octaves. `arrange_parts` moves the parts
    together (`ml.music.part_octaves.fitted_pitches`) and uses this rule only for a part
    no octave fits."""
    if not notes:
        return notes
    pitches = np.array([n.pitch for n in notes])
    fitted = folded_into_range(pitches + range_shift(pitches, low, high), low, high)
    return [PartNote(n.start, n.end, int(p), n.voice) for n, p in zip(notes, fitted, strict=True)]


# --- drums -------------------------------------------------------------------------------

# Per arousal level, (drum, steps in the bar) of one bar.
DRUM_PATTERNS: dict[int, tuple[tuple[int, tuple[int, ...]], ...]] = {
    0: ((KICK, (0, 8)), (SIDE_STICK, (4, 12)), (CLOSED_HAT, (0, 4, 8, 12))),
    1: ((KICK, (0, 8, 10)), (SNARE, (4, 12)), (CLOSED_HAT, tuple(range(0, 16, 2)))),
    2: (
        (KICK, (0, 6, 8, 10)),
        (SNARE, (4, 12)),
        (CLOSED_HAT, tuple(s for s in range(16) if s != 14)),
        (OPEN_HAT, (14,)),
    ),
}


def drum_level(arousal: float) -> int:
    """0 (arousal <= 0), 1 (up to 0.5), 2 (above)."""
    return 0 if arousal <= 0 else 1 if arousal <= 0.5 else 2


def drum_notes(
    bars: int, arousal: float, section_starts: tuple[int, ...], intro_bars: int = 0, *, whole: bool = True
) -> list[PartNote]:
    """A drum part: the arousal's pattern in every bar (hats only in the intro), a crash
    on every section start after the intro, and a crash with the kick on the last bar.

    `whole=False` drums a passage of music that goes on both sides (a live phrase): the
    pattern runs to its last bar, with no final hit, and a section starting on its first
    bar has its crash (the music was playing before it)."""
    notes = []
    pattern = DRUM_PATTERNS[drum_level(arousal)]
    patterned = bars if not whole else bars - 1 if bars > 1 else 0
    for bar in range(patterned):
        base = bar * STEPS_PER_BAR
        for drum, steps in pattern:
            if bar < intro_bars and drum != CLOSED_HAT:
                continue
            notes += [PartNote(base + s, base + s + 1, drum, -1) for s in steps]
        if bar in section_starts and bar >= intro_bars and (bar > 0 or not whole):
            notes.append(PartNote(base, base + 1, CRASH, -1))
    if whole:
        last = (bars - 1) * STEPS_PER_BAR
        notes += [PartNote(last, last + 1, CRASH, -1), PartNote(last, last + 1, KICK, -1)]
    return sorted(notes, key=lambda n: (n.start, n.pitch))


# --- the arrangements ------------------------------------------------------------------


def _piano(pitches: np.ndarray, mood: Mood, _form, _whole: bool) -> list[Part]:
    right, left = _part("piano", "melody", "piano right hand"), _part("piano", "harmony", "piano left hand")
    right.notes = voice_notes(pitches, 0)
    if mood.arousal <= 0.3:
        left.notes = voice_notes(pitches, 3) + arpeggio(pitches, (2, 1))
    else:
        left.notes = [n for v in (1, 2, 3) for n in voice_notes(pitches, v)]
    return [right, left]


def _strings(pitches: np.ndarray, _mood: Mood, _form, _whole: bool) -> list[Part]:
    violin, ensemble = _part("violin", "melody"), _part("strings", "harmony")
    cello, double_bass = _part("cello", "bass"), _part("double bass", "bass")
    violin.notes = voice_notes(pitches, 0)
    ensemble.notes = voice_notes(pitches, 1) + voice_notes(pitches, 2)
    cello.notes = voice_notes(pitches, 3)
    double_bass.notes = voice_notes(pitches, 3, transpose=-12)
    return [violin, ensemble, cello, double_bass]


def _acoustic(pitches: np.ndarray, _mood: Mood, _form, _whole: bool) -> list[Part]:
    flute, guitar = _part("flute", "melody"), _part("nylon guitar", "harmony")
    flute.notes = voice_notes(pitches, 0)
    guitar.notes = arpeggio(pitches, (3, 2, 1))
    return [flute, guitar]


def _ambient(pitches: np.ndarray, _mood: Mood, _form, _whole: bool) -> list[Part]:
    keys, pad, low_pad = (
        _part("electric piano", "melody"),
        _part("warm pad", "harmony"),
        _part("warm pad", "bass", "low pad"),
    )
    keys.notes = voice_notes(pitches, 0)
    pad.notes = held_chords(pitches, (1, 2))
    low_pad.notes = held_chords(pitches, (3,))
    return [keys, pad, low_pad]


def _beat(pitches: np.ndarray, mood: Mood, form, whole: bool) -> list[Part]:
    keys, chords, bass = (
        _part("electric piano", "melody", "keys"),
        _part("electric piano", "harmony", "keys chords"),
        _part("electric bass", "bass"),
    )
    drums = Part(name="drums", program=0, role="drums", range=(27, 87), is_drum=True)
    level = drum_level(mood.arousal)
    keys.notes = voice_notes(pitches, 0)
    chords.notes = stabs(pitches, (1, 2), every=QUARTER, length=3)
    bass.notes = pulse(
        pitches, 3, every=QUARTER if level < 2 else EIGHTH, length=QUARTER if level < 2 else EIGHTH
    )
    bars = pitches.shape[1] // STEPS_PER_BAR
    starts = tuple(s.start_bar for s in form.sections) if form is not None else (0,)
    intro = form.sections[0].bars if form is not None and form.sections[0].letter == "I" else 0
    drums.notes = drum_notes(max(bars, 1), mood.arousal, starts, intro, whole=whole)
    return [keys, chords, bass, drums]


ARRANGEMENT_BUILDERS: dict[str, Callable[[np.ndarray, Mood, object, bool], list[Part]]] = {
    "piano": _piano,
    "strings": _strings,
    "acoustic": _acoustic,
    "ambient": _ambient,
    "beat": _beat,
}
ARRANGEMENT_NAMES: tuple[str, ...] = tuple(ARRANGEMENT_BUILDERS)
MOOD_ARRANGEMENT: dict[str, str] = {
    "happy": "acoustic",
    "excited": "beat",
    "calm": "ambient",
    "neutral": "piano",
    "sad": "strings",
    "angry": "beat",
    "anxious": "strings",
}


def arrangement_for_mood(mood: Mood) -> str:
    return MOOD_ARRANGEMENT.get(mood.label, "piano")


def arrange_parts(
    pitches: np.ndarray, mood: Mood, arrangement: str, form=None, *, whole: bool = True
) -> list[Part]:
    """The arrangement's parts for the piece's voices, each in its instrument's range,
    moved by octaves so that the sounding voices keep the written voicing
    (`ml.music.part_octaves`).

    `whole=False`: the pitches are a passage of music that goes on (a live phrase), so
    the drums do not end it (see `drum_notes`)."""
    parts = ARRANGEMENT_BUILDERS[arrangement](pitches, mood, form, whole)
    # octave moves for range keep the written voicing (the parts move together)
    for part, fitted in zip(parts, fitted_pitches(parts, pitches.shape[1]), strict=True):
        if not part.is_drum:
            part.notes = [
                PartNote(n.start, n.end, int(p), n.voice) for n, p in zip(part.notes, fitted, strict=True)
            ]
    return parts


def part_channels(parts: list[Part]) -> list[int]:
    """The MIDI channel (0-based) of each part, as a MIDI file of them assigns them
    (pretty_midi's rule): drums on 9 (General MIDI's channel 10), the others in order,
    skipping 9."""
    melodic = [c for c in range(16) if c != DRUM_CHANNEL]
    return [DRUM_CHANNEL if part.is_drum else melodic[i % len(melodic)] for i, part in enumerate(parts)]
