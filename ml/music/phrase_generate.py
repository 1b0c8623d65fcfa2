"""Generation with the v2 phrase model: condition, network output -> 16-step tokens.

The network writes 8-bar phrases on an eighth-note grid with an onset per step. They
become the product's 16-steps-per-bar tokens: each eighth is two sixteenths, and a note
re-attacked at the same pitch gives up its last sixteenth (a short breath, as a player
detaches repeated notes), so the merge-equal-steps rule of MIDI writing and the metrics
keeps them two notes. Longer pieces are several phrases whose noise shares a common
part; every phrase is asked to end with a cadence.
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


def phrase_condition(mood: Mood, style: str, cadence: float = 1.0) -> np.ndarray:
    """valence, arousal (scaled like v1: /0.6 and /0.35, clipped), cadence, one-hot style."""
    cond = np.zeros(COND2_DIM, dtype=np.float32)
    cond[0] = float(np.clip(mood.valence / 0.6, -1, 1))
    cond[1] = float(np.clip(mood.arousal / 0.35, -1, 1))
    cond[2] = cadence
    cond[3 + PHRASE_STYLES.index(style)] = 1.0
    return cond


def phrase_noise(rng: np.random.Generator, n_phrases: int, share: float = 0.6) -> np.ndarray:
    """Noise for consecutive phrases: a common part plus a fresh part (unit variance)."""
    common = rng.standard_normal(NOISE2_DIM)
    fresh = rng.standard_normal((n_phrases, NOISE2_DIM))
    return (share * common + math.sqrt(1 - share**2) * fresh).astype(np.float32)


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


def tracks_to_tokens16(tracks: np.ndarray) -> np.ndarray:
    """(P, tracks, 64, 66) network output of P phrases -> (tracks, P * 128) sixteenth tokens."""
    tracks = np.asarray(tracks)
    tokens = tracks[..., :N_TOKENS].argmax(-1)
    onsets = tracks[..., N_TOKENS] > 0.5
    tokens = np.concatenate(list(tokens), axis=1)
    onsets = np.concatenate(list(onsets), axis=1)
    return grid_to_tokens16(tokens, onsets)


def piece_from_phrases(tracks: np.ndarray, *, mood: Mood, style: str, tempo: int, bars: int, **kwargs):
    """Network output -> Piece (no snap, no transposition unless asked through kwargs)."""
    from ml.music.generate import piece_from_tokens

    rows = tracks_to_tokens16(tracks)[:, : bars * 16]
    return piece_from_tokens(rows, mood=mood, style=style, tempo=tempo, clean=False, **kwargs)


def phrases_needed(bars: int) -> int:
    return math.ceil(bars * 8 / PHRASE_STEPS)
