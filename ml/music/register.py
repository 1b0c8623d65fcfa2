"""Register: bright moods sit higher, dark and calm ones lower.

The network writes its phrases in one register whatever the mood; a listener hears a
happy tune as brighter when it sits higher. The whole piece (all voices, so the harmony
is untouched) is moved by up to a tritone towards the melody register of the mood:
a mean melody pitch of MIDI 66 for a neutral mood, +4 semitones per unit of valence
and +2 per unit of arousal (happy 69.5, excited 69.4, calm 67, sad 62.5). Moving the
piece moves its key, so the key name moves with it. The instruments then keep the
parts within their ranges by octaves, moving them together so that the sounding chord
keeps the written voicing (`ml.music.part_octaves`).
"""

from __future__ import annotations

import numpy as np
import pretty_midi

from ml.mood import Mood
from ml.music.config import N_PITCHES, PITCH_LOW
from ml.music.theory import key_name

NEUTRAL_MELODY_PITCH, PER_VALENCE, PER_AROUSAL = 66.0, 4.0, 2.0
MAX_SHIFT = 6


def register_target(mood: Mood) -> float:
    """The mean melody pitch (MIDI) a mood asks for."""
    return NEUTRAL_MELODY_PITCH + PER_VALENCE * float(mood.valence) + PER_AROUSAL * float(mood.arousal)


def register_shift(pitches: np.ndarray, mood: Mood) -> int:
    """Semitones (|k| <= MAX_SHIFT) that bring the melody's mean nearest the mood's target,
    keeping every voice in the grid's range."""
    melody = pitches[0][pitches[0] >= 0]
    sounding = pitches[pitches >= 0]
    if not melody.size:
        return 0
    wanted = register_target(mood) - float(melody.mean())
    options = [
        k
        for k in range(-MAX_SHIFT, MAX_SHIFT + 1)
        if sounding.min() + k >= PITCH_LOW and sounding.max() + k < PITCH_LOW + N_PITCHES
    ]
    return min(options, key=lambda k: (abs(k - wanted), abs(k))) if options else 0


def apply_register(pitches: np.ndarray, key: str, mood: Mood) -> tuple[np.ndarray, str, int]:
    """(moved pitches, the moved key's name, the shift)."""
    shift = register_shift(pitches, mood)
    if not shift:
        return pitches, key, 0
    out = pitches.copy()
    out[out >= 0] += shift
    tonic, mode = key_tonic_mode(key)
    return out, key_name((tonic + shift) % 12, mode), shift


def key_tonic_mode(key: str) -> tuple[int, str]:
    """(tonic pitch class, mode) of a key name such as "Eb Major"."""
    number = pretty_midi.key_name_to_key_number(key)
    return number % 12, "minor" if number >= 12 else "major"
