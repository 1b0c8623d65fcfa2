"""Turning what a client sends (encoded bytes or an array) into an RGB uint8 array.

Everything that can go wrong with a frame ends here as `FrameDecodeError` or
`FrameTooLarge`, so the detectors downstream only ever see a sane RGB image.
"""

from __future__ import annotations

import io

import numpy as np

from ml.emotion.errors import FrameDecodeError, FrameTooLarge

# A webcam JPEG at 640x480 is 30-100 KB and a phone photo a few MB; 10 MB leaves room
# for a large still photo while keeping one frame's memory bounded.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# 4096x4096 (16.8 MP) covers phone photos (12 MP); an 8000x8000 image is refused
# before it is decoded (its header says how big it is), so it cannot exhaust memory.
DEFAULT_MAX_PIXELS = 4096 * 4096

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")


def decode_image(
    data: bytes | bytearray | memoryview,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Decode JPEG, PNG or WebP bytes into an RGB uint8 array of shape (H, W, 3).

    Grayscale, palette, RGBA and CMYK images are converted to RGB (alpha is dropped);
    the EXIF orientation of photos is applied. Raises `FrameTooLarge` when the data has
    more than `max_bytes` bytes or the image more than `max_pixels` pixels (checked from
    the header, before decoding), and `FrameDecodeError` for empty, truncated or
    non-image data.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FrameDecodeError(f"Expected the encoded image as bytes, got {type(data).__name__}.")
    size = len(data)
    if size == 0:
        raise FrameDecodeError("The frame is empty (0 bytes).")
    if size > max_bytes:
        raise FrameTooLarge(f"The image is {size:,} bytes; the limit is {max_bytes:,} bytes.")
    try:
        image = Image.open(io.BytesIO(bytes(data)))
    except UnidentifiedImageError:
        raise FrameDecodeError("The data is not an image we can read; send JPEG, PNG or WebP.") from None
    except Exception as error:
        raise FrameDecodeError(f"The image header cannot be read ({error}).") from None
    if image.format not in ACCEPTED_FORMATS:
        raise FrameDecodeError(f"{image.format} images are not accepted; send JPEG, PNG or WebP.")
    width, height = image.size
    check_pixels(width, height, max_pixels)
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
        if image.mode.startswith(("I", "F")):
            array = _wide_gray_to_rgb(np.asarray(image))
        else:
            if image.mode != "RGB":
                image = image.convert("RGB")
            array = np.asarray(image, dtype=np.uint8)
    except Exception as error:
        raise FrameDecodeError(f"The {image.format} image is truncated or corrupt ({error}).") from None
    if array.ndim != 3 or array.shape[2] != 3 or array.size == 0:
        raise FrameDecodeError("The image decoded to an unexpected shape.")
    return np.ascontiguousarray(array)


def _wide_gray_to_rgb(values: np.ndarray) -> np.ndarray:
    """16-bit, 32-bit or float grayscale -> 8-bit RGB (PIL's convert would clip at 255)."""
    values = values.astype(np.float32)
    if values.max(initial=0.0) > 255.0:
        values = values / 257.0  # 16-bit range onto 8 bits
    gray = np.clip(values + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(gray[:, :, None], 3, axis=2)


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    """Raise FrameTooLarge when width x height exceeds max_pixels."""
    if width * height > max_pixels:
        raise FrameTooLarge(
            f"The image is {width}x{height} ({width * height:,} pixels); the limit is {max_pixels:,} pixels."
        )


def as_rgb(image: np.ndarray, *, bgr: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Validate an image array and return it as a C-contiguous RGB uint8 array.

    Accepts (H, W) grayscale, (H, W, 1), (H, W, 3) RGB (or BGR with `bgr=True`) and
    (H, W, 4) RGBA/BGRA arrays; float arrays are taken as 0..1. Raises FrameDecodeError
    for other shapes or an empty array, FrameTooLarge above `max_pixels`.
    """
    if not isinstance(image, np.ndarray):
        raise FrameDecodeError(f"Expected an image array or encoded bytes, got {type(image).__name__}.")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise FrameDecodeError(
            f"Expected an image array of shape (H, W), (H, W, 3) or (H, W, 4), got {image.shape}."
        )
    height, width = image.shape[:2]
    if height == 0 or width == 0:
        raise FrameDecodeError("The image is empty (0 pixels).")
    check_pixels(width, height, max_pixels)
    if image.dtype != np.uint8:
        if np.issubdtype(image.dtype, np.floating):
            image = np.clip(np.nan_to_num(image) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        elif np.issubdtype(image.dtype, np.integer) or image.dtype == np.bool_:
            if image.dtype == np.bool_:
                image = image.astype(np.uint8) * 255
            else:
                image = np.clip(image, 0, 255).astype(np.uint8)
        else:
            raise FrameDecodeError(f"Unsupported image dtype {image.dtype}.")
    if image.ndim == 2:
        return np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
    image = image[:, :, :3]
    if bgr:
        image = image[:, :, ::-1]
    return np.ascontiguousarray(image)
