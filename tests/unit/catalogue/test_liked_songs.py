"""The liked-songs list with unlike (API and page), and undo for a skip."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalogue.models import ListeningEvent
from tests.unit.catalogue.factories import make_event, make_song, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(client):
    user = make_user(languages=["te"])
    client.force_login(user)
    return client, user


def test_liked_songs_are_listed_newest_first_once_each_and_only_mine(listener):
    client, user = listener
    older, newer, played = (make_song(t, "Sid Sriram") for t in ("Older", "Newer", "Played"))
    make_event(user, older, "like", hours_ago=5)
    make_event(user, older, "like", hours_ago=4)
    make_event(user, newer, "like", hours_ago=1)
    make_event(user, played, "play")
    make_event(make_user(), played, "like")
    body = client.get("/api/v1/liked-songs/").json()
    assert [s["title"] for s in body["results"]] == ["Newer", "Older"]
    assert body["results"][0]["liked_at"]


def test_unlike_takes_a_song_off_the_list_and_unknown_is_404(listener):
    client, user = listener
    song = make_song("Srivalli", "Sid Sriram")
    make_event(user, song, "like")
    make_event(user, song, "play")
    assert client.delete(f"/api/v1/liked-songs/{song.id}/").status_code == 204
    assert client.get("/api/v1/liked-songs/").json()["results"] == []
    assert list(ListeningEvent.objects.filter(user=user).values_list("kind", flat=True)) == ["play"]
    assert client.delete(f"/api/v1/liked-songs/{song.id}/").status_code == 404


def test_liked_page_lists_songs_with_an_unlike_button(listener):
    client, user = listener
    song = make_song("Srivalli", "Sid Sriram")
    make_event(user, song, "like")
    html = client.get(reverse("catalogue:liked")).content.decode()
    assert 'id="liked-list"' in html and "Srivalli" in html and "Unlike" in html
    response = client.post(reverse("catalogue:unlike", args=[song.id]), {"next": reverse("catalogue:liked")})
    assert response.status_code == 302
    assert "No liked songs yet" in client.get(reverse("catalogue:liked")).content.decode()


def test_a_skip_can_be_undone_from_the_history_page_but_not_anothers(listener):
    client, user = listener
    song = make_song("Srivalli", "Sid Sriram")
    skip = make_event(user, song, "skip")
    assert "Undo skip" in client.get(reverse("catalogue:history")).content.decode()
    theirs = make_event(make_user(), song, "skip")
    assert client.post(reverse("catalogue:event-undo", args=[theirs.id])).status_code == 404
    assert client.post(reverse("catalogue:event-undo", args=[skip.id])).status_code == 302
    assert not ListeningEvent.objects.filter(user=user).exists()
