"""Folding frames into readings and readings into a session's dominant mood."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ml.mood import MOOD_LABELS, Mood, mood_named
from moods.aggregation import ReadingWindow, dominant_mood_of, frame_counts, mood_distribution, mood_verdict

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HAPPY_FACE = {"angry": 0, "disgust": 0, "fear": 0, "happy": 0.9, "sad": 0, "surprise": 0, "neutral": 0.1}
SAD_FACE = {"angry": 0, "disgust": 0, "fear": 0, "happy": 0, "sad": 0.8, "surprise": 0, "neutral": 0.2}


def window_of(*frames: tuple[dict | None, str | None, Mood | None]) -> ReadingWindow:
    window = ReadingWindow()
    for i, (emotions, gesture, mood) in enumerate(frames):
        window.add(at=T0 + timedelta(seconds=i), emotions=emotions, gesture=gesture, mood=mood)
    return window


def test_an_empty_window_gives_no_reading():
    assert ReadingWindow().summary(ended_at=T0) is None


def test_a_reading_counts_frames_and_averages_emotions_over_frames_with_a_face():
    happy = Mood("happy", 0.7, 0.3)
    reading = window_of((HAPPY_FACE, None, happy), (SAD_FACE, None, happy), (None, None, None)).summary(
        ended_at=T0 + timedelta(seconds=5)
    )
    assert reading.frames == 3 and reading.frames_with_face == 2
    assert reading.emotions["happy"] == pytest.approx(0.45) and reading.emotions["sad"] == pytest.approx(0.4)
    assert reading.started_at == T0 and reading.ended_at == T0 + timedelta(seconds=5)
    assert reading.moods == {"happy": {"frames": 2, "valence": 0.7, "arousal": 0.3}}


def test_a_window_without_any_face_has_no_emotions_and_no_mood():
    reading = window_of((None, None, None), (None, None, None)).summary(ended_at=T0)
    assert reading.emotions is None and reading.mood is None and reading.frames == 2


def test_gestures_are_counted_and_a_gesture_alone_can_vote_for_a_mood():
    calm = Mood("calm", 0.4, -0.4)
    reading = window_of((None, "open_palm", calm), (None, "open_palm", calm), (None, None, None)).summary(
        ended_at=T0
    )
    assert reading.gestures == {"open_palm": 2}
    assert reading.mood == Mood("calm", 0.4, -0.4)


def test_the_dominant_mood_is_the_label_held_longest_at_the_mean_of_its_frames():
    reading = window_of(
        (HAPPY_FACE, None, Mood("happy", 0.6, 0.3)),
        (HAPPY_FACE, None, Mood("happy", 0.8, 0.5)),
        (SAD_FACE, None, Mood("sad", -0.6, -0.4)),
    ).summary(ended_at=T0)
    assert reading.mood.label == "happy"
    assert (reading.mood.valence, reading.mood.arousal) == (pytest.approx(0.7), pytest.approx(0.4))


def test_the_session_mood_weighs_readings_by_their_frames():
    short_happy = {"happy": {"frames": 3, "valence": 0.7, "arousal": 0.3}}
    long_sad = {"sad": {"frames": 10, "valence": -0.6, "arousal": -0.4}}
    more_happy = {"happy": {"frames": 8, "valence": 0.5, "arousal": 0.1}}
    assert dominant_mood_of([short_happy, long_sad]).label == "sad"
    both_happy = dominant_mood_of([short_happy, long_sad, more_happy])
    assert both_happy.label == "happy"
    assert both_happy.valence == pytest.approx((3 * 0.7 + 8 * 0.5) / 11)
    assert both_happy.arousal == pytest.approx((3 * 0.3 + 8 * 0.1) / 11)


def test_the_session_mood_of_readings_equals_the_mood_of_all_their_frames_in_one_window():
    frames = [(HAPPY_FACE, None, Mood("happy", 0.1 * i % 1, 0.2)) for i in range(7)] + [
        (SAD_FACE, None, Mood("sad", -0.5, -0.3)) for _ in range(5)
    ]
    whole = window_of(*frames).summary(ended_at=T0).mood
    parts = [window_of(*frames[i : i + 4]).summary(ended_at=T0).moods for i in range(0, len(frames), 4)]
    split = dominant_mood_of(parts)
    assert split.label == whole.label
    assert split.valence == pytest.approx(whole.valence, abs=1e-3)


def test_ties_between_moods_are_broken_by_vocabulary_order_not_by_reading_order():
    a = {"sad": {"frames": 4, "valence": -0.6, "arousal": -0.4}}
    b = {"happy": {"frames": 4, "valence": 0.7, "arousal": 0.3}}
    assert dominant_mood_of([a, b]).label == dominant_mood_of([b, a]).label == "happy"


def test_no_voting_frames_means_no_dominant_mood_and_unknown_labels_are_ignored():
    assert dominant_mood_of([]) is None
    assert dominant_mood_of([{}, {"happy": {"frames": 0, "valence": 0.5, "arousal": 0.1}}]) is None
    assert dominant_mood_of([{"ecstatic": {"frames": 9, "valence": 1, "arousal": 1}}]) is None


def test_distribution_shares_sum_to_one_over_the_whole_vocabulary():
    tables = [
        {"happy": {"frames": 3, "valence": 0.7, "arousal": 0.3}},
        {"sad": {"frames": 1, "valence": -0.6}},
    ]
    shares = mood_distribution(tables)
    assert set(shares) == {"happy", "excited", "calm", "neutral", "sad", "angry", "anxious"}
    assert shares["happy"] == 0.75 and shares["sad"] == 0.25 and sum(shares.values()) == pytest.approx(1)
    assert frame_counts(tables)["happy"] == 3
    assert sum(mood_distribution([]).values()) == 0


def test_a_dominant_mood_is_always_a_valid_mood():
    mood = dominant_mood_of([{"neutral": {"frames": 1, "valence": 0.0, "arousal": 0.0}}])
    assert mood == mood_named("neutral")


@pytest.mark.parametrize(
    "distribution, verdict",
    [
        ({"neutral": 0.7, "anxious": 0.3}, "mostly neutral"),
        ({"anxious": 0.8, "neutral": 0.2}, "mostly tense"),
        ({"sad": 1.0}, "mostly low"),
        ({"angry": 0.65, "calm": 0.35}, "mostly frustrated"),
        # No mood held most of the time: the top two, not a "mostly" that is not true.
        ({"anxious": 0.45, "neutral": 0.4, "happy": 0.15}, "a mix of tense and neutral"),
        ({"happy": 0.5, "excited": 0.5}, "a mix of happy and excited"),
        (dict.fromkeys(("happy", "sad"), 0.0), None),
    ],
)
def test_the_verdict_is_kind_and_says_mostly_only_when_it_is_true(distribution, verdict):
    assert mood_verdict(distribution) == verdict


def test_the_verdict_has_a_kind_word_for_every_mood():
    for label in MOOD_LABELS:
        words = mood_verdict({label: 1.0})
        assert words.startswith("mostly ") and "anxious" not in words and "angry" not in words
