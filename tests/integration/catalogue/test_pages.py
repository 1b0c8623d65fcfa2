"""The recommendations and history pages, on PostgreSQL."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from catalogue.models import ListeningEvent
from tests.unit.catalogue.factories import make_event, make_grid, make_song, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres")]


@pytest.fixture
def browser():
    make_grid()
    user = make_user(languages=["te"], singers=["Sid Sriram"])
    client = Client()
    client.force_login(user)
    return client, user


def test_pages_need_a_login():
    response = Client().get(reverse("catalogue:recommendations"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_recommendations_page_lists_songs_with_reasons_and_actions(browser):
    client, _ = browser
    make_song("Srivalli", "Sid Sriram", language="te", valence=0.75, energy=0.3)
    page = client.get(reverse("catalogue:recommendations"), {"mood": "calm", "strategy": "match"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="recommendation-list"' in html and 'data-mood="calm"' in html
    assert "matches calm; you like Sid Sriram" in html
    assert html.count('class="song"') == 20
    for kind in ("play", "like", "skip"):
        assert f'data-kind="{kind}"' in html


def test_lift_page_shows_the_journey_and_a_reload_shows_the_same_playlist(browser):
    client, _ = browser
    url = reverse("catalogue:recommendations")
    first = client.get(url, {"mood": "sad", "strategy": "lift"}).content.decode()
    assert 'data-journey-steps="5"' in first and "a journey in 5 steps from <strong>sad</strong>" in first
    assert "Step 1: sad" in first and "lifting toward sad" not in first
    again = client.get(url, {"mood": "sad", "strategy": "lift"}).content.decode()

    def song_ids(html: str) -> list[str]:
        return re.findall(r'class="song" id="song-(\d+)"', html)

    assert song_ids(first) == song_ids(again) and len(song_ids(first)) == 20


def test_like_button_records_an_event_and_returns_to_the_page(browser):
    client, user = browser
    song = make_song("Srivalli", "Sid Sriram")
    back = reverse("catalogue:recommendations") + "?mood=calm"
    response = client.post(
        reverse("catalogue:event-create"), {"song": song.id, "kind": "like", "mood": "calm", "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    assert ListeningEvent.objects.get(user=user).kind == "like"


def test_event_form_refuses_bad_input_and_foreign_redirects(browser):
    client, _ = browser
    song = make_song("Srivalli", "Sid Sriram")
    assert (
        client.post(reverse("catalogue:event-create"), {"song": song.id, "kind": "dance"}).status_code == 400
    )
    response = client.post(
        reverse("catalogue:event-create"), {"song": song.id, "kind": "play", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("catalogue:recommendations")


def test_history_page_shows_only_my_events(browser):
    client, user = browser
    mine = make_song("Srivalli", "Sid Sriram")
    theirs = make_song("Naatu Naatu", ["Rahul Sipligunj", "Kaala Bhairava"])
    make_event(user, mine, "finish")
    make_event(make_user(), theirs, "like")
    html = client.get(reverse("catalogue:history")).content.decode()
    assert 'id="history-table"' in html and "Srivalli" in html and "Naatu Naatu" not in html
    assert 'data-kind="finish"' in html


def test_recommendations_for_a_session_link_and_another_users_session_is_404(browser):
    from moods.services import session_start

    client, user = browser
    own = session_start(user=user)
    page = client.get(reverse("catalogue:recommendations"), {"session": own.id})
    assert page.status_code == 200 and "no mood yet" in page.content.decode()
    other = session_start(user=make_user())
    assert client.get(reverse("catalogue:recommendations"), {"session": other.id}).status_code == 404


def test_admin_lists_songs_with_search_and_filters():
    from accounts.models import User

    make_song("Srivalli", "Sid Sriram", language="te")
    make_song("Tum Hi Ho", "Arijit Singh", language="hi")
    admin = User.objects.create_superuser(username="boss", email="boss@example.com", password="x")
    client = Client()
    client.force_login(admin)
    html = client.get("/admin/catalogue/song/", {"q": "sid", "language__exact": "te"}).content.decode()
    assert "Srivalli" in html and "Tum Hi Ho" not in html
    assert client.get("/admin/catalogue/listeningevent/").status_code == 200


def test_a_song_with_a_spotify_id_plays_in_the_page_and_one_without_falls_back_to_youtube(browser):
    client, _ = browser
    track = "3n3Ppam7vgaVa1iaRUc9Lp"
    make_song("Kesariya", "Sid Sriram", language="te", valence=0.75, energy=0.3, spotify_id=track)
    make_song("Srivalli", "Sid Sriram", language="te", valence=0.74, energy=0.31)
    html = client.get(reverse("catalogue:recommendations"), {"mood": "calm"}).content.decode()
    assert f'data-embed-url="https://open.spotify.com/embed/track/{track}"' in html
    kesariya = html[html.index("Kesariya") : html.index("</li>", html.index("Kesariya"))]
    assert "youtube.com" not in kesariya and "Play here" in kesariya
    srivalli = html[html.index(">Srivalli<") : html.index("</li>", html.index(">Srivalli<"))]
    assert "youtube.com/results?search_query=Srivalli" in srivalli and "data-embed-url" not in srivalli


def test_the_csp_allows_exactly_the_spotify_player_as_a_frame(browser):
    client, _ = browser
    policy = client.get(reverse("catalogue:recommendations"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["frame-src"] == "https://open.spotify.com"
    # our own scripts only; 'wasm-unsafe-eval' compiles WebAssembly (the soundtrack's synth), no JS eval
    assert (
        directives["frame-ancestors"] == "'none'" and directives["script-src"] == "'self' 'wasm-unsafe-eval'"
    )
