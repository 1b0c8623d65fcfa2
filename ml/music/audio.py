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
# Encoders get the samples one second at a time: libsndfile's Vorbis writer puts the
# whole buffer of one write call on the thread's stack, and a single write of more than
# about 45 s of audio overflows it and kills the process (libsndfile #1095,
# python-soundfile #396/#426). Blocks of a second encode any length; every format takes
# the same path so none can regress into one big write.
ENCODE_BLOCK_SECONDS = 1.0
DRUM_CHANNEL, PERCUSSION_BANK = 9, 128


def synthesize(
    midi: pretty_midi.PrettyMIDI,
    soundfont: str | Path | None = None,
    sample_rate: int = SAMPLE_RATE,
    loudness_db: float | None = None,
) -> np.ndarray:
    """Mono float32 samples of the MIDI (silence stays silent).

    With `loudness_db` (`ml.music.expression.loudness_db`) the audio is brought to that
    RMS level and peaks are tamed by `soft_limit`, so a calm piece is quieter than an
    angry one and nothing clips; without it the peak is normalised to 0.9.
    """
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
    audio = _render(midi, path, sample_rate)
    if loudness_db is not None:
        return soft_limit(to_loudness(audio, loudness_db))
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 0:
        audio = audio / peak * 0.9
    return audio.astype(np.float32)


def rms_db(audio: np.ndarray) -> float:
    """RMS level in dBFS (-inf for silence)."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
    return 20 * np.log10(rms) if rms > 0 else float("-inf")


def to_loudness(audio: np.ndarray, loudness_db: float) -> np.ndarray:
    level = rms_db(audio)
    if not np.isfinite(level):
        return audio.astype(np.float32)
    return (audio * 10 ** ((loudness_db - level) / 20)).astype(np.float32)


LIMIT_KNEE, LIMIT_CEILING = 0.7, 0.98


def soft_limit(audio: np.ndarray) -> np.ndarray:
    """Samples above the knee are bent smoothly (tanh) towards the ceiling, never past it:
    the few loudest peaks are rounded instead of clipped."""
    out = np.asarray(audio, dtype=np.float32).copy()
    over = np.abs(out) > LIMIT_KNEE
    if over.any():
        room = LIMIT_CEILING - LIMIT_KNEE
        excess = (np.abs(out[over]) - LIMIT_KNEE) / room
        out[over] = np.sign(out[over]) * (LIMIT_KNEE + room * np.tanh(excess))
    return out


def _render(midi: pretty_midi.PrettyMIDI, soundfont: Path, sample_rate: int, tail: float = 1.5) -> np.ndarray:
    """One FluidSynth synth for all tracks (one channel each), events in time order.

    pretty_midi's own `fluidsynth()` starts a synth and loads the SoundFont once per
    instrument; doing it once is several times faster for our 4 tracks.
    """
    import fluidsynth

    # chorus off: a fifth less CPU, and the GM instruments here do not need it
    synth = fluidsynth.Synth(samplerate=float(sample_rate), **{"synth.chorus.active": 0})
    try:
        sfid = synth.sfload(str(soundfont))
        if sfid < 0:
            raise SoundFontMissing(f"FluidSynth could not load the SoundFont {soundfont}.")
        events = []
        melodic = 0
        for instrument in midi.instruments[:15]:
            if instrument.is_drum:  # General MIDI's channel 10, the percussion bank
                channel = DRUM_CHANNEL
                synth.program_select(channel, sfid, PERCUSSION_BANK, instrument.program)
            else:
                channel = melodic if melodic < DRUM_CHANNEL else melodic + 1
                melodic += 1
                synth.program_select(channel, sfid, 0, instrument.program)
            for note in instrument.notes:
                events.append((note.start, 1, channel, note.pitch, note.velocity))
                events.append((note.end, 0, channel, note.pitch, 0))
        events.sort(key=lambda e: (e[0], e[1]))  # note-offs before note-ons at the same time
        chunks = []
        done = 0
        for time, is_on, channel, pitch, velocity in events:
            target = int(round(time * sample_rate))
            if target > done:
                chunks.append(synth.get_samples(target - done))
                done = target
            if is_on:
                synth.noteon(channel, pitch, velocity)
            else:
                synth.noteoff(channel, pitch)
        chunks.append(synth.get_samples(int(tail * sample_rate)))
    finally:
        synth.delete()
    stereo = np.concatenate(chunks).astype(np.float32).reshape(-1, 2)
    return stereo.mean(axis=1) / 32768.0


def render_audio(
    midi: pretty_midi.PrettyMIDI,
    fmt: str = "ogg",
    soundfont: str | Path | None = None,
    sample_rate: int = SAMPLE_RATE,
    loudness_db: float | None = None,
) -> bytes:
    """The MIDI rendered to an audio file's bytes: "wav", "ogg" (Vorbis) or "flac"
    (at `loudness_db` RMS when given, see `synthesize`)."""
    key = _format_key(fmt)  # before synthesising: a bad format costs nothing
    audio = synthesize(midi, soundfont, sample_rate, loudness_db=loudness_db)
    return encode_audio(audio, fmt=key, sample_rate=sample_rate)


def _format_key(fmt: str) -> str:
    key = str(fmt).lower().lstrip(".")
    if key not in FORMATS:
        raise InvalidAudioFormat(
            f"Audio format {fmt!r} is not supported; choose one of: {', '.join(FORMATS)}."
        )
    return key


def encode_audio(audio: np.ndarray, fmt: str = "ogg", sample_rate: int = SAMPLE_RATE) -> bytes:
    """Mono float samples encoded as an audio file's bytes, written in one-second blocks.

    Any length is safe (see ENCODE_BLOCK_SECONDS); the result is the same file a single
    write would produce, bar the Vorbis encoder's own block boundaries.
    """
    import soundfile as sf

    container, subtype = FORMATS[_format_key(fmt)]
    samples = np.asarray(audio, dtype=np.float32)
    block = max(1, int(sample_rate * ENCODE_BLOCK_SECONDS))
    buffer = io.BytesIO()
    with sf.SoundFile(
        buffer, mode="w", samplerate=sample_rate, channels=1, format=container, subtype=subtype
    ) as out:
        for start in range(0, len(samples), block):
            out.write(samples[start : start + block])
    return buffer.getvalue()


def audio_duration(data: bytes) -> float:
    """The real length in seconds of an encoded audio file (what a player shows), read
    from the file itself: the rendered sound includes the release tail after the last note,
    so it is longer than the piece's nominal MIDI length."""
    import soundfile as sf

    info = sf.info(io.BytesIO(data))
    return float(info.frames) / float(info.samplerate)
