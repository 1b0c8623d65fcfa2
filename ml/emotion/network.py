"""Our expression CNN: a VGG-style network for 48x48 greyscale faces, sized for a CPU.

Four blocks of two 3x3 convolutions with batch norm (widths 32-64-128-256), max pooling
between them, global average pooling and a small dense head. It reads raw 0..255 pixels
(the rescaling is inside), so the exported TFLite file needs no preprocessing contract
beyond "48x48 greyscale, float".
"""

from __future__ import annotations

from collections.abc import Sequence

from ml.emotion.dataset import IMAGE_SIZE
from ml.mood import EMOTIONS

DEFAULT_WIDTHS = (32, 64, 128, 256)


def build_expression_cnn(widths: Sequence[int] = DEFAULT_WIDTHS, *, dropout: float = 0.4):
    """The uncompiled Keras model: (N, 48, 48, 1) float 0..255 -> (N, 7) logits."""
    import keras
    from keras import layers

    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1), name="face")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0)(inputs)
    for block, width in enumerate(widths):
        for conv in range(2):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"b{block}_conv{conv}")(x)
            x = layers.BatchNormalization(name=f"b{block}_bn{conv}")(x)
            x = layers.Activation("relu")(x)
        if block < len(widths) - 1:
            x = layers.MaxPooling2D(name=f"b{block}_pool")(x)
            x = layers.SpatialDropout2D(0.1)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(256, activation="relu", name="head")(x)
    x = layers.Dropout(dropout)(x)
    # float32 logits even under a mixed-precision policy: the softmax/loss stay exact.
    logits = layers.Dense(len(EMOTIONS), name="logits", dtype="float32")(x)
    return keras.Model(inputs, logits, name="expression_cnn")


def augmenter():
    """Training-time augmentation: mirror, small shifts, rotations, zoom and contrast."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(12 / 360, fill_mode="reflect"),
            layers.RandomTranslation(0.08, 0.08, fill_mode="reflect"),
            layers.RandomZoom((-0.12, 0.08), fill_mode="reflect"),
            layers.RandomContrast(0.25),
            layers.RandomBrightness(0.15, value_range=(0, 255)),
        ],
        name="augment",
    )
