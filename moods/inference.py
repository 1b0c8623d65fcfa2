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

import contextlib
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from django.conf import settings

from ml.emotion.analyzer import FrameAnalysis, FrameAnalyzer
from ml.emotion.decode import decode_image
from ml.emotion.errors import FrameTooLarge
from ml.emotion.model import STREAM_VIEWS_PER_FRAME
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
            views_per_frame=STREAM_VIEWS_PER_FRAME,
            max_bytes=MAX_FRAME_BYTES,
            max_pixels=MAX_FRAME_PIXELS,
        )
        setattr(_local, name, analyzer)
    return analyzer


class _Warmth:
    """How far this process's pool got with loading its models (see `warm_state`)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started_at: float | None = None
        self.ready_at: float | None = None
        self.threads_ready = 0
        self.error: str | None = None


_warmth = _Warmth()


def _init_thread() -> None:
    # Build this thread's graphs (and the process's CNN) before the first real frame.
    try:
        _thread_analyzer(hands=True).analyze(_WARM_IMAGE)
        _thread_analyzer(hands=False).analyze(_WARM_IMAGE)
    except Exception as error:
        logger.exception("emotion analyser warm-up failed")
        with _warmth.lock:
            _warmth.error = f"{type(error).__name__}: {error}"
        return
    with _warmth.lock:
        _warmth.threads_ready += 1
        if _warmth.threads_ready >= workers() and _warmth.ready_at is None:
            _warmth.ready_at = time.monotonic()
            logger.info(
                "emotion models ready in %.1f s (%d analysis threads)",
                _warmth.ready_at - (_warmth.started_at or _warmth.ready_at),
                workers(),
            )


def executor() -> ThreadPoolExecutor:
    """The process-wide analysis pool (created on first use)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                with _warmth.lock:
                    _warmth.started_at = _warmth.started_at or time.monotonic()
                _pool = ThreadPoolExecutor(
                    max_workers=workers(), thread_name_prefix="emotion", initializer=_init_thread
                )
    return _pool


_warmed = False


def warm_up() -> None:
    """Start every pool thread now (non-blocking), so no user waits for model loading.

    Called when a server process starts (echoes_site.asgi) and again, harmlessly, by
    each live session. Each of the `workers()` tasks waits for the others to start, so
    the pool really makes all its threads (and each loads its analysers) now.
    """
    global _warmed
    if _warmed:
        return
    _warmed = True
    pool = executor()
    started = threading.Barrier(workers())

    def hold() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            started.wait(timeout=300)

    for _ in range(workers()):
        pool.submit(hold)


def warm_state() -> tuple[str, str]:
    """("cold" | "warming" | "ready" | "failed", a sentence saying so) for /healthz.

    cold: no analysis was asked of this process yet (it loads its models on first use);
    warming: loading; ready: every analysis thread has its models; failed: loading broke.
    """
    with _warmth.lock:
        if _warmth.error is not None:
            return "failed", f"the emotion models did not load: {_warmth.error}"
        if _warmth.started_at is None:
            return "cold", "not loaded in this process yet (loads on first use)"
        if _warmth.ready_at is None:
            waited = time.monotonic() - _warmth.started_at
            return "warming", (
                f"loading the emotion models ({_warmth.threads_ready}/{workers()} analysis threads "
                f"ready after {waited:.1f} s)"
            )
        took = _warmth.ready_at - _warmth.started_at
        return "ready", f"{workers()} analysis threads ready (loaded in {took:.1f} s)"


def check_frame_size(width: int, height: int) -> None:
    """FrameTooLarge unless the frame fits 1920x1080 (either orientation)."""
    long_side, short_side = max(width, height), min(width, height)
    if long_side > MAX_FRAME_WIDTH or short_side > MAX_FRAME_HEIGHT:
        raise FrameTooLarge(
            f"The frame is {width}x{height}; frames may be at most {MAX_FRAME_WIDTH}x{MAX_FRAME_HEIGHT}."
        )


def analyze_frame(data: bytes, *, hands: bool = True, light: bool = False) -> FrameAnalysis:
    """Decode and analyse one encoded frame in the calling (pool) thread.

    With `hands=False` the hand model is skipped (gesture None, hands 0): callers that
    look for gestures on every n-th frame only repeat their last gesture in between.
    With `light` the face is read through one CNN pass (FrameAnalyzer.analyze).

    Raises FrameDecodeError for data that is not a JPEG/PNG/WebP image and FrameTooLarge
    above 1 MB or 1920x1080 (the pixel count is checked from the header, before decoding).
    """
    start = time.perf_counter()
    rgb = decode_image(data, max_bytes=MAX_FRAME_BYTES, max_pixels=MAX_FRAME_PIXELS)
    height, width = rgb.shape[:2]
    check_frame_size(width, height)
    decode_ms = (time.perf_counter() - start) * 1000.0
    analysis = _thread_analyzer(hands=hands).analyze(rgb, light=light)
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
