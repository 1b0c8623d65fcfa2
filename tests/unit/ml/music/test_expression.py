"""Expression: velocity, timing, ritardando, and rendered loudness that follows arousal."""

from __future__ import annotations

import io

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from ml.mood import mood_named
from ml.music import loudness_db, midi_bytes, render_audio, to_midi
from ml.music.audio import rms_db, soft_limit
from ml.music.expression import RITARDANDO_SLOWEST, step_times
from ml.music.form import plan_form
from ml.music.generate import piece_from_tokens


def _piece(mood: str, arrangement: str = "piano", bars: int = 8):
    tokens = np.full((4, bars * 16), 64, dtype=np.int8)
    tokens[0] = np.tile(np.repeat([72, 74, 76, 77, 79, 77, 76, 74], 2), bars) - 28
    tokens[1], tokens[2] = 67 - 28, 64 - 28
    tokens[3] = np.tile(np.repeat([48, 43], 8), bars) - 28
    piece = piece_from_tokens(tokens, mood=mood_named(mood), style="folk", tempo=100, clean=False, seed=3)
    piece.form = plan_form(bars, piece.mood)
    piece.arrangement = arrangement
    return piece


def test_aroused_moods_are_played_harder():
    def mean_velocity(mood):
        pm = to_midi(_piece(mood))
        return np.mean([n.velocity for i in pm.instruments for n in i.notes])

    assert mean_velocity("calm") + 15 < mean_velocity("excited")


def test_the_phrase_swells_towards_its_middle():
    pm = to_midi(_piece("neutral"))
    melody = sorted(pm.instruments[0].notes, key=lambda n: n.start)
    bar = 2.4  # seconds at 100 bpm; the piece is one 8-bar section
    middle = [n.velocity for n in melody if 3.5 * bar <= n.start <= 4.5 * bar]
    edges = [n.velocity for n in melody if 0 < n.start < 0.5 * bar]
    assert np.mean(middle) > np.mean(edges)


def test_timing_is_humanised_a_little_and_the_same_every_time():
    piece = _piece("excited")  # no ritardando: every step is on the tempo's grid
    step = piece.seconds_per_step
    starts = [n.start for n in to_midi(piece).instruments[0].notes]
    offsets = [abs(s / step - round(s / step)) * step for s in starts]
    assert 0 < max(offsets) <= 0.015 + 1e-6
    assert midi_bytes(piece) == midi_bytes(piece)


def test_a_calm_ending_slows_down_and_the_last_chord_is_held_longer():
    times = step_times(32, 0.1, 16, ritardando_bars=1)
    assert np.diff(times)[:16] == pytest.approx(0.1)
    assert np.diff(times)[-1] == pytest.approx(0.1 / RITARDANDO_SLOWEST)
    calm, excited = _piece("calm"), _piece("excited")
    assert calm.form.ritardando and not excited.form.ritardando
    nominal = calm.duration_seconds
    assert to_midi(calm).get_end_time() > nominal + 0.5  # slower end + a held final chord
    assert to_midi(excited).get_end_time() == pytest.approx(nominal + 60 / excited.tempo, abs=0.05)


def _rendered(mood: str, arrangement: str) -> np.ndarray:
    piece = _piece(mood, arrangement)
    audio, _ = sf.read(io.BytesIO(render_audio(to_midi(piece), "wav", loudness_db=loudness_db(piece.mood))))
    return audio


@pytest.mark.parametrize("arrangement", ["piano", "beat"])
def test_rendered_loudness_follows_arousal_by_six_db_without_clipping(arrangement):
    loud, quiet = _rendered("excited", arrangement), _rendered("calm", arrangement)
    assert rms_db(loud) - rms_db(quiet) >= 6.0
    assert np.abs(loud).max() < 1.0 and np.abs(quiet).max() < 1.0
    ordered = [rms_db(_rendered(mood, arrangement)) for mood in ("calm", "neutral", "angry")]
    assert ordered == sorted(ordered)


def test_the_soft_limiter_rounds_peaks_below_full_scale():
    samples = np.array([0.1, -0.5, 0.9, -3.0, 12.0], dtype=np.float32)
    limited = soft_limit(samples)
    assert limited[:2] == pytest.approx(samples[:2])
    assert (np.abs(limited) < 0.99).all() and limited[3] < 0 < limited[4]


def test_a_piece_without_an_arrangement_is_written_one_voice_per_track():
    piece = _piece("sad")
    piece.arrangement = None
    back = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes(piece)))
    assert [i.name for i in back.instruments] == ["melody", "alto", "tenor", "bass"]
