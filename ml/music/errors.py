"""Errors of ml.music. Each message is written for the person who sees it."""

from __future__ import annotations

from ml.errors import InvalidMood, MLError

__all__ = [
    "InvalidBars",
    "InvalidMood",
    "InvalidStyle",
    "InvalidTempo",
    "MusicError",
    "SoundFontMissing",
    "WeightsCorrupt",
    "WeightsMissing",
    "DatasetMissing",
    "InvalidAudioFormat",
    "InvalidSeed",
    "InvalidCandidates",
]


class MusicError(MLError):
    """Base class of every ml.music error."""


class InvalidStyle(MusicError, ValueError):
    """A style the generator was not trained on."""


class InvalidBars(MusicError, ValueError):
    """A length outside MIN_BARS..MAX_BARS bars."""


class InvalidTempo(MusicError, ValueError):
    """A tempo outside 40..240 beats per minute."""


class InvalidSeed(MusicError, ValueError):
    """A seed that is not a whole number in 0..2**32-1."""


class InvalidArrangement(MusicError, ValueError):
    """An arrangement name other than the ones ml.music.instrumentation plays."""


class InvalidCandidates(MusicError, ValueError):
    """A number of candidates below 1."""


class InvalidAudioFormat(MusicError, ValueError):
    """An audio format other than the ones render_audio writes."""


class WeightsMissing(MusicError, FileNotFoundError):
    """The generator's weights file is not where it should be."""


class WeightsCorrupt(MusicError):
    """The weights file exists but cannot be loaded into the generator."""


class SoundFontMissing(MusicError, FileNotFoundError):
    """No General MIDI SoundFont (or no FluidSynth) to render audio with."""


class DatasetMissing(MusicError, FileNotFoundError):
    """Training or evaluation asked for a dataset cache that was never built."""
