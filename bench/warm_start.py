"""Warm start: how soon a freshly started server answers its first live session.

For each run a new daphne starts (so its models are cold), and the script measures:
- listen: seconds from spawning the process to its port accepting connections;
- ready: seconds from spawning until /healthz says "emotion_model": "ready" (503
  "warming" before), and how many polls said "warming";
- first result: from sending the first frame of a session to receiving its result,
  both for a session opened as soon as the server listens (while it may still be
  warming: what a client that ignores /healthz gets) and for one opened once /healthz
  says ready (what a load balancer that checks it gets), with the frames the server
  dropped in the first 3 s of streaming at 10 frames/s.

    .venv/bin/python bench/warm_start.py            # 3 runs
    .venv/bin/python bench/warm_start.py --runs 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.ws_load import (  # noqa: E402
    bench_database_url,
    face_jpeg,
    free_port,
    prepare_database,
    server_env,
    start_server,
)


async def first_result(url: str, token: str, frame: bytes, seconds: float = 3.0) -> tuple[float, int, int]:
    """(seconds from the first frame to its result, results, dropped) over `seconds` at 10 fps."""
    from websockets.asyncio.client import connect

    async with connect(
        url + "/ws/session/", additional_headers={"Authorization": f"Token {token}"}, open_timeout=120
    ) as ws:
        json.loads(await ws.recv())  # ready
        sent_at = time.perf_counter()
        await ws.send(frame)
        first: float | None = None
        results, dropped = 0, 0
        end = sent_at + seconds
        next_send = sent_at + 0.1
        while first is None or time.perf_counter() < end:
            timeout = max(0.001, next_send - time.perf_counter())
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            except TimeoutError:
                await ws.send(frame)
                next_send += 0.1
                continue
            if message["type"] == "result":
                results += 1
                dropped = message["dropped"]
                if first is None:
                    first = time.perf_counter() - sent_at
                    end = max(end, time.perf_counter() + 0.5)
        return first, results, dropped


def one_run(env: dict[str, str], token: str, frame: bytes, tmp: Path, *, wait_ready: bool) -> dict:
    port = free_port()
    spawned = time.monotonic()
    process = start_server(env, port, tmp / f"daphne-{port}.log")
    try:
        listen = time.monotonic() - spawned
        url = f"http://127.0.0.1:{port}"
        figures = {"listen_s": listen}
        if wait_ready:
            warming = 0
            while True:
                body = requests.get(f"{url}/healthz", timeout=60)
                state = body.json()["emotion_model"]
                if state != "warming":
                    break
                assert body.status_code == 503
                warming += 1
                time.sleep(0.1)
            figures.update(ready_s=time.monotonic() - spawned, warming_polls=warming, state=state)
        first, results, dropped = asyncio.run(first_result(f"ws://127.0.0.1:{port}", token, frame))
        figures.update(first_result_s=first, results=results, dropped=dropped)
        return figures
    finally:
        process.terminate()
        process.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    frame = face_jpeg()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = server_env(bench_database_url(tmp), None)
        token = prepare_database(env, 1)[0]
        rows = {"at once": [], "after /healthz ready": []}
        for run in range(args.runs):
            for name, wait_ready in (("at once", False), ("after /healthz ready", True)):
                figures = one_run(env, token, frame, tmp, wait_ready=wait_ready)
                rows[name].append(figures)
                shown = (f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items())
                print(f"run {run + 1} {name}: " + ", ".join(shown), flush=True)
    print(f"\nwarm start, {args.runs} runs, load average {os.getloadavg()[0]:.1f} (2 shared cores)")
    header = ("session opened", "listen s", "ready s", "first result s (median, max)", "dropped/3 s")
    print(f"{header[0]:<22} {header[1]:>9} {header[2]:>8} {header[3]:>30} {header[4]:>12}")
    for name, figures in rows.items():
        firsts = [f["first_result_s"] for f in figures]
        ready = statistics.median(f["ready_s"] for f in figures) if "ready_s" in figures[0] else float("nan")
        print(
            f"{name:<22} {statistics.median(f['listen_s'] for f in figures):>9.2f} {ready:>8.2f} "
            f"{statistics.median(firsts):>21.3f}, {max(firsts):.3f} "
            f"{statistics.median(f['dropped'] for f in figures):>12.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
