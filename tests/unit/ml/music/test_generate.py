"""Generation with the shipped weights: shapes, determinism, post-processing, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from ml.errors import InvalidMood, MLError
from ml.mood import mood_at, mood_named
from ml.music import (
    STYLES,
    InvalidBars,
    InvalidCandidates,
    InvalidSeed,
    InvalidStyle,
    InvalidTempo,
    WeightsCorrupt,
    WeightsMissing,
    generate,
    piece_metrics,
)
from ml.music.generate import drop_blips, mood_agreement
from ml.music.theory import scale_pitch_classes


@pytest.mark.parametrize("style", STYLES)
def test_a_piece_has_four_tracks_of_the_requested_bars(style, shipped_weights):
    piece = generate(mood="calm", style=style, bars=6, seed=3)
    assert piece.pianoroll.shape == (4, 6 * 16, 128)
    assert piece.tracks == ("melody", "alto", "tenor", "bass")
    assert piece.bars == 6 and piece.steps_per_bar == 16
    assert piece.pianoroll.sum(axis=2).max() <= 1  # each track is one voice
    assert piece.pianoroll[0].any()


def test_same_seed_same_piece_and_other_seed_other_piece(shipped_weights):
    a = generate(mood="happy", style="folk", bars=8, seed=11)
    b = generate(mood="happy", style="folk", bars=8, seed=11)
    c = generate(mood="happy", style="folk", bars=8, seed=12)
    assert np.array_equal(a.pianoroll, b.pianoroll) and a.key == b.key
    assert not np.array_equal(a.pianoroll, c.pianoroll)


def test_default_tempo_rises_with_arousal_and_sets_the_duration(shipped_weights):
    calm = generate(mood="calm", style="chorale", bars=4)
    excited = generate(mood="excited", style="chorale", bars=4)
    assert calm.tempo < excited.tempo
    given = generate(mood="calm", style="chorale", bars=4, tempo=120)
    assert given.tempo == 120 and given.duration_seconds == pytest.approx(8.0)


def test_snap_to_key_keeps_every_pitch_in_the_scale_of_the_moods_mode(shipped_weights):
    import pretty_midi

    for mood, mode in (("happy", "major"), ("sad", "minor")):
        piece = generate(mood=mood, style="renaissance", bars=8, seed=5)
        assert piece.key.split()[1].lower() == mode
        tonic = pretty_midi.key_name_to_key_number(piece.key) % 12
        sounding = piece.pitches[piece.pitches >= 0]
        assert scale_pitch_classes(tonic, mode)[sounding % 12].all()


def test_the_kept_candidate_agrees_with_the_mood(shipped_weights):
    # the score is that of the piece as returned: its shaped ending holds notes, and a
    # busy candidate scored before shaping (excited seed 1, anxious 2 and 6, angry 6 in
    # session 9) came out below the chorale median
    for mood, seed in [("happy", 2), ("sad", 2), ("calm", 2), ("angry", 2), ("excited", 1), ("anxious", 6)]:
        piece = generate(mood=mood, style="chorale", bars=8, seed=seed)
        assert piece.info["mood_agreement"] == mood_agreement(piece) == 2, (mood, seed)
    alone = generate(mood="sad", style="chorale", bars=8, seed=2, candidates=1, snap_to_key=False)
    assert alone.info["candidate"] == 0


def test_a_mood_object_from_the_circumplex_is_accepted(shipped_weights):
    piece = generate(mood=mood_at(-0.2, 0.9), style="folk", bars=2)
    assert piece.mood.label == mood_at(-0.2, 0.9).label


def test_piece_metrics_are_json_numbers(shipped_weights):
    import json

    metrics = piece_metrics(generate(mood="neutral", style="chorale", bars=4))
    assert json.loads(json.dumps(metrics)) == metrics
    assert all(isinstance(v, float) for v in metrics.values())
    assert metrics["bars"] == 4.0 and metrics["notes"] > 0


def test_the_largest_seed_is_accepted_and_differs_from_seed_zero(shipped_weights):
    top = generate(mood="happy", style="folk", bars=4, seed=2**32 - 1)
    assert not np.array_equal(top.pitches, generate(mood="happy", style="folk", bars=4, seed=0).pitches)


def test_drop_blips_absorbs_a_single_sixteenth_between_other_notes():
    row = np.array([[10, 10, 12, 14, 14, 14]], dtype=np.int8)
    assert drop_blips(row).tolist() == [[10, 10, 10, 14, 14, 14]]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"mood": "ecstatic"}, InvalidMood),
        ({"mood": 3}, InvalidMood),
        ({"style": "techno"}, InvalidStyle),
        ({"bars": 0}, InvalidBars),
        ({"bars": 129}, InvalidBars),
        ({"bars": True}, InvalidBars),
        ({"tempo": 39}, InvalidTempo),
        ({"tempo": 241}, InvalidTempo),
        ({"seed": -1}, InvalidSeed),
        ({"seed": 2**32}, InvalidSeed),
        ({"seed": 1.5}, InvalidSeed),
        ({"candidates": 0}, InvalidCandidates),
        ({"candidates": -3}, InvalidCandidates),
    ],
)
def test_bad_requests_raise_a_specific_error_with_a_message(kwargs, error):
    request = {"mood": "happy", "style": "folk", "bars": 8, **kwargs}
    with pytest.raises(error) as info:
        generate(**request)
    assert isinstance(info.value, MLError) and len(str(info.value)) > 10


def test_missing_weights_file_names_how_to_get_it(tmp_path):
    with pytest.raises(WeightsMissing, match="train"):
        generate(mood=mood_named("sad"), style="folk", weights=tmp_path / "nope.weights.h5")


def test_corrupt_weights_file_is_reported(tmp_path):
    broken = tmp_path / "broken.weights.h5"
    broken.write_bytes(b"this is not an HDF5 file" * 10)
    with pytest.raises(WeightsCorrupt):
        generate(mood="sad", style="folk", weights=broken)


@pytest.mark.parametrize("bars", [1, 64])
def test_the_shortest_and_longest_pieces(bars, shipped_weights):
    piece = generate(mood="excited", style="renaissance", bars=bars, seed=9)
    assert piece.pitches.shape == (4, bars * 16)
    assert piece.duration_seconds == pytest.approx(bars * 4 * 60 / piece.tempo)


def test_quantise_eighths_moves_offbeat_sixteenths_onto_the_grid():
    from ml.music.generate import quantise_eighths

    row = np.array([[10, 11, 11, 11, 12, 12, 13, 64]], dtype=np.int8)
    assert quantise_eighths(row).tolist() == [[10, 10, 11, 11, 12, 12, 13, 13]]


def test_a_32_bar_piece_has_the_song_form_and_ends_on_a_cadence(shipped_weights):
    from ml.music.metrics import ends_on_tonic

    piece = generate(mood="calm", style="folk", bars=32, seed=3)
    assert piece.info["form"] == "AABA" and piece.info["segments"] == 4
    assert ends_on_tonic(piece.pitches, 0) or ends_on_tonic(piece.pitches, 3)


def test_the_network_alone_has_no_arrangement_and_unknown_steps_are_refused(shipped_weights):
    alone = generate(
        mood="sad", style="chorale", bars=8, seed=1, candidates=1, snap_to_key=False, arrange=False
    )
    assert alone.info["arrangement"] == []
    steps = generate(mood="sad", style="chorale", bars=8, seed=1, arrange=("avoid_parallels",))
    assert steps.info["arrangement"] == ["avoid_parallels"]
    with pytest.raises(ValueError):
        generate(mood="sad", style="chorale", bars=8, arrange=("louder",))


def _one_hot_phrase(melody_midi: list[int]) -> np.ndarray:
    """(1 phrase, 4 tracks, 64 eighths, 66) network output: a melody of one eighth per note
    over silent lower voices."""
    from ml.music.config import N_TOKENS, PITCH_LOW, REST

    out = np.zeros((1, 4, 64, N_TOKENS + 1), dtype=np.float32)
    out[0, 1:, :, REST] = 1.0
    for t in range(64):
        out[0, 0, t, melody_midi[t % len(melody_midi)] - PITCH_LOW] = 1.0
        out[0, 0, t, N_TOKENS] = 1.0  # attacked every eighth
    return out


def test_candidates_are_tried_the_most_stepwise_melody_first():
    from ml.music.generate import singable_order

    leaping = _one_hot_phrase([60, 72, 55, 67])  # octave and fifth leaps
    stepwise = _one_hot_phrase([60, 62, 64, 65, 67, 65, 64, 62])
    half = _one_hot_phrase([60, 62, 64, 72])
    assert singable_order(np.stack([leaping, stepwise, half])) == [1, 2, 0]
    assert singable_order(np.stack([stepwise, stepwise])) == [0, 1]  # ties keep the network's order
