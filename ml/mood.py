"""The mood vocabulary used by the whole product.

A mood is a label plus valence and arousal, both in -1..1 (Russell's circumplex model
of affect: valence = unpleasant..pleasant, arousal = sleepy..activated).

Face emotions map onto the circumplex with this table (positions after Russell 1980
and the FER literature that places the basic emotions on it):

| emotion  | valence | arousal |
| -------- | ------- | ------- |
| angry    |  -0.60  |  +0.70  |
| disgust  |  -0.70  |  +0.20  |
| fear     |  -0.55  |  +0.60  |
| happy    |  +0.80  |  +0.40  |
| sad      |  -0.70  |  -0.45  |
| surprise |  +0.25  |  +0.80  |
| neutral  |   0.00  |   0.00  |

A point on the plane gets the label of the nearest mood prototype (`MOOD_PROTOTYPES`).

A face's mood is read differently: its label is the mood of its likeliest emotion
(`EMOTION_MOODS`), or neutral when no emotion reaches `FACE_MIN_CONFIDENCE`; its
valence/arousal are the expected position. Labelling the expected position instead
would call most uncertain faces "anxious": a posterior spread over the four negative
emotions averages to a point next to that prototype even when neutral is by far the
likeliest single reading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from ml.errors import InvalidMood

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

EMOTION_CIRCUMPLEX: dict[str, tuple[float, float]] = {
    "angry": (-0.60, 0.70),
    "disgust": (-0.70, 0.20),
    "fear": (-0.55, 0.60),
    "happy": (0.80, 0.40),
    "sad": (-0.70, -0.45),
    "surprise": (0.25, 0.80),
    "neutral": (0.00, 0.00),
}

# Label -> (valence, arousal) at the centre of the region it names.
MOOD_PROTOTYPES: dict[str, tuple[float, float]] = {
    "happy": (0.70, 0.35),
    "excited": (0.45, 0.80),
    "calm": (0.50, -0.50),
    "neutral": (0.00, 0.00),
    "sad": (-0.65, -0.45),
    "angry": (-0.65, 0.65),
    "anxious": (-0.35, 0.45),
}

MOOD_LABELS: tuple[str, ...] = tuple(MOOD_PROTOTYPES)


@dataclass(frozen=True)
class Mood:
    """A point on the circumplex with its label."""

    label: str
    valence: float
    arousal: float

    def __post_init__(self) -> None:
        if self.label not in MOOD_PROTOTYPES:
            raise InvalidMood(f"Unknown mood {self.label!r}; choose one of: {', '.join(MOOD_LABELS)}.")
        for name in ("valence", "arousal"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or math.isnan(value) or not -1.0 <= value <= 1.0:
                raise InvalidMood(f"{name.capitalize()} must be a number between -1 and 1.")

    def to_dict(self) -> dict[str, float | str]:
        return asdict(self)


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, float(value)))


def label_for(valence: float, arousal: float) -> str:
    """The label of the mood prototype nearest to (valence, arousal)."""
    return min(
        MOOD_PROTOTYPES,
        key=lambda label: math.dist((valence, arousal), MOOD_PROTOTYPES[label]),
    )


def mood_at(valence: float, arousal: float) -> Mood:
    """The mood at a point of the plane (values are clamped to -1..1)."""
    valence, arousal = _clamp(valence), _clamp(arousal)
    return Mood(label=label_for(valence, arousal), valence=valence, arousal=arousal)


def mood_named(label: str) -> Mood:
    """The prototype mood for a label; raises InvalidMood for a label outside the vocabulary."""
    key = str(label).strip().lower()
    if key not in MOOD_PROTOTYPES:
        raise InvalidMood(f"Unknown mood {label!r}; choose one of: {', '.join(MOOD_LABELS)}.")
    valence, arousal = MOOD_PROTOTYPES[key]
    return Mood(label=key, valence=valence, arousal=arousal)


# emotion -> the mood a face showing it is in. Disgust (aversion, high tension) reads as
# angry, fear as anxious, surprise as excited; "calm" has no face of its own (the open
# palm gesture reaches it).
EMOTION_MOODS: dict[str, str] = {
    "angry": "angry",
    "disgust": "angry",
    "fear": "anxious",
    "happy": "happy",
    "sad": "sad",
    "surprise": "excited",
    "neutral": "neutral",
}
# Below this top probability (of a calibrated model) a face says nothing definite.
FACE_MIN_CONFIDENCE = 0.4


def face_label(probabilities: Mapping[str, float]) -> str:
    """The mood label of one face's emotion probabilities (neutral when unsure)."""
    top = max(EMOTIONS, key=lambda e: float(probabilities.get(e, 0.0)))
    total = sum(max(0.0, float(probabilities.get(e, 0.0))) for e in EMOTIONS)
    if total <= 0 or float(probabilities.get(top, 0.0)) / total < FACE_MIN_CONFIDENCE:
        return "neutral"
    return EMOTION_MOODS[top]


def mood_from_emotions(probabilities: Mapping[str, float]) -> Mood:
    """A face's mood: its likeliest emotion's mood, at the expected circumplex position."""
    total = sum(max(0.0, float(probabilities.get(e, 0.0))) for e in EMOTIONS)
    if total <= 0:
        return mood_named("neutral")
    valence = sum(EMOTION_CIRCUMPLEX[e][0] * max(0.0, probabilities.get(e, 0.0)) for e in EMOTIONS)
    arousal = sum(EMOTION_CIRCUMPLEX[e][1] * max(0.0, probabilities.get(e, 0.0)) for e in EMOTIONS)
    return Mood(
        label=face_label(probabilities),
        valence=_clamp(valence / total),
        arousal=_clamp(arousal / total),
    )
