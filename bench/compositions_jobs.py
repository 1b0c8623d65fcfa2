"""Benchmark of composition jobs on the real stack: PostgreSQL, the Redis broker, Celery.

Measures (8 bars, with audio, MIDI and piano roll stored on the file system):
- end-to-end latency, enqueue (the create service call) -> ready (the row's finished_at),
  jobs one after another on one warmed-up worker process: p50 / p95;
- throughput: a burst of jobs drained by 1, then 2 worker processes (jobs/minute).

Run (services up):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/echoes_bench REDIS_URL=redis://127.0.0.1:6379/0 \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/compositions_jobs.py \
    [--jobs 20 --burst 24]

It creates the database if missing and migrates it, uses its own queue name, and stores
files under a temporary folder. The machine's load average is printed next to the
figures: the CPU is shared, and the numbers mean little without it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

QUEUE = f"compositions-bench-{uuid.uuid4().hex[:8]}"
MEDIA = Path(tempfile.mkdtemp(prefix="echoes-bench-media-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echoes_site.settings")
os.environ.update(
    COMPOSITIONS_QUEUE=QUEUE,
    COMPOSITIONS_MAX_IN_FLIGHT="100000",
    MEDIA_ROOT=str(MEDIA),
    CHANNEL_LAYER_PREFIX=f"echoes-bench-{QUEUE[-8:]}",
)


def ensure_database(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(
        host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres", dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def start_worker(concurrency: int, log: Path) -> subprocess.Popen:
    global _current_worker
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "echoes_site", "worker", "-Q", QUEUE,
             "-c", str(concurrency), "--pool", "prefork", "-l", "warning", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-n", f"bench{time.monotonic_ns()}@%h"],
            cwd=REPO, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    _current_worker = process
    return process


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


_current_worker: subprocess.Popen | None = None


def wait_ready(ids: list[int], timeout: float = 900) -> list:
    from compositions.models import Composition

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _current_worker is not None and _current_worker.poll() is not None:
            raise SystemExit("the worker exited; see its log")
        rows = list(Composition.objects.filter(pk__in=ids))
        if all(not row.in_flight for row in rows):
            return rows
        time.sleep(0.05)
    raise RuntimeError(f"jobs not finished after {timeout}s")


def submit(user, n: int, seed0: int) -> tuple[list[int], dict[int, float]]:
    from compositions.services import composition_create

    ids, started = [], {}
    for i in range(n):
        t0 = time.time()
        composition = composition_create(user=user, mood="happy", style="folk", bars=8, seed=seed0 + i)
        ids.append(composition.pk)
        started[composition.pk] = t0
    return ids, started


def warm_up(user, workers: int) -> None:
    """One job per pool process, so each has loaded TensorFlow and the generator."""
    ids, _ = submit(user, workers * 2, seed0=10_000)
    rows = wait_ready(ids)
    failed = [r.error_message for r in rows if r.status != "ready"]
    if failed:
        raise SystemExit(f"warm-up jobs failed: {failed[0]}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=20, help="sequential jobs for the latency figures")
    parser.add_argument("--burst", type=int, default=24, help="jobs per throughput run")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "CELERY_BROKER_URL"
    ):
        raise SystemExit("Set DATABASE_URL (PostgreSQL), REDIS_URL and CELERY_BROKER_URL; see the docstring.")
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    import psutil
    from django.core.management import call_command
    from tqdm import tqdm

    from accounts.models import User

    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(username="bench-composer", defaults={"email": "bench@example.com"})
    logs = Path(tempfile.mkdtemp(prefix="echoes-bench-logs-"))
    load_start = os.getloadavg()
    psutil.cpu_percent(None)
    print(
        f"machine: {psutil.cpu_count()} CPUs, load average at start {load_start[0]:.2f} / {load_start[1]:.2f}"
    )

    # --- latency: one worker process, one job at a time -----------------------------------
    worker = start_worker(1, logs / "latency.log")
    try:
        warm_up(user, 1)
        latencies = []
        for i in tqdm(range(args.jobs), desc="latency (8 bars + audio)"):
            ids, started = submit(user, 1, seed0=i)
            (row,) = wait_ready(ids)
            if row.status != "ready":
                raise SystemExit(f"job failed: {row.error_message}")
            latencies.append(row.finished_at.timestamp() - started[row.pk])
    finally:
        stop_worker(worker)
    print(
        f"latency enqueue->ready, {args.jobs} jobs, 1 worker: p50 {statistics.median(latencies):.3f} s, "
        f"p95 {percentile(latencies, 0.95):.3f} s, min {min(latencies):.3f} s, max {max(latencies):.3f} s"
    )

    # --- throughput: a burst drained by 1 and by 2 worker processes -----------------------
    results = {}
    for processes in (1, 2):
        worker = start_worker(processes, logs / f"throughput-{processes}.log")
        try:
            warm_up(user, processes)
            t0 = time.time()
            ids, _ = submit(user, args.burst, seed0=1000 * processes)
            rows = wait_ready(ids)
            elapsed = max(r.finished_at.timestamp() for r in rows) - t0
            ok = sum(r.status == "ready" for r in rows)
            results[processes] = args.burst / elapsed * 60
            print(
                f"throughput, {processes} worker process(es): {args.burst} jobs ({ok} ready) "
                f"in {elapsed:.1f} s "
                f"= {results[processes]:.1f} jobs/min"
            )
        finally:
            stop_worker(worker)
    load_end = os.getloadavg()
    print(f"scaling 2 vs 1 process: x{results[2] / results[1]:.2f}")
    print(
        f"CPU busy during the run {psutil.cpu_percent(None):.0f} %, load average at end "
        f"{load_end[0]:.2f} / {load_end[1]:.2f} (includes other engineers' work)"
    )
    print(f"worker logs: {logs}; files: {MEDIA}")


if __name__ == "__main__":
    main()
