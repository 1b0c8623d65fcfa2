"""The longest piece the API allows, at the slowest tempo, renders to every offered format.

One `soundfile.write` of more than about 45 s of Vorbis audio kills the process (the
encoder overflows its thread's stack); `ml.music.audio` writes in one-second blocks.
A regression here crashes the test process, which fails the run as loudly as possible.
"""

from __future__ import annotations

import io

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from ml.music.audio import FORMATS, SAMPLE_RATE, encode_audio, render_audio
from ml.music.config import MAX_BARS, MIN_TEMPO

BEATS_PER_BAR = 4
LONGEST_SECONDS = MAX_BARS * BEATS_PER_BAR * 60.0 / MIN_TEMPO  # 128 bars at 40 BPM: 768 s


def _longest_midi() -> pretty_midi.PrettyMIDI:
    """Four voices playing one note per beat from the first beat to the last."""
    beat = 60.0 / MIN_TEMPO
    midi = pretty_midi.PrettyMIDI(initial_tempo=MIN_TEMPO)
    for voice, (program, low) in enumerate([(0, 72), (48, 64), (48, 55), (32, 40)]):
        instrument = pretty_midi.Instrument(program=program, name=f"voice{voice}")
        for index in range(MAX_BARS * BEATS_PER_BAR):
            start = index * beat
            pitch = low + (index * (voice + 2)) % 7
            instrument.notes.append(pretty_midi.Note(velocity=80, pitch=pitch, start=start, end=start + beat))
        midi.instruments.append(instrument)
    return midi


@pytest.fixture(scope="module")
def longest_midi() -> pretty_midi.PrettyMIDI:
    return _longest_midi()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_longest_piece_at_slowest_tempo_renders_whole(longest_midi, fmt):
    audio, rate = sf.read(io.BytesIO(render_audio(longest_midi, fmt)))
    seconds = len(audio) / rate
    assert rate == SAMPLE_RATE
    assert LONGEST_SECONDS <= seconds <= LONGEST_SECONDS + 3.0  # plus the release tail
    # the music is there to the end, not only in the first blocks
    last_beats = audio[int((LONGEST_SECONDS - 10) * rate) : int(LONGEST_SECONDS * rate)]
    first_beats = audio[: int(10 * rate)]
    assert np.sqrt(np.mean(np.square(last_beats))) > 0.01
    assert np.sqrt(np.mean(np.square(first_beats))) > 0.01


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_block_wise_encoding_keeps_every_sample(fmt):
    # 2.5 blocks of a ramp: a lost or doubled block, or a short last block, would show
    samples = np.linspace(-0.5, 0.5, int(SAMPLE_RATE * 2.5), dtype=np.float32)
    decoded, rate = sf.read(io.BytesIO(encode_audio(samples, fmt)), dtype="float32")
    assert len(decoded) == len(samples)
    tolerance = 0.05 if fmt == "ogg" else 1e-4  # Vorbis is lossy
    assert np.abs(decoded - samples).max() < tolerance
