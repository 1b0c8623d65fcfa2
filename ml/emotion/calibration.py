"""Per-user calibration: a small classifier on face-mesh landmarks, fused with the CNN.

The generic FER2013 CNN misreads some people (a resting face read as sad or angry). A
user can hold each expression for a few seconds while `CalibrationRecorder` stores
MediaPipe face-mesh landmark vectors (468 points, normalised for position, size and
roll); `train()` fits a small Keras classifier on them; a `FrameAnalyzer` given the
resulting `Calibration` mixes its probabilities into the CNN's. A Calibration is a few
hundred KB of bytes (`to_bytes()` / `Calibration.from_bytes()`) to keep per user.
"""

from __future__ import annotations

import io
import os
import threading
from collections import Counter
from collections.abc import Iterable

import numpy as np

from ml.emotion.decode import as_rgb, decode_image
from ml.errors import MLError
from ml.mood import EMOTIONS

# Mesh indices of the outer eye corners (the person's right, then left).
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263
MESH_POINTS = 468
MIN_SAMPLES_PER_LABEL = 5


class CalibrationError(MLError, ValueError):
    """Calibration data that cannot train a classifier (too few samples or labels)."""


def landmark_vector(points: np.ndarray) -> np.ndarray:
    """(468, 3) mesh points in pixel units -> a 1404-float vector free of position,
    scale and in-plane rotation (origin between the eyes, eye distance 1, eyes level)."""
    points = np.asarray(points, dtype=np.float64)[:MESH_POINTS]
    right, left = points[RIGHT_EYE_OUTER], points[LEFT_EYE_OUTER]
    centre = (right + left) / 2.0
    span = left[:2] - right[:2]
    distance = float(np.hypot(*span))
    if distance < 1e-6:
        raise CalibrationError("The face is too small to calibrate on.")
    angle = np.arctan2(span[1], span[0])
    cos, sin = np.cos(-angle), np.sin(-angle)
    rotation = np.array([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]])
    return (((points - centre) @ rotation.T) / distance).astype(np.float32).ravel()


class FaceMesh:
    """MediaPipe face mesh for one thread: image -> landmark vector or None."""

    def __init__(self, *, tracking: bool = False) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")
        from mediapipe.python.solutions import face_mesh as mp_mesh

        self._mesh = mp_mesh.FaceMesh(
            static_image_mode=not tracking,
            max_num_faces=1,
            refine_landmarks=False,
            min_detection_confidence=0.5,
        )

    def vector(self, rgb: np.ndarray) -> np.ndarray | None:
        height, width = rgb.shape[:2]
        result = self._mesh.process(rgb)
        if not result.multi_face_landmarks:
            return None
        landmarks = result.multi_face_landmarks[0].landmark
        points = np.array([(p.x * width, p.y * height, p.z * width) for p in landmarks])
        return landmark_vector(points)

    def close(self) -> None:
        self._mesh.close()


class Calibration:
    """A trained per-user landmark classifier over a subset of EMOTIONS.

    `weight` is the share the calibration gets when fused with the CNN (0..1).
    """

    def __init__(
        self,
        labels: Iterable[str],
        mean: np.ndarray,
        std: np.ndarray,
        weights: list[np.ndarray],
        *,
        weight: float = 0.5,
    ) -> None:
        self.labels = tuple(labels)
        unknown = set(self.labels) - set(EMOTIONS)
        if unknown or len(self.labels) < 2:
            raise CalibrationError(f"A calibration needs 2+ labels from {EMOTIONS}.")
        if not 0.0 <= weight <= 1.0:
            raise CalibrationError("The calibration weight must be between 0 and 1.")
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)
        self.weights = [np.asarray(w, np.float32) for w in weights]
        self.weight = weight
        self._lock = threading.Lock()
        self._function = None

    # -- model -----------------------------------------------------------------------
    def _build(self):
        import tensorflow as tf

        model = _classifier(self.mean.size, len(self.labels))
        model.set_weights(self.weights)

        @tf.function(input_signature=[tf.TensorSpec([None, self.mean.size], tf.float32)])
        def predict(batch):
            return model(batch, training=False)

        return predict

    def probabilities(self, vector: np.ndarray) -> dict[str, float]:
        """Probabilities over this calibration's labels for one landmark vector."""
        if self._function is None:
            with self._lock:
                if self._function is None:
                    self._function = self._build()
        x = ((np.asarray(vector, np.float32) - self.mean) / self.std)[None]
        probs = np.asarray(self._function(x))[0]
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}

    def fuse(self, cnn: dict[str, float], vector: np.ndarray) -> dict[str, float]:
        """Mix the CNN's 7 probabilities with the calibration's: within the calibrated
        labels, their share of the CNN's mass is redistributed by the calibration."""
        own = self.probabilities(vector)
        mass = sum(cnn[label] for label in self.labels)
        fused = dict(cnn)
        for label in self.labels:
            fused[label] = (1 - self.weight) * cnn[label] + self.weight * own[label] * mass
        total = sum(fused.values()) or 1.0
        return {e: fused[e] / total for e in EMOTIONS}

    # -- storage -----------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The calibration as bytes (numpy .npz) to store per user."""
        buffer = io.BytesIO()
        arrays = {f"layer_{i}": w for i, w in enumerate(self.weights)}
        np.savez_compressed(
            buffer,
            labels=np.array(self.labels),
            mean=self.mean,
            std=self.std,
            weight=np.array(self.weight),
            **arrays,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Calibration:
        """Load a calibration saved by to_bytes(); CalibrationError if it is not one."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                count = sum(1 for name in archive.files if name.startswith("layer_"))
                weights = [archive[f"layer_{i}"] for i in range(count)]
                return cls(
                    [str(x) for x in archive["labels"]],
                    archive["mean"],
                    archive["std"],
                    weights,
                    weight=float(archive["weight"]),
                )
        except (OSError, KeyError, ValueError) as error:
            raise CalibrationError(f"These bytes are not a saved calibration ({error}).") from None


def _classifier(features: int, classes: int):
    import tensorflow as tf

    return tf.keras.Sequential(
        [
            tf.keras.Input((features,)),
            tf.keras.layers.Dense(32, activation="relu"),
            tf.keras.layers.Dropout(0.2),
            tf.keras.layers.Dense(classes, activation="softmax"),
        ]
    )


def train_calibration(
    vectors: np.ndarray,
    labels: list[str],
    *,
    steps: int = 150,
    seed: int = 0,
    weight: float = 0.5,
) -> Calibration:
    """Fit the landmark classifier (`steps` full-batch Adam steps); needs 2+ labels with
    MIN_SAMPLES_PER_LABEL samples each; labels with fewer samples are left out."""
    import tensorflow as tf

    counts = Counter(labels)
    unknown = set(counts) - set(EMOTIONS)
    if unknown:
        raise CalibrationError(f"Unknown expression(s) {sorted(unknown)}; use {EMOTIONS}.")
    usable = sorted((e for e, n in counts.items() if n >= MIN_SAMPLES_PER_LABEL), key=EMOTIONS.index)
    if len(usable) < 2:
        raise CalibrationError(
            f"Calibration needs at least 2 expressions with {MIN_SAMPLES_PER_LABEL}+ "
            f"face samples each; got {dict(counts)}."
        )
    keep = [i for i, label in enumerate(labels) if label in usable]
    x = np.asarray(vectors, np.float32)[keep]
    y = np.array([usable.index(labels[i]) for i in keep])
    mean = x.mean(axis=0)
    std = np.maximum(x.std(axis=0), 1e-3)  # landmarks that never move get no weight
    tf.keras.utils.set_random_seed(seed)
    model = _classifier(x.shape[1], len(usable))
    optimizer = tf.keras.optimizers.Adam(1e-3)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy()
    features = tf.constant((x - mean) / std)
    targets = tf.constant(y)

    # Full-batch steps in one tf.function: a few hundred samples train in about a
    # second, where Keras fit() spends most of its time on per-epoch overhead.
    @tf.function
    def step() -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = loss_fn(targets, model(features, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    for _ in range(steps):
        step()
    return Calibration(usable, mean, std, model.get_weights(), weight=weight)


class CalibrationRecorder:
    """Collects landmark vectors while the user holds each expression (one thread)."""

    def __init__(self, *, tracking: bool = True) -> None:
        self._mesh = FaceMesh(tracking=tracking)
        self._vectors: list[np.ndarray] = []
        self._labels: list[str] = []

    def add(self, label: str, image: np.ndarray | bytes, *, bgr: bool = False) -> bool:
        """Record one frame of `label`; False when no face was found in it."""
        if label not in EMOTIONS:
            raise CalibrationError(f"Unknown expression {label!r}; use one of {EMOTIONS}.")
        rgb = (
            decode_image(image)
            if isinstance(image, (bytes, bytearray, memoryview))
            else as_rgb(image, bgr=bgr)
        )
        vector = self._mesh.vector(rgb)
        if vector is None:
            return False
        self._vectors.append(vector)
        self._labels.append(label)
        return True

    def counts(self) -> dict[str, int]:
        """Recorded samples per expression."""
        return dict(Counter(self._labels))

    def train(self, **options) -> Calibration:
        """Train a Calibration on everything recorded (see train_calibration)."""
        if not self._vectors:
            raise CalibrationError("No face samples were recorded.")
        return train_calibration(np.stack(self._vectors), self._labels, **options)

    def close(self) -> None:
        self._mesh.close()
