"""The v2 phrase pipeline: ABC meter filter, onsets, chords, phrase ends, 16-step output, training."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pytest

from ml.music.config import N_TOKENS, N_TRACKS, PITCH_LOW, REST
from ml.music.notes import Tune, abc_prefilter, load_tunes, parse_file, save_tunes, source_files
from ml.music.phrase import (
    COND2_DIM,
    N_CHORD_SLOTS,
    N_CHORDS,
    NO_CHORD,
    PHRASE_STEPS,
    build_phrase_arrays,
    chord_labels,
    phrase_ends,
    rasterise,
)
from ml.music.phrase_generate import grid_to_tokens16

ABC = """%header
X:1
T:A reel
M:C|
L:1/8
K:D
DFAF dFAF|
X:2
T:A jig
M:6/8
L:1/8
K:G
GAB cBA|
X:3
T:A polka
M: 2/4
L:1/8
K:A
A2 B2|
"""


def test_abc_prefilter_keeps_duple_meters_and_counts_the_rest():
    text, dropped = abc_prefilter(ABC)
    assert "A reel" in text and "A polka" in text and "A jig" not in text
    assert text.startswith("%header") and dropped == Counter({"meter 6/8": 1})


def test_rasterise_marks_attacks_and_keeps_repeated_notes_apart():
    # two quarter-note Cs (a repeated note), then an eighth D and a dotted quarter E
    tokens, onsets = rasterise([[(0, 1, 60), (1, 1, 60), (2, 0.5, 62), (2.5, 1.5, 64)]], 8)
    c, d, e = 60 - PITCH_LOW, 62 - PITCH_LOW, 64 - PITCH_LOW
    assert tokens[0].tolist() == [c, c, c, c, d, e, e, e]
    assert onsets[0].tolist() == [1, 0, 1, 0, 1, 1, 0, 0]


def test_the_first_sixteenth_of_an_eighth_keeps_the_step():
    tokens, onsets = rasterise([[(0, 0.25, 60), (0.25, 0.25, 62), (0.5, 0.5, 64)]], 2)
    assert tokens[0].tolist() == [60 - PITCH_LOW, 64 - PITCH_LOW] and onsets[0].tolist() == [
        1,
        1,
    ]  # 62 dropped


def test_chord_labels_name_the_triad_of_each_half_bar():
    tokens = np.full((4, 8), REST, dtype=np.int8)
    tokens[:, :4] = np.array([[72], [67], [64], [48]]) - PITCH_LOW  # C major
    tokens[:, 4:] = np.array([[69], [64], [60], [45]]) - PITCH_LOW  # A minor
    assert chord_labels(tokens).tolist() == [0, 12 + 9]
    assert chord_labels(np.full((4, 8), REST, dtype=np.int8)).tolist() == [NO_CHORD, NO_CHORD]


def test_phrase_ends_are_fermatas_for_chorales_and_strains_for_folk():
    chorale = Tune("c", "chorale", "bach", 4.0, 40.0, [[(0, 40, 60)]] * 4, fermatas=[14.0, 30.0])
    assert phrase_ends(chorale, 10) == {4, 8, 10}
    reel = Tune("r", "folk", "ryansMammoth", 4.0, 64.0, [[(0, 64, 60)]])
    polka = Tune("p", "folk", "oneills1850", 2.0, 64.0, [[(0, 64, 60)]])
    assert phrase_ends(reel, 16) == {8, 16}
    assert phrase_ends(polka, 16) == {4, 8, 12, 16}  # eight 2/4 bars are four grid bars


def test_a_reattack_becomes_two_notes_in_the_product_grid():
    tokens = np.array([[10, 10, 10, REST]], dtype=np.int8)
    onsets = np.array([[1, 0, 1, 0]])
    assert grid_to_tokens16(tokens, onsets).tolist() == [[10, 10, 10, REST, 10, 10, REST, REST]]


@pytest.fixture(scope="module")
def tiny_phrases(tmp_path_factory):
    """Phrase arrays of two reels of Ryan's Mammoth and three chorales, via the npz cache."""
    files = source_files()
    tasks = [f for f in files if f[1] == "ryansMammoth" and "Reel" in f[2]][:6]
    tasks += [f for f in files if f[1] == "bach"][:3]
    tunes = [t for task in tasks for t in parse_file(task)[0]]
    path = tmp_path_factory.mktemp("tunes") / "tunes.npz"
    save_tunes(path, tunes, Counter())
    loaded = load_tunes(path)
    assert [t.voices for t in loaded] == [t.voices for t in tunes]
    return build_phrase_arrays(loaded, progress=False)


def test_phrase_arrays_have_the_documented_shapes(tiny_phrases):
    a = tiny_phrases
    n = len(a["train_tokens"])
    assert n > 0 and a["train_tokens"].shape == (n, N_TRACKS, PHRASE_STEPS)
    assert a["train_onsets"].shape == (n, N_TRACKS, PHRASE_STEPS)
    assert a["train_chords"].shape == (n, N_CHORD_SLOTS) and a["train_cond"].shape == (n, COND2_DIM)
    assert set(np.unique(a["train_cond"][:, 0])) <= {-1.0, 0.0, 1.0}
    sounding = a["train_tokens"] != REST
    assert not (a["train_onsets"].astype(bool) & ~sounding).any()  # no attack on a rest
    held = sounding[..., 1:] & (a["train_onsets"][..., 1:] == 0)
    same = a["train_tokens"][..., 1:] == a["train_tokens"][..., :-1]
    assert (same[held]).all()  # a held step continues the pitch before it


def test_phrase_training_logs_checkpoints_resumes_exports_and_generate_loads(tiny_phrases, tmp_path):
    from ml.music import generate
    from ml.music.train import TrainConfig, train

    cfg = TrainConfig(
        dataset="",
        run_dir=str(tmp_path / "run"),
        max_steps=2,
        batch_size=4,
        n_critic=1,
        sample_every=0,
        log_every=1,
        threads=1,
    )
    weights = tmp_path / "phrase.weights.h5"
    result = train(cfg, data=tiny_phrases, export_to=weights, progress=False)
    assert (
        result["steps"] == 2 and np.isfinite(result["cadence_loss"]) and np.isfinite(result["harmony_loss"])
    )
    with (tmp_path / "run" / "losses.csv").open() as fh:
        header = next(csv.reader(fh))
        assert {"cadence_loss", "harmony_loss", "parallels"} <= set(header)
    cfg.max_steps = 3
    assert train(cfg, data=tiny_phrases, export_to=weights, progress=False)["steps"] == 3  # resumed
    with (tmp_path / "run" / "losses.csv").open() as fh:
        assert [row[0] for row in csv.reader(fh)][1:] == ["1", "2", "3"]
    piece = generate(mood="sad", style="folk", bars=12, seed=4, weights=weights)
    assert piece.pitches.shape == (4, 12 * 16) and piece.info["segments"] == 2


def test_phrase_generator_output_shapes():
    import tensorflow as tf

    from ml.music.phrase_model import NOISE2_DIM, build_phrase_critic, build_phrase_generator

    generator, critic = build_phrase_generator(), build_phrase_critic()
    tracks, chords = generator([tf.random.normal((2, NOISE2_DIM)), tf.zeros((2, COND2_DIM))], training=False)
    assert tracks.shape == (2, N_TRACKS, PHRASE_STEPS, N_TOKENS + 1)
    assert chords.shape == (2, N_CHORD_SLOTS, N_CHORDS)
    np.testing.assert_allclose(tf.reduce_sum(tracks[..., :N_TOKENS], axis=-1).numpy(), 1.0, rtol=1e-4)
    assert critic([tracks, chords, tf.zeros((2, COND2_DIM))]).shape == (2, 1)
    assert generator.count_params() < 3_000_000


def test_the_shipped_phrase_model_keeps_a_pulse_and_cadences():
    from ml.music import generate
    from ml.music.config import WEIGHTS_DIR
    from ml.music.metrics import barline_tie_share, downbeat_onset_share, ends_on_tonic

    weights = WEIGHTS_DIR / "music_phrase_generator.weights.h5"
    pieces = [
        generate(mood=m, style="folk", bars=8, seed=s, weights=weights, candidates=1, snap_to_key=False)
        for m in ("happy", "sad")
        for s in range(3)
    ]
    assert np.mean([downbeat_onset_share(p.pitches) for p in pieces]) > 0.8
    assert np.mean([barline_tie_share(p.pitches) for p in pieces]) < 0.2
    assert np.mean([ends_on_tonic(p.pitches, 3) for p in pieces]) >= 0.8


def test_harmony_statistics_of_a_hand_made_window_in_numpy_and_in_the_generator_loss():
    import tensorflow as tf

    from ml.music.phrase_model import harmony_stats, harmony_stats_np

    c, g, e, a = (p - PITCH_LOW for p in (48, 55, 64, 57))
    tokens = np.full((N_TRACKS, PHRASE_STEPS), REST, dtype=np.int8)
    tokens[0, :3] = [g + 12, a + 12, e + 24]  # melody G4 -> A4 over the bass C3 -> D3: parallel
    # fifths; then a leap of a fifth to E5: one of the melody's two moves is a step
    tokens[3, :2] = [c, c + 2]
    tokens[3, 2:] = c  # then a drone on C
    tokens[1, :] = e + 12
    tokens[2, :] = g  # alto and tenor hold E4 and G3: all four voices sound at steps 0-2
    chords = np.zeros(N_CHORD_SLOTS, dtype=np.int8)
    chords[8:] = 7  # one change, C major -> G major
    onsets = np.zeros((N_TRACKS, PHRASE_STEPS), dtype=np.float32)
    # The melody attacks at steps 0-2 (each a new pitch), then G5 at step 34, struck again
    # at 35; four bars on, the attacks at 34 and 35 against 2 and 3: 0, 1 and 3 differ.
    tokens[0, 34:36] = g + 12
    onsets[0, [34, 35]] = 1.0
    half = PHRASE_STEPS // 2
    expected = [
        (PHRASE_STEPS - 1) / PHRASE_STEPS,
        1 / (N_CHORD_SLOTS - 1),
        5 / PHRASE_STEPS,
        1.0,
        0.5,
        (half - 3) / half,
        # sonorities where a voice attacks: C major at steps 0, 2, 34 and 35; at step 1
        # A4 E4 G3 D3 has at most two voices in any one triad
        (4 + 2 / 4) / 5,
    ]
    np.testing.assert_allclose(harmony_stats_np(tokens, chords, onsets), expected, rtol=1e-6)
    p = tf.one_hot(tokens[None].astype(np.int32), N_TOKENS)
    ch = tf.one_hot(chords[None].astype(np.int32), N_CHORDS)
    np.testing.assert_allclose(harmony_stats(p, onsets[None, ..., None], ch).numpy()[0], expected, rtol=1e-5)
