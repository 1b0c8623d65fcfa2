"""`python -m ml.emotion PATH [--json]`: analyse an image or a video from the shell."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from ml.errors import MLError

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}


def _is_image(path: Path) -> bool:
    """True when the file's header is an image format (decided by content, not name)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.format is not None
    except (UnidentifiedImageError, OSError, ValueError):
        return False


@contextlib.contextmanager
def _quiet_native_logs() -> Iterator[TextIO]:
    """Send file descriptor 2 to /dev/null while TF/MediaPipe run; yield our error stream.

    TensorFlow Lite and MediaPipe log from C++ threads straight to fd 2 (not through
    Python), which would bury the CLI's one-line error. Our own messages go to the
    original stderr through a duplicate of it.
    """
    try:
        real = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        real = False  # sys.stderr is replaced (pytest's capsys): nothing to silence
    if not real:
        yield sys.stderr
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    stream = os.fdopen(os.dup(saved), "w", buffering=1)
    try:
        yield stream
    finally:
        stream.close()
        os.dup2(saved, 2)
        os.close(saved)


def _line(analysis, mood) -> str:
    where = (
        f"frame {analysis.frame_index}"
        + (f" t={analysis.timestamp_ms / 1000:.2f}s" if analysis.timestamp_ms is not None else "")
        if analysis.frame_index is not None
        else "image"
    )
    if analysis.emotions is None:
        face = "no face"
    else:
        face = (
            f"face {tuple(analysis.face_box)} {analysis.emotion} "
            f"{analysis.emotions[analysis.emotion]:.2f}"
            + (f" ({analysis.faces} faces, largest used)" if analysis.faces > 1 else "")
        )
    gesture = analysis.gesture or "none"
    return (
        f"{where}: {face}; gesture {gesture}; mood {mood.label} "
        f"(valence {mood.valence:+.2f}, arousal {mood.arousal:+.2f}); "
        f"{analysis.timings_ms.get('total', 0.0):.1f} ms"
    )


def _summary_line(summary: dict) -> str:
    dominant = summary["dominant_mood"]
    moods = ", ".join(f"{k} {v}" for k, v in summary["moods"].items() if v)
    gestures = ", ".join(f"{k} {v}" for k, v in summary["gestures"].items())
    text = (
        f"summary: {summary['frames']} frame(s), {summary['frames_with_face']} with a face; "
        f"dominant mood "
        + (
            f"{dominant['label']} (valence {dominant['valence']:+.2f}, arousal {dominant['arousal']:+.2f})"
            if dominant
            else "none (no face or gesture seen)"
        )
    )
    if moods:
        text += f"; moods: {moods}"
    if gestures:
        text += f"; gestures: {gestures}"
    return text


def _analyses(path: Path, args: argparse.Namespace) -> tuple[str, Iterable]:
    from ml.emotion.analyzer import FrameAnalyzer
    from ml.emotion.video import analyze_video

    if _is_image(path):
        from ml.emotion.decode import decode_image

        rgb = decode_image(path.read_bytes())  # bad bytes fail here, before models load
        analyzer = FrameAnalyzer(tracking=False, face_range=args.face_range, hands=not args.no_hands)
        try:
            return "image", [analyzer.analyze(rgb)]
        finally:
            analyzer.close()
    frames = analyze_video(
        path,
        every=args.every,
        max_frames=args.max_frames,
        hands_every=args.hands_every,
        face_range=args.face_range,
        hands=not args.no_hands,
    )
    return "video", frames


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (0 ok, 2 bad input)."""
    parser = argparse.ArgumentParser(
        prog="python -m ml.emotion",
        description="Face emotion, hand gesture and smoothed mood of an image or a video.",
    )
    parser.add_argument("path", type=Path, help="image (JPEG/PNG/WebP) or video file")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--every", type=int, default=1, help="video: analyse every n-th frame")
    parser.add_argument("--max-frames", type=int, default=None, help="video: stop after n frames")
    parser.add_argument("--hands-every", type=int, default=1, help="run hands every n-th frame")
    parser.add_argument("--no-hands", action="store_true", help="skip hand gestures")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow/MediaPipe native logs")
    parser.add_argument(
        "--face-range",
        choices=("short", "full"),
        default="short",
        help="face detector: short (webcam, <2 m) or full (small faces)",
    )
    args = parser.parse_args(argv)
    if args.every < 1 or args.hands_every < 1 or (args.max_frames is not None and args.max_frames < 1):
        print(
            "error: --every, --hands-every and --max-frames must be at least 1",
            file=sys.stderr,
        )
        return 2
    path: Path = args.path
    if not path.exists():
        print(f"error: {path} does not exist", file=sys.stderr)
        return 2
    if not path.is_file():
        print(f"error: {path} is not a file", file=sys.stderr)
        return 2

    from ml.emotion.tracker import MoodTracker

    tracker = MoodTracker()
    records = []
    quiet = contextlib.nullcontext(sys.stderr) if args.verbose else _quiet_native_logs()
    with quiet as errors:
        try:
            kind, analyses = _analyses(path, args)
            for analysis in analyses:
                at = analysis.timestamp_ms / 1000.0 if analysis.timestamp_ms is not None else None
                mood = tracker.update(analysis, at=at)
                if args.json:
                    records.append({**analysis.to_dict(), "mood": mood.to_dict()})
                else:
                    print(_line(analysis, mood), flush=True)
        except MLError as error:
            print(f"error: {error}", file=errors)
            return 2
    summary = tracker.summary()
    if args.json:
        json.dump(
            {"path": str(path), "kind": kind, "frames": records, "summary": summary},
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
    else:
        print(_summary_line(summary))
    return 0
