"""The library page is cached whole; every write path of a composition invalidates it
(a stale library is a worse bug than a slow one). Each test reads the page once so it is
cached, writes one way, and reads again."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compositions.models import Composition
from compositions.services import (
    composition_create,
    composition_delete,
    composition_favourite_set,
    composition_job_claim,
    composition_rename,
)

BASE = "/api/v1/compositions/"


@pytest.fixture(autouse=True)
def fresh_cache():
    # Revision tokens of an earlier run's user ids must not outlive the test database.
    cache.clear()


def _titles(api, query: str = "") -> list[str]:
    response = api.get(BASE + query)
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


def _make(user, title: str = "first") -> Composition:
    composition = composition_create(user=user, mood="calm", style="folk")
    composition_rename(composition=composition, title=title)
    return composition


def test_a_repeated_page_is_served_from_the_cache(user, api_for):
    _make(user)
    api = api_for(user)
    _titles(api)
    with CaptureQueriesContext(connection) as queries:
        assert _titles(api) == ["first"]
    sqls = [q["sql"] for q in queries.captured_queries]
    assert not any("compositions_composition" in sql for sql in sqls), sqls


def test_pages_are_per_user_and_per_query(user, other_user, api_for):
    _make(user, "mine")
    _make(other_user, "theirs")
    assert _titles(api_for(user)) == ["mine"]
    assert _titles(api_for(other_user)) == ["theirs"]
    assert _titles(api_for(user), "?q=nothing") == []


def test_service_writes_invalidate(user, api_for):
    composition = _make(user)
    api = api_for(user)
    _titles(api)
    composition_rename(composition=composition, title="renamed")  # QuerySet.update()
    assert _titles(api) == ["renamed"]
    composition_favourite_set(composition=composition, favourite=True)
    assert api.get(BASE).json()["results"][0]["favourite"] is True
    composition_job_claim(composition_id=composition.pk, job_token="t")  # save under lock
    assert api.get(BASE).json()["results"][0]["status"] == "running"
    composition_delete(composition=composition)  # QuerySet.delete()
    assert _titles(api) == []


def test_create_invalidates(user, api_for):
    api = api_for(user)
    assert _titles(api) == []
    _make(user)
    assert _titles(api) == ["first"]


@pytest.mark.parametrize(
    "write",
    [
        lambda c: Composition.objects.filter(owner=c.owner).update(title="bulk"),
        lambda c: Composition.objects.filter(pk=c.pk).delete(),
        lambda c: Composition.objects.all().delete(),
        lambda c: Composition.objects.get(pk=c.pk).delete(),
        lambda c: setattr(c, "title", "saved") or c.save(),
        lambda c: Composition.objects.bulk_create(
            [Composition(owner=c.owner, title="bulk", mood_label="calm", valence=0, arousal=0, style="folk")]
        ),
    ],
    ids=["queryset-update", "queryset-delete", "delete-all", "instance-delete", "save", "bulk-create"],
)
def test_every_orm_write_invalidates(user, api_for, write):
    composition = _make(user)
    api = api_for(user)
    before = api.get(BASE).json()
    write(composition)
    assert api.get(BASE).json() != before


def test_update_moving_a_composition_invalidates_the_new_owner(user, other_user, api_for):
    composition = _make(user)
    theirs = api_for(other_user)
    assert _titles(theirs) == []
    Composition.objects.filter(pk=composition.pk).update(owner=other_user)
    assert _titles(theirs) == ["first"]


def test_a_deleted_mood_session_clears_its_link(user, api_for, closed_session):
    session = closed_session(user, "calm")
    composition = _make(user)
    Composition.objects.filter(pk=composition.pk).update(mood_session=session)
    api = api_for(user)
    assert api.get(BASE).json()["results"][0]["mood_session"] == session.pk
    session.delete()  # the collector's SET_NULL
    assert api.get(BASE).json()["results"][0]["mood_session"] is None


def test_invalid_queries_are_not_cached(user, api_for):
    api = api_for(user)
    assert api.get(BASE + "?mood=nonsense").status_code == 400
    assert api.get(BASE + "?mood=nonsense").status_code == 400


def test_without_redis_the_library_and_writes_keep_working(user, api_for, settings):
    # Nothing listens on port 1 (Django rebuilds its cache handlers on a CACHES change).
    settings.CACHES = {
        "default": {"BACKEND": "echoes_site.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    composition = _make(user)  # bumps fail quietly
    composition_rename(composition=composition, title="offline")
    assert _titles(api_for(user)) == ["offline"]


def test_a_new_account_with_a_reused_id_never_sees_the_old_page(user, api_for):
    # After a database reset ids are handed out again while Redis keeps its tokens: the
    # account's join time is part of the key, so the page is built afresh.
    from django.utils import timezone

    _make(user)
    api = api_for(user)
    _titles(api)
    type(user).objects.filter(pk=user.pk).update(date_joined=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        _titles(api)
    assert any("compositions_composition" in q["sql"] for q in queries.captured_queries)
