"""Baselines for the evaluation: a Markov chain trained on the same data, and random notes.

Markov baseline: for every (style, mode) and every track, a first-order chain over the
step tokens (64 pitches + rest) of the key-normalised, un-augmented training segments,
with add-0.01 smoothing. Tracks are sampled independently; held notes come from
self-transitions. It knows each voice's melodic habits but nothing about harmony
between voices or about phrase structure.

Random floor: per track, notes of random length (1, 2, 4 or 8 sixteenths) with pitches
drawn uniformly from that voice's usual range, 10 % rests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ml.music.config import N_TOKENS, N_TRACKS, PITCH_LOW, REST, STYLES

VOICE_RANGES = ((60, 81), (55, 74), (48, 67), (36, 60))  # MIDI, melody..bass


@dataclass
class MarkovBaseline:
    """Per (style, mode, track) transition matrices over step tokens."""

    smoothing: float = 0.01
    start: dict = field(default_factory=dict)
    transitions: dict = field(default_factory=dict)

    def fit(self, tokens: np.ndarray, cond: np.ndarray) -> MarkovBaseline:
        """tokens (N, tracks, steps) int, cond (N, COND_DIM) with valence at 0 and style one-hot at 2:."""
        styles = cond[:, 2:].argmax(axis=1)
        modes = (cond[:, 0] >= 0).astype(int)
        for s in range(len(STYLES)):
            for m in (0, 1):
                sel = (styles == s) & (modes == m)
                if not sel.any():
                    sel = styles == s  # a style without one mode borrows the other's chain
                if not sel.any():
                    continue
                seg = tokens[sel].astype(np.int64)
                for k in range(N_TRACKS):
                    counts = np.full((N_TOKENS, N_TOKENS), self.smoothing)
                    a, b = seg[:, k, :-1].ravel(), seg[:, k, 1:].ravel()
                    np.add.at(counts, (a, b), 1.0)
                    self.transitions[(s, m, k)] = counts / counts.sum(axis=1, keepdims=True)
                    start = np.bincount(seg[:, k, 0], minlength=N_TOKENS) + self.smoothing
                    self.start[(s, m, k)] = start / start.sum()
        return self

    def sample(self, style: str, major: bool, steps: int, rng: np.random.Generator) -> np.ndarray:
        """(tracks, steps) tokens for a style and mode."""
        s, m = STYLES.index(style), int(major)
        out = np.empty((N_TRACKS, steps), dtype=np.int8)
        for k in range(N_TRACKS):
            trans = self.transitions[(s, m, k)]
            cdf = np.cumsum(trans, axis=1)
            tok = rng.choice(N_TOKENS, p=self.start[(s, m, k)])
            out[k, 0] = tok
            for t in range(1, steps):
                tok = min(int(np.searchsorted(cdf[tok], rng.random())), N_TOKENS - 1)
                out[k, t] = tok
        return out


def random_tokens(steps: int, rng: np.random.Generator) -> np.ndarray:
    """The random-notes floor as (tracks, steps) tokens."""
    out = np.full((N_TRACKS, steps), REST, dtype=np.int8)
    for k, (lo, hi) in enumerate(VOICE_RANGES):
        t = 0
        while t < steps:
            length = int(rng.choice([1, 2, 4, 8]))
            if rng.random() >= 0.1:
                out[k, t : t + length] = int(rng.integers(lo, hi + 1)) - PITCH_LOW
            t += length
    return out
