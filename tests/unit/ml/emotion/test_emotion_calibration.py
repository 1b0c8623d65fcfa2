"""Per-user calibration: landmark vectors, training, storage and fusion with the CNN."""

from __future__ import annotations

import math

import cv2
import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image

from ml.emotion import FrameAnalyzer
from ml.emotion.calibration import (
    Calibration,
    CalibrationError,
    CalibrationRecorder,
    landmark_vector,
    train_calibration,
)
from ml.errors import MLError
from ml.mood import EMOTIONS


@pytest.fixture(scope="module")
def grace_hopper() -> np.ndarray:
    """Matplotlib's sample portrait of Grace Hopper (a calm, closed-mouth face)."""
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
        return np.asarray(Image.open(file).convert("RGB"))


def _variants(image: np.ndarray, count: int) -> list[np.ndarray]:
    """Slightly rotated, scaled and shifted copies, like frames of someone holding still."""
    h, w = image.shape[:2]
    out = []
    for i in range(count):
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), (i - count / 2) * 2.0, 1.0 + 0.03 * (i % 3))
        matrix[0, 2] += (i % 4) * 5
        out.append(cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT))
    return out


@pytest.fixture(scope="module")
def calibration(astronaut, grace_hopper, no_face_photos) -> Calibration:
    recorder = CalibrationRecorder(tracking=False)
    try:
        assert all(recorder.add("happy", im) for im in _variants(astronaut, 6))
        assert all(recorder.add("neutral", im) for im in _variants(grace_hopper, 6))
        assert recorder.add("neutral", no_face_photos["coffee"]) is False
        assert recorder.counts() == {"happy": 6, "neutral": 6}
        return recorder.train(steps=60, weight=1.0)
    finally:
        recorder.close()


def test_landmark_vectors_ignore_position_size_and_roll():
    points = np.random.default_rng(0).normal(size=(468, 3)) * 40 + 200
    t = math.radians(25)
    rotation = np.array([[math.cos(t), -math.sin(t), 0], [math.sin(t), math.cos(t), 0], [0, 0, 1]])
    moved = (points @ rotation.T) * 1.7 + np.array([30.0, -12.0, 5.0])
    assert np.allclose(landmark_vector(points), landmark_vector(moved), atol=1e-4)


def test_a_trained_calibration_separates_the_recorded_expressions(calibration, astronaut, grace_hopper):
    from ml.emotion.calibration import FaceMesh

    mesh = FaceMesh()
    try:
        assert calibration.labels == ("happy", "neutral")
        assert calibration.probabilities(mesh.vector(astronaut))["happy"] > 0.8
        assert calibration.probabilities(mesh.vector(grace_hopper))["neutral"] > 0.8
    finally:
        mesh.close()


def test_a_calibration_survives_bytes(calibration, astronaut):
    from ml.emotion.calibration import FaceMesh

    restored = Calibration.from_bytes(calibration.to_bytes())
    mesh = FaceMesh()
    try:
        vector = mesh.vector(astronaut)
    finally:
        mesh.close()
    assert restored.labels == calibration.labels and restored.weight == calibration.weight
    a, b = calibration.probabilities(vector), restored.probabilities(vector)
    assert a == pytest.approx(b, abs=1e-6)


def test_a_calibrated_analyzer_moves_probability_towards_the_calibration(
    calibration, grace_hopper, astronaut
):
    with FrameAnalyzer(hands=False) as plain, FrameAnalyzer(hands=False, calibration=calibration) as mine:
        before, after = plain.analyze(grace_hopper), mine.analyze(grace_hopper)
        smiling = mine.analyze(astronaut)
    assert "calibration" in after.timings_ms
    assert list(after.emotions) == list(EMOTIONS)
    assert sum(after.emotions.values()) == pytest.approx(1.0, abs=1e-5)
    # Within {happy, neutral} the calibration (weight 1) decides; other classes keep theirs.
    assert after.emotions["neutral"] >= before.emotions["neutral"]
    assert after.emotions["angry"] == pytest.approx(before.emotions["angry"], rel=1e-3, abs=1e-6)
    assert smiling.emotion == "happy"


def test_too_little_data_is_refused():
    vectors = np.zeros((8, 1404), np.float32)
    with pytest.raises(CalibrationError, match="at least 2 expressions"):
        train_calibration(vectors, ["happy"] * 8)
    with pytest.raises(CalibrationError, match="at least 2 expressions"):
        train_calibration(vectors, ["happy"] * 5 + ["sad"] * 3)
    with pytest.raises(CalibrationError, match="Unknown"):
        train_calibration(vectors, ["joy"] * 8)


def test_bad_calibration_bytes_and_labels_are_refused():
    with pytest.raises(CalibrationError):
        Calibration.from_bytes(b"not a calibration")
    with pytest.raises(MLError):
        Calibration(["happy"], np.zeros(3), np.ones(3), [])
    recorder = CalibrationRecorder(tracking=False)
    try:
        with pytest.raises(CalibrationError):
            recorder.add("joy", np.zeros((64, 64, 3), np.uint8))
        with pytest.raises(CalibrationError, match="No face samples"):
            recorder.train()
    finally:
        recorder.close()
