"""/ws/notifications/ with the in-memory layer: refusal without a user, a snapshot on
connect, progress events of the user's jobs only, ping and error frames."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from compositions.consumers import CLOSE_UNAUTHENTICATED, NotificationsConsumer
from compositions.models import Composition
from compositions.progress import publish

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def settings_in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def _communicator(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(NotificationsConsumer.as_asgi(), "/ws/notifications/")
    communicator.scope["user"] = user
    return communicator


def test_a_connection_without_a_user_is_closed_with_4401(settings_in_memory_layer):
    async def scenario():
        communicator = _communicator(AnonymousUser())
        connected, code = await communicator.connect()
        assert not connected and code == CLOSE_UNAUTHENTICATED

    async_to_sync(scenario)()


def test_progress_of_the_users_jobs_arrives_and_others_do_not(settings_in_memory_layer, make_user):
    user, stranger = make_user("carol"), make_user("dave")
    # Unsaved rows: creating real ones here would start embedded jobs (covered by the
    # integration tests, with a real worker); progress only needs their fields.
    mine = Composition(pk=101, owner=user, title="Calm folk", mood_label="calm", valence=0.5, arousal=-0.5)
    theirs = Composition(
        pk=102, owner=stranger, title="Sad folk", mood_label="sad", valence=-0.6, arousal=-0.4
    )
    async_to_sync(_progress_scenario)(user, mine, theirs)


async def _progress_scenario(user, mine, theirs):
    communicator = _communicator(user)
    connected, _ = await communicator.connect()
    assert connected
    snapshot = json.loads(await communicator.receive_from())
    assert snapshot["type"] == "composition.snapshot"
    assert snapshot["compositions"] == []

    await sync_to_async(publish)(theirs)
    mine.stage = Composition.Stage.GENERATING
    await sync_to_async(publish)(mine)
    event = json.loads(await communicator.receive_from())
    assert (event["type"], event["id"], event["stage"]) == ("composition.progress", mine.pk, "generating")
    assert await communicator.receive_nothing(timeout=0.2)

    await communicator.send_to(text_data=json.dumps({"type": "ping"}))
    assert json.loads(await communicator.receive_from()) == {"type": "pong"}
    await communicator.send_to(text_data="not json")
    error = json.loads(await communicator.receive_from())
    assert error["type"] == "error" and error["code"] == "bad_json"
    await communicator.disconnect()
