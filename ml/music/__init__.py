"""ml.music: mood-conditioned music generation with a WGAN-GP trained on music21's corpus.

Public API (what the Django apps and the CLI use)::

    from ml.music import STYLES, generate, to_midi, midi_bytes, render_audio, piano_roll_png, piece_metrics

    piece = generate(mood="calm", style="folk", bars=32, seed=7, arrangement="piano")
    piece.form.to_json()                  # {"form": "AABA", "sections": [...], ...}
    midi = to_midi(piece)                 # pretty_midi.PrettyMIDI (the arrangement, performed)
    ogg = render_audio(midi, "ogg", loudness_db=loudness_db(piece.mood))  # bytes (FluidSynth)
    png = piano_roll_png(piece)           # bytes
    metrics = piece_metrics(piece)        # JSON-able dict

TensorFlow is imported only when the generator is first needed; the generator is loaded
once per process (thread-safe) and run through tf.function.
Errors: ml.music.errors (all derive from ml.errors.MLError).
"""

from __future__ import annotations

from ml.errors import InvalidMood
from ml.music.audio import audio_duration, render_audio
from ml.music.config import (
    DEFAULT_SOUNDFONT,
    DEFAULT_WEIGHTS,
    MAX_BARS,
    MAX_TEMPO,
    MIN_BARS,
    MIN_TEMPO,
    STYLES,
    TRACKS,
)
from ml.music.errors import (
    InvalidArrangement,
    InvalidAudioFormat,
    InvalidBars,
    InvalidCandidates,
    InvalidSeed,
    InvalidStyle,
    InvalidTempo,
    MusicError,
    SoundFontMissing,
    WeightsCorrupt,
    WeightsMissing,
)
from ml.music.expression import loudness_db
from ml.music.generate import LENGTHS, Piece, bars_for_length, generate, load_generator
from ml.music.instrumentation import ARRANGEMENT_NAMES
from ml.music.metrics import piece_metrics
from ml.music.midi import midi_bytes, to_midi
from ml.music.plot import piano_roll_png

__all__ = [
    "ARRANGEMENT_NAMES",
    "LENGTHS",
    "InvalidArrangement",
    "bars_for_length",
    "loudness_db",
    "DEFAULT_SOUNDFONT",
    "DEFAULT_WEIGHTS",
    "InvalidAudioFormat",
    "InvalidBars",
    "InvalidCandidates",
    "InvalidMood",
    "InvalidSeed",
    "InvalidStyle",
    "InvalidTempo",
    "MAX_BARS",
    "MAX_TEMPO",
    "MIN_BARS",
    "MIN_TEMPO",
    "MusicError",
    "Piece",
    "STYLES",
    "SoundFontMissing",
    "TRACKS",
    "WeightsCorrupt",
    "WeightsMissing",
    "audio_duration",
    "generate",
    "load_generator",
    "midi_bytes",
    "piano_roll_png",
    "piece_metrics",
    "render_audio",
    "to_midi",
]
