"""The product's eyes: face emotion and hand gestures from images, video and streams.

Public API (see docs/emotion.md):

- `FrameAnalyzer(*, tracking=False, hands_every=1)` with `.analyze(image)` and `.close()`:
  one per worker thread (MediaPipe graphs are not thread-safe).
- `analyze(image) -> FrameAnalysis` with a thread-local FrameAnalyzer.
- `decode_image(data, *, max_bytes, max_pixels) -> RGB ndarray`.
- `FrameAnalysis`, `GESTURES`, `MoodTracker`, `analyze_video(path)`.
- errors: `FrameDecodeError`, `FrameTooLarge`, `VideoError` (all `ml.errors.MLError`).
- optional per-user calibration: `CalibrationRecorder`, `Calibration`.

Importing this package is cheap: TensorFlow and MediaPipe load with the first analyzer.
"""

from ml.emotion.analyzer import (
    FrameAnalysis,
    FrameAnalyzer,
    analyze,
    close_thread_analyzers,
    preload,
    thread_analyzer,
)
from ml.emotion.calibration import Calibration, CalibrationError, CalibrationRecorder
from ml.emotion.decode import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, decode_image
from ml.emotion.errors import (
    EmotionModelUnavailable,
    FrameDecodeError,
    FrameTooLarge,
    VideoError,
)
from ml.emotion.gestures import GESTURE_EFFECTS, GESTURES, classify_gesture
from ml.emotion.tracker import MoodTracker
from ml.emotion.video import analyze_video

__all__ = [
    "Calibration",
    "CalibrationError",
    "CalibrationRecorder",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "GESTURES",
    "GESTURE_EFFECTS",
    "EmotionModelUnavailable",
    "FrameAnalysis",
    "FrameAnalyzer",
    "FrameDecodeError",
    "FrameTooLarge",
    "MoodTracker",
    "VideoError",
    "analyze",
    "analyze_video",
    "classify_gesture",
    "close_thread_analyzers",
    "decode_image",
    "preload",
    "thread_analyzer",
]
