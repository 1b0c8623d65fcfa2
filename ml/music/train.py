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


@dataclass
class TrainConfig:
    dataset: str
    run_dir: str
    minutes: float = 65.0
    max_steps: int = 100_000
    batch_size: int = 32
    n_critic: int = 2
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
    cadence_weight: float = 2.0
    harmony_weight: float = 1.0  # match the real window's harmony statistics
    init_weights: str = ""  # a new run starts its generator from these weights
    critic_warmup: int = 200  # critic-only steps after init_weights (a fresh critic)


def _set_threads(n: int) -> None:
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # already initialised in this process (tests)
        pass


class Trainer:
    """Networks, optimisers and a checkpoint manager for one run directory.

    The model-specific parts (data, networks, the critic and generator steps, batches,
    samples) are the subclass's: `ml.music.phrase_train.PhraseTrainer`.
    """

    LOG_KEYS: tuple[str, ...] = ("c_loss", "w_dist", "gp", "g_loss")
    STYLE_COLUMN = 3  # where the style one-hot starts in the condition

    def load_data(self, data: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def build_networks(self):
        """(generator, EMA copy, critic)."""
        raise NotImplementedError

    def train_step(self, rng: np.random.Generator) -> dict[str, float]:
        raise NotImplementedError

    def write_samples(self, step: int) -> None:
        raise NotImplementedError

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
    from ml.music.phrase_train import PhraseTrainer

    trainer = PhraseTrainer(cfg, data)
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
