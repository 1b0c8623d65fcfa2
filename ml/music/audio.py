"""Render MIDI to audio with FluidSynth and a General MIDI SoundFont (Debian packages).

Needs the `fluidsynth`/`libfluidsynth3` and `timgm6mb-soundfont` Debian packages (or
`fluid-soundfont-gm`, passed as `soundfont=`) and pyfluidsynth from PyPI.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pretty_midi

from ml.music.config import DEFAULT_SOUNDFONT
from ml.music.errors import InvalidAudioFormat, SoundFontMissing

SAMPLE_RATE = 44100
FORMATS = {"wav": ("WAV", "PCM_16"), "ogg": ("OGG", "VORBIS"), "flac": ("FLAC", "PCM_16")}


def synthesize(
    midi: pretty_midi.PrettyMIDI, soundfont: str | Path | None = None, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Mono float32 samples of the MIDI, peak-normalised to 0.9 (silence stays silent)."""
    path = Path(soundfont) if soundfont else DEFAULT_SOUNDFONT
    if not path.is_file():
        raise SoundFontMissing(
            f"SoundFont {path} not found; install the Debian package timgm6mb-soundfont "
            "(apt-get install timgm6mb-soundfont) or pass another General MIDI .sf2 file."
        )
    try:
        import fluidsynth  # noqa: F401  (pyfluidsynth; loads libfluidsynth)
    except (ImportError, OSError) as error:
        raise SoundFontMissing(
            "FluidSynth is not available; install the Debian packages fluidsynth and libfluidsynth3 "
            f"and pyfluidsynth from PyPI ({error})."
        ) from error
    audio = midi.fluidsynth(fs=sample_rate, sf2_path=str(path))
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 0:
        audio = audio / peak * 0.9
    return audio.astype(np.float32)


def render_audio(
    midi: pretty_midi.PrettyMIDI,
    fmt: str = "ogg",
    soundfont: str | Path | None = None,
    sample_rate: int = SAMPLE_RATE,
) -> bytes:
    """The MIDI rendered to an audio file's bytes: "wav", "ogg" (Vorbis) or "flac"."""
    import soundfile as sf

    key = str(fmt).lower().lstrip(".")
    if key not in FORMATS:
        raise InvalidAudioFormat(
            f"Audio format {fmt!r} is not supported; choose one of: {', '.join(FORMATS)}."
        )
    audio = synthesize(midi, soundfont, sample_rate)
    buffer = io.BytesIO()
    container, subtype = FORMATS[key]
    sf.write(buffer, audio, sample_rate, format=container, subtype=subtype)
    return buffer.getvalue()
