"""The one place where the product's mood meets a song's audio features.

The product's mood (ml.mood) has valence and arousal in -1..1; songs carry Spotify-style
valence and energy in 0..1. Energy is the audio correlate of arousal, so both axes map
linearly:

    song_valence = (mood.valence + 1) / 2        song_energy = (mood.arousal + 1) / 2

and back again for a song's position on the mood plane.
"""

from __future__ import annotations

from ml.mood import Mood, label_for


def mood_to_song_space(valence: float, arousal: float) -> tuple[float, float]:
    """(song valence, song energy) in 0..1 for a mood point in -1..1."""
    return (_clip01((valence + 1.0) / 2.0), _clip01((arousal + 1.0) / 2.0))


def song_to_mood_space(valence: float, energy: float) -> tuple[float, float]:
    """(mood valence, mood arousal) in -1..1 for a song's valence and energy."""
    return (valence * 2.0 - 1.0, energy * 2.0 - 1.0)


def song_mood_label(valence: float, energy: float) -> str:
    """The mood label nearest to a song's position (e.g. "calm")."""
    return label_for(*song_to_mood_space(valence, energy))


def mood_target(mood: Mood) -> tuple[float, float]:
    """A mood's target point in song space."""
    return mood_to_song_space(mood.valence, mood.arousal)


def _clip01(value: float) -> float:
    return max(0.0, min(1.0, float(value)))
