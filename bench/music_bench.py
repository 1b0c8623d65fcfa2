"""Benchmark ml.music: generation latency, MIDI write, audio render, one training step.

    .venv/bin/python bench/music_bench.py [--repeats 30] [--skip-train]

Prints wall-clock medians and this process's CPU time per call (the machine is shared;
CPU time is the better estimate for an idle machine) and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def measure(fn, repeats: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of `fn()` over `repeats` calls after one warm-up."""
    fn()
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - w0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--weights", default=None, help="generator weights (default: the shipped ones)")
    args = parser.parse_args()

    from ml.music import generate, midi_bytes, piano_roll_png, render_audio, to_midi
    from ml.music.generate import load_generator, resolve_mood

    rows = []
    t0 = time.perf_counter()
    run = load_generator(args.weights)
    rows.append(
        ("load generator (first call: build, load weights, trace)", (time.perf_counter() - t0) * 1000, None)
    )
    from ml.music.phrase_generate import phrase_condition
    from ml.music.phrase_model import NOISE2_DIM

    cond1 = phrase_condition(resolve_mood("calm"), "folk")[None]  # one 8-bar phrase per piece
    noise1 = np.random.default_rng(0).standard_normal((1, NOISE2_DIM)).astype(np.float32)
    cond16 = np.repeat(cond1[:1], 16 * len(cond1), axis=0)
    noise16 = np.random.default_rng(0).standard_normal((len(cond16), noise1.shape[1])).astype(np.float32)
    w, c = measure(lambda: run(noise1, cond1)[0].numpy(), args.repeats)
    rows.append((f"network, 1 piece of 8 bars ({len(cond1)} network sample(s)), tf.function", w, c))
    w, c = measure(lambda: run(noise16, cond16)[0].numpy(), args.repeats)
    rows.append(("network, batch of 16 pieces of 8 bars, per piece", w / 16, c / 16))
    w, c = measure(
        lambda: generate(mood="calm", style="folk", bars=8, seed=1, weights=args.weights), args.repeats
    )
    rows.append(("`generate()` 8 bars end to end (network + post-processing), folk", w, c))
    w, c = measure(
        lambda: generate(mood="sad", style="chorale", bars=8, seed=1, weights=args.weights), args.repeats
    )
    rows.append(("`generate()` 8 bars end to end, chorale (its arrangement: chords, rests, parallels)", w, c))
    piece = generate(mood="calm", style="folk", bars=8, seed=1)
    w, c = measure(lambda: midi_bytes(piece), args.repeats)
    rows.append(("`midi_bytes()` 8 bars", w, c))
    w, c = measure(lambda: piano_roll_png(piece), max(3, args.repeats // 5))
    rows.append(("`piano_roll_png()` 8 bars", w, c))
    from ml.music import loudness_db

    def whole_piece(bars: int, arrangement: str):
        """What a composition job does before saving: generate, MIDI, audio (OGG)."""
        made = generate(mood="excited", style="folk", bars=bars, seed=1, arrangement=arrangement)
        return render_audio(to_midi(made), "ogg", loudness_db=loudness_db(made.mood))

    for bars, arrangement in ((8, "piano"), (8, "beat"), (64, "strings"), (64, "beat")):
        w, c = measure(lambda b=bars, a=arrangement: whole_piece(b, a), max(3, args.repeats // 10))
        rows.append(
            (
                f"{bars} bars, {arrangement}: `generate()` + MIDI + OGG (goal < {1 if bars == 8 else 10} s)",
                w,
                c,
            )
        )
    long_piece = generate(mood="calm", style="folk", bars=10, tempo=80, seed=1)  # 30.0 s
    midi = to_midi(long_piece)
    for fmt in ("wav", "ogg"):
        w, c = measure(lambda fmt=fmt: render_audio(midi, fmt), max(3, args.repeats // 5))
        rows.append((f"`render_audio()` 30 s of music to {fmt} ({30_000 / w:.0f}x real time)", w, c))

    if not args.skip_train:
        from ml.music.phrase import COND2_DIM, N_CHORD_SLOTS, N_CHORDS, PHRASE_STEPS
        from ml.music.phrase_train import PhraseTrainer
        from ml.music.train import TrainConfig

        rng = np.random.default_rng(0)
        n = 512
        cond = np.zeros((n, COND2_DIM), np.float32)
        cond[:, :3] = rng.uniform(-1, 1, (n, 3))
        cond[np.arange(n), 3 + rng.integers(0, COND2_DIM - 3, n)] = 1.0
        data = {
            "train_tokens": rng.integers(0, 65, (n, 4, PHRASE_STEPS)).astype(np.int8),
            "train_onsets": rng.integers(0, 2, (n, 4, PHRASE_STEPS)).astype(np.int8),
            "train_chords": rng.integers(0, N_CHORDS, (n, N_CHORD_SLOTS)).astype(np.int8),
            "train_cond": cond,
            "train_density": rng.uniform(4, 20, n).astype(np.float32),
        }
        trainer = PhraseTrainer(
            TrainConfig(dataset="", run_dir="/tmp/music_bench_run", batch_size=32, n_critic=2), data
        )
        w, c = measure(lambda: trainer.train_step(rng), max(5, args.repeats // 3))
        rows.append(("one training iteration (batch 32: 2 critic steps with GP + 1 generator step)", w, c))

    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; 2 cores shared")
    print("| operation | wall (median) | CPU of this process |")
    print("| --- | --- | --- |")
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.1f} ms | {'' if cpu is None else f'{cpu:.1f} ms'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
