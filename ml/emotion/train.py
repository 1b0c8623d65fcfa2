"""Train our expression CNN on FER2013 (resumable), then calibrate and export it.

    python -m ml.emotion.train --epochs 30 --checkpoints /tmp/echoes-emotion
    python -m ml.emotion.train --epochs 30 --checkpoints /tmp/echoes-emotion   # resumes
    python -m ml.emotion.train --export-only --checkpoints /tmp/echoes-emotion
    python -m ml.emotion.train --export-only --add-member --checkpoints /tmp/other-run

Where ml/weights/ ships an ensemble, a run must say what it is for before it starts:
`--add-member` (one more network) or `--replace-ensemble` (this run alone); nobody loses
the shipped networks to a forgotten flag after two hours of training.

Every epoch writes `last.keras` (weights, optimiser and schedule state) and `state.json`
into the checkpoint folder, so a killed run continues where it stopped. The best epoch by
validation macro recall is kept as `best.weights.h5`. Export fits a softmax temperature
on the validation split and writes the float16 TFLite file plus its JSON description
into ml/weights/ (each well under 20 MB).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ml.emotion.dataset import DEFAULT_DATA, Faces, load_faces, split
from ml.emotion.views import check_views, view_of
from ml.mood import EMOTIONS

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
TFLITE_NAME = "expression_cnn.tflite"
INFO_NAME = "expression_cnn.json"
# What inference averages over (ml.emotion.views); the temperature is fitted on it.
SHIPPED_VIEWS: tuple[str, ...] = (
    "face",
    "mirror",
    "zoom_in",
    "zoom_out",
    "zoom_in_mirror",
    "zoom_out_mirror",
)


def class_weights(labels: np.ndarray) -> dict[int, float]:
    """Inverse-square-root frequency weights, mean 1 over the samples.

    Full inverse frequency would weigh a disgust face 16x a happy one and make the
    network guess disgust; the square root keeps rare classes heard without that.
    """
    counts = np.bincount(labels, minlength=len(EMOTIONS)).astype(np.float64)
    raw = 1.0 / np.sqrt(np.maximum(counts, 1.0))
    raw /= (raw[labels]).mean()
    return {i: float(w) for i, w in enumerate(raw)}


def _dataset(faces: Faces, *, batch: int, training: bool, seed: int = 0):
    import tensorflow as tf

    from ml.emotion.network import augmenter

    x = faces.images[..., None].astype(np.float32)
    y = np.eye(len(EMOTIONS), dtype=np.float32)[faces.labels]
    data = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        augment = augmenter()
        data = data.shuffle(len(faces), seed=seed, reshuffle_each_iteration=True)
        data = data.batch(batch, drop_remainder=True)
        data = data.map(lambda a, b: (augment(a, training=True), b), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        data = data.batch(256)
    return data.prefetch(tf.data.AUTOTUNE)


def predict_logits(model, images: np.ndarray, *, views: Sequence[str] = ("face",)) -> np.ndarray:
    """Logits for uint8 (N, 48, 48) faces, averaged over the test-time views."""
    return np.mean([_view_logits(model, view_of(images, name)) for name in views], axis=0)


def _view_logits(model, images: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    x = images[..., None].astype(np.float32)
    call = tf.function(lambda b: model(b, training=False))
    return np.concatenate([np.asarray(call(x[i : i + 512])) for i in range(0, len(x), 512)])


def macro_recall(labels: np.ndarray, predicted: np.ndarray) -> float:
    recalls = [np.mean(predicted[labels == k] == k) for k in range(len(EMOTIONS)) if np.any(labels == k)]
    return float(np.mean(recalls))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The softmax temperature minimising validation negative log-likelihood."""
    from scipy.optimize import minimize_scalar

    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-log_p[np.arange(len(labels)), labels].mean())

    return float(minimize_scalar(nll, bounds=(0.3, 5.0), method="bounded").x)


class _Progress:
    """Epoch lines with validation macro recall, ETA, and the checkpoint writes."""

    def __init__(self, folder: Path, state: dict, epochs: int, val: Faces) -> None:
        import keras

        outer = self

        class Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                outer.started = time.monotonic()

            def on_epoch_end(self, epoch, logs=None):
                outer.epoch_end(self.model, epoch, logs or {})

        self.callback = Callback()
        self.folder, self.state, self.epochs, self.val = folder, state, epochs, val
        self.started = time.monotonic()

    def epoch_end(self, model, epoch: int, logs: dict) -> None:
        predicted = predict_logits(model, self.val.images).argmax(axis=1)
        accuracy = float(np.mean(predicted == self.val.labels))
        recall = macro_recall(self.val.labels, predicted)
        seconds = time.monotonic() - self.started
        self.state["epoch"] = epoch + 1
        self.state["seconds"] = self.state.get("seconds", 0.0) + seconds
        self.state.setdefault("history", []).append(
            {
                "epoch": epoch + 1,
                "loss": float(logs.get("loss", np.nan)),
                "val_accuracy": accuracy,
                "val_macro_recall": recall,
                "seconds": round(seconds, 1),
            }
        )
        if recall + accuracy > self.state.get("best_score", -1.0):
            self.state["best_score"] = recall + accuracy
            self.state["best_epoch"] = epoch + 1
            model.save_weights(self.folder / "best.weights.h5")
        model.save(self.folder / "last.keras")
        (self.folder / "state.json").write_text(json.dumps(self.state, indent=1))
        left = (self.epochs - epoch - 1) * seconds
        print(
            f"epoch {epoch + 1}/{self.epochs}: loss {logs.get('loss', float('nan')):.3f} "
            f"val accuracy {accuracy:.3f} macro recall {recall:.3f} "
            f"({seconds / 60:.1f} min, about {left / 60:.0f} min left)",
            flush=True,
        )


def _annealed(model, *, steps: int) -> None:
    """Swap in a fresh optimiser whose rate falls from the current one to ~0 in `steps`.

    For finishing a run early (the session's time is running out) without stopping at a
    high learning rate: the best epochs of a schedule come at its low-rate end.
    """
    import keras

    current = model.optimizer.learning_rate
    rate = float(current(model.optimizer.iterations) if callable(current) else current)
    model.compile(
        optimizer=keras.optimizers.AdamW(
            keras.optimizers.schedules.CosineDecay(rate, decay_steps=steps, alpha=0.01), weight_decay=1e-4
        ),
        loss=model.loss,
        metrics=["accuracy"],
    )


def train(
    *,
    data: Path,
    folder: Path,
    epochs: int,
    batch: int,
    learning_rate: float,
    steps: int | None,
    anneal_epochs: int = 0,
    seed: int = 0,
) -> None:
    import keras

    from ml.emotion.network import build_expression_cnn

    folder.mkdir(parents=True, exist_ok=True)
    train_faces, val_faces = split(load_faces(data))
    print(f"train {len(train_faces)} faces {train_faces.class_counts()}", flush=True)
    print(f"validation {len(val_faces)} faces {val_faces.class_counts()}", flush=True)
    state_file = folder / "state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    steps_per_epoch = steps or len(train_faces) // batch
    if (folder / "last.keras").exists():
        model = keras.models.load_model(folder / "last.keras")
        print(f"resuming after epoch {state.get('epoch', 0)}", flush=True)
    else:
        keras.utils.set_random_seed(seed)  # ensemble members differ by initialisation and batch order
        model = build_expression_cnn()
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0,
            decay_steps=epochs * steps_per_epoch,
            warmup_target=learning_rate,
            warmup_steps=steps_per_epoch,
            alpha=0.01,
        )
        model.compile(
            optimizer=keras.optimizers.AdamW(schedule, weight_decay=1e-4),
            loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.05),
            metrics=["accuracy"],
        )
        state = {"epochs": epochs, "batch": batch, "learning_rate": learning_rate, "seed": seed}
    done = state.get("epoch", 0)
    if anneal_epochs and done:
        _annealed(model, steps=anneal_epochs * steps_per_epoch)
        epochs = done + anneal_epochs
        state["annealed_after_epoch"] = done
        print(f"annealing the learning rate to ~0 over epochs {done + 1}-{epochs}", flush=True)
    if done >= epochs:
        print("training already finished", flush=True)
        return
    progress = _Progress(folder, state, epochs, val_faces)
    model.fit(
        _dataset(train_faces, batch=batch, training=True, seed=state.get("seed", 0) * 1009 + done),
        epochs=epochs,
        initial_epoch=done,
        steps_per_epoch=steps_per_epoch,
        class_weight=class_weights(train_faces.labels),
        callbacks=[progress.callback],
        verbose=2,
    )


def _tflite_bytes(model) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def _best_model(folder: Path):
    from ml.emotion.network import build_expression_cnn

    model = build_expression_cnn()
    model.load_weights(folder / "best.weights.h5")
    return model


def _run_facts(folder: Path, file: str) -> dict:
    state = json.loads((folder / "state.json").read_text())
    return {
        "file": file,
        "epochs": state["epoch"],
        "best_epoch": state["best_epoch"],
        "train_minutes": round(state["seconds"] / 60, 1),
        "history": state["history"],
    }


def _write_info(out: Path, *, temperature: float, views: Sequence[str], members: list[dict]) -> dict:
    info = {
        "input": "48x48 greyscale face, float32 0..255, shape (1, 48, 48, 1)",
        "output": "logits in order " + ", ".join(EMOTIONS),
        "temperature": round(temperature, 4),
        "test_time_views": list(views),
    }
    if len(members) == 1:  # one network: its facts at the top level, as before ensembles
        info.update({k: v for k, v in members[0].items() if k != "file"})
    else:
        info["members"] = members
    (out / INFO_NAME).write_text(json.dumps(info, indent=1) + "\n")
    return info


def export(
    *, data: Path, folder: Path, out: Path = WEIGHTS_DIR, views: Sequence[str] = SHIPPED_VIEWS
) -> dict:
    """Fit the temperature on validation and write the TFLite model and its description
    (this run alone: the files of an ensemble shipped before are removed)."""
    model = _best_model(folder)
    _, val_faces = split(load_faces(data))
    logits = predict_logits(model, val_faces.images, views=check_views(views))
    temperature = fit_temperature(logits, val_faces.labels)
    out.mkdir(parents=True, exist_ok=True)
    for former in out.glob("expression_cnn_*.tflite"):
        former.unlink()
    (out / TFLITE_NAME).write_bytes(_tflite_bytes(model))
    info = _write_info(out, temperature=temperature, views=views, members=[_run_facts(folder, TFLITE_NAME)])
    print(f"exported {out / TFLITE_NAME} (temperature {temperature:.3f})", flush=True)
    return info


def add_member(*, data: Path, folder: Path, out: Path = WEIGHTS_DIR) -> dict:
    """Add this run's best network to the shipped ones as an ensemble member.

    The members' logits are averaged (ml.emotion.model.ExpressionCNN) over the shipped
    views; the temperature is refitted on that average, read through the TFLite files
    exactly as inference reads them. Networks of separate runs err differently, so their
    average is steadier than either (docs/emotion.md has the figures).
    """
    from ml.emotion.model import tflite_logits

    info = json.loads((out / INFO_NAME).read_text())
    views = check_views(info["test_time_views"])
    members = info.get("members") or [
        {"file": TFLITE_NAME, **{k: info[k] for k in ("epochs", "best_epoch", "train_minutes", "history")}}
    ]
    file = f"expression_cnn_{len(members) + 1}.tflite"
    (out / file).write_bytes(_tflite_bytes(_best_model(folder)))
    members.append(_run_facts(folder, file))
    _, val_faces = split(load_faces(data))
    logits = np.mean([tflite_logits(out / m["file"], val_faces.images, views=views) for m in members], axis=0)
    temperature = fit_temperature(logits, val_faces.labels)
    print(
        f"added {out / file}: {len(members)} members, validation accuracy "
        f"{np.mean(logits.argmax(axis=1) == val_faces.labels):.4f} (temperature {temperature:.3f})",
        flush=True,
    )
    return _write_info(out, temperature=temperature, views=views, members=members)


def shipped_member_count(out: Path = WEIGHTS_DIR) -> int:
    """How many networks ml/weights/ ships (0: none yet)."""
    if not (out / INFO_NAME).exists():
        return 0
    return len(json.loads((out / INFO_NAME).read_text()).get("members") or [TFLITE_NAME])


def native_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Does this CPU compute bfloat16 natively (AVX512-BF16 or AMX)? Unknown: True."""
    try:
        flags = set(cpuinfo.read_text().split())
    except OSError:
        return True
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.emotion.train", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="FER2013 npz (default: %(default)s)")
    parser.add_argument("--checkpoints", type=Path, default=Path("/tmp/echoes-emotion"))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--steps", type=int, default=None, help="steps per epoch (default: one pass)")
    parser.add_argument("--seed", type=int, default=0, help="init and shuffle seed (one per ensemble member)")
    parser.add_argument("--threads", type=int, default=0, help="TensorFlow threads (0: all cores)")
    parser.add_argument(
        "--bfloat16",
        action="store_true",
        help="train in mixed bfloat16 (about 1.4x faster on CPUs with AVX512-BF16/AMX; weights stay float32)",
    )
    parser.add_argument("--export-only", action="store_true")
    parser.add_argument(
        "--add-member",
        action="store_true",
        help="export this run's best network as one more member of the shipped ensemble (not replacing it)",
    )
    parser.add_argument(
        "--anneal-epochs",
        type=int,
        default=0,
        help="resume, then finish in N epochs with the learning rate falling to ~0",
    )
    parser.add_argument(
        "--replace-ensemble",
        action="store_true",
        help="ship this run alone where ml/weights/ holds an ensemble (its other members are dropped)",
    )
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch < 1:
        parser.error("--epochs and --batch must be at least 1")
    shipped = shipped_member_count()
    if args.add_member and args.replace_ensemble:
        parser.error("--add-member and --replace-ensemble exclude each other")
    if shipped > 1 and not (args.add_member or args.replace_ensemble):
        parser.error(
            f"{WEIGHTS_DIR} ships an ensemble of {shipped} networks: pass --add-member to add this "
            "run to it, or --replace-ensemble to ship this run alone"
        )
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    if not args.export_only:
        if args.bfloat16:
            import keras

            if not native_bfloat16():
                print(
                    "warning: this CPU has no AVX512-BF16/AMX; bfloat16 is emulated here and "
                    "several times slower than float32 (leave --bfloat16 off)",
                    file=sys.stderr,
                    flush=True,
                )

            keras.mixed_precision.set_global_policy("mixed_bfloat16")
        train(
            data=args.data,
            folder=args.checkpoints,
            epochs=args.epochs,
            batch=args.batch,
            learning_rate=args.learning_rate,
            steps=args.steps,
            anneal_epochs=args.anneal_epochs,
            seed=args.seed,
        )
        import keras

        keras.mixed_precision.set_global_policy("float32")  # export a plain float32 graph
    if args.add_member:
        add_member(data=args.data, folder=args.checkpoints)
    else:
        export(data=args.data, folder=args.checkpoints)
    return 0


if __name__ == "__main__":
    sys.exit(main())
