"""Progress events of composition jobs, sent to the owner's channel-layer group `user.<id>`.

Sending is best effort: channels_redis drops messages to a full channel, and a page may
connect late, so the final state is always also readable from the database (the REST
status endpoint, and the snapshot the notifications consumer sends on connect). How a
message gets from a job's thread or process to the layer: echoes_site.channel_send.
"""

from __future__ import annotations

from typing import Any

from echoes_site.channel_send import group_send_sync, remember_server_loop

__all__ = ["EVENT_TYPE", "composition_event", "publish", "remember_server_loop", "user_group"]

EVENT_TYPE = "composition.progress"


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
    group_send_sync(
        user_group(composition.owner_id), {"type": EVENT_TYPE, "event": composition_event(composition)}
    )
