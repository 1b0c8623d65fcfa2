"""Analysing a video file frame by frame."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2

from ml.emotion.analyzer import FrameAnalysis, FrameAnalyzer
from ml.emotion.decode import DEFAULT_MAX_PIXELS
from ml.emotion.errors import VideoError


def video_container(head: bytes) -> str | None:
    """The container format named by a file's first bytes, or None if not a video.

    FFmpeg would "play" almost anything (it renders a text file as ANSI art through its
    tty demuxer), so only these containers are handed to it.
    """
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"  # also mov, m4v, 3gp
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"  # mkv, webm
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"FLV":
        return "flv"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "mpeg"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "mpegts"
    if head[:4] == b"\x30\x26\xb2\x75":
        return "asf"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "mp4"  # QuickTime files without an ftyp box
    return None


def _open(path: Path) -> cv2.VideoCapture:
    if not path.exists():
        raise VideoError(f"The video {path} does not exist.")
    if not path.is_file():
        raise VideoError(f"{path} is not a file.")
    if path.stat().st_size == 0:
        raise VideoError(f"The video {path} is empty (0 bytes).")
    with path.open("rb") as file:
        head = file.read(512)
    if video_container(head) is None:
        raise VideoError(f"{path.name} is not a video we can read (MP4/MOV, AVI, MKV/WebM, Ogg, FLV, MPEG).")
    # FFmpeg only: OpenCV's other backends would open a still image or an image
    # sequence pattern as a "video".
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise VideoError(f"{path.name} is not a video we can read.")
    return capture


def analyze_video(
    path: str | Path,
    *,
    every: int = 1,
    max_frames: int | None = None,
    analyzer: FrameAnalyzer | None = None,
    hands_every: int = 1,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    **analyzer_options: Any,
) -> Iterator[FrameAnalysis]:
    """Analyse every `every`-th frame of a video file, lazily, in order.

    The file is opened and its first frame read before this returns, so a missing,
    empty or non-video file raises VideoError here rather than on iteration. Each
    FrameAnalysis carries `frame_index` and `timestamp_ms`. Unless `analyzer` is passed,
    a FrameAnalyzer in tracking mode is created on the first frame (with `hands_every`
    and any other `analyzer_options`, e.g. face_range="full") and closed at the end.
    `max_frames` bounds the number of analysed frames.
    """
    if every < 1:
        raise ValueError("every must be at least 1.")
    path = Path(path)
    capture = _open(path)
    ok, first = capture.read()
    if not ok or first is None or first.size == 0:
        capture.release()
        raise VideoError(f"{path.name} has no video frames we can read.")
    height, width = first.shape[:2]
    if width * height > max_pixels:
        capture.release()
        raise VideoError(f"{path.name} is {width}x{height}; the limit is {max_pixels:,} pixels a frame.")
    fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
    options = {"tracking": True, "hands_every": hands_every, **analyzer_options}
    return _frames(capture, first, fps, every, max_frames, analyzer, options)


def _frames(
    capture: cv2.VideoCapture,
    first,
    fps: float,
    every: int,
    max_frames: int | None,
    analyzer: FrameAnalyzer | None,
    options: dict[str, Any],
) -> Iterator[FrameAnalysis]:
    own = analyzer is None
    if own:
        analyzer = FrameAnalyzer(**options)
    try:
        index, done, frame = 0, 0, first
        while frame is not None and (max_frames is None or done < max_frames):
            if index % every == 0:
                result = analyzer.analyze(frame, bgr=True)
                result.frame_index = index
                result.timestamp_ms = index * 1000.0 / fps if fps > 0 else None
                done += 1
                yield result
            ok, frame = capture.read()
            if not ok:
                break
            index += 1
    finally:
        capture.release()
        if own:
            analyzer.close()
