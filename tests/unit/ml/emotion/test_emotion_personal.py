"""Per-user calibration from "that's not how I feel" corrections."""

from __future__ import annotations

import pytest

from ml.emotion import FrameAnalysis
from ml.emotion.personal import Correction, CorrectionError, PersonalCalibration, emotion_for_mood
from ml.mood import EMOTIONS, MOOD_LABELS

RESTING_FACE = {"sad": 0.55, "neutral": 0.35, "angry": 0.05, "happy": 0.05}


def test_no_corrections_change_nothing():
    calibration = PersonalCalibration.fit([])
    assert calibration.apply(RESTING_FACE)["sad"] == pytest.approx(0.55)


def test_corrections_teach_that_a_resting_face_is_neutral():
    corrections = [Correction(RESTING_FACE, "neutral")] * 8
    calibration = PersonalCalibration.fit(corrections)
    read = calibration.apply(RESTING_FACE)
    assert max(read, key=read.get) == "neutral"
    assert sum(read.values()) == pytest.approx(1.0)
    # A clearly happy face of the same user stays happy.
    happy = calibration.apply({"happy": 0.9, "neutral": 0.1})
    assert max(happy, key=happy.get) == "happy"


def test_one_correction_moves_less_than_many():
    one = PersonalCalibration.fit([Correction(RESTING_FACE, "neutral")]).apply(RESTING_FACE)["neutral"]
    many = PersonalCalibration.fit([Correction(RESTING_FACE, "neutral")] * 10).apply(RESTING_FACE)["neutral"]
    assert 0.35 < one < many


def test_round_trip_and_adjusting_an_analysis():
    calibration = PersonalCalibration.fit([Correction(RESTING_FACE, "neutral")] * 8)
    again = PersonalCalibration.from_dict(calibration.to_dict())
    assert again == calibration
    emotions = {e: RESTING_FACE.get(e, 0.0) for e in EMOTIONS}
    analysis = FrameAnalysis((0, 0, 10, 10), emotions, "sad", None, 1, (48, 48))
    adjusted = calibration.adjust(analysis)
    assert adjusted.emotion == "neutral" and analysis.emotion == "sad"
    no_face = FrameAnalysis(None, None, None, None, 0, (48, 48))
    assert calibration.adjust(no_face) is no_face


def test_bad_corrections_are_refused():
    with pytest.raises(CorrectionError):
        Correction(RESTING_FACE, "bored")
    with pytest.raises(CorrectionError):
        Correction({}, "happy")


def test_every_mood_maps_to_a_face_emotion():
    assert {m: emotion_for_mood(m) for m in MOOD_LABELS} == {
        "happy": "happy",
        "excited": "surprise",
        "calm": "neutral",
        "neutral": "neutral",
        "sad": "sad",
        "angry": "angry",
        "anxious": "fear",
    }
