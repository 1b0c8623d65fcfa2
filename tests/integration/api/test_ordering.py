"""`?ordering=` on list endpoints: allowed fields both ways, unknown ones a clear 400."""

import pytest
from rest_framework.test import APIClient

from tests.integration.api.objects import make_song, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.force_authenticate(make_user())
    return client


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [song["title"] for song in response.json()["results"]]


def test_songs_are_ordered_as_asked_both_ways(api):
    for title in ["Banjara", "Aaoge Jab Tum", "Chaiyya Chaiyya"]:
        make_song(title)
    ascending = titles(api.get("/api/v1/songs/", {"ordering": "title", "q": "a"}))
    assert ascending == sorted(ascending) and len(ascending) == 3
    assert titles(api.get("/api/v1/songs/", {"ordering": "-title", "q": "a"})) == ascending[::-1]


@pytest.mark.parametrize("path", ["/api/v1/songs/", "/api/v1/compositions/", "/api/v1/moods/sessions/"])
def test_an_unknown_ordering_is_a_400_listing_the_choices(api, path):
    response = api.get(path, {"ordering": "password"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert "ordering" in error["fields"]
    assert "Unknown ordering 'password'" in error["message"]
