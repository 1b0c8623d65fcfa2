"""The v2 conditional WGAN-GP networks (Keras): 8-bar phrases, chords first, onsets.

Generator: noise + condition (valence, arousal, cadence, style) -> one latent per bar
for the whole phrase (8 bars see each other through convolutions over bars) ->
**chords first**: a softmax over 24 triads + none per half bar -> the voices' shared
stage reads the half-bar latents *and* the chords, with the beat position as an input
-> four private per-track stages to eighth notes, each with the step-in-bar position,
ending in a softmax over 64 pitches + rest and a sigmoid onset (attack vs hold).

Critic: the tracks (pitch probabilities + onset), their per-track chroma, the chords
(spread over their half bars), the step-in-bar position and the condition, strided 1-D
convolutions down to one vector per bar, one more convolution over bars (phrase
shape: does bar 5 answer bar 1?), a linear score plus a projection term
<features, W cond> (Miyato & Koyama 2018).
"""

from __future__ import annotations

import numpy as np

from ml.music.config import N_PITCHES, N_TOKENS, N_TRACKS, PITCH_LOW, TRACKS
from ml.music.phrase import (
    CHORD_MASKS,
    COND2_DIM,
    GRID_PER_BAR,
    HALF_BAR,
    N_CHORD_SLOTS,
    N_CHORDS,
    PHRASE_BARS,
    PHRASE_STEPS,
)

NOISE2_DIM = 96
TRACK_CHANNELS = N_TOKENS + 1  # pitch probabilities + onset


def positions(steps: int, period: int) -> np.ndarray:
    """(steps, period) one-hot of each step's place in its period (e.g. the step in its bar)."""
    return np.eye(period, dtype=np.float32)[np.arange(steps) % period]


def chroma_matrix() -> np.ndarray:
    """(N_TOKENS, 12) folding pitch probabilities onto pitch classes (rest -> 0)."""
    m = np.zeros((N_TOKENS, 12), dtype=np.float32)
    for i in range(N_PITCHES):
        m[i, (PITCH_LOW + i) % 12] = 1.0
    return m


def _const(batch_like, table: np.ndarray):
    """`table` (T, F) repeated over the batch of `batch_like`."""
    import keras

    t = keras.ops.convert_to_tensor(table)
    return keras.ops.broadcast_to(t[None], (keras.ops.shape(batch_like)[0], *table.shape))


def build_phrase_generator(width: int = 192):
    """Inputs (noise (B, 96), cond (B, 6)) -> [tracks (B, 4, 64, 66), chords (B, 16, 25)]."""
    import keras
    from keras import layers

    noise = keras.Input((NOISE2_DIM,), name="noise")
    cond = keras.Input((COND2_DIM,), name="cond")
    x = layers.Concatenate()([noise, cond])
    x = layers.Dense(PHRASE_BARS * width, name="bar_latents")(x)
    x = layers.Reshape((PHRASE_BARS, width))(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    bar_pos = layers.Lambda(lambda t: _const(t, np.eye(PHRASE_BARS, dtype=np.float32)), name="bar_index")(x)
    x = layers.Concatenate()([x, bar_pos, layers.RepeatVector(PHRASE_BARS)(cond)])
    for i in range(2):  # phrase stage: every bar sees its neighbours (receptive field 5 bars)
        x = layers.Conv1D(width, 3, padding="same", name=f"phrase{i}")(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    half = layers.Conv1DTranspose(128, 4, strides=2, padding="same", name="half_bars")(x)
    half = layers.ReLU()(layers.BatchNormalization()(half))
    chord_logits = layers.Conv1D(N_CHORDS, 3, padding="same", name="chord_logits")(half)
    chords = layers.Softmax(axis=-1, name="chords")(chord_logits)
    # the voices follow the chords: shared stage half bars -> quarters (beat position input)
    h = layers.Concatenate()([half, chords])
    h = layers.Conv1DTranspose(128, 4, strides=2, padding="same", name="shared_up")(h)
    h = layers.ReLU()(layers.BatchNormalization()(h))
    beat = layers.Lambda(lambda t: _const(t, positions(PHRASE_STEPS // 2, GRID_PER_BAR // 2)), name="beat")(h)
    chords_q = layers.UpSampling1D(2)(chords)
    h = layers.Concatenate()([h, beat, chords_q])
    step_pos = positions(PHRASE_STEPS, GRID_PER_BAR)
    chords_e = layers.UpSampling1D(HALF_BAR)(chords)
    outputs = []
    for name in TRACKS:  # private per-track stages: quarters -> eighths
        t = layers.Conv1DTranspose(96, 4, strides=2, padding="same", name=f"{name}_up")(h)
        t = layers.ReLU()(layers.BatchNormalization()(t))
        pos = layers.Lambda(lambda u: _const(u, step_pos), name=f"{name}_step")(t)
        t = layers.Concatenate()([t, pos, chords_e])
        t = layers.Conv1D(96, 3, padding="same", name=f"{name}_conv")(t)
        t = layers.ReLU()(layers.BatchNormalization()(t))
        pitch = layers.Softmax(axis=-1)(layers.Conv1D(N_TOKENS, 1, name=f"{name}_pitch")(t))
        onset = layers.Activation("sigmoid")(layers.Conv1D(1, 1, name=f"{name}_onset")(t))
        outputs.append(layers.Concatenate()([pitch, onset]))
    tracks = layers.Lambda(lambda ts: keras.ops.stack(ts, axis=1), name="tracks")(outputs)
    return keras.Model([noise, cond], [tracks, chords], name="phrase_generator")


def build_phrase_critic():
    """Inputs (tracks (B, 4, 64, 66), chords (B, 16, 25), cond (B, 6)) -> (B, 1) score."""
    import keras
    from keras import layers

    x_in = keras.Input((N_TRACKS, PHRASE_STEPS, TRACK_CHANNELS), name="tracks")
    chords = keras.Input((N_CHORD_SLOTS, N_CHORDS), name="chords")
    cond = keras.Input((COND2_DIM,), name="cond")
    x = layers.Permute((2, 1, 3))(x_in)  # (B, T, tracks, channels)
    flat = layers.Reshape((PHRASE_STEPS, N_TRACKS * TRACK_CHANNELS))(x)
    chroma_w = chroma_matrix()
    chroma = layers.Lambda(lambda t: keras.ops.matmul(t[..., :N_TOKENS], chroma_w), name="chroma")(x)
    chroma = layers.Reshape((PHRASE_STEPS, N_TRACKS * 12))(chroma)
    pos = layers.Lambda(lambda t: _const(t, positions(PHRASE_STEPS, GRID_PER_BAR)), name="step_in_bar")(flat)
    h = layers.Concatenate()(
        [flat, chroma, layers.UpSampling1D(HALF_BAR)(chords), pos, layers.RepeatVector(PHRASE_STEPS)(cond)]
    )
    h = layers.LeakyReLU(0.2)(layers.Conv1D(128, 3, padding="same")(h))
    for ch in (128, 192, 256):  # eighths -> quarters -> half bars -> bars
        h = layers.LeakyReLU(0.2)(layers.Conv1D(ch, 4, strides=2, padding="same")(h))
    h = layers.LeakyReLU(0.2)(layers.Conv1D(256, 3, padding="same", name="over_bars")(h))
    h = layers.Flatten()(h)
    feat = layers.LeakyReLU(0.2)(layers.Dense(256)(h))
    score = layers.Dense(1)(feat)
    proj = layers.Dense(256, use_bias=False, name="cond_projection")(cond)
    out = layers.Add()([score, layers.Dot(axes=1)([feat, proj])])
    return keras.Model([x_in, chords, cond], out, name="phrase_critic")


def _profile_rotations(major: np.ndarray, minor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    def rot(profile: np.ndarray) -> np.ndarray:
        m = np.stack([np.roll(profile, t) for t in range(12)]).astype(np.float32)
        m -= m.mean(axis=1, keepdims=True)
        return m / np.linalg.norm(m, axis=1, keepdims=True)

    return rot(major), rot(minor)


def mode_score(hist, profiles: tuple[np.ndarray, np.ndarray]):
    """Differentiable major-minus-minor key correlation of (B, 12) pitch-class histograms."""
    import tensorflow as tf

    major, minor = _profile_rotations(*profiles)
    hist = hist - tf.reduce_mean(hist, axis=1, keepdims=True)
    hist = hist / (tf.norm(hist, axis=1, keepdims=True) + 1e-6)
    tau = 20.0
    return (
        tf.reduce_logsumexp(tau * tf.matmul(hist, major, transpose_b=True), axis=1)
        - tf.reduce_logsumexp(tau * tf.matmul(hist, minor, transpose_b=True), axis=1)
    ) / tau


def hard(tracks):
    """Straight-through argmax tokens and thresholded onsets (forward hard, backward soft)."""
    import tensorflow as tf

    probs, onset = tracks[..., :N_TOKENS], tracks[..., N_TOKENS:]
    one_hot = tf.one_hot(tf.argmax(probs, axis=-1), N_TOKENS, dtype=probs.dtype)
    p = one_hot + probs - tf.stop_gradient(probs)
    o = tf.cast(onset > 0.5, onset.dtype) + onset - tf.stop_gradient(onset)
    return p, o


def attacks(p, o):
    """(B, tracks, T) attack indicator: sounding and (onset or a pitch change)."""
    import tensorflow as tf

    pitch = p[..., :N_PITCHES]
    prev = tf.pad(pitch[:, :, :-1], [[0, 0], [0, 0], [1, 0], [0, 0]])
    changed = tf.reduce_sum(pitch * (1.0 - prev), axis=-1)
    sounding = tf.reduce_sum(pitch, axis=-1)
    onset = o[..., 0]
    return sounding * (onset + changed - onset * changed)


def phrase_losses(fake, cond, real_density):
    """Generator-side condition losses on the argmax output (straight-through).

    mode: logistic loss pushing both key finders' major-minus-minor score to the sign of
    the valence label (no push where the label is 0); density: squared error (in units
    of 8 attacks per bar) to the real window's density whose condition was borrowed;
    cadence: where the condition asks for a phrase end, melody and bass sound only the
    tonic (C after key normalisation) or rest in the second half of the last bar.
    """
    import tensorflow as tf

    from ml.music.theory import AARDEN_MAJOR, AARDEN_MINOR, MAJOR_PROFILE, MINOR_PROFILE

    p, o = hard(fake)
    hist = tf.reduce_sum(tf.matmul(p, chroma_matrix()), axis=[1, 2])
    valence = cond[:, 0]
    mode_loss = 0.0
    for profiles in ((MAJOR_PROFILE, MINOR_PROFILE), (AARDEN_MAJOR, AARDEN_MINOR)):
        score = mode_score(hist, profiles)
        mode_loss += tf.reduce_mean(tf.abs(valence) * tf.nn.softplus(-valence * 10.0 * score)) / 2
    dens = tf.reduce_sum(attacks(p, o), axis=[1, 2]) / float(PHRASE_BARS)
    density_loss = tf.reduce_mean(tf.square((dens - real_density) / 8.0))
    tonic = np.zeros((N_TOKENS,), np.float32)
    tonic[[i for i in range(N_PITCHES) if (PITCH_LOW + i) % 12 == 0]] = 1.0
    tonic[N_TOKENS - 1] = 1.0  # a rest is also a fine way to end
    tail = tf.gather(p[:, :, -HALF_BAR:, :], [0, N_TRACKS - 1], axis=1)  # melody and bass
    off_tonic = 1.0 - tf.reduce_mean(tf.reduce_sum(tail * tonic, axis=-1), axis=[1, 2])
    cadence_loss = tf.reduce_mean(cond[:, 2] * off_tonic)
    return mode_loss, density_loss, cadence_loss


# --- harmony statistics: what the critic alone did not learn in 27 minutes --------------
# Per 8-bar window (eighth grid, key normalised to C): the share of the bass on the tonic
# (a drone is ~1), chord changes per half bar (harmonic rhythm), the share of steps with
# all voices sounding, parallel fifths/octaves (two voices a perfect fifth or octave
# apart, mod 12, both moving to the same interval at the next step), and the share of the
# melody's moves (one sounding pitch to another at the next eighth) that are steps of at
# most a whole tone (a chorale melody moves by step 86 % of the time, the network's 68 %),
# and the rhythm echo: the share of eighths of bars 5-8 where the melody attacks exactly
# when it did four bars earlier (the answer of a phrase takes up its antecedent's rhythm),
# and the triad fit: over the steps where a voice attacks with 3+ voices sounding (the
# sonorities of metrics.triadic_share), the mean share of the sounding voices that fit the
# sonority's best major/minor triad (graded, so that one wrong voice has a gradient).
# The generator is asked to match the real window whose condition it borrowed (like the
# density).
HARMONY_KEYS = (
    "bass_tonic",
    "chord_changes",
    "voices_sounding",
    "parallels",
    "melody_steps",
    "rhythm_echo",
    "triads",
)
PERFECT = (0, 7)
MAX_STEP = 2  # semitones: a whole tone


def harmony_stats_np(tokens: np.ndarray, chords: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """(len(HARMONY_KEYS),) harmony statistics of one real window: tokens and onsets
    (tracks, T), chords (slots,)."""
    from ml.music.config import REST

    tokens = np.asarray(tokens).astype(int)
    sounding = tokens != REST
    pcs = np.where(sounding, (tokens + PITCH_LOW) % 12, -1)
    bass = pcs[-1][sounding[-1]]
    bass_tonic = float((bass == 0).mean()) if bass.size else 0.0
    changes = float((np.diff(np.asarray(chords).astype(int)) != 0).mean())
    voices = float(sounding.all(axis=0).mean())
    parallels = 0
    n = len(tokens)
    for i in range(n):
        for j in range(i + 1, n):
            both = sounding[i, :-1] & sounding[i, 1:] & sounding[j, :-1] & sounding[j, 1:]
            moved = (tokens[i, 1:] != tokens[i, :-1]) & (tokens[j, 1:] != tokens[j, :-1])
            d0 = (pcs[i, :-1] - pcs[j, :-1]) % 12
            d1 = (pcs[i, 1:] - pcs[j, 1:]) % 12
            parallels += int((both & moved & (d0 == d1) & np.isin(d0, PERFECT)).sum())
    melody = tokens[0]
    moves = sounding[0, :-1] & sounding[0, 1:] & (melody[1:] != melody[:-1])
    steps = moves & (np.abs(np.diff(melody)) <= MAX_STEP)
    melody_steps = float(steps.sum() / moves.sum()) if moves.any() else 0.0
    before = np.concatenate([np.full((n, 1), REST), tokens[:, :-1]], axis=1)
    attack = sounding & ((np.asarray(onsets) > 0.5) | (tokens != before))
    return np.array(
        [
            bass_tonic,
            changes,
            voices,
            float(parallels),
            melody_steps,
            _rhythm_echo_np(attack[0]),
            _triads_np(pcs, attack),
        ],
        dtype=np.float32,
    )


def _triads_np(pcs: np.ndarray, attack: np.ndarray) -> float:
    classes = np.stack([(pcs == k).sum(axis=0) for k in range(12)], axis=1)  # (T, 12)
    counted = attack.any(axis=0) & (classes.sum(axis=1) >= 3)
    if not counted.any():
        return 0.0
    fit = (classes @ _TRIAD_MASKS).max(axis=1) / np.maximum(classes.sum(axis=1), 1)
    return float(fit[counted].mean())


def _rhythm_echo_np(attack: np.ndarray) -> float:
    half = len(attack) // 2
    return float(np.mean(attack[half:] == attack[:half]))


def harmony_stats(p, o, chords):
    """(B, len(HARMONY_KEYS)) the same statistics of generated (hard, straight-through)
    tracks, onsets and chords."""
    import tensorflow as tf

    chroma = tf.matmul(p, chroma_matrix())  # (B, K, T, 12), a rest is all zeros
    bass = chroma[:, -1]
    bass_sounding = tf.reduce_sum(bass, axis=[1, 2])
    bass_tonic = tf.reduce_sum(bass[..., 0], axis=1) / (bass_sounding + 1e-6)
    c_hard = tf.one_hot(tf.argmax(chords, axis=-1), N_CHORDS, dtype=chords.dtype)
    c = c_hard + chords - tf.stop_gradient(chords)
    changes = tf.reduce_mean(1.0 - tf.reduce_sum(c[:, 1:] * c[:, :-1], axis=-1), axis=1)
    sounding = 1.0 - p[..., N_TOKENS - 1]  # (B, K, T)
    voices = tf.reduce_mean(tf.reduce_prod(sounding, axis=1), axis=1)
    pitch = p[..., :N_PITCHES]
    same_pitch = tf.reduce_sum(pitch[:, :, 1:] * pitch[:, :, :-1], axis=-1)  # (B, K, T-1)
    moved = sounding[:, :, 1:] * sounding[:, :, :-1] * (1.0 - same_pitch)
    parallels = 0.0
    for i in range(N_TRACKS):
        for j in range(i + 1, N_TRACKS):
            for d in PERFECT:
                # chroma of voice i shifted down by d: a perfect interval d above voice j
                ci = tf.roll(chroma[:, i], shift=-d, axis=-1)
                at = tf.reduce_sum(ci * chroma[:, j], axis=-1)  # (B, T)
                parallels += tf.reduce_sum(at[:, :-1] * at[:, 1:] * moved[:, i] * moved[:, j], axis=1)
    melody_moves = tf.reduce_sum(moved[:, 0], axis=1)
    step_pairs = tf.einsum("bta,ac,btc->bt", pitch[:, 0, :-1], _step_matrix(), pitch[:, 0, 1:])
    melody_steps = tf.reduce_sum(step_pairs, axis=1) / (melody_moves + 1e-6)
    attack = attacks(p, o)[:, 0]  # (B, T)
    half = PHRASE_STEPS // 2
    # agreement of two 0/1 attack indicators, written so that it has a gradient
    echo = 1.0 - tf.square(attack[:, half:] - attack[:, :half])
    rhythm_echo = tf.reduce_mean(echo, axis=1)
    return tf.stack(
        [bass_tonic, changes, voices, parallels, melody_steps, rhythm_echo, _triads(p, o, chroma, sounding)],
        axis=1,
    )


def _triads(p, o, chroma, sounding):
    import tensorflow as tf

    any_attack = 1.0 - tf.reduce_prod(1.0 - attacks(p, o), axis=1)  # (B, T)
    three = tf.clip_by_value(tf.reduce_sum(sounding, axis=1) - 2.0, 0.0, 1.0)
    counted = any_attack * three
    classes = tf.reduce_sum(chroma, axis=1)  # (B, T, 12) voices on each pitch class
    in_triad = tf.matmul(classes, _TRIAD_MASKS)  # (B, T, 24)
    fit = tf.reduce_max(in_triad, axis=-1) / (tf.reduce_sum(classes, axis=-1) + 1e-6)
    return tf.reduce_sum(counted * fit, axis=1) / (tf.reduce_sum(counted, axis=1) + 1e-6)


_TRIAD_MASKS = CHORD_MASKS.T.astype(np.float32)  # (12, 24): the chord stage's triads


def _step_matrix() -> np.ndarray:
    """(pitches, pitches) 1 where two different pitches are at most a whole tone apart."""
    distance = np.abs(np.subtract.outer(np.arange(N_PITCHES), np.arange(N_PITCHES)))
    return ((distance > 0) & (distance <= MAX_STEP)).astype(np.float32)


# Scale of each statistic's error in the loss (parallels are counts per phrase).
HARMONY_SCALE = np.array([0.25, 0.25, 0.25, 4.0, 0.25, 0.25, 0.25], dtype=np.float32)


def harmony_loss(fake, fake_chords, real_stats):
    """Mean squared error (scaled) between the generated and the borrowed real statistics."""
    import tensorflow as tf

    p, o = hard(fake)
    stats = harmony_stats(p, o, fake_chords)
    return tf.reduce_mean(tf.square((stats - real_stats) / HARMONY_SCALE)), stats
