"""The one place the moods app adapts ml.emotion: a process-wide pool of analysers.

MediaPipe graphs and the TFLite interpreter must not be shared between threads, and
running them inside an async handler would block every connection of the process.
So inference runs in one ThreadPoolExecutor per process, sized by
settings.EMOTION_WORKERS (the number of cores by default), and each pool thread owns
its own `FrameAnalyzer` (thread-local). The CNN's weights are read once per process by
ml.emotion itself. The pool is shared by every WebSocket connection and by the
still-image API, so the number of concurrent analyses never exceeds the core count.

Analysers run in still-image mode (`tracking=False`): a pool thread serves frames of
many users in turn, so MediaPipe's frame-to-frame tracking would follow the wrong face.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from django.conf import settings

from ml.emotion.analyzer import FrameAnalysis, FrameAnalyzer
from ml.emotion.decode import decode_image
from ml.emotion.errors import FrameTooLarge
from moods.protocol import MAX_FRAME_BYTES, MAX_FRAME_HEIGHT, MAX_FRAME_PIXELS, MAX_FRAME_WIDTH

logger = logging.getLogger(__name__)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_local = threading.local()
_WARM_IMAGE = np.full((96, 96, 3), 128, dtype=np.uint8)


def workers() -> int:
    """How many frames the process analyses at once (settings.EMOTION_WORKERS)."""
    return max(1, int(getattr(settings, "EMOTION_WORKERS", 2) or 2))


def _thread_analyzer(*, hands: bool = True) -> FrameAnalyzer:
    # Two analysers per thread: with and without the hand model. Which one a frame gets
    # is decided per connection (its own "hands every n-th frame" count), because a pool
    # thread serves many users and must not carry one user's gesture over to another.
    name = "with_hands" if hands else "face_only"
    analyzer = getattr(_local, name, None)
    if analyzer is None:
        analyzer = FrameAnalyzer(
            tracking=False,
            hands_every=1,
            hands=hands,
            max_bytes=MAX_FRAME_BYTES,
            max_pixels=MAX_FRAME_PIXELS,
        )
        setattr(_local, name, analyzer)
    return analyzer


def _init_thread() -> None:
    # Build this thread's graphs (and the process's CNN) before the first real frame.
    try:
        _thread_analyzer(hands=True).analyze(_WARM_IMAGE)
        _thread_analyzer(hands=False).analyze(_WARM_IMAGE)
    except Exception:
        logger.exception("emotion analyser warm-up failed")


def executor() -> ThreadPoolExecutor:
    """The process-wide analysis pool (created on first use)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(
                    max_workers=workers(), thread_name_prefix="emotion", initializer=_init_thread
                )
    return _pool


_warmed = False


def warm_up() -> None:
    """Start every pool thread once (non-blocking), so no user waits for model loading."""
    global _warmed
    if _warmed:
        return
    _warmed = True
    pool = executor()
    for _ in range(workers()):
        pool.submit(time.sleep, 0)


def check_frame_size(width: int, height: int) -> None:
    """FrameTooLarge unless the frame fits 1920x1080 (either orientation)."""
    long_side, short_side = max(width, height), min(width, height)
    if long_side > MAX_FRAME_WIDTH or short_side > MAX_FRAME_HEIGHT:
        raise FrameTooLarge(
            f"The frame is {width}x{height}; frames may be at most {MAX_FRAME_WIDTH}x{MAX_FRAME_HEIGHT}."
        )


def analyze_frame(data: bytes, *, hands: bool = True) -> FrameAnalysis:
    """Decode and analyse one encoded frame in the calling (pool) thread.

    With `hands=False` the hand model is skipped (gesture None, hands 0): callers that
    look for gestures on every n-th frame only repeat their last gesture in between.

    Raises FrameDecodeError for data that is not a JPEG/PNG/WebP image and FrameTooLarge
    above 1 MB or 1920x1080 (the pixel count is checked from the header, before decoding).
    """
    start = time.perf_counter()
    rgb = decode_image(data, max_bytes=MAX_FRAME_BYTES, max_pixels=MAX_FRAME_PIXELS)
    height, width = rgb.shape[:2]
    check_frame_size(width, height)
    decode_ms = (time.perf_counter() - start) * 1000.0
    analysis = _thread_analyzer(hands=hands).analyze(rgb)
    analysis.timings_ms["decode"] = decode_ms + analysis.timings_ms.get("decode", 0.0)
    analysis.timings_ms["total"] = (time.perf_counter() - start) * 1000.0
    return analysis


def submit(data: bytes, *, hands: bool = True) -> Future[FrameAnalysis]:
    """Queue one frame on the pool; the future holds its FrameAnalysis."""
    return executor().submit(analyze_frame, data, hands=hands)


def analyze_still(data: bytes, *, timeout: float = 120.0) -> FrameAnalysis:
    """Analyse one still image on the pool and wait for it (for sync views).

    TimeoutError when the pool cannot get to it within `timeout` seconds (the first
    call of a process also loads the models, which takes seconds on a busy machine).
    """
    return submit(data).result(timeout=timeout)
