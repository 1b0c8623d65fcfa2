"""Load benchmark of the REST API next to a bare DRF anchor, with wrk on loopback.

Two server setups, each in the same run for both projects (one server at a time):

- proxy: the production layout of deploy/ (nginx -> gunicorn sync workers with
  persistent database connections, daphne for /ws/), started by deploy/stack.py;
- asgi: bare uvicorn with several worker processes (a database connection per request).

Two projects: ours in production settings (DJANGO_DEBUG=false, PostgreSQL, Redis for
cache, throttling and the channel layer), and the anchor (bench/anchor/: a minimal
Django + DRF project, one token-authenticated, paginated ListAPIView over 40 rows in its
own PostgreSQL database, nothing else). One listener with a profile, listening history
and a library of ready compositions calls, authenticated by token:

- GET /api/v1/compositions/                (the library, first page of 20)
- GET /api/v1/recommendations/?mood=calm   (ranked songs from the 404-song catalogue)
- the anchor's GET /items/                 (first page of 20 of 40 rows)

Each endpoint's req/s is printed with its ratio to the anchor's in the same setup; the
goal is library >= 0.8 x and recommendations >= 0.5 x the anchor through the proxy, with
p99 < 100 ms and no errors. The user throttle is raised through THROTTLE_USER (the
throttling code still runs on every request). Needs `wrk` and `nginx` (apt-get install -y
wrk nginx) and a database whose name contains "bench" (migrated, catalogue loaded; the
anchor's database, the same name + "_anchor", is created next to it):

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE echoes_api_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/echoes_api_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 CELERY_BROKER_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python bench/api_load.py [--via proxy|asgi|both] [--workers 2] [--connections 16]

Prints req/s, ratio to the anchor, p50/p99 latency, errors and CPU per request per
endpoint, and the machine's load average (the CPU is shared: other processes take their
part of it).
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
from deploy.stack import ProductionLayout, free_port  # noqa: E402

USERNAME = "api-bench-listener"
LIBRARY_SIZE = 60
ENDPOINTS = {
    "library": "/api/v1/compositions/",
    "recommendations": "/api/v1/recommendations/?mood=calm",
}
# Each endpoint's floor, as a fraction of the anchor's req/s in the same server setup.
GOALS = {"library": 0.8, "recommendations": 0.5}
ANCHOR_DATABASE = os.environ.get("DATABASE_URL", "/").rsplit("/", 1)[-1] + "_anchor"


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


def anchor_seed() -> str:
    """The anchor's own database (`<bench database>_anchor`), migrated and seeded; its token."""
    import psycopg2

    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [ANCHOR_DATABASE])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{ANCHOR_DATABASE}"')
    finally:
        conn.close()
    seeded = subprocess.run(
        [sys.executable, str(REPO / "bench" / "anchor" / "seed.py")],
        cwd=REPO,
        env=anchor_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return seeded.stdout.strip().splitlines()[-1]


def anchor_env() -> dict[str, str]:
    env = os.environ.copy()
    env["DJANGO_SETTINGS_MODULE"] = "bench.anchor.settings"
    env["ANCHOR_DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{ANCHOR_DATABASE}"
    return env


@dataclass
class App:
    """One Django project as the bench serves it: its entry points, environment, endpoints."""

    name: str
    wsgi: str
    asgi: str
    env: dict[str, str]
    token: str
    endpoints: dict[str, str]


def wait_healthy(url: str, processes: list[subprocess.Popen], logs: str | Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    text = logs.read_text()[-3000:] if isinstance(logs, Path) else logs
    sys.exit(f"the server did not answer {url}:\n{text}")


class AsgiServer:
    """uvicorn with `workers` processes serving the app's ASGI application (bare ASGI)."""

    def __init__(self, app: App, workers: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.gettempdir()) / f"api-bench-uvicorn-{app.name}-{RUN_TAG}.log"
        command = [
            *(sys.executable, "-m", "uvicorn", app.asgi),
            *("--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)),
            *("--no-access-log", "--log-level", "warning", "--lifespan", "off"),
        ]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=app.env, stdout=out, stderr=subprocess.STDOUT
            )
        wait_healthy(self.url + next(iter(app.endpoints.values())), [self.process], self.log)

    def pids(self) -> list[int]:
        return [self.process.pid]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


class ProxiedServer:
    """The production layout (deploy/): nginx in front of gunicorn (WSGI) and daphne."""

    def __init__(self, app: App, workers: int):
        folder = Path(tempfile.mkdtemp(prefix=f"echoes-api-bench-{app.name}-"))
        (folder / "static").mkdir()
        self.layout = ProductionLayout(
            folder=folder,
            env=app.env,
            static_root=folder / "static",
            wsgi_workers=workers,
            wsgi_app=app.wsgi,
            asgi_app=app.asgi,
        ).start()
        self.url = self.layout.url
        wait_healthy(self.url + next(iter(app.endpoints.values())), list(self.layout.processes.values()), "")

    def pids(self) -> list[int]:
        return [p.pid for p in self.layout.processes.values()]

    def stop(self) -> None:
        self.layout.stop()
        shutil.rmtree(self.layout.folder, ignore_errors=True)


SERVERS = {"proxy": ProxiedServer, "asgi": AsgiServer}
SERVER_DESCRIPTIONS = {
    "proxy": "nginx -> gunicorn sync x{workers} (WSGI, persistent DB connections) + daphne (/ws/)",
    "asgi": "uvicorn --workers {workers} (bare ASGI, a DB connection per request)",
}


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per request, by process group


def _tree_cpu_seconds(root: psutil.Process) -> float:
    """CPU of a process and all its descendants, including those that exited meanwhile.

    A reaped child's time moves into its parent's children_* fields, so recycled gunicorn
    workers and PostgreSQL backends that closed are still counted (and new ones too)."""
    total = 0.0
    try:
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return total
    for process in family:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def _cpu_seconds(groups: dict[str, list[psutil.Process]]) -> dict[str, float]:
    return {name: sum(_tree_cpu_seconds(root) for root in roots) for name, roots in groups.items()}


def process_groups(pids: list[int]) -> dict[str, list[psutil.Process]]:
    """The root processes whose CPU (theirs and their descendants') a request costs: the
    servers, PostgreSQL's postmaster (it forks a backend per connection), Redis."""

    def roots(prefix: str) -> list[psutil.Process]:
        named = [p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith(prefix)]
        pids_named = {p.pid for p in named}
        return [p for p in named if p.ppid() not in pids_named]

    return {
        "server": [psutil.Process(pid) for pid in pids],
        "postgres": roots("postgres"),
        "redis": roots("redis-server"),
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


def measure(app: App, server, args) -> dict[str, WrkResult]:
    """wrk on each endpoint of `app` served by `server` (a warm-up run, then the measured one)."""
    for path in app.endpoints.values():
        check = requests.get(server.url + path, headers={"Authorization": f"Token {app.token}"}, timeout=30)
        assert check.status_code == 200, (app.name, path, check.status_code, check.text[:300])
    groups = process_groups(server.pids())
    results = {}
    for name, path in app.endpoints.items():
        options = {"threads": args.threads, "connections": args.connections}
        run_wrk(server.url + path, app.token, duration=args.warmup, **options)
        results[name] = run_wrk(
            server.url + path, app.token, duration=args.duration, groups=groups, **options
        )
    return results


def report(mode: str, results: dict[str, WrkResult], workers: int) -> bool:
    """Print one server setup's table with each endpoint's ratio to the anchor; goal met?"""
    anchor = results["anchor"].requests_per_second
    print(f"\n== {mode}: {SERVER_DESCRIPTIONS[mode].format(workers=workers)}")
    print(
        f"{'endpoint':<16} {'req/s':>8} {'x anchor':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'requests':>9} {'errors':>7}"
        "   CPU ms per request: server / postgres / redis"
    )
    for name, result in results.items():
        errors = result.non_2xx + result.socket_errors
        print(
            f"{name:<16} {result.requests_per_second:>8.0f} {result.requests_per_second / anchor:>9.2f} "
            f"{result.p50_ms:>8.1f} {result.p99_ms:>8.1f} {result.requests:>9} {errors:>7}   "
            + " / ".join(f"{result.cpu_ms[g]:.1f}" for g in ("server", "postgres", "redis")),
            flush=True,
        )
    met = all(
        results[name].requests_per_second >= floor * anchor
        and results[name].p99_ms < 100
        and results[name].non_2xx + results[name].socket_errors == 0
        for name, floor in GOALS.items()
    )
    goals = ", ".join(f"{name} >= {floor} x anchor" for name, floor in GOALS.items())
    print(f"goal ({goals}, p99 < 100 ms, 0 errors): {'met' if met else 'NOT met'}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn / uvicorn worker processes")
    parser.add_argument("--connections", type=int, default=16, help="open connections (wrk -c)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint (wrk -d)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per endpoint")
    parser.add_argument(
        "--via", choices=["proxy", "asgi", "both"], default="both", help="server setup(s) to run"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install -y wrk).")

    print("seeding the bench listener and the anchor ...", flush=True)
    ours_env = os.environ.copy()
    ours_env.update(TRUSTED_PROXIES="0", EMOTION_WARM_START="false")
    apps = [
        App(
            "anchor",
            "bench.anchor.wsgi:application",
            "bench.anchor.asgi:application",
            anchor_env(),
            anchor_seed(),
            {"anchor": "/items/"},
        ),
        App(
            "echoes",
            "echoes_site.wsgi:application",
            "echoes_site.asgi:application",
            ours_env,
            seed(),
            ENDPOINTS,
        ),
    ]
    load_before = os.getloadavg()
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s; {os.cpu_count()} CPUs, "
        f"load average before {load_before[0]:.1f} (1 min); DEBUG off, PostgreSQL, Redis",
        flush=True,
    )
    modes = ["proxy", "asgi"] if args.via == "both" else [args.via]
    try:
        for mode in modes:
            results: dict[str, WrkResult] = {}
            for app in apps:  # one server at a time: each has the machine to itself
                server = SERVERS[mode](app, args.workers)
                try:
                    results.update(measure(app, server, args))
                finally:
                    server.stop()
            report(mode, results, args.workers)
        load_after = os.getloadavg()
        print(f"\nload average after: {load_after[0]:.1f} (1 min), {load_after[1]:.1f} (5 min)")
        if load_after[1] > 1.5:
            print("the machine was busy (load > 1.5): these are loaded figures; re-run on an idle machine")
    finally:
        shutil.rmtree(MEDIA_ROOT, ignore_errors=True)


if __name__ == "__main__":
    main()
