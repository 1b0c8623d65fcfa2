"""Folding analysed frames into readings, and readings into a session's dominant mood.

Pure Python (no Django, no database): the consumer feeds every analysed frame to a
`ReadingWindow`; every few seconds the window becomes one `ReadingSummary` (a
`MoodReading` row). A session's dominant mood is computed from its readings only, with
`dominant_mood_of`, so a session closed by its socket and one closed later by the
restart sweep get the same answer from the same data.

The rule: the dominant mood is the smoothed mood label held for the most frames (frames
with a face or a gesture), placed at the mean valence/arousal of those frames; the
same rule as `ml.emotion.MoodTracker.dominant_mood`, applied to the whole session.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ml.mood import EMOTIONS, MOOD_LABELS, Mood


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, value))


@dataclass(frozen=True)
class ReadingSummary:
    """One window of frames, ready to be saved as a MoodReading."""

    started_at: datetime
    ended_at: datetime
    frames: int
    frames_with_face: int
    mood: Mood | None
    emotions: dict[str, float] | None
    moods: dict[str, dict[str, float]]
    gestures: dict[str, int]


@dataclass
class ReadingWindow:
    """Accumulates frames of one window in O(1) memory (7 labels, 7 emotions, gestures)."""

    started_at: datetime | None = None
    frames: int = 0
    frames_with_face: int = 0
    _emotion_sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(EMOTIONS, 0.0))
    _mood_sums: dict[str, list[float]] = field(default_factory=dict)
    _gestures: Counter = field(default_factory=Counter)

    def add(
        self,
        *,
        at: datetime,
        emotions: Mapping[str, float] | None,
        gesture: str | None,
        mood: Mood | None,
    ) -> None:
        """Fold one analysed frame in.

        `mood` is the smoothed mood after this frame; pass None when the frame showed
        neither a face nor a gesture (the tracker then only holds its last mood, and such
        frames must not vote for it).
        """
        if self.started_at is None:
            self.started_at = at
        self.frames += 1
        if emotions is not None:
            self.frames_with_face += 1
            for name in EMOTIONS:
                self._emotion_sums[name] += float(emotions.get(name, 0.0))
        if gesture:
            self._gestures[gesture] += 1
        if mood is not None:
            sums = self._mood_sums.setdefault(mood.label, [0.0, 0.0, 0.0])
            sums[0] += 1
            sums[1] += mood.valence
            sums[2] += mood.arousal

    @property
    def empty(self) -> bool:
        return self.frames == 0

    def summary(self, *, ended_at: datetime) -> ReadingSummary | None:
        """The window as a reading (None when it holds no frame)."""
        if self.frames == 0 or self.started_at is None:
            return None
        moods = {
            label: {"frames": int(n), "valence": round(v / n, 4), "arousal": round(a / n, 4)}
            for label, (n, v, a) in self._mood_sums.items()
        }
        emotions = (
            {name: round(total / self.frames_with_face, 4) for name, total in self._emotion_sums.items()}
            if self.frames_with_face
            else None
        )
        return ReadingSummary(
            started_at=self.started_at,
            ended_at=max(ended_at, self.started_at),
            frames=self.frames,
            frames_with_face=self.frames_with_face,
            mood=dominant_mood_of([moods]),
            emotions=emotions,
            moods=moods,
            gestures=dict(self._gestures),
        )


def dominant_mood_of(mood_tables: Iterable[Mapping[str, Mapping[str, Any]]]) -> Mood | None:
    """The dominant mood of several readings' `moods` tables (see the module docstring).

    Each table maps a label to {"frames", "valence", "arousal"} (means). Ties between
    labels go to the one earlier in MOOD_LABELS, so the answer never depends on order.
    Returns None when no frame voted (no face and no gesture in any reading).
    """
    totals: dict[str, list[float]] = {}
    for table in mood_tables:
        for label, entry in (table or {}).items():
            if label not in MOOD_LABELS:
                continue  # a label from an older vocabulary: ignore rather than crash
            n = float(entry.get("frames", 0) or 0)
            if n <= 0:
                continue
            sums = totals.setdefault(label, [0.0, 0.0, 0.0])
            sums[0] += n
            sums[1] += n * float(entry.get("valence", 0.0))
            sums[2] += n * float(entry.get("arousal", 0.0))
    if not totals:
        return None
    label = max(totals, key=lambda name: (totals[name][0], -MOOD_LABELS.index(name)))
    n, v, a = totals[label]
    return Mood(label=label, valence=_clamp(v / n), arousal=_clamp(a / n))


def mood_distribution(mood_tables: Iterable[Mapping[str, Mapping[str, Any]]]) -> dict[str, float]:
    """Share of voting frames per mood label (all labels present, summing to 1 or all 0)."""
    counts = dict.fromkeys(MOOD_LABELS, 0.0)
    for table in mood_tables:
        for label, entry in (table or {}).items():
            if label in counts:
                counts[label] += float(entry.get("frames", 0) or 0)
    total = sum(counts.values())
    return {label: (round(n / total, 4) if total else 0.0) for label, n in counts.items()}


def frame_counts(mood_tables: Iterable[Mapping[str, Mapping[str, Any]]]) -> dict[str, int]:
    """Voting frames per mood label (all labels present)."""
    counts = dict.fromkeys(MOOD_LABELS, 0)
    for table in mood_tables:
        for label, entry in (table or {}).items():
            if label in counts:
                counts[label] += int(entry.get("frames", 0) or 0)
    return counts


# Kind, plain words for a mood in a verdict ("mostly tense", not "mostly anxious").
VERDICT_WORDS: dict[str, str] = {
    "happy": "happy",
    "excited": "excited",
    "calm": "calm",
    "neutral": "neutral",
    "sad": "low",
    "angry": "frustrated",
    "anxious": "tense",
}
# Below this share the top mood is not "mostly" anything: the verdict names the top two.
MOSTLY_SHARE = 0.6


def mood_verdict(distribution: Mapping[str, float]) -> str | None:
    """A few kind words for a share of frames per mood label ("mostly neutral").

    "mostly X" only when X held at least MOSTLY_SHARE of the frames; otherwise "a mix
    of X and Y" (the two most held). None when no frame voted.
    """
    ranked = sorted(
        ((share, label) for label, share in distribution.items() if label in VERDICT_WORDS and share > 0),
        key=lambda item: (-item[0], MOOD_LABELS.index(item[1])),
    )
    if not ranked:
        return None
    top_share, top = ranked[0]
    if top_share >= MOSTLY_SHARE or len(ranked) == 1:
        return f"mostly {VERDICT_WORDS[top]}"
    return f"a mix of {VERDICT_WORDS[top]} and {VERDICT_WORDS[ranked[1][1]]}"
