"""The live soundtrack: an endless stream of bars that follows a moving mood (pure, no I/O).

`BarStream.next_bar(target=...)` writes the next 4/4 bar of music for the listener's
current (smoothed) mood. The musical unit is the network's 8-bar **phrase**; the stream
hands it out one **bar** at a time so a mood change is heard within about a bar
(generated just in time, see moods/soundtrack.py), while the phrase keeps its shape:

- **mood interpolation**: the condition moves each bar a fraction of the way (at most
  MAX_MOOD_STEP) from where it was toward the target, so the music glides, not jumps;
- **latent walk**: each phrase's noise is the piece-wide part (walked a little every
  phrase) + its section's part (A A B A: a returning A reuses A's) + a fresh part, as
  `ml.music.phrase_generate.phrase_noise` does for whole pieces; within a phrase every
  bar comes from the same noise, so an unchanged mood plays the network's phrase exactly,
  and a changed one re-writes the rest of the phrase from the same noise (related music);
- **key region**: the network writes in C; the stream moves it to a tonic drawn once and
  keeps it; only when the valence changes sign does it move to the relative key (C major
  <-> A minor: the same key signature);
- **tempo glides**: toward the mood's tempo by at most TEMPO_GLIDE_BPM a bar;
- **cadence before a change of section**: a phrase followed by another section (or by a
  new mood region: the conditioned mood's label changed) is written with the cadence
  condition, so it closes on its last bars; a phrase followed by its own repeat is open;
- **mode**: "follow" aims at the mood; "lift" leads from it toward a calm, pleasant point
  over LIFT_BARS bars, never lowering valence (the iso principle, as the song
  recommender's "lift my mood" does);
- **gestures** (`ml.emotion.gestures.GESTURES` meanings): open palm softer and slower,
  fist louder and faster, victory brighter, pointing holds the mood where it is.

The arrangement (`LIVE_ARRANGEMENTS`) is one of the named arrangements compositions are
played in (`ml.music.instrumentation.ARRANGEMENT_NAMES`: piano, strings, acoustic,
ambient, beat), or "mood": the one a composition for the bar's mood gets by default
(`arrangement_for_mood`), so the instruments change with the mood. Every bar is
arranged by the same code as a composition (`instrumentation.arrange_parts` on the
phrase, in key, then cut at the bar lines), so a live bar sounds as the same
arrangement of a saved piece does: two to four parts, drums on channel 10 (index 9),
each part on the channel `part_channels` gives it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml.mood import Mood, label_for
from ml.music.config import N_PITCHES, PITCH_LOW, STEPS_PER_BAR, STYLES
from ml.music.errors import MusicError
from ml.music.expression import note_velocity
from ml.music.form import Form, Section, plan_form
from ml.music.generate import (
    MAJOR_TONICS,
    MINOR_TONICS,
    arranged_tokens16,
    arrangement_for,
    load_generator,
    pitches_agree_with_mood,
    tempo_for,
    tokens_to_pitches,
)
from ml.music.instrumentation import (
    ARRANGEMENT_NAMES,
    Part,
    arrange_parts,
    arrangement_for_mood,
    part_channels,
)
from ml.music.phrase import PHRASE_BARS
from ml.music.phrase_generate import PIECE_SHARE, SECTION_SHARE, SONG_FORM, phrase_condition
from ml.music.phrase_model import NOISE2_DIM
from ml.music.theory import key_name, scale_pitch_classes, snap_pitch

MODES: tuple[str, ...] = ("follow", "lift")
# "mood": the arrangement a composition for the bar's mood gets; the others stay fixed.
LIVE_ARRANGEMENTS: tuple[str, ...] = ("mood", *ARRANGEMENT_NAMES)

# Per bar the condition moves this fraction of the way to the target (at most
# MAX_MOOD_STEP in each axis): a happy -> sad change crosses into minor in the 2nd bar
# and is 90 % there after 5 bars (10 s at 120 bpm).
MOOD_STEP_FRACTION = 0.4
MAX_MOOD_STEP = 0.5
TEMPO_GLIDE_BPM = 6.0
# A phrase is written again when its condition moved this far since it was written.
REWRITE_DISTANCE = 0.05
# "Lift my mood": from the mood toward a pleasant, gently calm point over LIFT_BARS bars.
LIFT_GOAL = (0.6, -0.1)
LIFT_BARS = 32
# The latent walk: the piece-wide noise keeps this correlation from phrase to phrase.
WALK_CORRELATION = 0.9
# Candidates written per phrase (one batch); the first whose mode and density agree with
# the mood is played, as `generate` does (the 0th is the walk itself, the others near it).
CANDIDATES = 4
CANDIDATE_SPREAD = 0.35


@dataclass(frozen=True)
class GestureEffect:
    velocity: float = 1.0
    tempo: float = 0.0
    hold: bool = False  # keep the conditioned mood where it is
    words: str = ""  # what the page shows while it acts


# What a held gesture does to the music, after its documented meaning (the mood itself is
# nudged by the tracker already; these are the musical parts a listener hears at once).
GESTURE_MUSIC: dict[str, GestureEffect] = {
    "open_palm": GestureEffect(velocity=0.7, tempo=-10.0, words="softer and slower"),
    "fist": GestureEffect(velocity=1.25, tempo=10.0, words="louder and faster"),
    "victory": GestureEffect(velocity=1.15, tempo=5.0, words="brighter and upbeat"),
    "thumbs_up": GestureEffect(velocity=1.05, words="more of this"),
    "thumbs_down": GestureEffect(velocity=0.95, words="steering away from this mood"),
    "pointing": GestureEffect(hold=True, words="holding the music where it is"),
}


class InvalidArrangement(MusicError):
    """An arrangement name the live soundtrack does not know."""


class InvalidMode(MusicError):
    """A soundtrack mode other than follow / lift."""


def check_arrangement(name: str) -> str:
    if name not in LIVE_ARRANGEMENTS:
        raise InvalidArrangement(
            f"Unknown arrangement {str(name)[:40]!r}; choose one of: {', '.join(LIVE_ARRANGEMENTS)}."
        )
    return name


def check_mode(name: str) -> str:
    if name not in MODES:
        raise InvalidMode(f"Unknown music mode {str(name)[:40]!r}; choose follow or lift.")
    return name


def live_arrangement(arrangement: str, mood: Mood) -> str:
    """The named arrangement a bar is played in: "mood" is the mood's (as compositions)."""
    if arrangement == "mood":
        return arrangement_for_mood(mood)
    return check_arrangement(arrangement)


def lift_target(mood: Mood, bars_lifting: int) -> Mood:
    """Where "lift my mood" aims after `bars_lifting` bars: from the mood toward LIFT_GOAL."""
    fraction = min(1.0, bars_lifting / LIFT_BARS)
    goal_v, goal_a = LIFT_GOAL
    valence = mood.valence + (goal_v - mood.valence) * fraction if goal_v > mood.valence else mood.valence
    arousal = mood.arousal + (goal_a - mood.arousal) * fraction
    return Mood(label_for(valence, arousal), valence, arousal)


@dataclass(frozen=True)
class BarPart:
    """One part of a bar's arrangement and the MIDI channel (0-based) its notes are on."""

    name: str
    program: int  # General MIDI, 0-based (the kit for drums)
    channel: int
    is_drum: bool = False


@dataclass(frozen=True)
class Note:
    """One note of a bar; times in seconds from the bar's start.

    `tie` = it goes on into the next bar if that bar `continues` it (same channel and
    pitch from the bar line); a player then holds it instead of attacking it again, and
    ends it at the bar line otherwise.
    """

    start: float
    duration: float
    channel: int
    pitch: int
    velocity: int
    tie: bool = False
    continues: bool = False


@dataclass
class Bar:
    """One bar of the stream, ready to be played."""

    index: int
    start: float  # seconds on the stream's clock (0 = the first bar's start)
    duration: float
    tempo: float
    key: str
    mood: Mood  # the condition it was written with (the interpolated mood)
    target: Mood  # where the mood is heading (the listener's, or the lift's aim)
    phrase: int
    section: str
    bar_in_phrase: int
    cadence: bool
    arrangement: str  # the named arrangement it is played in ("mood" resolved)
    parts: tuple[BarPart, ...]
    gesture: str | None
    notes: list[Note]
    pitches: np.ndarray  # (voices, 16) MIDI pitch per sixteenth of the 4 voices, -1 = rest

    @property
    def mode(self) -> str:
        return "minor" if self.key.endswith("minor") else "major"

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass
class _Phrase:
    """The phrase the stream is in: its noise and the network's writing of it."""

    number: int
    section: str
    noise: np.ndarray  # (CANDIDATES, NOISE2_DIM)
    cadence: bool = False
    cond: np.ndarray | None = None
    tokens: np.ndarray | None = None  # (tracks, 8 * 16) product tokens of the chosen candidate
    candidate: int = 0
    writes: int = 0  # how many times the network wrote it (a new writing: a new arrangement)


GeneratorFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class BarStream:
    """Writes bar after bar for a moving mood; one per listener (not thread-safe)."""

    style: str = "chorale"
    arrangement: str = "mood"
    mode: str = "follow"
    seed: int = 0
    weights: str | Path | None = None
    mood: Mood | None = None  # the conditioned mood (None before the first bar)
    tempo: float | None = None
    bar: int = 0
    clock: float = 0.0  # the next bar's start on the stream clock
    bars_lifting: int = 0
    _generator: GeneratorFn | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise MusicError(f"Unknown style {self.style!r}; choose one of: {', '.join(STYLES)}.")
        check_arrangement(self.arrangement)
        check_mode(self.mode)
        self.rng = np.random.default_rng(self.seed)
        self.tonic: int | None = None
        self.key_mode: str | None = None
        self._piece_noise = self.rng.standard_normal(NOISE2_DIM)
        self._section_noise: dict[str, np.ndarray] = {}
        self._phrase: _Phrase | None = None
        self._next_phrase_new_region = False
        self._tied: set[tuple[int, int]] = set()  # (channel, pitch) held over the last bar line
        self._last_arrangement: str | None = None
        self._arranged: tuple | None = None  # (what it depends on, pitches, parts, channels)

    # -- settings a listener changes while it plays ---------------------------------
    def set_arrangement(self, name: str) -> None:
        self.arrangement = check_arrangement(name)

    def set_mode(self, name: str) -> None:
        if check_mode(name) != self.mode:
            self.mode = name
            self.bars_lifting = 0

    # -- the stream -------------------------------------------------------------------
    def next_bar(self, *, target: Mood, gesture: str | None = None) -> Bar:
        """The next bar for the listener's mood `target` (and a held gesture, if any)."""
        effect = GESTURE_MUSIC.get(gesture or "", GestureEffect())
        aim = lift_target(target, self.bars_lifting) if self.mode == "lift" else target
        if self.mode == "lift":
            self.bars_lifting += 1
        previous = self.mood
        if previous is None:
            self.mood = aim
        elif not effect.hold:
            self.mood = _step_toward(previous, aim)
        mood = self.mood
        if previous is not None and previous.label != mood.label:
            self._next_phrase_new_region = True  # the phrase now closes: a new region follows

        bar_in_phrase = self.bar % PHRASE_BARS
        if self._phrase is None or bar_in_phrase == 0:
            self._start_phrase()
        phrase = self._phrase
        phrase.cadence = self._next_phrase_new_region or self._next_section() != phrase.section
        self._write_phrase(mood)
        self._follow_key(mood)

        goal_tempo = float(np.clip(tempo_for(mood) + effect.tempo, 40, 240))
        if self.tempo is None:
            self.tempo = goal_tempo
        else:
            self.tempo += float(np.clip(goal_tempo - self.tempo, -TEMPO_GLIDE_BPM, TEMPO_GLIDE_BPM))
        duration = 4 * 60.0 / self.tempo

        steps = slice(bar_in_phrase * STEPS_PER_BAR, (bar_in_phrase + 1) * STEPS_PER_BAR)
        arrangement = live_arrangement(self.arrangement, mood)
        all_pitches, parts, channels = self._arranged_phrase(mood, arrangement)
        notes = self._notes(parts, channels, steps, duration, mood, effect.velocity, arrangement)
        bar = Bar(
            index=self.bar,
            start=self.clock,
            duration=duration,
            tempo=round(self.tempo, 2),
            key=key_name(self.tonic, self.key_mode),
            mood=mood,
            target=aim,
            phrase=phrase.number,
            section=phrase.section,
            bar_in_phrase=bar_in_phrase,
            cadence=phrase.cadence and bar_in_phrase >= PHRASE_BARS - 2,
            arrangement=arrangement,
            parts=tuple(
                BarPart(name=p.name, program=p.program, channel=c, is_drum=p.is_drum)
                for p, c in zip(parts, channels, strict=True)
            ),
            gesture=gesture if gesture in GESTURE_MUSIC else None,
            notes=notes,
            pitches=all_pitches[:, steps],
        )
        self.bar += 1
        self.clock += duration
        return bar

    # -- phrases: noise, condition, the network -----------------------------------------
    def _next_section(self) -> str:
        number = 0 if self._phrase is None else self._phrase.number + 1
        return "A" if self._next_phrase_new_region else SONG_FORM[number % len(SONG_FORM)]

    def _start_phrase(self) -> None:
        if self._phrase is None or self._next_phrase_new_region:
            number = 0
            # A new mood region: a new song of the stream, related to the last one by the walk.
            self._section_noise = {}
            self._next_phrase_new_region = False
        else:
            number = self._phrase.number + 1
        section = SONG_FORM[number % len(SONG_FORM)]
        walk = math.sqrt(1 - WALK_CORRELATION**2)
        self._piece_noise = WALK_CORRELATION * self._piece_noise + walk * self.rng.standard_normal(NOISE2_DIM)
        if section not in self._section_noise:
            self._section_noise[section] = self.rng.standard_normal(NOISE2_DIM)
        fresh_share = math.sqrt(max(1.0 - PIECE_SHARE**2 - SECTION_SHARE**2, 0.0))
        base = (
            PIECE_SHARE * self._piece_noise
            + SECTION_SHARE * self._section_noise[section]
            + fresh_share * self.rng.standard_normal(NOISE2_DIM)
        )
        spread = self.rng.standard_normal((CANDIDATES - 1, NOISE2_DIM))
        others = math.sqrt(1 - CANDIDATE_SPREAD**2) * base + CANDIDATE_SPREAD * spread
        noise = np.concatenate([base[None], others]).astype(np.float32)
        self._phrase = _Phrase(number=number, section=section, noise=noise)

    def _write_phrase(self, mood: Mood) -> None:
        """(Re)write the phrase with the network when its condition moved (cheap: one batch)."""
        phrase = self._phrase
        cond = phrase_condition(mood, self.style, 1.0 if phrase.cadence else 0.0)
        if phrase.cond is not None and float(np.abs(cond - phrase.cond).max()) < REWRITE_DISTANCE:
            return
        run = self._generator or load_generator(self.weights)
        conds = np.repeat(cond[None], len(phrase.noise), axis=0)
        tracks, chords = run(phrase.noise, conds)
        tracks, chords = np.asarray(tracks), np.asarray(chords)
        steps = arrangement_for(self.style)
        one_phrase = plan_form(PHRASE_BARS, mood)  # a phrase streams as a one-section piece
        best, best_score = None, -1
        # Keep the candidate played so far while it still agrees: the phrase stays itself.
        order = [phrase.candidate] + [i for i in range(len(tracks)) if i != phrase.candidate]
        for index in order:
            tokens = arranged_tokens16(
                tracks[index : index + 1], chords[index : index + 1], one_phrase, steps
            )
            score = pitches_agree_with_mood(tokens_to_pitches(tokens), mood, self.style)
            if score > best_score:
                best, best_score, phrase.candidate = tokens, score, index
            if score == 2:
                break
        phrase.tokens, phrase.cond = best, cond
        phrase.writes += 1

    def _arranged_phrase(self, mood: Mood, arrangement: str) -> tuple[np.ndarray, list[Part], list[int]]:
        """The phrase in key, its parts in `arrangement` and their channels.

        The whole phrase is arranged, as a composition is (a part's range and its held
        notes are the phrase's), and each bar is cut from it; the result is kept while
        nothing it depends on changed (an unchanged mood arranges once per phrase).
        """
        phrase = self._phrase
        key = (phrase.number, phrase.writes, phrase.cadence, self.tonic, self.key_mode, arrangement, mood)
        if self._arranged is None or self._arranged[0] != key:
            pitches = self._in_key(tokens_to_pitches(phrase.tokens))
            parts = arrange_parts(pitches, mood, arrangement, _phrase_form(phrase), whole=False)
            self._arranged = (key, pitches, parts, part_channels(parts))
        return self._arranged[1:]

    # -- key region ---------------------------------------------------------------------
    def _follow_key(self, mood: Mood) -> None:
        mode = "major" if mood.valence >= 0 else "minor"
        if self.tonic is None:
            self.tonic = int(self.rng.choice(MAJOR_TONICS if mode == "major" else MINOR_TONICS))
        elif mode != self.key_mode:
            # the relative key: same key signature, the other mode
            self.tonic = (self.tonic + (-3 if mode == "minor" else 3)) % 12
        self.key_mode = mode

    def _in_key(self, pitches: np.ndarray) -> np.ndarray:
        """The network's C-based pitches moved to the stream's tonic and snapped to its scale."""
        out = pitches.copy()
        sounding = out >= 0
        shift = ((self.tonic + 6) % 12) - 6
        moved = out[sounding] + shift
        high = PITCH_LOW + N_PITCHES - 1
        moved = np.where(moved > high, moved - 12, moved)
        moved = np.where(moved < PITCH_LOW, moved + 12, moved)
        mask = scale_pitch_classes(self.tonic, self.key_mode)
        out[sounding] = [snap_pitch(int(p), mask) for p in moved]
        return out

    # -- notes --------------------------------------------------------------------------
    def _notes(
        self,
        parts: list[Part],
        channels: list[int],
        steps: slice,
        duration: float,
        mood: Mood,
        gain: float,
        arrangement: str,
    ) -> list[Note]:
        """The parts' notes that sound in the bar `steps` of the phrase, cut at its lines.

        A note that goes on past the bar line is a `tie`; one that began before it
        `continues` only if the last bar tied it (a re-written phrase, or a new
        arrangement, may not have: then it is attacked at the bar line). On one channel a
        key is down once: a note ends where the next of the same pitch starts.
        """
        step = duration / STEPS_PER_BAR
        first, last = steps.start, steps.stop
        sections = [(0, PHRASE_BARS * STEPS_PER_BAR)]  # the phrase's swell, as a section's
        same_arrangement = arrangement == self._last_arrangement
        tied_before = self._tied if same_arrangement else set()
        self._tied, self._last_arrangement = set(), arrangement
        notes = []
        for part, channel in zip(parts, channels, strict=True):
            sounding = sorted(
                (n for n in part.notes if n.start < last and n.end > first), key=lambda n: (n.pitch, n.start)
            )
            for i, note in enumerate(sounding):
                start, end = max(note.start, first), min(note.end, last)
                if i + 1 < len(sounding) and sounding[i + 1].pitch == note.pitch:
                    end = min(end, max(sounding[i + 1].start, first))
                if end <= start:
                    continue
                tie = note.end > last and end == last
                if tie:
                    self._tied.add((channel, note.pitch))
                velocity = note_velocity(note, part, mood, sections, STEPS_PER_BAR) * gain
                notes.append(
                    Note(
                        start=round((start - first) * step, 4),
                        duration=round((end - start) * step, 4),
                        channel=channel,
                        pitch=note.pitch,
                        velocity=int(np.clip(round(velocity), 20, 127)),
                        tie=tie,
                        continues=note.start < first and (channel, note.pitch) in tied_before,
                    )
                )
        return sorted(notes, key=lambda n: (n.start, n.channel, n.pitch))


def _phrase_form(phrase: _Phrase) -> Form:
    """A streamed phrase as the one section of a passage (for the arrangement's drums)."""
    cadence = 1.0 if phrase.cadence else 0.0
    return Form(PHRASE_BARS, "single", (Section(phrase.section, 0, PHRASE_BARS, phrase.section, cadence),))


def _step_toward(current: Mood, aim: Mood) -> Mood:
    def step(a: float, b: float) -> float:
        return a + float(np.clip((b - a) * MOOD_STEP_FRACTION, -MAX_MOOD_STEP, MAX_MOOD_STEP))

    valence, arousal = step(current.valence, aim.valence), step(current.arousal, aim.arousal)
    # Close enough is there: the label follows the target's once the music has arrived.
    if math.dist((valence, arousal), (aim.valence, aim.arousal)) < 0.02:
        return aim
    return Mood(label_for(valence, arousal), valence, arousal)


def bars_to_midi(bars: Sequence[Bar]):
    """What a sequence of bars played, as one PrettyMIDI (ties merged, tempo per bar).

    Notes are placed in seconds, as they were played; every part of the arrangements
    that played is one instrument (the arrangement may change with the mood), drums on
    channel 10.
    """
    import pretty_midi

    if not bars:
        raise MusicError("There is nothing to write: no bar has played yet.")
    first = bars[0].start
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(bars[0].tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    instruments: dict[tuple[str, int, bool], pretty_midi.Instrument] = {}
    held: dict[tuple[int, int], pretty_midi.Note] = {}  # (channel, pitch) tied over the bar line
    for bar in bars:
        offset = bar.start - first
        parts = {part.channel: part for part in bar.parts}
        held_now: dict[tuple[int, int], pretty_midi.Note] = {}
        for note in bar.notes:
            end = offset + note.start + note.duration
            key = (note.channel, note.pitch)
            if note.continues and key in held:
                held[key].end = end
                tied = held[key]
            else:
                part = parts[note.channel]
                name = (part.name, part.program, part.is_drum)
                if name not in instruments:
                    instruments[name] = pretty_midi.Instrument(
                        program=part.program, is_drum=part.is_drum, name=part.name
                    )
                tied = pretty_midi.Note(note.velocity, note.pitch, offset + note.start, end)
                instruments[name].notes.append(tied)
            if note.tie:
                held_now[key] = tied
        held = held_now
    pm.instruments.extend(instruments.values())
    return pm


def bars_pitches(bars: Sequence[Bar]) -> np.ndarray:
    """(tracks, 16 * bars) pitches of a sequence of bars (for metrics and the piano roll)."""
    return np.concatenate([bar.pitches for bar in bars], axis=1)
