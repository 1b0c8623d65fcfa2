"""Model shapes and a two-step training smoke run on tiny data (checkpoint, resume, export)."""

from __future__ import annotations

import csv

import numpy as np

from ml.music.config import COND_DIM, N_TOKENS, N_TRACKS, NOISE_DIM, SEGMENT_STEPS


def test_generator_and_critic_shapes_and_size():
    import tensorflow as tf

    from ml.music.model import build_critic, build_generator

    generator, critic = build_generator(), build_critic()
    noise = tf.random.normal((3, NOISE_DIM))
    cond = tf.zeros((3, COND_DIM))
    probs = generator([noise, cond], training=False)
    assert probs.shape == (3, N_TRACKS, SEGMENT_STEPS, N_TOKENS)
    np.testing.assert_allclose(tf.reduce_sum(probs, axis=-1).numpy(), 1.0, rtol=1e-4)
    assert critic([probs, cond], training=False).shape == (3, 1)
    assert generator.count_params() < 2_000_000 and critic.count_params() < 2_000_000


def test_two_training_steps_log_checkpoint_resume_and_export(tiny_arrays, tmp_path):
    from ml.music.generate import generate
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
    weights = tmp_path / "g.weights.h5"
    first = train(cfg, data=tiny_arrays, export_to=weights, progress=False)
    assert first["steps"] == 2
    losses = [first[k] for k in ("c_loss", "g_loss", "gp", "mode_loss", "density_loss")]
    assert np.isfinite(losses).all()
    with (tmp_path / "run" / "losses.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["step"] for r in rows] == ["1", "2"]

    cfg.max_steps = 3
    resumed = train(cfg, data=tiny_arrays, export_to=weights, progress=False)
    assert resumed["steps"] == 3  # continued from the checkpoint, not from zero

    piece = generate(mood="calm", style="folk", bars=4, weights=weights)
    assert piece.pianoroll.shape == (4, 64, 128)


def test_mood_losses_reward_the_right_mode_and_density():
    import tensorflow as tf

    from ml.music.model import expected_density, mode_score, mood_losses

    def one_hot(pitches: list[int], repeat: int) -> tf.Tensor:
        tokens = np.full((1, N_TRACKS, SEGMENT_STEPS), N_TOKENS - 1, dtype=np.int32)
        tokens[0, 0] = np.resize(np.repeat(np.array(pitches) - 28, repeat), SEGMENT_STEPS)
        return tf.one_hot(tokens, N_TOKENS)

    c_major = one_hot([60, 64, 67, 72, 62, 65, 71, 67], 4)
    c_minor = one_hot([60, 63, 67, 72, 62, 65, 71, 67], 4)
    assert float(mode_score(c_major)[0]) > 0 > float(mode_score(c_minor)[0])
    assert float(expected_density(c_major)[0]) == 16 / 4  # 16 quarter-note onsets in 4 bars
    happy = np.zeros((1, COND_DIM), np.float32)
    happy[0, 0] = 1.0
    right, _ = mood_losses(c_major, c_major, happy)
    wrong, _ = mood_losses(c_minor, c_major, happy)
    assert float(right) < float(wrong)
    busy = one_hot([60, 64, 67, 72, 62, 65, 71, 67], 1)
    _, same = mood_losses(c_major, c_major, happy)
    _, off = mood_losses(busy, c_major, happy)
    assert float(same) == 0.0 < float(off)
