import math

import pytest

from ml.errors import InvalidMood
from ml.mood import (
    EMOTION_CIRCUMPLEX,
    EMOTIONS,
    MOOD_LABELS,
    Mood,
    label_for,
    mood_at,
    mood_from_emotions,
    mood_named,
)


def test_every_prototype_is_labelled_as_itself():
    for label in MOOD_LABELS:
        mood = mood_named(label)
        assert label_for(mood.valence, mood.arousal) == label


@pytest.mark.parametrize(
    ("emotion", "label"),
    [("happy", "happy"), ("sad", "sad"), ("angry", "angry"), ("neutral", "neutral"), ("surprise", "excited")],
)
def test_a_certain_emotion_maps_to_its_mood(emotion, label):
    probabilities = {e: (1.0 if e == emotion else 0.0) for e in EMOTIONS}
    assert mood_from_emotions(probabilities).label == label


def test_mixed_emotions_land_between_them():
    mood = mood_from_emotions({"happy": 0.5, "sad": 0.5})
    happy, sad = EMOTION_CIRCUMPLEX["happy"], EMOTION_CIRCUMPLEX["sad"]
    assert math.isclose(mood.valence, (happy[0] + sad[0]) / 2)


def test_no_probability_mass_is_neutral():
    assert mood_from_emotions({}).label == "neutral"


def test_points_are_clamped_to_the_plane():
    mood = mood_at(3.0, -7.0)
    assert (mood.valence, mood.arousal) == (1.0, -1.0)


@pytest.mark.parametrize("label", ["furious", "", "HAPPYISH"])
def test_unknown_label_is_invalid_mood(label):
    with pytest.raises(InvalidMood, match="Unknown mood"):
        mood_named(label)


def test_mood_names_are_case_insensitive():
    assert mood_named(" Calm ").label == "calm"


@pytest.mark.parametrize("valence", [1.5, float("nan")])
def test_out_of_range_values_are_invalid(valence):
    with pytest.raises(InvalidMood):
        Mood(label="calm", valence=valence, arousal=0.0)


def test_an_uncertain_neutral_face_is_a_neutral_mood_not_anxious():
    # Neutral is the likeliest reading; the rest leaks over the negative emotions. The
    # expected position lands next to "anxious", the face's label must not.
    face = {"neutral": 0.45, "sad": 0.2, "angry": 0.15, "fear": 0.12, "happy": 0.08}
    mood = mood_from_emotions(face)
    assert mood.label == "neutral"
    assert mood.valence < 0  # the position still says "a little negative" for the music


def test_a_face_gets_the_mood_of_its_likeliest_emotion():
    from ml.mood import EMOTION_MOODS, face_label

    assert face_label({"surprise": 0.7, "fear": 0.3}) == "excited"
    assert face_label({"fear": 0.6, "surprise": 0.4}) == "anxious"
    assert face_label({"disgust": 0.5, "angry": 0.2, "neutral": 0.3}) == "angry"
    assert face_label({e: 1 / 7 for e in EMOTION_MOODS}) == "neutral"  # unsure: neutral
    assert set(EMOTION_MOODS.values()) <= set(MOOD_LABELS)
