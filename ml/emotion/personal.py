"""Per-user correction of the expression model, learned from "that's not how I feel".

Every face reads a little differently: one person's resting face looks sad to the CNN,
another's smile looks surprised. Each correction pairs the probabilities the model gave
with the emotion the user says they felt. `PersonalCalibration.fit` learns one additive
bias per emotion on the log-probabilities (a convex, L2-regularised logistic fit), so a
few corrections move the reading a little and many move it more; `apply` re-weighs later
frames with it. The whole state is seven numbers, cheap to keep per user.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ml.emotion.analyzer import FrameAnalysis
from ml.errors import MLError
from ml.mood import EMOTION_CIRCUMPLEX, EMOTIONS, MOOD_PROTOTYPES

# Prior strength: the bias costs as much as this many corrections pulling the other way.
# Two corrections barely move a reading; ten move it decisively.
DEFAULT_STRENGTH = 3.0
MAX_BIAS = 3.0
_FLOOR = 1e-4


class CorrectionError(MLError, ValueError):
    """A correction that names no known emotion or carries no probabilities."""


@dataclass(frozen=True)
class Correction:
    """What the model read (7 probabilities) and what the user felt (an emotion)."""

    probabilities: Mapping[str, float]
    emotion: str

    def __post_init__(self) -> None:
        if self.emotion not in EMOTIONS:
            raise CorrectionError(f"Unknown emotion {self.emotion!r}; choose one of: {', '.join(EMOTIONS)}.")
        if not any(float(self.probabilities.get(e, 0.0)) > 0 for e in EMOTIONS):
            raise CorrectionError("A correction needs the probabilities the model gave.")


def emotion_for_mood(label: str) -> str:
    """The face emotion nearest to a mood label on the circumplex (anxious -> fear)."""
    if label not in MOOD_PROTOTYPES:
        raise CorrectionError(f"Unknown mood {label!r}.")
    point = MOOD_PROTOTYPES[label]
    return min(EMOTIONS, key=lambda e: math.dist(point, EMOTION_CIRCUMPLEX[e]))


def _log_probabilities(probabilities: Mapping[str, float]) -> np.ndarray:
    p = np.array([max(_FLOOR, float(probabilities.get(e, 0.0))) for e in EMOTIONS])
    return np.log(p / p.sum())


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class PersonalCalibration:
    """One additive bias per emotion on the model's log-probabilities."""

    bias: tuple[float, ...] = (0.0,) * len(EMOTIONS)
    corrections: int = 0

    @classmethod
    def fit(
        cls, corrections: Sequence[Correction], *, strength: float = DEFAULT_STRENGTH
    ) -> PersonalCalibration:
        """The bias that best explains the corrections, shrunk toward zero by `strength`."""
        if not corrections:
            return cls()
        x = np.stack([_log_probabilities(c.probabilities) for c in corrections])
        y = np.eye(len(EMOTIONS))[[EMOTIONS.index(c.emotion) for c in corrections]]
        b = np.zeros(len(EMOTIONS))
        # Newton's method on a smooth convex objective: a handful of steps converge.
        for _ in range(25):
            p = _softmax(x + b)
            gradient = (p - y).sum(axis=0) + strength * b
            hessian = sum(np.diag(row) - np.outer(row, row) for row in p) + strength * np.eye(len(b))
            step = np.linalg.solve(hessian, gradient)
            b -= step
            if np.abs(step).max() < 1e-6:
                break
        b -= b.mean()  # only differences between emotions matter
        b = np.clip(b, -MAX_BIAS, MAX_BIAS)
        return cls(tuple(float(v) for v in b), len(corrections))

    def apply(self, probabilities: Mapping[str, float]) -> dict[str, float]:
        """The probabilities re-weighed by this user's bias (unchanged when it is zero)."""
        if not any(self.bias):
            return {e: float(probabilities.get(e, 0.0)) for e in EMOTIONS}
        p = _softmax(_log_probabilities(probabilities) + np.array(self.bias))
        return {e: float(v) for e, v in zip(EMOTIONS, p, strict=True)}

    def adjust(self, analysis: FrameAnalysis) -> FrameAnalysis:
        """The analysis with its emotions (and top emotion) re-weighed for this user."""
        if analysis.emotions is None or not any(self.bias):
            return analysis
        emotions = self.apply(analysis.emotions)
        return dataclasses.replace(
            analysis, emotions=emotions, emotion=max(emotions, key=emotions.__getitem__)
        )

    def to_dict(self) -> dict:
        return {"bias": dict(zip(EMOTIONS, self.bias, strict=True)), "corrections": self.corrections}

    @classmethod
    def from_dict(cls, data: Mapping) -> PersonalCalibration:
        bias = data.get("bias") or {}
        return cls(tuple(float(bias.get(e, 0.0)) for e in EMOTIONS), int(data.get("corrections", 0)))
