"""Generation: validated request -> phrase generator (lazy, cached, tf.function) -> Piece.

What the network does and what post-processing does (also in the model card):

- the **network** (`ml.music.phrase_model`) gets valence, arousal, style and a cadence
  flag as its condition and writes whole 8-bar phrases, chords first, in a key
  normalised to C, on an eighth-note grid with an onset per step; a longer piece is a
  chain of phrases, one per section of the piece's form (`ml.music.form`: sections by
  length and mood, returns re-using their section's noise, new sections in a related
  key, a held tonic chord at the end);
- **post-processing** (as shipped): the most probable pitch per step, the onsets
  thresholded at 0.5; optionally every pitch snapped to the scale of the key found in
  the mode the mood asks for (major for valence >= 0, minor below); the piece moved to a
  tonic picked by the seed, then by up to a tritone towards the mood's register
  (`ml.music.register`). Tempo follows arousal unless given. Of 8 candidates written
  in one batch, the first whose mode and note density agree with the mood is kept.
  The arrangement (`ml.music.instrumentation`: piano, strings, ...) is chosen here and
  played by `ml.music.midi` with `ml.music.expression`.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml.errors import InvalidMood
from ml.mood import Mood, mood_named
from ml.music.arrangement import ARRANGEMENTS, CHORD_STEPS
from ml.music.config import (
    DEFAULT_WEIGHTS,
    MAX_BARS,
    MAX_TEMPO,
    MIN_BARS,
    MIN_TEMPO,
    N_PITCHES,
    PITCH_LOW,
    REST,
    STEPS_PER_BAR,
    STYLES,
    TRACKS,
)
from ml.music.errors import (
    InvalidArrangement,
    InvalidBars,
    InvalidCandidates,
    InvalidSeed,
    InvalidStyle,
    InvalidTempo,
    WeightsCorrupt,
    WeightsMissing,
)
from ml.music.form import Form, apply_key_regions, end_piece, form_grid, plan_form
from ml.music.instrumentation import ARRANGEMENT_NAMES, arrangement_for_mood
from ml.music.phrase import COND2_DIM
from ml.music.phrase_generate import (
    grid_to_tokens16,
    phrase_condition,
    phrase_grid,
    phrase_noise,
)
from ml.music.register import apply_register, key_tonic_mode
from ml.music.theory import find_key, key_name, scale_pitch_classes, snap_pitch

# General MIDI programs (0-based) per mood for melody, alto, tenor, bass.
MOOD_PROGRAMS: dict[str, tuple[int, int, int, int]] = {
    "happy": (73, 71, 71, 70),  # flute, clarinets, bassoon
    "excited": (56, 61, 61, 58),  # trumpet, brass section, tuba
    "calm": (73, 48, 48, 42),  # flute over strings and cello
    "neutral": (0, 0, 0, 0),  # piano
    "sad": (40, 41, 42, 43),  # string quartet: violin, viola, cello, double bass
    "angry": (61, 57, 57, 58),  # brass, trombones, tuba
    "anxious": (68, 44, 44, 43),  # oboe over tremolo strings
}
# Median note density (onsets per bar, all tracks, in the product's 16-step grid) of each
# style's 8-bar training windows (`python -m ml.music evaluate`): arousal 0 sits here.
# Renaissance is written with the chorale condition (no Palestrina in the phrase data).
STYLE_DENSITY_MEDIAN: dict[str, float] = {"chorale": 17.38, "renaissance": 17.38, "folk": 12.12}
DEFAULT_CANDIDATES = 8

# Arrangement steps (ml.music.arrangement) applied as shipped, per style, chosen by the
# listener facts (docs/music-eval.md): the chorale consequent answers the antecedent's
# rhythm, chorale voices follow the network's own chords, keep sounding, move by step
# instead of striking a note again off the beat, sit in order under the melody and
# close to each other (alto, tenor, bass moved by octaves), then avoid parallels (last:
# filled rests, passing tones and octave moves make new pairs of attacks);
# folk is accompanied by the rule its training accompaniment came from.
STYLE_ARRANGEMENT: dict[str, tuple[str, ...]] = {
    "chorale": (
        "answer_rhythm",
        "follow_chords",
        "fill_rests",
        "smooth_repeats",
        "order_voices",
        "avoid_parallels",
    ),
    "renaissance": ("follow_chords", "fill_rests", "order_voices", "avoid_parallels"),
    "folk": ("reharmonise",),
}


def arrangement_for(style: str) -> tuple[str, ...]:
    return STYLE_ARRANGEMENT.get(style, ())


# Keys the seed chooses from (tonic pitch classes), by mode.
MAJOR_TONICS = (0, 2, 3, 5, 7, 9, 10)  # C D Eb F G A Bb
MINOR_TONICS = (0, 2, 4, 5, 7, 9, 11)  # c d e f g a b


@dataclass
class Piece:
    """A generated multi-track piece.

    `pianoroll` is (tracks, steps, 128) bool; `pitches` the same music as one MIDI pitch
    per track and step (-1 = rest), which is what the generator writes (tracks are
    monophonic voices).
    """

    pianoroll: np.ndarray
    pitches: np.ndarray
    tracks: tuple[str, ...]
    tempo: int
    key: str
    mood: Mood
    style: str
    bars: int
    steps_per_bar: int = STEPS_PER_BAR
    programs: tuple[int, ...] = (0, 0, 0, 0)
    seed: int = 0
    info: dict = field(default_factory=dict)
    # The sections (None: a piece made outside `generate`, e.g. training data) and the
    # named arrangement it is played in (None: one GM voice per track, `programs`).
    form: Form | None = None
    arrangement: str | None = None

    @property
    def duration_seconds(self) -> float:
        """Length at the piece's tempo (4 beats per bar)."""
        return self.bars * 4 * 60.0 / self.tempo

    @property
    def seconds_per_step(self) -> float:
        return 60.0 / self.tempo / (self.steps_per_bar / 4)


# --- validation -----------------------------------------------------------------------


def resolve_mood(mood: Mood | str) -> Mood:
    """A Mood from a Mood or a label; InvalidMood otherwise."""
    if isinstance(mood, Mood):
        return mood
    if isinstance(mood, str):
        return mood_named(mood)
    raise InvalidMood(f"A mood must be a label or a Mood, not {type(mood).__name__}.")


def check_style(style: str) -> str:
    if not isinstance(style, str) or style.strip().lower() not in STYLES:
        raise InvalidStyle(f"Unknown style {style!r}; choose one of: {', '.join(STYLES)}.")
    return style.strip().lower()


def check_bars(bars: int) -> int:
    if isinstance(bars, bool) or not isinstance(bars, (int, np.integer)) or not MIN_BARS <= bars <= MAX_BARS:
        raise InvalidBars(f"A piece must be {MIN_BARS} to {MAX_BARS} bars long, not {bars!r}.")
    return int(bars)


def check_tempo(tempo: int | None) -> int | None:
    if tempo is None:
        return None
    if (
        isinstance(tempo, bool)
        or not isinstance(tempo, (int, float, np.integer))
        or not math.isfinite(tempo)
        or not MIN_TEMPO <= tempo <= MAX_TEMPO
    ):
        raise InvalidTempo(f"Tempo must be {MIN_TEMPO} to {MAX_TEMPO} beats per minute, not {tempo!r}.")
    return int(round(tempo))


SEED_MAX = 2**32 - 1


def check_seed(seed: int) -> int:
    """A seed must be a whole number in 0..2**32-1 (a negative one used to alias a large one)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= SEED_MAX:
        raise InvalidSeed(f"The seed must be a whole number from 0 to {SEED_MAX}, not {seed!r}.")
    return int(seed)


def check_arrangement(arrangement: str | None, mood: Mood) -> str:
    """A named arrangement (`ml.music.instrumentation`); None chooses the mood's."""
    if arrangement is None:
        return arrangement_for_mood(mood)
    if not isinstance(arrangement, str) or arrangement.strip().lower() not in ARRANGEMENT_NAMES:
        raise InvalidArrangement(
            f"Unknown arrangement {arrangement!r}; choose one of: {', '.join(ARRANGEMENT_NAMES)}."
        )
    return arrangement.strip().lower()


def check_candidates(candidates: int) -> int:
    """At least one candidate piece (0 would leave nothing to choose from)."""
    if isinstance(candidates, bool) or not isinstance(candidates, (int, np.integer)) or candidates < 1:
        raise InvalidCandidates(f"candidates must be a whole number of at least 1, not {candidates!r}.")
    return int(candidates)


def tempo_for(mood: Mood) -> int:
    """Default tempo from arousal: 60 bpm at -1, 140 bpm at +1."""
    return int(round(100 + 40 * mood.arousal))


# Lengths a listener thinks in (seconds), offered next to a number of bars.
LENGTHS: dict[str, int] = {"30s": 30, "1min": 60, "2min": 120, "3min": 180}


def bars_for_length(length: str, tempo: int) -> int:
    """The bars of 4 beats nearest a named length at `tempo`; InvalidBars when that is
    more than MAX_BARS (a long piece at a fast tempo), InvalidTempo for a bad tempo."""
    if length not in LENGTHS:
        raise InvalidBars(f"Unknown length {length!r}; choose one of: {', '.join(LENGTHS)}, or give bars.")
    tempo = check_tempo(tempo)
    bars = max(MIN_BARS, int(round(LENGTHS[length] * tempo / 240)))
    if bars > MAX_BARS:
        raise InvalidBars(
            f"{length} at {tempo} beats per minute is {bars} bars, "
            f"more than the {MAX_BARS} a piece can have; "
            "choose a slower tempo or a shorter length."
        )
    return bars


# --- the generator, loaded once per process -------------------------------------------

_LOCK = threading.Lock()
_CACHE: dict[str, object] = {}


def load_generator(weights: str | Path | None = None):
    """The phrase generator as a tf.function (noise, cond) -> (tracks, chords), loaded once per path.

    tracks: (B, 4, 64, 66) pitch probabilities + onset per eighth; chords: (B, 16, 25).
    """
    path = Path(weights) if weights else DEFAULT_WEIGHTS
    key = str(path.resolve())
    fn = _CACHE.get(key)
    if fn is not None:
        return fn
    with _LOCK:
        fn = _CACHE.get(key)
        if fn is not None:
            return fn
        if not path.is_file():
            raise WeightsMissing(
                f"Music generator weights not found at {path}; restore ml/weights/ from the repository "
                "or train them with `python -m ml.music train`."
            )
        import tensorflow as tf

        from ml.music.phrase_model import NOISE2_DIM, build_phrase_generator

        model = build_phrase_generator()
        try:
            model.load_weights(str(path))
        except Exception as error:  # h5py/keras raise many types for a damaged (or v1) file
            raise WeightsCorrupt(
                f"Music generator weights at {path} cannot be loaded ({type(error).__name__}); "
                "restore the file from the repository."
            ) from error

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, NOISE2_DIM], tf.float32),
                tf.TensorSpec([None, COND2_DIM], tf.float32),
            ],
            reduce_retracing=True,
        )
        def run(noise, cond):
            tracks, chords = model([noise, cond], training=False)
            return tracks, chords

        # trace now, under the lock, so concurrent first calls do not trace twice
        run(np.zeros((1, NOISE2_DIM), np.float32), np.zeros((1, COND2_DIM), np.float32))
        run.model = model  # keep the variables alive with the function
        _CACHE[key] = run
        return run


# --- post-processing ------------------------------------------------------------------


def drop_blips(tokens: np.ndarray) -> np.ndarray:
    """Absorb one-step notes that sit between two different neighbours into the note before.

    Applied left to right, so a run of blips becomes one held note (as a player would).
    """
    out = tokens.copy()
    for track in out:
        blip = np.zeros(len(track), dtype=bool)
        blip[1:-1] = (track[1:-1] != REST) & (track[1:-1] != track[:-2]) & (track[1:-1] != track[2:])
        for t in np.flatnonzero(blip):
            if track[t] != track[t - 1] and track[t] != track[t + 1]:
                track[t] = track[t - 1]
    return out


def quantise_eighths(tokens: np.ndarray) -> np.ndarray:
    """Every note starts and ends on the eighth-note grid (each odd sixteenth repeats the
    even one before it): the network's off-beat sixteenth onsets are its commonest slip."""
    out = tokens.copy()
    out[:, 1::2] = out[:, 0::2][:, : out[:, 1::2].shape[1]]
    return out


def tokens_to_pitches(tokens: np.ndarray) -> np.ndarray:
    """Token rows -> MIDI pitches with -1 for rests."""
    tokens = np.asarray(tokens)
    return np.where(tokens == REST, -1, tokens.astype(np.int16) + PITCH_LOW).astype(np.int16)


def pitches_to_pianoroll(pitches: np.ndarray) -> np.ndarray:
    roll = np.zeros(pitches.shape + (128,), dtype=bool)
    tr, st = np.nonzero(pitches >= 0)
    roll[tr, st, pitches[tr, st]] = True
    return roll


def snap_and_transpose(
    pitches: np.ndarray, mode: str | None, rng: np.random.Generator | None, snap: bool
) -> tuple[np.ndarray, str]:
    """Snap to the scale of the best key in `mode` (if `snap`), move to a seed-chosen tonic.

    Returns the new pitches and the key name. Without `snap` the key is simply detected.
    """
    out = pitches.copy()
    sounding = out >= 0
    hist = np.bincount(out[sounding] % 12, minlength=12).astype(float)
    tonic, found_mode, _ = find_key(hist, mode if snap else None)
    if snap:
        mask = scale_pitch_classes(tonic, found_mode)
        table = np.array([snap_pitch(p, mask) for p in range(128)], dtype=out.dtype)
        out[sounding] = table[out[sounding]]
    if rng is not None:
        targets = MAJOR_TONICS if found_mode == "major" else MINOR_TONICS
        target = int(rng.choice(targets))
        shift = ((target - tonic + 6) % 12) - 6
        moved = out[sounding] + shift
        if moved.size and (moved.min() < PITCH_LOW or moved.max() >= PITCH_LOW + N_PITCHES):
            shift = 0  # keep the range the voices were written for
        out[sounding] = out[sounding] + shift
        tonic = (tonic + shift) % 12
    return out, key_name(tonic, found_mode)


def piece_from_tokens(
    tokens: np.ndarray,
    *,
    mood: Mood,
    style: str,
    tempo: int,
    seed: int = 0,
    snap_to_key: bool = False,
    rng: np.random.Generator | None = None,
    clean: bool = True,
) -> Piece:
    """Post-process (N_TRACKS, steps) tokens into a Piece (also used for baselines and data)."""
    tokens = np.asarray(tokens)
    if clean:
        tokens = quantise_eighths(drop_blips(tokens))
    pitches = tokens_to_pitches(tokens)
    mode = "major" if mood.valence >= 0 else "minor"
    pitches, key = snap_and_transpose(pitches, mode, rng, snap_to_key)
    bars = tokens.shape[1] // STEPS_PER_BAR
    return Piece(
        pianoroll=pitches_to_pianoroll(pitches),
        pitches=pitches,
        tracks=TRACKS,
        tempo=int(tempo),
        key=key,
        mood=mood,
        style=style,
        bars=bars,
        programs=MOOD_PROGRAMS.get(mood.label, (0, 0, 0, 0)),
        seed=seed,
    )


def generate(
    *,
    mood: Mood | str,
    style: str,
    bars: int = 8,
    tempo: int | None = None,
    seed: int = 0,
    snap_to_key: bool = True,
    weights: str | Path | None = None,
    candidates: int = DEFAULT_CANDIDATES,
    arrange: bool | tuple[str, ...] = True,
    arrangement: str | None = None,
) -> Piece:
    """Compose a piece for a mood and style. Same arguments and seed -> same piece.

    The network writes `candidates` pieces in one batch (different noise, the same form
    plan); the first one whose detected mode matches the mood's valence sign and whose
    note density is on the arousal's side of the style median is kept (else the one
    that matches most). `arrange` applies the style's arrangement steps
    (`ml.music.arrangement`; a tuple of step names chooses them, False none).
    `candidates=1, snap_to_key=False, arrange=False` is the network alone (still cut
    to the form; its key regions, register and ending are post-processing and only
    applied with `snap_to_key`). `arrangement` names the instruments
    (`ml.music.instrumentation.ARRANGEMENT_NAMES`; None: the mood's default).

    Raises InvalidMood, InvalidStyle, InvalidBars, InvalidTempo, InvalidSeed (not a
    whole number in 0..2**32-1), InvalidCandidates (< 1), InvalidArrangement,
    WeightsMissing, WeightsCorrupt
    (all ml.errors.MLError) with messages for the user.
    """
    mood = resolve_mood(mood)
    style = check_style(style)
    bars = check_bars(bars)
    tempo = check_tempo(tempo)
    seed = check_seed(seed)
    candidates = check_candidates(candidates)
    arrangement = check_arrangement(arrangement, mood)
    rng = np.random.default_rng(seed)
    run = load_generator(weights)
    form = plan_form(bars, mood)
    plan = [(s.material, s.cadence) for s in form.sections]
    n_phrases = len(plan)
    noise = np.concatenate([phrase_noise(rng, plan) for _ in range(candidates)])
    conds = np.stack([phrase_condition(mood, style, cadence) for _, cadence in plan] * candidates)
    tracks, chords = run(noise, conds)
    tracks = np.asarray(tracks).reshape(candidates, n_phrases, *tracks.shape[1:])
    chords = np.asarray(chords).reshape(candidates, n_phrases, *chords.shape[1:])
    steps = arrangement_for(style) if arrange is True else tuple(arrange or ())
    key_state = rng.bit_generator.state
    best, best_score = None, -1
    for index in singable_order(tracks):  # arranged one by one: most requests stop at the first
        rows = arranged_tokens16(tracks[index], chords[index], form, steps)
        rng.bit_generator.state = key_state  # the key drawn does not depend on the candidate
        piece = piece_from_tokens(
            rows,
            mood=mood,
            style=style,
            tempo=tempo or tempo_for(mood),
            seed=int(seed),
            snap_to_key=snap_to_key,
            rng=rng,
            clean=False,  # the network writes its own onsets on an eighth grid
        )
        if snap_to_key:  # scored as heard: the shaped ending holds notes, which lowers density
            shape_piece(piece, form)
        else:
            piece.form = form
        score = mood_agreement(piece)
        if score > best_score:
            best, best_score = piece, score
            best.info["candidate"] = index
        if score == 2:
            break
    best.arrangement = arrangement
    best.info["segments"] = n_phrases
    best.info["form"] = form.name
    best.info["arrangement"] = list(steps)
    best.info["mood_agreement"] = best_score
    return best


def shape_piece(piece: Piece, form: Form) -> None:
    """Register, key regions and ending (`ml.music.register`, `ml.music.form`), in place."""
    # key regions first: they move whole sections, and the register is the whole piece's
    pitches, form = apply_key_regions(piece.pitches, form, key_tonic_mode(piece.key)[1])
    pitches, key, shift = apply_register(pitches, piece.key, piece.mood)
    tonic, mode = key_tonic_mode(key)
    pitches = end_piece(pitches, tonic, mode)
    piece.pitches, piece.key, piece.form = pitches, key, form
    piece.pianoroll = pitches_to_pianoroll(pitches)
    piece.info["register_shift"] = shift


def arranged_tokens16(
    tracks: np.ndarray, chords: np.ndarray, form: Form, steps: tuple[str, ...]
) -> np.ndarray:
    """One candidate's chained phrases, cut to the form -> arrangement `steps` on the
    eighth grid -> 16-step tokens."""
    unknown = [name for name in steps if name not in ARRANGEMENTS]
    if unknown:
        raise ValueError(f"unknown arrangement steps {unknown}; choose from {sorted(ARRANGEMENTS)}")
    tokens, onsets, slots = form_grid(*phrase_grid(tracks, chords), form)
    for name in steps:
        fn = ARRANGEMENTS[name]
        tokens, onsets = fn(tokens, onsets, slots) if name in CHORD_STEPS else fn(tokens, onsets)
    return grid_to_tokens16(tokens, onsets)


def singable_order(tracks: np.ndarray) -> list[int]:
    """Candidate indices, the most stepwise melody first (ties: the network's order).

    Choosing among the network's own candidates, not rewriting them: a melody that moves
    by step is what a listener can sing (86 % of the chorale validation melodies' steps are
    at most a whole tone). Read from the network's raw melody, before any arrangement.
    """
    from ml.music.arrangement import grid_notes

    shares = []
    for candidate in tracks:  # (phrases, tracks, 64, 66)
        tokens, onsets, _ = phrase_grid(candidate)
        pitches = [tok for _, _, tok in grid_notes(tokens[0], onsets[0])]
        steps = np.abs(np.diff(pitches)) if len(pitches) > 1 else np.zeros(0)
        shares.append(float((steps <= 2).mean()) if steps.size else 0.0)
    return sorted(range(len(tracks)), key=lambda i: -shares[i])


def mood_agreement(piece: Piece) -> int:
    """0..2: does the detected mode follow valence, and the note density follow arousal?"""
    return pitches_agree_with_mood(piece.pitches, piece.mood, piece.style)


def pitches_agree_with_mood(pitches: np.ndarray, mood: Mood, style: str) -> int:
    """0..2 for (tracks, steps) pitches: mode against valence, density against the style's
    median against arousal. A mood near 0 on an axis (|value| < 0.1) agrees on that axis
    by definition."""
    from ml.music.metrics import detected_mode, note_density

    score = 0
    if abs(mood.valence) < 0.1 or (detected_mode(pitches) == "major") == (mood.valence > 0):
        score += 1
    median = STYLE_DENSITY_MEDIAN.get(style, 10.0)
    if abs(mood.arousal) < 0.1 or (note_density(pitches) > median) == (mood.arousal > 0):
        score += 1
    return score


__all__ = ["Piece", "generate", "load_generator", "piece_from_tokens"]
