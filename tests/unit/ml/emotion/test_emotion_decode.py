"""decode_image and array inputs: every accepted format and every bad input."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ml.emotion import FrameDecodeError, FrameTooLarge, decode_image
from ml.emotion.decode import as_rgb
from ml.errors import MLError

from .conftest import encode


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats_decode_to_rgb(astronaut, fmt):
    rgb = decode_image(encode(astronaut, fmt))
    assert rgb.shape == (512, 512, 3) and rgb.dtype == np.uint8
    # Lossy formats change pixels a little, not the picture.
    assert np.abs(rgb.astype(int) - astronaut).mean() < 6


def test_grayscale_and_rgba_images_become_rgb(astronaut):
    gray = astronaut.mean(axis=2).astype(np.uint8)
    rgb = decode_image(encode(gray, "PNG"))
    assert rgb.shape == (512, 512, 3)
    assert np.array_equal(rgb[..., 0], gray) and np.array_equal(rgb[..., 2], gray)
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 128, np.uint8)])
    assert np.array_equal(decode_image(encode(rgba, "PNG")), astronaut)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"hello, this is not an image at all", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image"),  # a PNG signature only
    ],
)
def test_non_images_raise_frame_decode_error(data, words):
    with pytest.raises(FrameDecodeError, match=words):
        decode_image(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_images_raise_frame_decode_error(astronaut, fmt):
    data = encode(astronaut, fmt)
    with pytest.raises(FrameDecodeError):
        decode_image(data[: len(data) // 2])


def test_other_image_formats_are_refused_by_name(astronaut):
    with pytest.raises(FrameDecodeError, match="GIF images are not accepted"):
        decode_image(encode(astronaut, "GIF"))


def test_too_many_bytes_raise_frame_too_large_naming_the_limit(astronaut):
    data = encode(astronaut, "PNG")
    with pytest.raises(FrameTooLarge, match="limit is 1,000 bytes"):
        decode_image(data, max_bytes=1000)


def test_an_8000_by_8000_image_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, "PNG")  # tiny file, 64 megapixels
    with pytest.raises(FrameTooLarge, match="8000x8000") as caught:
        decode_image(buffer.getvalue())
    assert "limit" in str(caught.value)
    assert isinstance(caught.value, MLError)


def test_a_1_by_1_image_decodes():
    assert decode_image(encode(np.zeros((1, 1, 3), np.uint8), "PNG")).shape == (1, 1, 3)


def test_bgr_arrays_are_flipped_and_extra_channels_dropped(astronaut):
    assert np.array_equal(as_rgb(astronaut[:, :, ::-1], bgr=True), astronaut)
    rgba = np.dstack([astronaut, np.zeros(astronaut.shape[:2], np.uint8)])
    assert np.array_equal(as_rgb(rgba), astronaut)
    assert as_rgb(astronaut[:, :, 0]).shape == (512, 512, 3)
    assert as_rgb(np.ones((4, 4, 3), np.float32)).max() == 255


@pytest.mark.parametrize(
    "array",
    [np.zeros((0, 0, 3), np.uint8), np.zeros((4, 4, 2), np.uint8), np.zeros((4,), np.uint8)],
)
def test_malformed_arrays_raise_frame_decode_error(array):
    with pytest.raises(FrameDecodeError):
        as_rgb(array)


def test_huge_arrays_raise_frame_too_large():
    huge = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (8000, 8000, 3))  # no memory used
    with pytest.raises(FrameTooLarge, match="limit"):
        as_rgb(huge)


def test_non_bytes_non_arrays_are_refused():
    with pytest.raises(FrameDecodeError):
        decode_image("a string")  # type: ignore[arg-type]
    with pytest.raises(FrameDecodeError):
        as_rgb([[1, 2], [3, 4]])  # type: ignore[arg-type]


def test_sixteen_bit_grayscale_keeps_its_brightness(astronaut):
    gray = astronaut.mean(axis=2)
    sixteen = Image.fromarray((gray * 257).astype(np.uint16))
    buffer = io.BytesIO()
    sixteen.save(buffer, "PNG")
    rgb = decode_image(buffer.getvalue())
    assert rgb.shape == (512, 512, 3)
    assert abs(float(rgb.mean()) - float(gray.mean())) < 1.0
