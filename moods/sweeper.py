"""The stale-session sweep on a timer in every server process.

A server that dies (SIGKILL, power) leaves its live sessions open; the sweep closes
those silent for `stale_seconds()`. It used to start with the first WebSocket of a
process, so a restarted server with no new socket never swept (104 s of an open session
seen in issue 19). Now echoes_site.asgi starts this thread when a server loads the app.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.db import close_old_connections

from moods import services

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_thread: threading.Thread | None = None
_pid: int | None = None


def _sweep_forever() -> None:
    while True:
        time.sleep(max(1.0, services.stale_seconds() / 2))
        try:
            closed = services.session_close_stale()
            if closed:
                logger.info("closed %d stale mood sessions", closed)
        except Exception:
            logger.exception("stale mood session sweep failed")
        finally:
            close_old_connections()


def sweeper_start() -> None:
    """Start this process's sweep thread (once per process; again after a fork)."""
    global _thread, _pid
    with _lock:
        if _thread is not None and _thread.is_alive() and _pid == os.getpid():
            return
        _thread = threading.Thread(target=_sweep_forever, name="mood-session-sweep", daemon=True)
        _thread.start()
        _pid = os.getpid()
