"""Progress events of composition jobs, sent to the owner's channel-layer group `user.<id>`.

Sending is best effort: channels_redis drops messages to a full channel, and a page may
connect late, so the final state is always also readable from the database (the REST
status endpoint, and the snapshot the notifications consumer sends on connect). How a
message gets from a job's thread or process to the layer: echoes_site.channel_send; in
the embedded job process, over the pipe to the server (echoes_site.embedded_jobs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from channels.layers import get_channel_layer

from echoes_site.channel_send import group_send_sync, remember_server_loop

__all__ = [
    "EVENT_TYPE",
    "composition_event",
    "group_send_sync",
    "needs_server_relay",
    "publish",
    "relay_to",
    "remember_server_loop",
    "user_group",
]

logger = logging.getLogger(__name__)

EVENT_TYPE = "composition.progress"

# Embedded mode's job process: its own in-memory layer reaches nobody, so its events go
# over the pipe to the server, which sends them (see echoes_site.embedded_jobs).
_relay: Callable[[str, dict], None] | None = None


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
    group_send_sync(group, message)
