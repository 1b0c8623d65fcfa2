"""Fault benchmark of composition jobs in the embedded default (the README's run).

A real server (echoes_site.asgi_server on SQLite, no broker: jobs run in the job process
the server supervises) gets N jobs through the REST API (--jobs, 50); while they run, the
job process is killed with SIGKILL K times (--kills, 5) at random moments, each time while
a job is running in it. Reported:
- jobs ready, failed, stuck (not finished --settle seconds after the others; must be 0);
- per kill: recovery time = from the kill to the next job that becomes ready (a new job
  process started, the killed job delivered again or the next one taken);
- that the server answered /healthz throughout (the number of failed probes).

Run:
    nice -n 15 .venv/bin/python bench/compositions_fault.py [--jobs 50 --kills 5 --bars 2]

Everything lives in a temporary folder (database, media, logs); it talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parent.parent
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME")
FINISHED = ("ready", "failed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, folder: Path):
        self.folder = folder
        self.database = folder / "fault.sqlite3"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self.env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
        self.env.update(
            SQLITE_PATH=str(self.database),
            MEDIA_ROOT=str(folder / "media"),
            PYTHONUNBUFFERED="1",
            THROTTLE_COMPOSE="100000/min",
            THROTTLE_USER="100000/min",
            COMPOSITIONS_MAX_IN_FLIGHT="100000",
            EMOTION_WARM_START="false",  # no live sessions here: leave the CPU to the jobs
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=REPO,
            env=self.env,
            check=True,
        )
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "echoes_site.asgi_server", "-b", "127.0.0.1", "-p", str(self.port),
                 "echoes_site.asgi:application"],
                cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/healthz", timeout=5)
                return
            except requests.ConnectionError:
                time.sleep(0.3)
        raise SystemExit(f"the server did not start; see {self.log}")

    def job_process(self) -> psutil.Process | None:
        """The job process: the server's spawned multiprocessing child (not its resource tracker)."""
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                command = " ".join(child.cmdline())
            except psutil.Error:
                continue
            if "spawn_main" in command and "resource_tracker" not in command:
                return child
        return None

    def statuses(self) -> dict[int, str]:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10) as db:
            return dict(db.execute("SELECT id, status FROM compositions_composition"))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


class HealthProbe(threading.Thread):
    """GET /healthz every second: did the web server keep answering while jobs died?"""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.ok, self.failed = url, 0, 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            try:
                requests.get(self.url + "/healthz", timeout=5)  # any answer (503 "warming" too)
                self.ok += 1
            except requests.RequestException:
                self.failed += 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--bars", type=int, default=2)
    parser.add_argument("--settle", type=float, default=600, help="seconds to wait for the last jobs")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random kill moments")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    folder = Path(tempfile.mkdtemp(prefix="echoes-fault-"))
    server = Server(folder)
    server.start()
    probe = HealthProbe(server.url)
    probe.start()
    try:
        registered = requests.post(
            server.url + "/api/v1/auth/register/",
            json={"username": "faulty", "email": "faulty@example.com", "password": "a-long-pass-phrase-42"},
            timeout=30,
        )
        registered.raise_for_status()
        api = requests.Session()
        api.headers["Authorization"] = f"Token {registered.json()['token']}"
        started = time.monotonic()
        ids = []
        for number in range(args.jobs):
            created = api.post(
                server.url + "/api/v1/compositions/",
                json={"mood": rng.choice(["calm", "happy", "sad", "excited"]), "style": "folk",
                      "bars": args.bars, "seed": number},
                timeout=30,
            )  # fmt: skip
            created.raise_for_status()
            ids.append(created.json()["id"])
        print(f"submitted {len(ids)} jobs of {args.bars} bars in {time.monotonic() - started:.1f} s")

        recoveries: list[float] = []
        kills = 0
        while kills < args.kills:
            time.sleep(rng.uniform(3, 20))
            statuses = server.statuses()
            if all(statuses.get(i) in FINISHED for i in ids):
                print("all jobs finished before every kill happened")
                break
            # Kill mid-job: wait until a job is running in the job process.
            while "running" not in statuses.values():
                time.sleep(0.1)
                statuses = server.statuses()
            victim = server.job_process()
            if victim is None:
                continue
            ready_before = sum(s == "ready" for s in statuses.values())
            victim.kill()
            killed_at = time.monotonic()
            kills += 1
            while time.monotonic() - killed_at < args.settle:
                if sum(s == "ready" for s in server.statuses().values()) > ready_before:
                    break
                time.sleep(0.1)
            recoveries.append(time.monotonic() - killed_at)
            print(
                f"kill {kills}: job process {victim.pid} killed; next job ready after {recoveries[-1]:.1f} s"
            )

        deadline = time.monotonic() + args.settle
        while time.monotonic() < deadline:
            statuses = server.statuses()
            if all(statuses.get(i) in FINISHED for i in ids):
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        statuses = server.statuses()
        ready = sum(statuses.get(i) == "ready" for i in ids)
        failed = sum(statuses.get(i) == "failed" for i in ids)
        stuck = len(ids) - ready - failed
        with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True) as db:
            attempts = [a for (a,) in db.execute("SELECT attempts FROM compositions_composition")]
        print(
            f"jobs {len(ids)}: ready {ready}, failed {failed}, stuck {stuck}; "
            f"kills {kills}; jobs run twice {sum(a > 1 for a in attempts)}; total {elapsed:.0f} s"
        )
        if recoveries:
            print(
                f"recovery time (kill -> next job ready): median {statistics.median(recoveries):.1f} s, "
                f"max {max(recoveries):.1f} s"
            )
        print(f"/healthz probes during the run: {probe.ok} answered, {probe.failed} failed")
        print(f"load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs); logs in {folder}")
        if stuck:
            sys.exit(1)
    finally:
        probe.stop.set()
        server.stop()


if __name__ == "__main__":
    main()
