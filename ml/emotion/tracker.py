"""Smoothing per-frame analyses into a steady mood (ml.mood's vocabulary).

Each frame gives a target point on the circumplex: the face's mood (the expected
position of its 7 emotion probabilities, `ml.mood.mood_from_emotions`) plus the nudge
of the hand gesture, if any (`GESTURE_EFFECTS`). Valence and arousal follow the target
with an exponential moving average, and so do the emotion probabilities. The label is
the mood of the smoothed probabilities' likeliest emotion (`ml.mood.face_label`), so
the chip never contradicts a dominant emotion for long; while a gesture counts, it is
the mood nearest to the nudged position. Either way the label changes only after the
same new label was proposed for several frames in a row (hysteresis), so it does not
flicker on a boundary. Frames without a face keep the last face's position, so a gesture alone still
nudges the mood without drifting without bound.

Two gates keep noise out: a face read with low confidence (top calibrated probability
below `min_confidence`) does not move the mood, and with a clock (`update(..., at=t)`)
a gesture counts only once it has been held for `hold_seconds`, so a hand passing
through the frame does nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from ml.emotion.analyzer import FrameAnalysis
from ml.emotion.gestures import GESTURE_EFFECTS, HOLD_GESTURES
from ml.mood import EMOTIONS, MOOD_LABELS, MOOD_PROTOTYPES, Mood, face_label, label_for, mood_named


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, value))


class MoodTracker:
    """EMA + hysteresis over FrameAnalysis results, with per-window statistics.

    alpha: weight of the newest frame in the moving average (0 < alpha <= 1); at
        10-15 frames/s the default 0.25 settles within about half a second.
    margin: how much nearer (in circumplex units) another mood's prototype must be
        than the current label's before a switch is considered.
    min_frames: for how many consecutive frames that must hold before the label switches.
    gesture_weight: scale of the gestures' valence/arousal nudges (0 ignores gestures).
    min_confidence: a face whose top emotion probability is below this does not move
        the mood (the calibrated CNN is right about half the time there; see
        docs/emotion.md).
    hold_seconds: how long a gesture must be held before it counts (with `at` times).
    """

    def __init__(
        self,
        *,
        alpha: float = 0.25,
        margin: float = 0.08,
        min_frames: int = 3,
        gesture_weight: float = 1.0,
        min_confidence: float = 0.4,
        hold_seconds: float = 0.5,
    ) -> None:
        if not 0.0 < alpha <= 1.0:
            raise ValueError("alpha must be in (0, 1].")
        if margin < 0 or min_frames < 1 or gesture_weight < 0:
            raise ValueError("margin and gesture_weight must be >= 0, min_frames >= 1.")
        self.alpha = alpha
        self.margin = margin
        self.min_frames = min_frames
        self.gesture_weight = gesture_weight
        self.min_confidence = min_confidence
        self.hold_seconds = hold_seconds
        self.reset()

    # -- state ---------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything: the smoothed mood and the window."""
        self._valence: float | None = None
        self._arousal: float | None = None
        self._label: str | None = None
        self._last_face: tuple[float, float] | None = None
        self._probs: np.ndarray | None = None
        self._candidate: str | None = None
        self._candidate_frames = 0
        self._seen_gesture: str | None = None
        self._seen_since: float | None = None
        self.gesture: str | None = None
        self.reset_window()

    def reset_window(self) -> None:
        """Start a new window for dominant_mood()/summary(); the smoothed mood is kept."""
        self._frames = 0
        self._with_face = 0
        self._label_counts: Counter[str] = Counter()
        self._label_sums: dict[str, list[float]] = {}
        self._gesture_counts: Counter[str] = Counter()

    @property
    def mood(self) -> Mood:
        """The current smoothed mood (neutral before anything was seen)."""
        if self._valence is None or self._label is None:
            return mood_named("neutral")
        return Mood(
            label=self._label,
            valence=_clamp(self._valence),
            arousal=_clamp(self._arousal),
        )

    # -- updates -------------------------------------------------------------------
    def update(self, analysis: FrameAnalysis, *, at: float | None = None) -> Mood:
        """Fold one frame in and return the smoothed mood.

        `at` is the frame's time in seconds (any monotonic clock); without it a gesture
        counts at once (still images). `self.gesture` is then the gesture that counted.
        """
        self._frames += 1
        face = analysis.face_mood()
        if face is not None and (analysis.confidence or 0.0) < self.min_confidence:
            face = None  # seen, but too unsure to move the mood
            self._with_face += 1
        gesture = self.gesture = self._held(analysis.gesture, at)
        if face is not None:
            self._with_face += 1
            self._last_face = (face.valence, face.arousal)
            probs = np.array([analysis.emotions[e] for e in EMOTIONS])
            self._probs = (
                probs if self._probs is None else (1 - self.alpha) * self._probs + self.alpha * probs
            )
        if gesture is not None:
            self._gesture_counts[gesture] += 1
        if face is None and gesture is None:
            return self.mood  # nothing seen: hold

        if gesture in HOLD_GESTURES and self._valence is not None:
            target = (self._valence, self._arousal)
        else:
            base = self._last_face or (0.0, 0.0)
            dv, da = GESTURE_EFFECTS.get(gesture, (0.0, 0.0)) if gesture else (0.0, 0.0)
            target = (
                _clamp(base[0] + self.gesture_weight * dv),
                _clamp(base[1] + self.gesture_weight * da),
            )

        if self._valence is None:
            self._valence, self._arousal = target  # the first sighting sets the start
        else:
            a = self.alpha
            self._valence = (1 - a) * self._valence + a * target[0]
            self._arousal = (1 - a) * self._arousal + a * target[1]
        if gesture in HOLD_GESTURES:
            pass  # hold: the label stays
        elif gesture is not None or self._probs is None:
            self._update_label(label_for(self._valence, self._arousal), by_position=True)
        else:
            self._update_label(face_label(dict(zip(EMOTIONS, self._probs, strict=True))), by_position=False)

        mood = self.mood
        self._label_counts[mood.label] += 1
        sums = self._label_sums.setdefault(mood.label, [0.0, 0.0])
        sums[0] += mood.valence
        sums[1] += mood.arousal
        return mood

    def _held(self, gesture: str | None, at: float | None) -> str | None:
        gesture = gesture if gesture in GESTURE_EFFECTS else None
        if gesture != self._seen_gesture or self._seen_since is None:
            self._seen_gesture, self._seen_since = gesture, at
        if gesture is None or at is None:
            return gesture
        return gesture if at - self._seen_since >= self.hold_seconds else None

    def _update_label(self, nearest: str, *, by_position: bool) -> None:
        """Switch to `nearest` once it has been proposed for min_frames frames in a row
        (and, for a position on the plane, is nearer by `margin`)."""
        if self._label is None:
            self._label = nearest
            return
        if nearest == self._label:
            self._candidate, self._candidate_frames = None, 0
            return
        point = (self._valence, self._arousal)
        gain = math.dist(point, MOOD_PROTOTYPES[self._label]) - math.dist(point, MOOD_PROTOTYPES[nearest])
        if by_position and gain < self.margin:
            self._candidate, self._candidate_frames = None, 0
            return
        if nearest == self._candidate:
            self._candidate_frames += 1
        else:
            self._candidate, self._candidate_frames = nearest, 1
        if self._candidate_frames >= self.min_frames:
            self._label = nearest
            self._candidate, self._candidate_frames = None, 0

    # -- window --------------------------------------------------------------------
    def dominant_mood(self) -> Mood | None:
        """The most frequent smoothed label of this window, at its mean position.

        None when the window saw neither a face nor a gesture.
        """
        if not self._label_counts:
            return None
        label, count = self._label_counts.most_common(1)[0]
        valence, arousal = self._label_sums[label]
        return Mood(
            label=label,
            valence=_clamp(valence / count),
            arousal=_clamp(arousal / count),
        )

    def summary(self) -> dict[str, Any]:
        """Counts for this window: frames, with/without face, per mood label, gestures."""
        dominant = self.dominant_mood()
        return {
            "frames": self._frames,
            "frames_with_face": self._with_face,
            "frames_without_face": self._frames - self._with_face,
            "moods": {label: self._label_counts.get(label, 0) for label in MOOD_LABELS},
            "gestures": dict(self._gesture_counts),
            "dominant_mood": dominant.to_dict() if dominant is not None else None,
            "current_mood": self.mood.to_dict(),
        }
