"""WGAN-GP training loop: progress bar, checkpoints + resume, fixed seed, CSV log, samples.

One iteration = `n_critic` critic updates (Wasserstein loss + gradient penalty on
interpolates, lambda=10, plus a small drift term) and one generator update, all in
one tf.function. The generator's weights are also tracked as an exponential moving
average (EMA), the usual stabiliser for GAN samples; the EMA weights are exported.
"""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ml.music.config import N_TOKENS, NOISE_DIM


@dataclass
class TrainConfig:
    dataset: str
    run_dir: str
    minutes: float = 65.0
    max_steps: int = 100_000
    batch_size: int = 32
    n_critic: int = 3
    lr: float = 2e-4
    gp_weight: float = 10.0
    drift: float = 1e-3
    ema_decay: float = 0.998
    mood_weight: float = 2.0  # weight of the generator's mood losses (0 = plain WGAN-GP)
    seed: int = 0
    checkpoint_minutes: float = 4.0
    sample_every: int = 250
    log_every: int = 10
    threads: int = 2
    model: str = "segment"  # "segment" (v1, 4-bar segments) or "phrase" (v2, ml.music.phrase_train)
    cadence_weight: float = 2.0  # phrase model only
    harmony_weight: float = 1.0  # phrase model only: match the real window's harmony statistics
    init_weights: str = ""  # phrase model only: a new run starts its generator from these weights
    critic_warmup: int = 200  # critic-only steps after init_weights (a fresh critic)


def _set_threads(n: int) -> None:
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # already initialised in this process (tests)
        pass


class Trainer:
    """Holds the networks, optimisers and a checkpoint manager for one run directory."""

    LOG_KEYS: tuple[str, ...] = ("c_loss", "w_dist", "gp", "g_loss", "mode_loss", "density_loss")
    STYLE_COLUMN = 2  # where the style one-hot starts in the condition

    def load_data(self, data: dict[str, np.ndarray]) -> None:
        self.tokens = data["train_tokens"].astype(np.int32)
        self.cond = data["train_cond"].astype(np.float32)

    def build_networks(self):
        """(generator, EMA copy, critic)."""
        from ml.music.model import build_critic, build_generator

        return build_generator(), build_generator(), build_critic()

    def __init__(self, cfg: TrainConfig, data: dict[str, np.ndarray]):
        import keras
        import tensorflow as tf

        _set_threads(cfg.threads)
        self.cfg = cfg
        self.run_dir = Path(cfg.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        keras.utils.set_random_seed(cfg.seed)
        self.load_data(data)
        if len(self.tokens) == 0:
            from ml.music.errors import DatasetMissing

            raise DatasetMissing("The dataset has no training segments.")
        # Style-balanced sampling: the styles' segment counts differ by up to 10x.
        style = self.cond[:, self.STYLE_COLUMN :].argmax(axis=1)
        counts = np.bincount(style, minlength=self.cond.shape[1] - self.STYLE_COLUMN).astype(float)
        weights = 1.0 / counts[style]
        self.sample_p = weights / weights.sum()
        self.generator, self.ema, self.critic = self.build_networks()
        self.ema.set_weights(self.generator.get_weights())
        self.g_opt = keras.optimizers.Adam(cfg.lr, beta_1=0.5, beta_2=0.9)
        self.c_opt = keras.optimizers.Adam(cfg.lr, beta_1=0.5, beta_2=0.9)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.wall = tf.Variable(0.0, dtype=tf.float64, trainable=False)
        self.ckpt = tf.train.Checkpoint(
            generator=self.generator,
            ema=self.ema,
            critic=self.critic,
            g_opt=self.g_opt,
            c_opt=self.c_opt,
            step=self.step,
            wall=self.wall,
        )
        self.manager = tf.train.CheckpointManager(self.ckpt, str(self.run_dir / "ckpt"), max_to_keep=2)
        self._critic_step = tf.function(self._critic_impl, reduce_retracing=True)
        self._generator_step = tf.function(self._generator_impl, reduce_retracing=True)

    # -- one iteration -------------------------------------------------------------
    def _critic_impl(self, real_tokens, cond, noise):
        """One critic update: Wasserstein loss + gradient penalty + drift."""
        import tensorflow as tf

        cfg = self.cfg
        real = tf.one_hot(real_tokens, N_TOKENS)
        fake = self.generator([noise, cond], training=True)
        eps = tf.random.uniform([tf.shape(real)[0], 1, 1, 1])
        mixed = eps * real + (1 - eps) * fake
        with tf.GradientTape() as tape:
            with tf.GradientTape() as gp_tape:
                gp_tape.watch(mixed)
                mixed_score = self.critic([mixed, cond], training=True)
            grads = gp_tape.gradient(mixed_score, mixed)
            norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
            gp = tf.reduce_mean(tf.square(norm - 1.0))
            real_score = self.critic([real, cond], training=True)
            fake_score = self.critic([fake, cond], training=True)
            w_dist = tf.reduce_mean(real_score) - tf.reduce_mean(fake_score)
            c_loss = -w_dist + cfg.gp_weight * gp + cfg.drift * tf.reduce_mean(tf.square(real_score))
        c_grads = tape.gradient(c_loss, self.critic.trainable_variables)
        self.c_opt.apply_gradients(zip(c_grads, self.critic.trainable_variables, strict=False))
        return {"c_loss": c_loss, "w_dist": w_dist, "gp": gp}

    def _generator_impl(self, real_tokens, cond, noise):
        """One generator update (Wasserstein + mood losses), then the EMA update."""
        import tensorflow as tf

        from ml.music.model import mood_losses

        with tf.GradientTape() as tape:
            fake = self.generator([noise, cond], training=True)
            adv = -tf.reduce_mean(self.critic([fake, cond], training=True))
            real = tf.one_hot(real_tokens, N_TOKENS)
            mode_loss, density_loss = mood_losses(fake, real, cond)
            g_loss = adv + self.cfg.mood_weight * (mode_loss + density_loss)
        g_grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_opt.apply_gradients(zip(g_grads, self.generator.trainable_variables, strict=False))
        # EMA of every generator variable (BatchNorm statistics included)
        step = tf.cast(self.step, tf.float32)
        decay = tf.minimum(self.cfg.ema_decay, (1.0 + step) / (10.0 + step))
        for ema_var, var in zip(self.ema.weights, self.generator.weights, strict=False):
            ema_var.assign(decay * ema_var + (1.0 - decay) * var)
        self.step.assign_add(1)
        return {"g_loss": adv, "mode_loss": mode_loss, "density_loss": density_loss}

    def batch(self, rng: np.random.Generator):
        n = self.cfg.n_critic + 1
        idx = rng.choice(len(self.tokens), size=(n, self.cfg.batch_size), p=self.sample_p)
        noise = rng.standard_normal((n, self.cfg.batch_size, NOISE_DIM)).astype(np.float32)
        return self.tokens[idx], self.cond[idx], noise

    def train_step(self, rng: np.random.Generator) -> dict[str, float]:
        """One generator iteration (with its critic updates); returns float losses."""
        tokens, conds, noise = self.batch(rng)
        out = {}
        for i in range(self.cfg.n_critic):
            out = self._critic_step(tokens[i], conds[i], noise[i])
        out.update(self._generator_step(tokens[-1], conds[-1], noise[-1]))
        return {k: float(v) for k, v in out.items()}

    def export(self, path: Path) -> None:
        """Write the EMA generator's weights (what generation loads) plus a JSON summary."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name("tmp_" + path.name)
        self.ema.save_weights(str(tmp))
        os.replace(tmp, path)
        meta = {
            "steps": int(self.step.numpy()),
            "wall_seconds": round(float(self.wall.numpy()), 1),
            "config": asdict(self.cfg),
        }
        path.with_suffix("").with_suffix(".json").write_text(json.dumps(meta, indent=2))

    def write_samples(self, step: int) -> None:
        """A few EMA samples (one per style, happy and sad) as MIDI for listening along."""
        try:
            from ml.mood import mood_named
            from ml.music.config import STYLES
            from ml.music.dataset import make_cond
            from ml.music.generate import piece_from_tokens
            from ml.music.midi import to_midi

            sample_dir = self.run_dir / "samples"
            sample_dir.mkdir(exist_ok=True)
            rng = np.random.default_rng(1234)
            for style in STYLES:
                for mood in ("happy", "sad"):
                    m = mood_named(mood)
                    cond = make_cond(1.0 if m.valence > 0 else -1.0, m.arousal, style)[None]
                    z = rng.standard_normal((1, NOISE_DIM)).astype(np.float32)
                    probs = self.ema([z, cond], training=False).numpy()[0]
                    piece = piece_from_tokens(probs.argmax(-1), mood=m, style=style, tempo=90)
                    to_midi(piece).write(str(sample_dir / f"step{step:06d}_{style}_{mood}.mid"))
        except Exception as error:  # samples are a convenience; never stop training for them
            print(f"sample writing failed: {error!r}")


def train(
    cfg: TrainConfig,
    data: dict[str, np.ndarray] | None = None,
    export_to: Path | None = None,
    progress: bool = True,
) -> dict:
    """Train until `cfg.minutes` of wall time or `cfg.max_steps`; resumes from run_dir."""
    from tqdm import tqdm

    from ml.music.dataset import load_dataset

    if data is None:
        data = load_dataset(Path(cfg.dataset))
    trainer_cls = Trainer
    if cfg.model == "phrase":
        from ml.music.phrase_train import PhraseTrainer

        trainer_cls = PhraseTrainer
    trainer = trainer_cls(cfg, data)
    if trainer.manager.latest_checkpoint:
        trainer.ckpt.restore(trainer.manager.latest_checkpoint)
        print(f"resumed from {trainer.manager.latest_checkpoint} at step {int(trainer.step.numpy())}")
    elif cfg.init_weights:
        trainer.generator.load_weights(cfg.init_weights)
        trainer.ema.load_weights(cfg.init_weights)
        trainer.critic_warmup(np.random.default_rng(cfg.seed), cfg.critic_warmup)
        print(f"generator from {cfg.init_weights}; {cfg.critic_warmup} critic warm-up steps")
    start_step = int(trainer.step.numpy())
    rng = np.random.default_rng(cfg.seed + start_step)  # resumable yet reproducible
    log_path = trainer.run_dir / "losses.csv"
    new_log = not log_path.exists()
    log = log_path.open("a", newline="")
    writer = csv.writer(log)
    if new_log:
        writer.writerow(["step", "wall_seconds", *trainer.LOG_KEYS])
    budget = cfg.minutes * 60.0
    wall0 = float(trainer.wall.numpy())
    t0 = time.monotonic()
    last_ckpt = t0
    bar = tqdm(total=cfg.max_steps, initial=start_step, desc="train", unit="it", disable=not progress)
    metrics: dict[str, float] = {}
    try:
        while int(trainer.step.numpy()) < cfg.max_steps:
            elapsed = wall0 + time.monotonic() - t0
            if elapsed >= budget:
                break
            metrics = trainer.train_step(rng)
            step = int(trainer.step.numpy())
            trainer.wall.assign(wall0 + time.monotonic() - t0)
            bar.update(1)
            if step % cfg.log_every == 0:
                writer.writerow(
                    [step, round(float(trainer.wall.numpy()), 1)]
                    + [round(metrics[k], 5) for k in trainer.LOG_KEYS]
                )
                log.flush()
                bar.set_postfix(
                    w=f"{metrics['w_dist']:.3f}", gp=f"{metrics['gp']:.3f}", g=f"{metrics['g_loss']:.3f}"
                )
            if cfg.sample_every and step % cfg.sample_every == 0:
                trainer.write_samples(step)
            if time.monotonic() - last_ckpt >= cfg.checkpoint_minutes * 60:
                trainer.manager.save()
                if export_to is not None:
                    trainer.export(export_to)
                last_ckpt = time.monotonic()
    finally:
        bar.close()
        log.close()
        trainer.manager.save()
        if export_to is not None:
            trainer.export(export_to)
    return {"steps": int(trainer.step.numpy()), "wall_seconds": float(trainer.wall.numpy()), **metrics}
