"""Load benchmark of the REST API in the production setup, with wrk on loopback.

The production setup: DJANGO_DEBUG=false (a secret, allowed hosts; no SSL redirect
because wrk speaks plain HTTP on loopback), PostgreSQL, Redis (cache, throttling,
channel layer), uvicorn with several worker processes. One listener with a profile,
listening history, a closed mood session and a library of ready compositions calls,
authenticated by token:

- GET /api/v1/recommendations/?mood=calm   (ranked songs from the 404-song catalogue)
- GET /api/v1/compositions/                (the library, first page of 20)

The user throttle is raised through THROTTLE_USER (the throttling code still runs on
every request). Needs `wrk` (apt-get install -y wrk) and a database whose name contains
"bench" (it is migrated and the catalogue loaded into it):

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE echoes_api_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/echoes_api_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 CELERY_BROKER_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python bench/api_load.py [--workers 2] [--connections 16] [--duration 15]

Prints req/s, p50/p99 latency and errors per endpoint, and the machine's load average
(the CPU is shared: other processes take their part of it).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RUN_TAG = uuid.uuid4().hex[:8]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="echoes-api-bench-media-"))
# The production configuration, for this process (seeding) and the server alike.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "echoes_site.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "THROTTLE_USER": "100000000/min",
    "MEDIA_ROOT": str(MEDIA_ROOT),
    "CACHE_PREFIX": f"api-bench-{RUN_TAG}",
    "CHANNEL_LAYER_PREFIX": f"api-bench-{RUN_TAG}",
    # Jobs of the seeded compositions go to a queue no worker reads (they are made ready here).
    "COMPOSITIONS_QUEUE": f"api-bench-{RUN_TAG}",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(PRODUCTION_ENV)
for required in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
    if not os.environ.get(required):
        sys.exit(f"{required} must be set (the benchmark runs the production services setup).")
if "bench" not in os.environ["DATABASE_URL"].rsplit("/", 1)[-1]:
    sys.exit("DATABASE_URL must name a database made for benchmarks (its name contains 'bench').")

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
import redis  # noqa: E402
import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import profile_update, token_obtain, user_register  # noqa: E402
from catalogue.models import Song  # noqa: E402
from catalogue.services import listening_event_create  # noqa: E402
from compositions.models import Composition  # noqa: E402
from compositions.services import (  # noqa: E402
    RenderedPiece,
    composition_create,
    composition_job_claim,
    composition_job_save,
)

USERNAME = "api-bench-listener"
LIBRARY_SIZE = 60
ENDPOINTS = {
    "recommendations": "/api/v1/recommendations/?mood=calm",
    "library": "/api/v1/compositions/",
}


def seed() -> str:
    """The bench listener (made once) with history and a library; returns its token."""
    call_command("migrate", "--noinput", verbosity=0)
    if not Song.objects.exists():
        call_command("load_catalogue", verbosity=0)
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = user_register(
            username=USERNAME, email=f"{USERNAME}@example.com", password=secrets.token_hex(16)
        )
        singers = list(Song.objects.filter(language="te").values_list("singers_display", flat=True)[:2])
        profile_update(
            user=user, languages=["te", "en"], favourite_singers=[s.split(",")[0] for s in singers]
        )
        for song in Song.objects.order_by("?")[:80]:
            listening_event_create(user=user, song=song, kind="play", mood="calm")
    # Files of earlier runs lived in another temporary MEDIA_ROOT; rows are enough here
    # (the library lists rows, it does not open files).
    for index in range(Composition.objects.filter(owner=user).count(), LIBRARY_SIZE):
        composition = composition_create(
            user=user, mood=("calm", "happy", "sad")[index % 3], style="folk", bars=4, seed=index
        )
        claimed = composition_job_claim(composition_id=composition.pk, job_token="bench")
        composition_job_save(
            composition=claimed,
            rendered=RenderedPiece(
                midi=b"MThd", audio=b"OggS", piano_roll=b"\x89PNG", duration_seconds=8.0, metrics={}
            ),
        )
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).delete(PRODUCTION_ENV["COMPOSITIONS_QUEUE"])
    return token_obtain(user=user).key


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workers: int, port: int, log: Path) -> subprocess.Popen:
    """uvicorn with `workers` processes serving the ASGI application."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "echoes_site.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "--lifespan",
        "off",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=REPO, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"uvicorn exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.terminate()
    sys.exit(f"uvicorn did not become healthy:\n{log.read_text()[-3000:]}")


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per request, by process group


def _cpu_seconds(groups: dict[str, list[psutil.Process]]) -> dict[str, float]:
    totals = {}
    for name, processes in groups.items():
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        totals[name] = total
    return totals


def process_groups(server: subprocess.Popen) -> dict[str, list[psutil.Process]]:
    """The processes whose CPU a request costs: ASGI workers, PostgreSQL, Redis."""
    everything = list(psutil.process_iter(["name", "cmdline"]))
    return {
        "asgi": [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)],
        # PostgreSQL forks a backend per connection: count every postgres process.
        "postgres": [p for p in everything if (p.info["name"] or "").startswith("postgres")],
        "redis": [p for p in everything if (p.info["name"] or "").startswith("redis-server")],
    }


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(
    url: str, token: str, *, threads: int, connections: int, duration: int, groups: dict | None = None
) -> WrkResult:
    """One wrk run; latencies from its --latency distribution, CPU of `groups` per request."""
    cpu_before = _cpu_seconds(groups or {})
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "--latency",
            "-H",
            f"Authorization: Token {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.MULTILINE))
    if "99" not in percentiles:
        raise RuntimeError(f"wrk gave no latency distribution:\n{output}")
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    cpu_after = _cpu_seconds(groups or {})
    requests_done = int(re.search(r"(\d+) requests in", output).group(1))
    return WrkResult(
        cpu_ms={
            name: 1000 * (cpu_after[name] - cpu_before[name]) / max(requests_done, 1) for name in cpu_after
        },
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        requests=requests_done,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--connections", type=int, default=16, help="open connections (wrk -c)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint (wrk -d)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per endpoint")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install -y wrk).")

    print("seeding the bench listener ...", flush=True)
    token = seed()
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"api-bench-uvicorn-{RUN_TAG}.log"
    server = start_server(args.workers, port, log)
    try:
        base = f"http://127.0.0.1:{port}"
        for path in ENDPOINTS.values():
            check = requests.get(base + path, headers={"Authorization": f"Token {token}"}, timeout=30)
            assert check.status_code == 200, (path, check.status_code, check.text[:300])
        load_before = os.getloadavg()
        print(
            f"uvicorn --workers {args.workers} (DEBUG off, PostgreSQL, Redis); wrk -t{args.threads} "
            f"-c{args.connections} -d{args.duration}s; {os.cpu_count()} CPUs, load average before "
            f"{load_before[0]:.1f} (1 min)",
            flush=True,
        )
        groups = process_groups(server)
        print(
            f"{'endpoint':<16} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>7}"
            f"   CPU ms per request: asgi / postgres / redis"
        )
        results = {}
        for name, path in ENDPOINTS.items():
            run_wrk(
                base + path, token, threads=args.threads, connections=args.connections, duration=args.warmup
            )
            result = run_wrk(
                base + path,
                token,
                threads=args.threads,
                connections=args.connections,
                duration=args.duration,
                groups=groups,
            )
            results[name] = result
            errors = result.non_2xx + result.socket_errors
            print(
                f"{name:<16} {result.requests_per_second:>8.0f} {result.p50_ms:>8.1f} {result.p99_ms:>8.1f} "
                f"{result.requests:>9} {errors:>7}   "
                + " / ".join(f"{result.cpu_ms[g]:.1f}" for g in ("asgi", "postgres", "redis")),
                flush=True,
            )
        for name, result in results.items():
            per_request = sum(result.cpu_ms.values())
            print(
                f"{name}: {per_request:.1f} CPU-ms per request on the server side -> at most "
                f"{2000 / per_request:.0f} req/s on 2 idle cores (before the load generator's share)"
            )
        load_after = os.getloadavg()
        print(f"load average after: {load_after[0]:.1f} (1 min), {load_after[1]:.1f} (5 min)")
        goal = all(
            r.requests_per_second >= 300 and r.p99_ms < 100 and r.non_2xx + r.socket_errors == 0
            for r in results.values()
        )
        print(
            f"goal (>= 300 req/s, p99 < 100 ms, 0 errors) on every endpoint: {'met' if goal else 'NOT met'}"
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(MEDIA_ROOT, ignore_errors=True)


if __name__ == "__main__":
    main()
