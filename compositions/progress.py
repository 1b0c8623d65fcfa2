"""Progress events of composition jobs, sent to the owner's channel-layer group `user.<id>`.

Sending is best effort: channels_redis drops messages to a full channel, and a page may
connect late, so the final state is always also readable from the database (the REST
status endpoint, and the snapshot the notifications consumer sends on connect).

Why a loop of our own: channels_redis keeps its connection pools per event loop. Calling
`async_to_sync(layer.group_send)` from a Celery task creates a loop per call and leaves
pools bound to dead loops ("Event loop is closed" on later calls, see STACK.md). Here one
daemon thread per process owns one loop for the process's life (re-created after a fork),
and every send is submitted to it, so the pools stay valid and are reused.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

EVENT_TYPE = "composition.progress"
SEND_TIMEOUT_SECONDS = 5.0

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None
# Embedded mode: the in-memory layer's queues belong to the ASGI server's loop, so sends
# from a job thread must be handed to that loop (remembered by the consumer on connect).
_server_loop: asyncio.AbstractEventLoop | None = None
# Embedded mode's job process: its own in-memory layer reaches nobody, so its events go
# over the pipe to the server, which sends them (see echoes_site.embedded_jobs).
_relay: Callable[[str, dict], None] | None = None


def remember_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the notifications consumer: the loop the in-memory layer lives on."""
    global _server_loop
    _server_loop = loop


def needs_server_relay() -> bool:
    """True where events must be handed to the server: an in-memory layer is per process."""
    layer = get_channel_layer()
    return layer is not None and layer.__class__.__name__ == "InMemoryChannelLayer"


def relay_to(send: Callable[[str, dict], None]) -> None:
    """In a job process: give every event to `send(group, message)` instead of a layer."""
    global _relay
    _relay = send


def user_group(user_id: int) -> str:
    """The channel-layer group every open page or app of this user listens to."""
    return f"user.{user_id}"


def _sender_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    with _lock:
        # A forked Celery pool child inherits the variable but not the thread: start anew.
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="composition-progress", daemon=True)
            thread.start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def _running_in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def composition_event(composition: Any) -> dict[str, Any]:
    """The JSON payload describing a composition's progress (also used by snapshots)."""
    return {
        "id": composition.pk,
        "title": composition.title,
        "status": composition.status,
        "stage": composition.stage,
        "error": composition.error_message or None,
        "duration_seconds": composition.duration_seconds,
    }


def publish(composition: Any) -> None:
    """Tell the owner's open pages and apps where this composition's job is. Never raises."""
    message = {"type": EVENT_TYPE, "event": composition_event(composition)}
    group = user_group(composition.owner_id)
    if _relay is not None:
        try:
            _relay(group, message)
        except Exception:
            logger.warning("could not relay progress of composition %s", composition.pk, exc_info=True)
        return
    group_send(group, message)


def group_send(group: str, message: dict) -> None:
    """Send one message to a group from synchronous code, on any layer. Never raises."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if layer.__class__.__name__ == "InMemoryChannelLayer":
            # Embedded mode: only the server's loop may touch the layer's queues.
            loop = _server_loop
            if loop is None or loop.is_closed() or not loop.is_running() or _running_in_event_loop():
                return  # no page has connected in this process: nobody to tell
            future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
            future.result(timeout=SEND_TIMEOUT_SECONDS)
            return
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), _sender_loop())
        future.result(timeout=SEND_TIMEOUT_SECONDS)
    except Exception:
        logger.warning("could not send %s to %s", message.get("type"), group, exc_info=True)
