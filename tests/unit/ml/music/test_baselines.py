"""The Markov baseline and the random floor."""

from __future__ import annotations

import numpy as np

from ml.music.baselines import VOICE_RANGES, MarkovBaseline, random_tokens
from ml.music.config import COND_DIM, PITCH_LOW, REST


def test_markov_chain_reproduces_a_deterministic_pattern():
    tokens = np.full((20, 4, 64), 10, dtype=np.int8)
    tokens[:, :, 1::2] = 12  # strictly alternating 10, 12
    cond = np.zeros((20, COND_DIM), dtype=np.float32)
    cond[:, 0] = 1.0
    cond[:, 2] = 1.0  # chorale, major
    model = MarkovBaseline(smoothing=1e-9).fit(tokens, cond)
    out = model.sample("chorale", True, 64, np.random.default_rng(0))
    assert set(out[0].tolist()) == {10, 12}
    assert (out[0, 1:] != out[0, :-1]).all()


def test_markov_styles_without_a_mode_borrow_the_other():
    tokens = np.full((4, 4, 64), 20, dtype=np.int8)
    cond = np.zeros((4, COND_DIM), dtype=np.float32)
    cond[:, 0] = -1.0
    cond[:, 3] = 1.0  # renaissance, minor only
    model = MarkovBaseline().fit(tokens, cond)
    assert model.sample("renaissance", True, 16, np.random.default_rng(0)).shape == (4, 16)


def test_random_notes_stay_in_each_voices_range():
    out = random_tokens(256, np.random.default_rng(0))
    for row, (lo, hi) in zip(out, VOICE_RANGES, strict=True):
        sounding = row[row != REST].astype(int) + PITCH_LOW
        assert sounding.min() >= lo and sounding.max() <= hi
        assert 0 < (row == REST).mean() < 0.3
