"""Singer autocomplete (API and preferences page) and the note for a favourite singer
the catalogue has no song by."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.unit.catalogue.factories import make_grid, make_song, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    make_song("Kesariya", "Arijit Singh", language="hi")
    make_song("Tum Hi Ho", "Arijit Singh", language="hi")
    make_song("Ae Dil", "Arijit Singh", language="hi")
    make_song("Jai Ho", "A. R. Rahman", language="hi")
    make_song("Shape", "Ariana Grande", language="en")
    make_song("Lonely", "Singh Is Kinng", language="hi")


def test_autocomplete_suggests_names_starting_with_the_text_first_then_word_starts(client, catalogue):
    client.force_login(make_user())
    names = [s["name"] for s in client.get("/api/v1/singers/autocomplete/", {"q": "ari"}).json()["results"]]
    assert names == ["Arijit Singh", "Ariana Grande"]  # more songs first
    names = [s["name"] for s in client.get("/api/v1/singers/autocomplete/", {"q": "singh"}).json()["results"]]
    assert names == ["Singh Is Kinng", "Arijit Singh"]  # a name starting with it, then a word
    body = client.get("/api/v1/singers/autocomplete/", {"q": "a. r. rah"}).json()
    assert [(s["name"], s["song_count"]) for s in body["results"]] == [("A. R. Rahman", 1)]
    assert client.get("/api/v1/singers/autocomplete/", {"q": "zzz"}).json()["results"] == []
    assert client.get("/api/v1/singers/autocomplete/").status_code == 400


def test_autocomplete_needs_a_login(client):
    assert client.get("/api/v1/singers/autocomplete/", {"q": "ari"}).status_code in (401, 403)


def test_preferences_page_offers_the_singer_picker(client):
    client.force_login(make_user())
    html = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-autocomplete-url="/api/v1/singers/autocomplete/"' in html
    assert "singer-autocomplete.js" in html


def test_a_favourite_singer_with_no_songs_gets_a_note_with_close_names(client, catalogue):
    make_grid(languages=("hi",))
    client.force_login(make_user(languages=["hi"], singers=["Arjit Singh", "A R Rahman", "Nobody Known"]))
    html = client.get(reverse("catalogue:recommendations"), {"mood": "calm"}).content.decode()
    assert 'id="unmatched-singers"' in html
    assert "<strong>Arjit Singh</strong> (did you mean Arijit Singh?)" in html
    assert "<strong>Nobody Known</strong>" in html and "<strong>A R Rahman</strong>" not in html


def test_no_note_when_every_favourite_has_songs(client, catalogue):
    client.force_login(make_user(singers=["Arijit Singh"]))
    assert 'id="unmatched-singers"' not in client.get(reverse("catalogue:recommendations")).content.decode()
