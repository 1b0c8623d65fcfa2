#!/usr/bin/env python3
"""One entry point for people and CI, needing only Python 3.11.

    python3 dev.py run    set up .venv, install, migrate, load the catalogue, serve :8000
    python3 dev.py test   set up .venv and install, then run the whole test suite

Extra arguments after `test` go to pytest; after `run`, `--port N` and `--host H`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".requirements.sha256"
# Frames up to 1 MB get an error frame from the consumer; daphne cuts off above 2 MiB (1009),
# and pings drop clients that vanished without closing.
DAPHNE_OPTIONS = (
    *("--websocket_timeout", "-1"),
    *("--websocket-max-message-size", "2097152", "--websocket-max-frame-size", "2097152"),
    *("--ping-interval", "20", "--ping-timeout", "30"),
)


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(*args: str | Path, **kwargs) -> None:
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, **kwargs)


def setup() -> None:
    """Create .venv and install the locked dependencies (skipped when already current)."""
    if sys.version_info[:2] != (3, 11):
        say(f"warning: Python 3.11 is expected, this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        say("creating .venv")
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != digest:
        say("installing dependencies from requirements.lock (first time: a few minutes)")
        # --no-deps: the lock is complete, and it swaps mediapipe's GUI OpenCV for the
        # headless build (both would share one cv2 folder).
        run(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-deps", "-r", LOCK)
        STAMP.write_text(digest)
    else:
        say("dependencies are up to date")


def manage(*args: str) -> None:
    run(PYTHON, "manage.py", *args)


def serve(argv: list[str]) -> None:
    host = argv[argv.index("--host") + 1] if "--host" in argv else "127.0.0.1"
    port = argv[argv.index("--port") + 1] if "--port" in argv else "8000"
    setup()
    say("migrating the database")
    manage("migrate", "--noinput", "-v", "0")
    say("loading the song catalogue")
    manage("load_catalogue")
    say(f"serving Emotional Echoes on http://{host}:{port} (HTTP and WebSockets); Ctrl-C stops")
    daphne = [str(PYTHON), "-m", "echoes_site.asgi_server", "-b", host, "-p", port, *DAPHNE_OPTIONS]
    os.execv(str(PYTHON), [*daphne, "echoes_site.asgi:application"])


def test(argv: list[str]) -> None:
    setup()
    say("running the test suite")
    result = subprocess.run([str(PYTHON), "-m", "pytest", *argv], cwd=ROOT)
    sys.exit(result.returncode)


def main() -> None:
    command, argv = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("help", [])
    if command == "run":
        serve(argv)
    elif command == "test":
        test(argv)
    elif command == "setup":
        setup()
    else:
        print(__doc__)
        sys.exit(0 if command in {"help", "-h", "--help"} else 2)


if __name__ == "__main__":
    main()
