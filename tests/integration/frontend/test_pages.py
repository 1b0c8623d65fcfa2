"""The front end's own pages render for the right people, with what their scripts need."""

import json

import pytest
from django.urls import reverse

from tests.integration.accounts.factories import make_user

pytestmark = pytest.mark.django_db


def page_config(response, element_id):
    """The JSON a page embeds for its module (json_script)."""
    html = response.content.decode()
    start = html.index(f'id="{element_id}"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def test_session_page_sends_visitors_to_log_in(client):
    response = client.get(reverse("frontend:session"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_landing_page_invites_visitors_to_sign_up(client):
    html = client.get(reverse("frontend:home")).content.decode()
    assert reverse("accounts:signup") in html
    assert "Live session" not in html  # the app's navigation is for members


def test_navigation_links_every_page_for_members(client):
    client.force_login(make_user())
    html = client.get(reverse("frontend:home")).content.decode()
    for href in (
        reverse("frontend:session"),
        reverse("compositions:library"),
        reverse("moods:history"),
        reverse("api-docs"),
        reverse("accounts:profile"),
    ):
        assert f'href="{href}"' in html
    assert "Recommendations" in html


def test_session_page_gives_its_module_every_endpoint(client):
    client.force_login(make_user())
    response = client.get(reverse("frontend:session"))
    assert response.status_code == 200
    config = page_config(response, "session-config")
    assert config["ws_path"] == "/ws/session/"
    for key in ("recommendations_url", "listening_events_url", "compositions_url", "composition_status_url"):
        assert config[key], key
    assert set(config["prototypes"]) == {"happy", "excited", "calm", "neutral", "sad", "angry", "anxious"}
    html = response.content.decode()
    assert f'<a href="{reverse("frontend:session")}" aria-current="page">Live session</a>' in html
    for emotion in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"):
        assert f'data-emotion="{emotion}"' in html
