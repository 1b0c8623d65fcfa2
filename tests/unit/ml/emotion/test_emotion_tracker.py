"""MoodTracker: smoothing, hysteresis and gestures on scripted frame sequences."""

from __future__ import annotations

import pytest

from ml.emotion import FrameAnalysis, MoodTracker
from ml.mood import EMOTIONS, MOOD_LABELS, Mood, label_for, mood_from_emotions


def frame(gesture: str | None = None, **probs: float) -> FrameAnalysis:
    """A frame whose face shows the given emotion probabilities (no face if none)."""
    if not probs:
        return FrameAnalysis(None, None, None, gesture, 0, (320, 240))
    rest = max(0.0, 1.0 - sum(probs.values()))
    emotions = {e: probs.get(e, 0.0) for e in EMOTIONS}
    emotions["neutral"] += rest
    top = max(emotions, key=emotions.get)
    return FrameAnalysis((10, 10, 80, 80), emotions, top, gesture, 1, (320, 240))


def feed(tracker: MoodTracker, frames) -> list[Mood]:
    return [tracker.update(f) for f in frames]


def test_a_steady_happy_face_gives_happy():
    moods = feed(MoodTracker(), [frame(happy=0.95)] * 5)
    assert {m.label for m in moods} == {"happy"}
    assert moods[-1].valence > 0.6 and moods[-1].arousal > 0.2


def test_one_sad_frame_does_not_change_a_happy_mood_but_a_sad_run_does():
    tracker = MoodTracker()
    feed(tracker, [frame(happy=0.95)] * 10)
    assert tracker.update(frame(sad=0.95)).label == "happy"
    moods = feed(tracker, [frame(sad=0.95)] * 15)
    assert moods[-1].label == "sad"
    assert moods[0].label == "happy"  # it takes a few frames, not one


def test_label_does_not_flicker_when_the_face_hovers_on_a_boundary():
    # Alternating frames fall on either side of the happy/neutral boundary.
    script = [frame(happy=0.55), frame(happy=0.35)] * 15
    raw = [label_for(*_va(f)) for f in script]
    assert raw.count("happy") == 15 and raw.count("neutral") == 15
    # Without smoothing or hysteresis the label follows every frame ...
    jumpy = feed(MoodTracker(alpha=1.0, margin=0.0, min_frames=1), script)
    assert _changes(jumpy) >= 20
    # ... with the defaults it settles and stays.
    steady = feed(MoodTracker(), script)
    assert _changes(steady) <= 1


def test_frames_without_a_face_hold_the_mood_and_are_counted():
    tracker = MoodTracker()
    before = feed(tracker, [frame(happy=0.9)] * 4)[-1]
    after = feed(tracker, [frame()] * 6)[-1]
    assert after == before
    summary = tracker.summary()
    assert summary["frames"] == 10
    assert summary["frames_with_face"] == 4
    assert summary["frames_without_face"] == 6


def test_nothing_seen_yet_is_neutral_and_has_no_dominant_mood():
    tracker = MoodTracker()
    assert tracker.update(frame()).label == "neutral"
    assert tracker.dominant_mood() is None


@pytest.mark.parametrize(
    ("gesture", "expected"),
    [("open_palm", "calm"), ("fist", "excited"), ("victory", "happy")],
)
def test_a_held_gesture_moves_a_neutral_face_towards_its_mood(gesture, expected):
    moods = feed(MoodTracker(), [frame(gesture, neutral=1.0)] * 20)
    assert moods[-1].label == expected


def test_thumbs_up_and_down_shift_valence_against_the_face_alone():
    plain = feed(MoodTracker(), [frame(neutral=1.0)] * 10)[-1]
    up = feed(MoodTracker(), [frame("thumbs_up", neutral=1.0)] * 10)[-1]
    down = feed(MoodTracker(), [frame("thumbs_down", neutral=1.0)] * 10)[-1]
    assert down.valence < plain.valence - 0.2 < up.valence - 0.4


def test_gesture_weight_zero_ignores_gestures():
    moods = feed(MoodTracker(gesture_weight=0.0), [frame("open_palm", neutral=1.0)] * 20)
    assert moods[-1].label == "neutral"


def test_pointing_holds_the_mood_while_the_face_changes():
    tracker = MoodTracker()
    held = feed(tracker, [frame(happy=0.95)] * 8)[-1]
    during = feed(tracker, [frame("pointing", sad=0.95)] * 10)[-1]
    assert during == held
    released = feed(tracker, [frame(sad=0.95)] * 15)[-1]
    assert released.label == "sad"


def test_a_gesture_without_a_face_does_not_drift_without_bound():
    tracker = MoodTracker()
    feed(tracker, [frame(neutral=1.0)] * 3)
    moods = feed(tracker, [frame("fist")] * 200)
    assert moods[-1].arousal == pytest.approx(0.45, abs=0.01)


def test_dominant_mood_is_the_most_frequent_label_of_the_window():
    tracker = MoodTracker()
    feed(tracker, [frame(happy=0.95)] * 20 + [frame(sad=0.95)] * 8)
    dominant = tracker.dominant_mood()
    assert dominant.label == "happy"
    summary = tracker.summary()
    assert set(summary["moods"]) == set(MOOD_LABELS)
    assert summary["moods"]["happy"] > summary["moods"]["sad"] > 0
    assert summary["dominant_mood"]["label"] == "happy"


def test_reset_window_starts_new_counts_but_keeps_the_smoothed_mood():
    tracker = MoodTracker()
    mood = feed(tracker, [frame(happy=0.95)] * 10)[-1]
    tracker.reset_window()
    assert tracker.dominant_mood() is None
    assert tracker.summary()["frames"] == 0
    assert tracker.mood == mood
    feed(tracker, [frame(sad=0.95)] * 30)
    assert tracker.dominant_mood().label == "sad"


def test_gestures_are_counted_in_the_summary():
    tracker = MoodTracker()
    feed(tracker, [frame("thumbs_up", happy=0.9)] * 3 + [frame("fist")] * 2 + [frame("wave")])
    assert tracker.summary()["gestures"] == {"thumbs_up": 3, "fist": 2}


@pytest.mark.parametrize(
    "kwargs",
    [{"alpha": 0.0}, {"alpha": 1.5}, {"margin": -0.1}, {"min_frames": 0}, {"gesture_weight": -1}],
)
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        MoodTracker(**kwargs)


def _va(analysis: FrameAnalysis) -> tuple[float, float]:
    mood = mood_from_emotions(analysis.emotions)
    return mood.valence, mood.arousal


def _changes(moods: list[Mood]) -> int:
    return sum(a.label != b.label for a, b in zip(moods, moods[1:], strict=False))


def test_an_unsure_face_does_not_move_the_mood():
    tracker = MoodTracker(min_confidence=0.4)
    feed(tracker, [frame(happy=0.95)] * 10)
    # A flat reading: the top class (neutral, 0.34) is below the gate.
    unsure = frame(sad=0.33, angry=0.33)
    moods = feed(tracker, [unsure] * 20)
    assert {m.label for m in moods} == {"happy"}
    assert tracker.summary()["frames_with_face"] == 30  # still counted as seen


def test_a_sure_negative_face_still_moves_the_mood():
    tracker = MoodTracker(min_confidence=0.4)
    feed(tracker, [frame(happy=0.95)] * 10)
    assert feed(tracker, [frame(sad=0.9)] * 20)[-1].label == "sad"


def test_a_gesture_counts_only_once_held_for_half_a_second():
    tracker = MoodTracker(hold_seconds=0.5)
    neutral = frame(neutral=0.9)
    feed(tracker, [neutral] * 5)
    start = tracker.mood.arousal
    times = [0.0, 0.1, 0.2, 0.3, 0.4]
    for t in times:
        tracker.update(frame("fist", neutral=0.9), at=t)
        assert tracker.gesture is None
    assert tracker.mood.arousal == pytest.approx(start)
    moods = [tracker.update(frame("fist", neutral=0.9), at=0.5 + 0.1 * i) for i in range(10)]
    assert tracker.gesture == "fist"
    assert moods[-1].arousal > start + 0.2


def test_a_gesture_that_flickers_never_counts():
    tracker = MoodTracker(hold_seconds=0.5)
    for i in range(20):
        tracker.update(frame("fist" if i % 2 else None, neutral=0.9), at=0.1 * i)
        assert tracker.gesture is None
    assert tracker.summary()["gestures"] == {}


def test_without_a_clock_a_gesture_counts_at_once():
    tracker = MoodTracker()
    tracker.update(frame("victory", neutral=0.9))
    assert tracker.gesture == "victory"


def test_the_label_follows_a_dominant_emotion_within_a_second():
    tracker = MoodTracker()
    feed(tracker, [frame(sad=0.9)] * 15)
    assert tracker.mood.label == "sad"
    # Happy 70% (the rest spread): at 10 frames/s the chip agrees within 10 frames.
    moods = feed(tracker, [frame(happy=0.7, sad=0.1, angry=0.1)] * 10)
    assert moods[-1].label == "happy"


def test_a_neutral_face_leaking_to_negative_emotions_stays_neutral():
    moods = feed(MoodTracker(), [frame(neutral=0.45, sad=0.2, angry=0.15, fear=0.12, happy=0.08)] * 30)
    assert {m.label for m in moods} == {"neutral"}
