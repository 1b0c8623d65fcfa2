"""A Y4M video of a real face photo, for Chromium's fake camera.

Chromium's --use-file-for-fake-video-capture plays a YUV4MPEG2 file in a loop: a text
header, then per frame "FRAME\n" and the planar I420 picture (full-size Y, then U and V
at half width and height). The face is scikit-image's astronaut (Eileen Collins, a NASA
photo in the public domain), which the emotion model reads as happy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 640, 480


def astronaut_frame(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """The astronaut photo scaled to the frame's height, centred on grey (RGB uint8)."""
    from skimage.data import astronaut
    from skimage.transform import resize

    photo = resize(astronaut(), (height, height), anti_aliasing=True, preserve_range=True).astype(np.uint8)
    frame = np.full((height, width, 3), 128, dtype=np.uint8)
    left = (width - height) // 2
    frame[:, left : left + height] = photo
    return frame


def rgb_to_i420(rgb: np.ndarray) -> bytes:
    """BT.601 studio-range YUV 4:2:0, planar (the layout Y4M's C420 means)."""
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b

    def half(plane: np.ndarray) -> np.ndarray:  # average each 2x2 block
        return (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]) / 4

    planes = [y, half(u), half(v)]
    return b"".join(np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in planes)


def write_y4m(path: Path, frame: np.ndarray, frames: int = 2, fps: int = 15) -> Path:
    """Write `frames` copies of an RGB frame as a Y4M file; returns the path."""
    height, width = frame.shape[:2]
    picture = rgb_to_i420(frame)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(picture)
    return path
