"""The conditional WGAN-GP networks (Keras), MuseGAN-spirited and small.

Generator: noise + condition -> a shared *temporal* stage (one latent per bar, mixed
across bars by a convolution) -> a shared upsampling stage to quarter-note resolution
-> four *private* per-track stages (melody, alto, tenor, bass) up to sixteenth notes,
each ending in a softmax over 64 pitches + rest per step.

Critic: the (soft) token probabilities of all tracks plus their per-track chroma and the
broadcast condition, strided 1-D convolutions over time down to one vector per bar, a
linear score plus a projection term <features, W cond> (Miyato & Koyama 2018) so the
condition cannot be ignored. No normalisation in the critic (gradient penalty).
"""

from __future__ import annotations

import numpy as np

from ml.music.config import (
    BARS_PER_SEGMENT,
    COND_DIM,
    N_PITCHES,
    N_TOKENS,
    N_TRACKS,
    NOISE_DIM,
    PITCH_LOW,
    SEGMENT_STEPS,
    TRACKS,
)


def _chroma_matrix() -> np.ndarray:
    """(N_TOKENS, 12) matrix folding pitch probabilities onto pitch classes (rest -> 0)."""
    m = np.zeros((N_TOKENS, 12), dtype=np.float32)
    for i in range(N_PITCHES):
        m[i, (PITCH_LOW + i) % 12] = 1.0
    return m


def build_generator(width: int = 256):
    """Generator: inputs (noise (B, NOISE_DIM), cond (B, COND_DIM)) -> (B, 4, 64, 65) probabilities."""
    import keras
    from keras import layers

    noise = keras.Input((NOISE_DIM,), name="noise")
    cond = keras.Input((COND_DIM,), name="cond")
    x = layers.Concatenate()([noise, cond])
    x = layers.Dense(BARS_PER_SEGMENT * width, name="bar_latents")(x)
    x = layers.Reshape((BARS_PER_SEGMENT, width))(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    # shared temporal stage: bars see each other
    x = layers.Conv1D(width, 3, padding="same", name="temporal")(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    c_bars = layers.RepeatVector(BARS_PER_SEGMENT)(cond)
    x = layers.Concatenate()([x, c_bars])
    # shared upsampling: bars -> half bars -> beats
    for i, ch in enumerate((192, 160)):
        x = layers.Conv1DTranspose(ch, 4, strides=2, padding="same", name=f"shared_up{i}")(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    outputs = []
    for name in TRACKS:
        # private per-track stage: beats -> eighths -> sixteenths
        t = x
        for i, ch in enumerate((96, 64)):
            t = layers.Conv1DTranspose(ch, 4, strides=2, padding="same", name=f"{name}_up{i}")(t)
            t = layers.ReLU()(layers.BatchNormalization()(t))
        t = layers.Conv1D(N_TOKENS, 1, name=f"{name}_logits")(t)
        outputs.append(layers.Softmax(axis=-1)(t))
    out = layers.Lambda(lambda ts: keras.ops.stack(ts, axis=1), name="tracks")(outputs)
    return keras.Model([noise, cond], out, name="generator")


def build_critic():
    """Critic: inputs (x (B, 4, 64, 65), cond (B, COND_DIM)) -> (B, 1) score."""
    import keras
    from keras import layers

    x_in = keras.Input((N_TRACKS, SEGMENT_STEPS, N_TOKENS), name="tracks")
    cond = keras.Input((COND_DIM,), name="cond")
    # (B, T, tracks * tokens): time is the convolution axis
    x = layers.Permute((2, 1, 3))(x_in)
    flat = layers.Reshape((SEGMENT_STEPS, N_TRACKS * N_TOKENS))(x)
    chroma_w = _chroma_matrix()
    chroma = layers.Lambda(lambda t: keras.ops.matmul(t, chroma_w), name="chroma")(x)
    chroma = layers.Reshape((SEGMENT_STEPS, N_TRACKS * 12))(chroma)
    c_steps = layers.RepeatVector(SEGMENT_STEPS)(cond)
    h = layers.Concatenate()([flat, chroma, c_steps])
    # sixteenths -> eighths in the first layer keeps the critic cheap on 2 CPU cores
    h = layers.LeakyReLU(0.2)(layers.Conv1D(128, 2, strides=2)(h))
    for ch in (128, 192, 256):
        h = layers.LeakyReLU(0.2)(layers.Conv1D(ch, 4, strides=2, padding="same")(h))
    h = layers.Flatten()(h)
    feat = layers.LeakyReLU(0.2)(layers.Dense(256)(h))
    score = layers.Dense(1)(feat)
    proj = layers.Dense(256, use_bias=False, name="cond_projection")(cond)
    proj_score = layers.Dot(axes=1)([feat, proj])
    out = layers.Add()([score, proj_score])
    return keras.Model([x_in, cond], out, name="critic")


def _profile_rotations() -> tuple[np.ndarray, np.ndarray]:
    """(12, 12) centred, unit-norm Krumhansl-Kessler profiles for every tonic, major and minor."""
    from ml.music.theory import MAJOR_PROFILE, MINOR_PROFILE

    def rot(profile: np.ndarray) -> np.ndarray:
        m = np.stack([np.roll(profile, t) for t in range(12)]).astype(np.float32)
        m -= m.mean(axis=1, keepdims=True)
        return m / np.linalg.norm(m, axis=1, keepdims=True)

    return rot(MAJOR_PROFILE), rot(MINOR_PROFILE)


def mode_score(probs):
    """Differentiable major-minus-minor key correlation of (B, tracks, T, tokens) probabilities.

    The expected pitch-class histogram is correlated with every major and minor
    Krumhansl-Kessler profile; a soft maximum over tonics per mode; > 0 means major.
    """
    import tensorflow as tf

    major, minor = _profile_rotations()
    hist = tf.reduce_sum(tf.matmul(probs, _chroma_matrix()), axis=[1, 2])  # (B, 12)
    hist = hist - tf.reduce_mean(hist, axis=1, keepdims=True)
    hist = hist / (tf.norm(hist, axis=1, keepdims=True) + 1e-6)
    corr_major = tf.matmul(hist, major, transpose_b=True)
    corr_minor = tf.matmul(hist, minor, transpose_b=True)
    tau = 20.0
    return (
        tf.reduce_logsumexp(tau * corr_major, axis=1) - tf.reduce_logsumexp(tau * corr_minor, axis=1)
    ) / tau


def expected_density(probs):
    """Differentiable expected note onsets per bar: sounding and not the previous step's pitch."""
    import tensorflow as tf

    pitch = probs[..., :N_PITCHES]
    prev = tf.pad(pitch[:, :, :-1], [[0, 0], [0, 0], [1, 0], [0, 0]])
    onsets = tf.reduce_sum(pitch * (1.0 - prev), axis=-1)  # (B, tracks, T)
    return tf.reduce_sum(onsets, axis=[1, 2]) / float(BARS_PER_SEGMENT)


def mood_losses(fake, real, cond):
    """Generator-side conditioning losses (added to the Wasserstein loss in training).

    mode: a logistic loss pushing the fake's mode score to the sign of the valence
    label; density: squared error (in units of 4 onsets per bar) between the fake's
    onset density and that of the real segment whose condition it borrowed (arousal is
    that density's rank, so this is what arousal asks for).

    Both are measured on the argmax tokens generation will use, with straight-through
    gradients (hard one-hot forward, softmax backward): on the soft probabilities the
    generator satisfied them without changing its argmax output.
    """
    import tensorflow as tf

    hard = tf.one_hot(tf.argmax(fake, axis=-1), N_TOKENS, dtype=fake.dtype)
    straight = hard + fake - tf.stop_gradient(fake)
    valence = cond[:, 0]
    mode_loss = tf.reduce_mean(tf.nn.softplus(-valence * 10.0 * mode_score(straight)))
    diff = (expected_density(straight) - expected_density(real)) / 4.0
    density_loss = tf.reduce_mean(tf.square(diff))
    return mode_loss, density_loss
