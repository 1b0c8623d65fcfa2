"""Base exception of the ml library; each subpackage derives its own specific errors."""


class MLError(Exception):
    """An error a user can understand; `str(error)` is the message to show."""


class InvalidMood(MLError, ValueError):
    """A mood label or a valence/arousal pair outside the vocabulary."""
