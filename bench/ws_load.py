"""Load benchmark of the live session: a real daphne and N real WebSocket clients.

Each client streams JPEG frames of a real face (scikit-image's astronaut) at R frames/s
for T seconds over /ws/session/ (token auth) and times every frame from send to result.
Prints, per scenario: delivered fps per session and in total, p50/p95/max latency,
dropped frames, errors, and the server's RSS before and after; plus the load average,
because the 2 cores are shared with whatever else runs.

    .venv/bin/python bench/ws_load.py                        # the three issue scenarios
    .venv/bin/python bench/ws_load.py --sessions 4 --fps 10 --seconds 20
    .venv/bin/python bench/ws_load.py --url ws://host:8000    # an already running server
                                                              # (needs --token)
    .venv/bin/python bench/ws_load.py --sessions 16 --fps 5 --seconds 60 --music
                                  # every client also has the live soundtrack on: it
                                  # plays (acks) each bar and counts the ones that came
                                  # after their start on its clock (underruns)

The server runs on DATABASE_URL (a PostgreSQL database named `<name>_bench` is
created and migrated next to the one DATABASE_URL names) or, without it, a temporary
SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DAPHNE_ARGS = ["--websocket-max-message-size", "2097152", "--websocket-max-frame-size", "2097152"]
SCENARIOS = {
    # name: (sessions, fps, seconds) - the goals
    "one-session-30fps": (1, 30.0, 20.0),
    "16-sessions-5fps": (16, 5.0, 30.0),
    "16-sessions-10fps-saturation": (16, 10.0, 20.0),
}


def face_jpeg(width: int = 320, height: int = 240) -> bytes:
    from PIL import Image
    from skimage import data

    image = Image.fromarray(data.astronaut()).crop((0, 0, 512, 384)).resize((width, height))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the server -------------------------------------------------------------------------
def bench_database_url(tmp: Path) -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        return f"sqlite:///{tmp / 'bench.sqlite3'}"
    import psycopg2

    parsed = urlparse(base)
    name = (parsed.path.lstrip("/") or "echoes") + "_bench"
    admin = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return urlunparse(parsed._replace(path=f"/{name}"))


def server_env(database_url: str, workers: int | None) -> dict[str, str]:
    # Production mode (no DEBUG query log), over plain HTTP on localhost.
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="bench-only-not-a-secret-0123456789abcdef0123456789abcdef",
        DJANGO_SECURE_SSL_REDIRECT="false",
    )
    if database_url.startswith("sqlite"):
        env["SQLITE_PATH"] = database_url.removeprefix("sqlite:///")
        env.pop("DATABASE_URL")
    if workers:
        env["EMOTION_WORKERS"] = str(workers)
    return env


def prepare_database(env: dict[str, str], users: int) -> list[str]:
    """Migrate and create `users` bench users; returns their API tokens."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True
    )
    script = (
        "from accounts.models import User\n"
        "from accounts.services import token_obtain\n"
        f"for i in range({users}):\n"
        "    user, _ = User.objects.get_or_create(\n"
        "        username=f'bench{i}', defaults={'email': f'bench{i}@example.com'})\n"
        "    print(token_obtain(user=user).key)\n"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    # `shell` also prints what it imported: keep only the 40-hex-digit token lines.
    return [line for line in out.stdout.decode().split() if re.fullmatch(r"[0-9a-f]{40}", line)]


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    out = log.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "echoes_site.asgi_server", "-b", "127.0.0.1", "-p", str(port), *DAPHNE_ARGS,
         "echoes_site.asgi:application"],
        cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"daphne exited:\n{log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.2)
    raise SystemExit("daphne did not start")


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of the server process so far (all its threads)."""
    if pid is None:
        return None
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


# --- the clients ------------------------------------------------------------------------
@dataclass
class ClientStats:
    sent: int = 0
    results: int = 0
    errors: int = 0
    dropped: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    bars: int = 0
    underruns: int = 0  # bars that arrived after their start on the client's clock
    bar_leads_ms: list[float] = field(default_factory=list)


MUSIC_ALLOWANCE = 0.15  # the page player's network allowance (soundtrack-player.js)


async def run_client(
    url: str,
    token: str,
    frame: bytes,
    fps: float,
    seconds: float,
    delay: float,
    hands_fps: float | None,
    music: bool = False,
) -> ClientStats:
    from websockets.asyncio.client import connect

    stats = ClientStats()
    sent_at: dict[int, float] = {}
    async with connect(
        url + "/ws/session/", additional_headers={"Authorization": f"Token {token}"}, open_timeout=120
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        options = {"type": "options", "fps": min(60.0, max(0.5, fps))}
        if hands_fps is not None:
            options["hands_fps"] = hands_fps
        await ws.send(json.dumps(options))
        assert json.loads(await ws.recv())["type"] == "options"

        music_clock: list[float] = []  # perf_counter() of soundtrack time 0

        async def read() -> None:
            async for message in ws:
                now = time.perf_counter()
                body = json.loads(message)
                if body["type"] == "result":
                    stats.results += 1
                    stats.dropped = body["dropped"]
                    stats.latencies_ms.append((now - sent_at.pop(body["seq"])) * 1000)
                    if music and stats.results == 1:
                        await ws.send(json.dumps({"type": "music_start"}))  # follows the face
                elif body["type"] == "music_bar":
                    if not music_clock:
                        music_clock.append(now + MUSIC_ALLOWANCE - body["sent_at"])
                    lead = music_clock[0] + body["start"] - now
                    stats.bars += 1
                    stats.underruns += lead < 0
                    stats.bar_leads_ms.append(lead * 1000)
                    await ws.send(json.dumps({"type": "music_ack", "bar": body["bar"]}))
                elif body["type"] == "error":
                    stats.errors += 1

        reader = asyncio.create_task(read())
        await asyncio.sleep(delay)  # spread the clients' frames over the frame period
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            stats.sent += 1
            sent_at[stats.sent] = time.perf_counter()
            await ws.send(frame)
            await asyncio.sleep(max(0.0, start + stats.sent / fps - time.perf_counter()))
        await asyncio.sleep(1.0)  # let the last results arrive
        reader.cancel()
    return stats


async def warm_up(url: str, token: str, frame: bytes, frames: int = 10) -> None:
    """Analyse a few frames one by one: the first ones load the models (seconds when busy)."""
    from websockets.asyncio.client import connect

    async with connect(
        url + "/ws/session/", additional_headers={"Authorization": f"Token {token}"}, open_timeout=120
    ) as ws:
        await ws.recv()
        for _ in range(frames):
            await ws.send(frame)
            while json.loads(await asyncio.wait_for(ws.recv(), 300))["type"] not in ("result", "error"):
                pass


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


async def run_scenario(
    url, tokens, frame, sessions, fps, seconds, hands_fps, progress, music=False
) -> list[ClientStats]:
    tasks = [
        asyncio.create_task(
            run_client(url, tokens[i], frame, fps, seconds, i / sessions / fps, hands_fps, music)
        )
        for i in range(sessions)
    ]
    start = time.monotonic()
    while not all(task.done() for task in tasks):
        await asyncio.sleep(0.5)
        progress(min(seconds, time.monotonic() - start))
    return [task.result() for task in tasks]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, help="clients (default: the issue's three scenarios)")
    parser.add_argument("--fps", type=float, default=5.0, help="frames per second per client")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--size", default="320x240", help="frame size, WxH")
    parser.add_argument("--workers", type=int, help="EMOTION_WORKERS of the server (default: cores)")
    parser.add_argument("--hands-fps", type=float, help="hands_fps option of the clients (server default 4)")
    parser.add_argument("--url", help="an already running server, ws://host:port (with --token)")
    parser.add_argument("--token", action="append", help="API token(s) for --url")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each scenario this many times (memory growth)"
    )
    parser.add_argument(
        "--nice",
        type=int,
        help="renice the server (e.g. -10, root) to approximate an idle machine on a shared one",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--music", action="store_true", help="every client turns the live soundtrack on")
    args = parser.parse_args(argv)

    from tqdm import tqdm

    width, height = (int(v) for v in args.size.lower().split("x"))
    frame = face_jpeg(width, height)
    scenarios = (
        {f"{args.sessions}-sessions-{args.fps:g}fps": (args.sessions, args.fps, args.seconds)}
        if args.sessions
        else SCENARIOS
    )
    most = max(s for s, _, _ in scenarios.values())
    tmp = Path(tempfile.mkdtemp(prefix="ws_load-"))
    server = None
    if args.url:
        url, tokens, pid = args.url.rstrip("/"), (args.token or []) * most, None
        if not tokens:
            raise SystemExit("--url needs --token")
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echoes_site.settings")
        env = server_env(bench_database_url(tmp), args.workers)
        print(f"preparing the database ({env.get('DATABASE_URL') or env['SQLITE_PATH']}) ...", flush=True)
        tokens = prepare_database(env, most)
        port = free_port()
        server = start_server(env, port, tmp / "daphne.log")
        url, pid = f"ws://127.0.0.1:{port}", server.pid

    figures = []
    try:
        print("warming up (models load once per process) ...", flush=True)
        asyncio.run(warm_up(url, tokens[0], frame))
        if args.nice is not None and pid is not None:
            import psutil

            for thread in psutil.Process(pid).threads():  # Linux: niceness is per thread
                psutil.Process(thread.id).nice(args.nice)
        runs = [
            (f"{name} #{i + 1}" if args.repeat > 1 else name, spec)
            for name, spec in scenarios.items()
            for i in range(args.repeat)
        ]
        for name, (sessions, fps, seconds) in runs:
            load_before = os.getloadavg()
            rss_before = rss_mb(pid)
            cpu_before = cpu_seconds(pid)
            with tqdm(
                total=seconds, desc=name, unit="s", bar_format="{desc}: {bar} {n:.0f}/{total:.0f} s"
            ) as bar:

                def progress(elapsed: float, bar=bar) -> None:
                    bar.update(elapsed - bar.n)

                stats = asyncio.run(
                    run_scenario(
                        url, tokens, frame, sessions, fps, seconds, args.hands_fps, progress, args.music
                    )
                )
            rss_after = rss_mb(pid)
            cpu_used = cpu_seconds(pid) - cpu_before if cpu_before is not None else None
            latencies = [ms for s in stats for ms in s.latencies_ms]
            analysed = sum(s.results for s in stats)
            per_session = [s.results / seconds for s in stats]
            figures.append(
                {
                    "scenario": name,
                    "sessions": sessions,
                    "offered_fps_per_session": fps,
                    "seconds": seconds,
                    "frame": f"{width}x{height} JPEG, {len(frame):,} bytes",
                    "delivered_fps_per_session_mean": round(statistics.mean(per_session), 2),
                    "delivered_fps_per_session_min": round(min(per_session), 2),
                    "delivered_fps_total": round(sum(per_session), 2),
                    "latency_ms_p50": round(percentile(latencies, 50), 1),
                    "latency_ms_p95": round(percentile(latencies, 95), 1),
                    "latency_ms_max": round(max(latencies, default=float("nan")), 1),
                    "sent": sum(s.sent for s in stats),
                    "analysed": sum(s.results for s in stats),
                    "dropped": sum(s.dropped for s in stats),
                    "errors": sum(s.errors for s in stats),
                    # CPU time per analysed frame does not depend much on what else runs:
                    # cores / it estimates the frames/s an idle machine would deliver.
                    "server_cpu_ms_per_frame": (
                        round(cpu_used * 1000 / analysed, 1) if cpu_used is not None and analysed else None
                    ),
                    # frames and music together; run with and without --music for music's share
                    "server_cpu_s_per_listener_minute": (
                        round(cpu_used / (sessions * seconds / 60), 2) if cpu_used is not None else None
                    ),
                    "music_bars": sum(s.bars for s in stats),
                    "music_underruns": sum(s.underruns for s in stats),
                    "music_min_lead_ms": round(
                        min((ms for s in stats for ms in s.bar_leads_ms), default=float("nan")), 1
                    ),
                    "server_rss_mb_start": round(rss_before, 1) if rss_before else None,
                    "server_rss_mb_end": round(rss_after, 1) if rss_after else None,
                    "load_average_1min_before_after": [
                        round(load_before[0], 2),
                        round(os.getloadavg()[0], 2),
                    ],
                }
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)

    print()
    print(f"cores: {os.cpu_count()}, EMOTION_WORKERS: {args.workers or 'default (cores)'}, "
          f"server nice: {args.nice if args.nice is not None else 'unchanged'}, "
          f"hands_fps: {args.hands_fps if args.hands_fps is not None else 'server default (4)'}")  # fmt: skip
    header = (
        "| scenario | delivered fps/session (mean, min) | total fps | p50 / p95 / max ms | "
        "sent / analysed / dropped / errors | server CPU ms/frame | server RSS MB start → end | "
        "load avg 1 min | CPU s / listener-min | music bars / underruns / min lead ms |"
    )
    print(header)
    print("|" + " --- |" * 10)
    for f in figures:
        cells = [
            f["scenario"],
            f"{f['delivered_fps_per_session_mean']}, {f['delivered_fps_per_session_min']}",
            f["delivered_fps_total"],
            f"{f['latency_ms_p50']} / {f['latency_ms_p95']} / {f['latency_ms_max']}",
            f"{f['sent']} / {f['analysed']} / {f['dropped']} / {f['errors']}",
            f["server_cpu_ms_per_frame"],
            f"{f['server_rss_mb_start']} → {f['server_rss_mb_end']}",
            "{} → {}".format(*f["load_average_1min_before_after"]),
            f["server_cpu_s_per_listener_minute"],
            f"{f['music_bars']} / {f['music_underruns']} / {f['music_min_lead_ms']}" if args.music else "off",
        ]
        print("| " + " | ".join(str(cell) for cell in cells) + " |")
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
