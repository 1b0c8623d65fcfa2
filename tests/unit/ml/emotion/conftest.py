"""Fixtures for ml.emotion: real photos shipped by scikit-image, one shared analyzer."""

from __future__ import annotations

import io
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from ml.emotion import FrameAnalyzer


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """Eileen Collins' official portrait: one frontal, smiling face (RGB, 512x512)."""
    return data.astronaut()


@pytest.fixture(scope="session")
def no_face_photos() -> dict[str, np.ndarray]:
    """Real photos without a human face."""
    return {"coffee": data.coffee(), "chelsea": data.chelsea(), "rocket": data.rocket()}


@pytest.fixture(scope="session")
def analyzer() -> Iterator[FrameAnalyzer]:
    """One still-image analyzer for the whole session (loading graphs costs seconds)."""
    with FrameAnalyzer(tracking=False) as shared:
        yield shared


def encode(image: np.ndarray, fmt: str, **options) -> bytes:
    """Encode an array with Pillow (JPEG, PNG, WEBP, GIF ...)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, fmt, **options)
    return buffer.getvalue()


def webcam_frame(image: np.ndarray) -> np.ndarray:
    """A 320x240 RGB frame made from a real photo (resized, centre crop)."""
    square = cv2.resize(image, (320, 320), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(square[40:280])
