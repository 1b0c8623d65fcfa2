"""The live soundtrack's reaction time and its cost, with the real generator, in real time.

Runs `moods.soundtrack.LiveSoundtrack` (the code behind the session socket) for one
listener whose mood flips between a happy and an angry point of the same arousal, so
the tempo stays at 120 bpm, at random moments (2.5-6 s apart). For every flip it finds
the first bar written for the new mood and reports, from the flip to that bar's start
(+ the page's 0.15 s network allowance, frontend/static/frontend/js/soundtrack-player.js):
p50 / p95 / max, against the goals "<= one phrase (8 bars = 16 s) and <= 4 s at 120 bpm".
Also: the time to write a bar, the bars sent late, and the two ways a page could play:
note events (what we send) against audio rendered on the server (FluidSynth + Ogg per bar).

    .venv/bin/python bench/soundtrack_latency.py                 # 30 mood changes
    .venv/bin/python bench/soundtrack_latency.py --changes 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CLIENT_ALLOWANCE = 0.15  # JITTER_SECONDS of the page's player


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


async def run(changes: int, seed: int) -> tuple[list, list[dict], object]:
    from ml.mood import mood_at
    from moods.soundtrack import LiveSoundtrack, MoodNow

    moods = [mood_at(0.6, 0.5), mood_at(-0.6, 0.5)]  # happy and angry, both 120 bpm
    current = {"mood": moods[0]}
    messages: list[dict] = []

    async def send(message: dict) -> None:
        messages.append(message)
        if message["type"] == "music_bar":
            soundtrack.ack(message["bar"])  # a listening player confirms every bar

    soundtrack = LiveSoundtrack(
        send=send,
        mood_now=lambda: MoodNow(current["mood"]),
        style="chorale",
        arrangement="mood",
        mode="follow",
        seed=seed,
    )
    soundtrack.start()
    while len(messages) < 4:  # loaded and playing
        await asyncio.sleep(0.2)
    rng = random.Random(seed)
    flips = []
    for index in range(changes):
        await asyncio.sleep(rng.uniform(2.5, 6.0))
        current["mood"] = moods[(index + 1) % 2]
        flips.append((soundtrack.clock(), current["mood"].label))
    await asyncio.sleep(6)
    await soundtrack.stop()
    errors = [m for m in messages if m["type"] == "error"]
    if errors:
        raise SystemExit(f"the soundtrack failed: {errors}")
    return flips, [m for m in messages if m["type"] == "music_bar"], soundtrack


def reaction_seconds(flips, bars) -> tuple[list[float], list[float]]:
    """Per flip: to the first bar aimed at the new mood, and to the first in its mode."""
    to_bar, to_mode = [], []
    for at, label in flips:
        later = [b for b in bars if b["start"] >= at]
        first = next((b for b in later if b["target"]["label"] == label), None)
        wanted_mode = "major" if label == "happy" else "minor"
        moded = next((b for b in later if b["target"]["label"] == label and b["mode"] == wanted_mode), None)
        if first is not None:
            to_bar.append(first["start"] - at + CLIENT_ALLOWANCE)
        if moded is not None:
            to_mode.append(moded["start"] - at + CLIENT_ALLOWANCE)
    return to_bar, to_mode


def transport(soundtrack, sample: int = 24) -> dict:
    """Note events vs. server-rendered audio, per bar (the choice docs/benchmarks.md explains)."""
    from ml.music import render_audio
    from ml.music.stream import bars_to_midi
    from moods.soundtrack import bar_message

    bars = list(soundtrack.record)[:sample]
    event_bytes = [len(json.dumps(bar_message(b, sent_at=0.0), separators=(",", ":"))) for b in bars]
    render_ms, ogg_bytes, wav_bytes = [], [], []
    for bar in bars:
        midi = bars_to_midi([bar])
        began = time.perf_counter()
        ogg_bytes.append(len(render_audio(midi, "ogg")))
        render_ms.append((time.perf_counter() - began) * 1000)
        wav_bytes.append(len(render_audio(midi, "wav")))
    seconds = statistics.mean(b.duration for b in bars)
    return {
        "bar_seconds": round(seconds, 2),
        "events_bytes_per_bar": round(statistics.mean(event_bytes)),
        "ogg_bytes_per_bar": round(statistics.mean(ogg_bytes)),
        "wav_bytes_per_bar": round(statistics.mean(wav_bytes)),
        "server_render_ogg_ms_per_bar": round(statistics.median(render_ms), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=30, help="mood changes to time")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()
    flips, bars, soundtrack = asyncio.run(run(args.changes, args.seed))
    to_bar, to_mode = reaction_seconds(flips, bars)
    write = list(soundtrack.write_ms)[1:]  # the first bar loads the network
    figures = {
        "mood_changes": len(flips),
        "bars": len(bars),
        "tempo_bpm": sorted({b["tempo"] for b in bars[2:]}),
        "change_to_first_new_bar_s": {
            "p50": round(statistics.median(to_bar), 2),
            "p95": round(percentile(to_bar, 95), 2),
            "max": round(max(to_bar), 2),
        },
        "change_to_new_mode_s": {
            "p50": round(statistics.median(to_mode), 2),
            "p95": round(percentile(to_mode, 95), 2),
            "max": round(max(to_mode), 2),
        },
        "one_phrase_s": round(8 * 4 * 60 / 120, 1),
        "write_ms_per_bar": {
            "p50": round(statistics.median(write), 1),
            "p95": round(percentile(write, 95), 1),
            "max": round(max(write), 1),
        },
        "late_bars": soundtrack.late,
        "min_server_lead_s": round(min(b["start"] - b["sent_at"] for b in bars), 3),
        "transport": transport(soundtrack),
        "load_average_1min_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
