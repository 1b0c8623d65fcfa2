"""FrameAnalyzer on real photos with the shipped MediaPipe models and emotion CNN."""

from __future__ import annotations

import json
import threading

import cv2
import numpy as np
import pytest

import ml.emotion as emotion
from ml.emotion import FrameAnalyzer, FrameDecodeError, FrameTooLarge
from ml.emotion.face import FaceDetection, crop_matrix
from ml.mood import EMOTIONS

from .conftest import encode, webcam_frame


def _is_happy(result) -> bool:
    return result.emotion == "happy" and result.emotions["happy"] > 0.6


def test_the_smiling_astronaut_is_happy(analyzer, astronaut):
    result = analyzer.analyze(astronaut)
    assert _is_happy(result)
    assert list(result.emotions) == list(EMOTIONS)
    assert sum(result.emotions.values()) == pytest.approx(1.0, abs=1e-4)
    assert result.faces == 1
    x, y, w, h = result.face_box
    # Her face sits around x 180-275, y 80-180 of the 512x512 portrait.
    assert 150 < x < 210 and 60 < y < 120 and 70 < w < 130 and 70 < h < 130
    assert result.image_size == (512, 512)
    assert {"decode", "face", "emotion", "hands", "total"} <= set(result.timings_ms)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_encoded_frames_are_analysed(analyzer, astronaut, fmt):
    assert _is_happy(analyzer.analyze(encode(astronaut, fmt)))


def test_bgr_frames_with_the_flag_match_rgb(analyzer, astronaut):
    rgb = analyzer.analyze(astronaut)
    bgr = analyzer.analyze(np.ascontiguousarray(astronaut[:, :, ::-1]), bgr=True)
    assert bgr.face_box == rgb.face_box
    assert bgr.emotions["happy"] == pytest.approx(rgb.emotions["happy"], abs=1e-3)


def test_a_webcam_sized_frame_is_happy(analyzer, astronaut):
    assert _is_happy(analyzer.analyze(webcam_frame(astronaut)))


def test_grayscale_and_rgba_photos_are_analysed(analyzer, astronaut):
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    assert _is_happy(analyzer.analyze(gray))
    assert _is_happy(analyzer.analyze(encode(gray, "PNG")))
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    assert _is_happy(analyzer.analyze(encode(rgba, "PNG")))


def test_photos_without_a_face_report_no_face(analyzer, no_face_photos):
    for name, photo in no_face_photos.items():
        result = analyzer.analyze(photo)
        assert result.faces == 0, name
        assert result.face_box is None and result.emotions is None and result.emotion is None
        assert result.face_mood() is None


def test_the_largest_of_several_faces_wins(analyzer, astronaut):
    head = astronaut[30:250, 110:330]
    canvas = np.full((480, 640, 3), 200, np.uint8)
    canvas[20:240, 20:240] = head
    canvas[250:400, 400:550] = cv2.resize(head, (150, 150), interpolation=cv2.INTER_AREA)
    result = analyzer.analyze(canvas)
    assert result.faces == 2
    x, y, w, h = result.face_box
    assert x >= 20 and x + w <= 240 and y >= 20 and y + h <= 240
    assert _is_happy(result)


def test_a_face_at_the_image_edge_is_still_read(analyzer, astronaut):
    # Cut the portrait so the face touches the left border; the crop margin then
    # reaches outside the image.
    result = analyzer.analyze(np.ascontiguousarray(astronaut[:, 180:]))
    assert result.face_box[0] == 0
    assert _is_happy(result)


def test_a_large_face_is_shrunk_without_losing_the_expression(analyzer, astronaut):
    big = cv2.resize(astronaut, (1536, 1536), interpolation=cv2.INTER_CUBIC)
    result = analyzer.analyze(big)
    assert result.face_box[2] > 200
    assert _is_happy(result)


def test_a_tilted_face_is_read(analyzer, astronaut):
    matrix = cv2.getRotationMatrix2D((225, 130), 25, 1.0)
    tilted = cv2.warpAffine(astronaut, matrix, (512, 512), borderMode=cv2.BORDER_REFLECT)
    assert _is_happy(analyzer.analyze(tilted))


def test_alignment_levels_the_eyes():
    # Right eye (image left) at (100, 120), left eye at (140, 100): a 26.6 degree roll.
    keypoints = np.array([[100, 120], [140, 100], [120, 130], [120, 150], [80, 125], [160, 105]])
    face = FaceDetection(x=80, y=90, w=80, h=80, score=0.9, keypoints=keypoints.astype(np.float32))
    matrix = crop_matrix(face)
    eyes = np.c_[keypoints[:2], np.ones(2)] @ matrix.T
    assert eyes[0, 1] == pytest.approx(eyes[1, 1], abs=1e-6)
    assert eyes[0, 0] < eyes[1, 0]
    unaligned = np.c_[keypoints[:2], np.ones(2)] @ crop_matrix(face, align=False).T
    assert abs(unaligned[0, 1] - unaligned[1, 1]) > 5


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 1), (8, 8, 3), (15, 400, 3)])
def test_tiny_images_report_no_face(analyzer, shape):
    result = analyzer.analyze(np.zeros(shape, np.uint8))
    assert result.faces == 0 and result.emotions is None


def test_bad_frames_raise_specific_errors(analyzer, astronaut):
    with pytest.raises(FrameDecodeError):
        analyzer.analyze(b"not a jpeg")
    with pytest.raises(FrameDecodeError):
        analyzer.analyze(encode(astronaut, "JPEG")[:500])
    with pytest.raises(FrameDecodeError):
        analyzer.analyze(b"")
    with pytest.raises(FrameTooLarge):
        analyzer.analyze(np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (8000, 8000, 3)))


def test_the_callers_array_is_left_writable(analyzer, astronaut):
    frame = astronaut.copy()
    analyzer.analyze(frame)
    assert frame.flags.writeable


def test_to_dict_is_json(analyzer, astronaut, no_face_photos):
    for image in (astronaut, no_face_photos["coffee"]):
        data = json.loads(json.dumps(analyzer.analyze(image).to_dict()))
        assert set(data) >= {
            "face_box",
            "emotions",
            "emotion",
            "gesture",
            "faces",
            "image_size",
            "timings_ms",
        }


def test_hands_every_second_frame_repeats_the_last_gesture(astronaut):
    with FrameAnalyzer(tracking=True, hands_every=2) as video:
        results = [video.analyze(webcam_frame(astronaut)) for _ in range(4)]
    assert ["hands" in r.timings_ms for r in results] == [True, False, True, False]
    assert results[1].gesture == results[0].gesture


def test_a_closed_analyzer_refuses_frames(astronaut):
    closed = FrameAnalyzer(hands=False)
    closed.close()
    closed.close()  # idempotent
    with pytest.raises(RuntimeError):
        closed.analyze(astronaut)


def test_the_float_keras_model_agrees_with_the_quantised_one(astronaut):
    with FrameAnalyzer(hands=False, emotion_model="fer-keras") as keras_analyzer:
        result = keras_analyzer.analyze(astronaut)
    assert _is_happy(result)


def test_module_analyze_gives_each_thread_its_own_analyzer(astronaut):
    results, analyzers, errors = [], [], []

    def work():
        try:
            results.append(emotion.analyze(encode(astronaut, "JPEG")))
            analyzers.append(emotion.thread_analyzer())
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert len(results) == 2 and all(_is_happy(r) for r in results)
    assert analyzers[0] is not analyzers[1]


def test_thread_analyzer_is_reused_per_options_and_closable(astronaut):
    def work(out: list) -> None:
        streaming = emotion.thread_analyzer(hands=False, hands_every=2)
        out.append(streaming is emotion.thread_analyzer(hands_every=2, hands=False))
        out.append(streaming is not emotion.thread_analyzer(hands=False))
        out.append(_is_happy(streaming.analyze(astronaut)))
        emotion.close_thread_analyzers()
        try:
            streaming.analyze(astronaut)
        except RuntimeError:
            out.append(True)

    out: list = []
    thread = threading.Thread(target=work, args=(out,))
    thread.start()
    thread.join(timeout=120)
    assert out == [True, True, True, True]


def test_an_analyzer_busy_in_another_thread_refuses_instead_of_crashing(astronaut):
    with FrameAnalyzer(hands=False) as shared:
        started, release = threading.Event(), threading.Event()

        def hold() -> None:  # stands for a long analysis in another thread
            with shared._busy:
                started.set()
                release.wait(30)

        other = threading.Thread(target=hold)
        other.start()
        started.wait(30)
        try:
            with pytest.raises(RuntimeError, match="busy in another thread"):
                shared.analyze(astronaut)
        finally:
            release.set()
            other.join(30)
        assert _is_happy(shared.analyze(astronaut))


def test_a_tight_48px_face_is_read_instead_of_no_face(analyzer, astronaut):
    head = cv2.cvtColor(astronaut[60:200, 160:300], cv2.COLOR_RGB2GRAY)  # FER-style tight crop
    tight = cv2.resize(head, (48, 48), interpolation=cv2.INTER_AREA)
    result = analyzer.analyze(np.repeat(tight[..., None], 3, axis=2))
    assert result.has_face
    assert result.emotion == "happy"


def test_a_small_square_image_without_detection_is_read_as_a_tight_face(analyzer):
    # Detectors need context round a face; a thumbnail-sized square is taken as the face.
    result = analyzer.analyze(np.full((48, 48, 3), 128, np.uint8))
    assert result.face_source == "whole_image"
    x, y, w, h = result.face_box
    assert x >= 0 and y >= 0 and x + w <= 48 and y + h <= 48 and w > 30


def test_a_small_image_of_no_face_shape_stays_no_face(analyzer):
    wide = np.full((40, 150, 3), 128, np.uint8)
    assert not analyzer.analyze(wide).has_face


def test_a_hand_resting_on_the_face_is_not_a_gesture():
    from ml.emotion.analyzer import hand_touches_face

    face = (100, 50, 100, 100)
    at_chin = np.array([[150.0, 155.0, 0.0]] * 21)
    beside = np.array([[260.0, 100.0, 0.0]] * 21)
    assert hand_touches_face(at_chin, face)
    assert not hand_touches_face(beside, face)


def test_a_central_face_beats_an_equally_large_one_at_the_edge():
    keypoints = np.zeros((6, 2), np.float32)
    central = FaceDetection(270, 190, 100, 100, 0.9, keypoints)
    corner = FaceDetection(0, 0, 105, 105, 0.9, keypoints)
    assert central.prominence(640, 480) > corner.prominence(640, 480)
