"""Recommendation answers are cached whole; every write that changes what the ranking
reads invalidates them: the listener's events (single and bulk writes), the profile's
preferences (in the key), the catalogue (its version is in the key)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import profile_update, token_obtain
from catalogue.models import LISTENING_REVISIONS, ListeningEvent
from catalogue.services import listening_event_create
from echoes_site import revisions
from tests.unit.catalogue.factories import make_song, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/recommendations/?mood=happy&limit=5"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # revision tokens of an earlier run's user ids must not outlive its database


def _api(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_obtain(user=user).key}")
    return api


def _titles(api, url: str = URL) -> list[str]:
    response = api.get(url)
    assert response.status_code == 200, response.content
    return [row["song"]["title"] for row in response.json()["results"]]


@pytest.fixture
def listener():
    for n in range(4):
        make_song(f"song {n}", f"singer {n}", language="te", valence=0.8 - n * 0.05, energy=0.7)
    make_song("english song", "singer e", language="en", valence=0.8, energy=0.7)
    return make_user(languages=["te"])


def test_a_repeated_request_is_served_from_the_cache(listener):
    api = _api(listener)
    first = _titles(api)
    with CaptureQueriesContext(connection) as queries:
        assert _titles(api) == first
    sqls = [q["sql"] for q in queries.captured_queries]
    assert not any("catalogue_listeningevent" in sql for sql in sqls), sqls


def test_a_play_changes_the_next_answer(listener):
    api = _api(listener)
    first = _titles(api)
    song = make_song("fresh", "singer f", language="te", valence=0.8, energy=0.7)  # catalogue write
    assert "fresh" in _titles(api)
    played = listening_event_create(user=listener, song=song, kind="play")
    assert played.song.title not in _titles(api)  # recently played songs rest
    assert first  # the catalogue had songs to rank before


def test_preferences_are_part_of_the_key(listener):
    api = _api(listener)
    assert "english song" not in _titles(api)
    profile_update(user=listener, languages=["en"])
    assert _titles(api) == ["english song"]


def test_answers_are_per_user(listener):
    other = make_user(languages=["en"])
    assert "english song" not in _titles(_api(listener))
    assert _titles(_api(other)) == ["english song"]


@pytest.mark.parametrize(
    "write",
    [
        lambda user, song: listening_event_create(user=user, song=song, kind="like"),
        lambda user, song: ListeningEvent.objects.filter(user=user).update(kind="skip"),
        lambda user, song: ListeningEvent.objects.filter(user=user).delete(),
        lambda user, song: ListeningEvent.objects.get(user=user).delete(),
        lambda user, song: ListeningEvent.objects.bulk_create(
            [ListeningEvent(user=user, song=song, kind="play")]
        ),
        lambda user, song: ListeningEvent.objects.bulk_update(
            [setattr(e, "kind", "skip") or e for e in ListeningEvent.objects.filter(user=user)], ["kind"]
        ),
        lambda user, song: song.delete(),  # the collector deletes its events one by one (signals)
    ],
    ids=[
        "create",
        "queryset-update",
        "queryset-delete",
        "instance-delete",
        "bulk-create",
        "bulk-update",
        "cascade",
    ],
)
def test_every_write_of_a_listening_event_replaces_the_revision(listener, write):
    song = make_song("touched", "singer t", language="te")
    listening_event_create(user=listener, song=song, kind="play")
    before = revisions.current(LISTENING_REVISIONS, listener.pk)
    write(listener, song)
    assert revisions.current(LISTENING_REVISIONS, listener.pk) != before


def test_without_redis_recommendations_and_events_keep_working(listener, settings):
    settings.CACHES = {
        "default": {"BACKEND": "echoes_site.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    song = make_song("offline", "singer o", language="te", valence=0.8, energy=0.7)
    listening_event_create(user=listener, song=song, kind="play")  # the bump fails quietly
    assert "offline" not in _titles(_api(listener))


def test_a_new_account_with_a_reused_id_never_sees_the_old_answer(listener):
    from django.utils import timezone

    api = _api(listener)
    _titles(api)
    type(listener).objects.filter(pk=listener.pk).update(date_joined=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        _titles(api)
    assert any("catalogue_listeningevent" in q["sql"] for q in queries.captured_queries)
