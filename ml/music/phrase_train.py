"""WGAN-GP training of the v2 phrase model (the loop, checkpoints and log are ml.music.train's).

The critic sees the tracks (pitch one-hot/probabilities + onset) and the chords; the
gradient penalty is taken on interpolates of both. The generator adds the condition
losses of `ml.music.phrase_model.phrase_losses` (mode under both key finders, density,
cadence) and the harmony loss of `harmony_loss` (bass on the tonic, harmonic rhythm,
voices sounding, parallels, melodic steps, rhythm echo and triad fit matched to the real window whose
condition it borrowed) to its Wasserstein loss. A new run can start its generator from exported weights
(`init_weights`) with a fresh critic that first trains alone for `critic_warmup` steps.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ml.music.config import N_TOKENS
from ml.music.phrase import N_CHORDS
from ml.music.phrase_model import HARMONY_KEYS, NOISE2_DIM
from ml.music.train import Trainer


class PhraseTrainer(Trainer):
    LOG_KEYS = (
        "c_loss",
        "w_dist",
        "gp",
        "g_loss",
        "mode_loss",
        "density_loss",
        "cadence_loss",
        "harmony_loss",
        *HARMONY_KEYS,
    )
    STYLE_COLUMN = 3

    def load_data(self, data: dict[str, np.ndarray]) -> None:
        self.tokens = data["train_tokens"].astype(np.int32)
        self.onsets = data["train_onsets"].astype(np.float32)
        self.chords = data["train_chords"].astype(np.int32)
        self.cond = data["train_cond"].astype(np.float32)
        self.density = data["train_density"].astype(np.float32)
        from ml.music.phrase_model import harmony_stats_np

        windows = zip(data["train_tokens"], data["train_chords"], data["train_onsets"], strict=True)
        stats = [harmony_stats_np(t, c, o) for t, c, o in windows]
        self.harmony = np.stack(stats).reshape(-1, len(HARMONY_KEYS))

    def build_networks(self):
        from ml.music.phrase_model import build_phrase_critic, build_phrase_generator

        return build_phrase_generator(), build_phrase_generator(), build_phrase_critic()

    @staticmethod
    def _real(tokens, onsets, chords):
        import tensorflow as tf

        tracks = tf.concat([tf.one_hot(tokens, N_TOKENS), onsets[..., None]], axis=-1)
        return tracks, tf.one_hot(chords, N_CHORDS)

    def _critic_impl(self, tokens, onsets, chords, cond, density, harmony, noise):
        import tensorflow as tf

        cfg = self.cfg
        real, real_chords = self._real(tokens, onsets, chords)
        fake, fake_chords = self.generator([noise, cond], training=True)
        eps = tf.random.uniform([tf.shape(real)[0], 1, 1, 1])
        mixed = eps * real + (1 - eps) * fake
        mixed_chords = eps[:, 0] * real_chords + (1 - eps[:, 0]) * fake_chords
        with tf.GradientTape() as tape:
            with tf.GradientTape() as gp_tape:
                gp_tape.watch([mixed, mixed_chords])
                mixed_score = self.critic([mixed, mixed_chords, cond], training=True)
            g_tracks, g_chords = gp_tape.gradient(mixed_score, [mixed, mixed_chords])
            norm = tf.sqrt(
                tf.reduce_sum(tf.square(g_tracks), axis=[1, 2, 3])
                + tf.reduce_sum(tf.square(g_chords), axis=[1, 2])
                + 1e-12
            )
            gp = tf.reduce_mean(tf.square(norm - 1.0))
            real_score = self.critic([real, real_chords, cond], training=True)
            fake_score = self.critic([fake, fake_chords, cond], training=True)
            w_dist = tf.reduce_mean(real_score) - tf.reduce_mean(fake_score)
            c_loss = -w_dist + cfg.gp_weight * gp + cfg.drift * tf.reduce_mean(tf.square(real_score))
        grads = tape.gradient(c_loss, self.critic.trainable_variables)
        self.c_opt.apply_gradients(zip(grads, self.critic.trainable_variables, strict=False))
        return {"c_loss": c_loss, "w_dist": w_dist, "gp": gp}

    def _generator_impl(self, tokens, onsets, chords, cond, density, harmony, noise):
        import tensorflow as tf

        from ml.music.phrase_model import harmony_loss, phrase_losses

        with tf.GradientTape() as tape:
            fake, fake_chords = self.generator([noise, cond], training=True)
            adv = -tf.reduce_mean(self.critic([fake, fake_chords, cond], training=True))
            mode_loss, density_loss, cadence_loss = phrase_losses(fake, cond, density)
            h_loss, stats = harmony_loss(fake, fake_chords, harmony)
            g_loss = (
                adv
                + self.cfg.mood_weight * (mode_loss + density_loss)
                + self.cfg.cadence_weight * cadence_loss
                + self.cfg.harmony_weight * h_loss
            )
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_opt.apply_gradients(zip(grads, self.generator.trainable_variables, strict=False))
        step = tf.cast(self.step, tf.float32)
        decay = tf.minimum(self.cfg.ema_decay, (1.0 + step) / (10.0 + step))
        for ema_var, var in zip(self.ema.weights, self.generator.weights, strict=False):
            ema_var.assign(decay * ema_var + (1.0 - decay) * var)
        self.step.assign_add(1)
        return {
            "g_loss": adv,
            "mode_loss": mode_loss,
            "density_loss": density_loss,
            "cadence_loss": cadence_loss,
            "harmony_loss": h_loss,
            **{k: tf.reduce_mean(stats[:, i]) for i, k in enumerate(HARMONY_KEYS)},
        }

    def batch(self, rng: np.random.Generator):
        n = self.cfg.n_critic + 1
        idx = rng.choice(len(self.tokens), size=(n, self.cfg.batch_size), p=self.sample_p)
        noise = rng.standard_normal((n, self.cfg.batch_size, NOISE2_DIM)).astype(np.float32)
        return (
            self.tokens[idx],
            self.onsets[idx],
            self.chords[idx],
            self.cond[idx],
            self.density[idx],
            self.harmony[idx],
            noise,
        )

    def critic_warmup(self, rng: np.random.Generator, steps: int) -> None:
        """Critic updates alone (a fresh critic next to a generator loaded from weights)."""
        for _ in range(steps):
            arrays = self.batch(rng)
            self._critic_step(*(a[0] for a in arrays))

    def train_step(self, rng: np.random.Generator) -> dict[str, float]:
        arrays = self.batch(rng)
        out = {}
        for i in range(self.cfg.n_critic):
            out = self._critic_step(*(a[i] for a in arrays))
        out.update(self._generator_step(*(a[-1] for a in arrays)))
        return {k: float(v) for k, v in out.items()}

    def export(self, path: Path) -> None:
        """The EMA generator's weights plus the JSON summary that marks them as the phrase model."""
        super().export(path)
        meta_path = Path(path).with_suffix("").with_suffix(".json")
        meta = json.loads(meta_path.read_text())
        meta["representation"] = "phrase"
        meta_path.write_text(json.dumps(meta, indent=2))

    def write_samples(self, step: int) -> None:
        """One MIDI per style (happy and sad) from the EMA generator."""
        try:
            from ml.mood import mood_named
            from ml.music.midi import to_midi
            from ml.music.phrase_generate import phrase_condition, piece_from_phrases

            sample_dir = self.run_dir / "samples"
            sample_dir.mkdir(exist_ok=True)
            rng = np.random.default_rng(1234)
            for style in ("chorale", "folk"):
                for mood in ("happy", "sad"):
                    m = mood_named(mood)
                    cond = phrase_condition(m, style)[None]
                    z = rng.standard_normal((1, NOISE2_DIM)).astype(np.float32)
                    tracks, _ = self.ema([z, cond], training=False)
                    piece = piece_from_phrases(np.asarray(tracks), mood=m, style=style, tempo=100, bars=8)
                    to_midi(piece).write(str(sample_dir / f"step{step:06d}_{style}_{mood}.mid"))
        except Exception as error:  # samples are a convenience; never stop training for them
            print(f"sample writing failed: {error!r}")
