"""Send a channel-layer group message from synchronous code (views, services, tasks).

Sending is best effort: it never raises, and a message may be dropped (channels_redis
drops messages to a full channel), so whatever it announces must also be readable or
enforced elsewhere.

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

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 5.0

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None
# Embedded mode: the in-memory layer's queues belong to the ASGI server's loop, so sends
# from another thread must be handed to that loop (remembered by consumers on connect).
_server_loop: asyncio.AbstractEventLoop | None = None


def remember_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by consumers on connect: the loop the in-memory layer lives on."""
    global _server_loop
    _server_loop = loop


def _sender_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    with _lock:
        # A forked Celery pool child inherits the variable but not the thread: start anew.
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="channel-send", daemon=True)
            thread.start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def _running_in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def group_send_sync(group: str, message: dict) -> bool:
    """Send `message` to `group`; True if the layer took it. Never raises."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        if layer.__class__.__name__ == "InMemoryChannelLayer":
            # Embedded mode: only the server's loop may touch the layer's queues.
            loop = _server_loop
            if loop is None or loop.is_closed() or not loop.is_running() or _running_in_event_loop():
                return False  # no socket has connected in this process: nobody to tell
        else:
            loop = _sender_loop()
        asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop).result(
            timeout=SEND_TIMEOUT_SECONDS
        )
        return True
    except Exception:
        logger.warning("could not send %s to %s", message.get("type"), group, exc_info=True)
        return False
