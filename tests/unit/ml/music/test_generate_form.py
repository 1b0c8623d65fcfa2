"""`generate` with form, ending, register and arrangement (the shipped weights, small pieces)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from ml.music import InvalidArrangement, generate, loudness_db, to_midi
from ml.music.audio import FORMATS, encode_audio, synthesize
from ml.music.config import MAX_BARS
from ml.music.generate import LENGTHS, bars_for_length
from ml.music.metrics import notes_of
from ml.music.register import key_tonic_mode


def test_a_32_bar_calm_piece_is_aaba_and_ends_on_a_held_tonic(shipped_weights):
    piece = generate(mood="calm", style="folk", bars=32, seed=3)
    assert piece.form.name == "AABA" and piece.info["form"] == "AABA"
    assert [s["start_bar"] for s in piece.form.to_json()["sections"]] == [0, 8, 16, 24]
    tonic, _ = key_tonic_mode(piece.key)
    for voice in (0, 3):
        last = notes_of(piece.pitches[voice])[-1]
        assert last[2] % 12 == tonic and last[1] - last[0] >= 16  # the tonic, held a whole bar
    assert piece.form.sections[2].key_shift in (-5, 7, 5, -7)  # B in a related key


def test_a_64_bar_piece_has_intro_bridge_and_outro(shipped_weights):
    piece = generate(mood="sad", style="chorale", bars=64, seed=5)
    assert piece.form.name == "IAABACBAO"
    assert piece.pitches.shape == (4, 64 * 16)


def test_bright_moods_sit_at_least_three_semitones_above_dark_and_calm_ones(shipped_weights):
    def melody_mean(mood):
        means = []
        for seed in range(4):
            pitches = generate(mood=mood, style="folk", bars=8, seed=seed).pitches[0]
            means.append(pitches[pitches >= 0].mean())
        return float(np.mean(means))

    bright = np.mean([melody_mean("happy"), melody_mean("excited")])
    dark = np.mean([melody_mean("sad"), melody_mean("calm")])
    assert bright - dark >= 3.0


def test_the_arrangement_is_the_moods_unless_one_is_asked_for(shipped_weights):
    assert generate(mood="excited", style="folk", bars=4, seed=1).arrangement == "beat"
    assert (
        generate(mood="excited", style="folk", bars=4, seed=1, arrangement="Strings").arrangement == "strings"
    )
    with pytest.raises(InvalidArrangement, match="piano, strings"):
        generate(mood="excited", style="folk", bars=4, seed=1, arrangement="kazoo")


def test_a_named_length_becomes_the_bars_that_last_it():
    assert bars_for_length("1min", 80) == 20  # 20 bars of 4 beats at 80 bpm = 60 s
    assert bars_for_length("30s", 132) == 16
    with pytest.raises(ValueError, match="more than the 128"):
        bars_for_length("3min", 240)
    assert set(LENGTHS) == {"30s", "1min", "2min", "3min"}


@pytest.fixture(scope="module")
def longest_beat_audio(shipped_weights):
    """The longest piece the API allows, with drums, synthesised once (at its loudness)."""
    piece = generate(mood="angry", style="folk", bars=MAX_BARS, seed=2, arrangement="beat")
    return piece, synthesize(to_midi(piece), loudness_db=loudness_db(piece.mood))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_longest_generated_piece_encodes_to_every_format(longest_beat_audio, fmt):
    piece, samples = longest_beat_audio
    audio, rate = sf.read(io.BytesIO(encode_audio(samples, fmt)))
    seconds = len(audio) / rate
    assert piece.duration_seconds <= seconds <= piece.duration_seconds + 4.0  # fermata and release tail
    assert np.abs(audio).max() < 1.0
    assert np.sqrt(np.mean(np.square(audio[-int(8 * rate) :]))) > 0.005  # sound to the end
