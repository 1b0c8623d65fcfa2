"""Test-time views: the crops of one face that the expression CNN reads and averages.

A detector's box jitters by a few percent in scale from frame to frame, and a face reads
the same mirrored; averaging the logits of such views is cheap (one batch) and steadier
than one crop. Which views pay was measured on the validation split (docs/emotion.md):
the mirror image and a small zoom in and out (and their mirrors) do, shifts of 2 px do not.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

VIEW_NAMES: tuple[str, ...] = ("face", "mirror", "zoom_in", "zoom_out", "zoom_in_mirror", "zoom_out_mirror")
ZOOM_IN, ZOOM_OUT = 1.08, 0.93


def _zoomed(face: np.ndarray, scale: float) -> np.ndarray:
    size = face.shape[0]
    centre = (size - 1) / 2.0
    matrix = cv2.getRotationMatrix2D((centre, centre), 0.0, scale)
    return cv2.warpAffine(face, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def view_of(faces: np.ndarray, name: str) -> np.ndarray:
    """(N, S, S) faces -> the same faces as the named view."""
    if name == "face":
        return faces
    if name == "mirror":
        return faces[:, :, ::-1]
    if name.endswith("_mirror"):
        return view_of(faces, name.removesuffix("_mirror"))[:, :, ::-1]
    if name in ("zoom_in", "zoom_out"):
        scale = ZOOM_IN if name == "zoom_in" else ZOOM_OUT
        return np.stack([_zoomed(face, scale) for face in faces])
    raise ValueError(f"Unknown test-time view {name!r}; use some of {VIEW_NAMES}.")


def check_views(names: Sequence[str]) -> tuple[str, ...]:
    """The names as a tuple, or ValueError naming the unknown one."""
    unknown = [name for name in names if name not in VIEW_NAMES]
    if unknown or not names:
        raise ValueError(f"Unknown or no test-time views {list(names)!r}; use some of {VIEW_NAMES}.")
    return tuple(names)
