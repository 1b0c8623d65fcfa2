"""Generation with the phrase model: condition, form plan, network output -> 16-step tokens.

The network writes 8-bar phrases on an eighth-note grid with an onset per step. They
become the product's 16-steps-per-bar tokens: each eighth is two sixteenths, and a note
re-attacked at the same pitch gives up its last sixteenth (a short breath, as a player
detaches repeated notes), so the merge-equal-steps rule of MIDI writing and the metrics
keeps them two notes.

Longer pieces have a **form** (`form_plan`): the 8-bar phrases follow the 32-bar song
form A A B A (repeated for 64 bars); a repeated section re-uses its section's noise
with a little fresh noise (a varied repeat) and every phrase shares a part of the
piece's noise; open phrases (cadence condition 0) lead on to closing ones (cadence 1).
A piece that needs only part of its last phrase keeps that phrase's first bars and its
final cadence bar.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ml.mood import Mood
from ml.music.config import N_TOKENS, REST
from ml.music.phrase import COND2_DIM, PHRASE_STEPS, PHRASE_STYLES
from ml.music.phrase_model import NOISE2_DIM


def is_phrase_weights(path: Path) -> bool:
    """True when the weights' JSON summary says they are the phrase model's."""
    meta = Path(path).with_suffix("").with_suffix(".json")
    if not meta.is_file():
        return False
    try:
        return json.loads(meta.read_text()).get("representation") == "phrase"
    except (OSError, ValueError):
        return False


# Styles the training data has no pieces of are written with the closest trained one:
# Palestrina's four-part vocal polyphony is closest to the four-part chorale.
TRAINED_STYLE = {"renaissance": "chorale"}

# The 32-bar song form, one letter per 8-bar phrase, repeated for longer pieces.
SONG_FORM = "AABA"
PIECE_SHARE, SECTION_SHARE = 0.45, 0.8  # noise weights: piece-wide, section, fresh


def phrase_condition(mood: Mood, style: str, cadence: float = 1.0) -> np.ndarray:
    """valence, arousal (/0.6 and /0.35, clipped to +-1), cadence, one-hot (trained) style.

    The mild prototypes (happy 0.35 arousal) thereby ask for a clear mode and the far
    end of the density ranking.
    """
    cond = np.zeros(COND2_DIM, dtype=np.float32)
    cond[0] = float(np.clip(mood.valence / 0.6, -1, 1))
    cond[1] = float(np.clip(mood.arousal / 0.35, -1, 1))
    cond[2] = cadence
    cond[3 + PHRASE_STYLES.index(TRAINED_STYLE.get(style, style))] = 1.0
    return cond


def form_plan(n_phrases: int) -> list[tuple[str, float]]:
    """(section letter, cadence condition) per phrase, in the song form A A B A.

    The first A of each A A B A and the B are open (cadence 0: they lead on), the other
    A closes; the last phrase of a piece always closes. Two phrases are a period: the
    same material, first open, then closed.
    """
    plan = []
    for i in range(n_phrases):
        open_phrase = i % 4 in (0, 2) and i != n_phrases - 1
        plan.append((SONG_FORM[i % 4], 0.0 if open_phrase else 1.0))
    return plan


def phrase_noise(rng: np.random.Generator, plan: list[tuple[str, float]]) -> np.ndarray:
    """(len(plan), NOISE2_DIM) unit-variance noise: piece-wide + per section + fresh parts.

    Every A starts from the same section noise (a varied repeat: same rhythms and
    contour, other details), B from another.
    """
    fresh_share = math.sqrt(max(1.0 - PIECE_SHARE**2 - SECTION_SHARE**2, 0.0))
    piece = rng.standard_normal(NOISE2_DIM)
    sections = {name: rng.standard_normal(NOISE2_DIM) for name in sorted({n for n, _ in plan})}
    fresh = rng.standard_normal((len(plan), NOISE2_DIM))
    rows = [
        PIECE_SHARE * piece + SECTION_SHARE * sections[n] + fresh_share * f
        for (n, _), f in zip(plan, fresh, strict=True)
    ]
    return np.asarray(rows, dtype=np.float32)


def bars_kept(bars: int, n_phrases: int) -> np.ndarray:
    """Indices of the eighth-grid steps kept of `n_phrases` chained phrases for `bars` bars.

    Whole phrases, then of the last phrase its first bars and its cadence bar.
    """
    from ml.music.phrase import GRID_PER_BAR, PHRASE_BARS

    full = (n_phrases - 1) * PHRASE_BARS
    last = bars - full
    keep_bars = list(range(full)) + [full + b for b in range(last - 1)] + [full + PHRASE_BARS - 1]
    return np.concatenate([np.arange(b * GRID_PER_BAR, (b + 1) * GRID_PER_BAR) for b in keep_bars])


def grid_to_tokens16(tokens: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """(tracks, T) eighth-grid tokens + onsets -> (tracks, 2T) sixteenth tokens.

    A step that sounds the same pitch as the step before and has an onset is a
    re-attack: the step before loses its second sixteenth to a rest.
    """
    tokens = np.asarray(tokens)
    out = np.repeat(tokens, 2, axis=1).astype(np.int8)
    same = np.zeros_like(tokens, dtype=bool)
    same[:, 1:] = (tokens[:, 1:] == tokens[:, :-1]) & (tokens[:, 1:] != REST)
    reattack = same & (np.asarray(onsets) > 0)
    k, t = np.nonzero(reattack)
    out[k, 2 * t - 1] = REST
    return out


def phrase_grid(
    tracks: np.ndarray, chords: np.ndarray | None = None, bars: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(tokens, onsets, chords) on the eighth grid of P chained phrases' network output.

    tracks (P, tracks, 64, 66), chords (P, 16, 25) or None. With `bars`, only the bars
    `bars_kept` keeps (the final cadence bar included), chords cut alike.
    """
    from ml.music.phrase import HALF_BAR

    tracks = np.asarray(tracks)
    tokens = np.concatenate(list(tracks[..., :N_TOKENS].argmax(-1)), axis=1).astype(np.int8)
    onsets = np.concatenate(list(tracks[..., N_TOKENS] > 0.5), axis=1).astype(np.int8)
    slots = None if chords is None else np.concatenate(list(np.asarray(chords).argmax(-1)))
    if bars is not None:
        keep = bars_kept(bars, len(tracks))
        tokens, onsets = tokens[:, keep], onsets[:, keep]
        if slots is not None:
            slots = slots[keep[::HALF_BAR] // HALF_BAR]
    return tokens, onsets, slots


def tracks_to_tokens16(tracks: np.ndarray, bars: int | None = None) -> np.ndarray:
    """(P, tracks, 64, 66) network output of P chained phrases -> (tracks, steps) sixteenth tokens."""
    tokens, onsets, _ = phrase_grid(tracks, None, bars)
    return grid_to_tokens16(tokens, onsets)


def piece_from_phrases(tracks: np.ndarray, *, mood: Mood, style: str, tempo: int, bars: int, **kwargs):
    """Network output -> Piece (no snap, no transposition unless asked through kwargs)."""
    from ml.music.generate import piece_from_tokens

    rows = tracks_to_tokens16(tracks, bars)
    return piece_from_tokens(rows, mood=mood, style=style, tempo=tempo, clean=False, **kwargs)


def phrases_needed(bars: int) -> int:
    return math.ceil(bars * 8 / PHRASE_STEPS)
