"""The library pages: compose form, library with filters, detail, rename/favourite/delete."""

from __future__ import annotations

from compositions.models import Composition
from compositions.services import (
    RenderedPiece,
    composition_create,
    composition_job_claim,
    composition_job_save,
)


def _ready(user, **kwargs) -> Composition:
    composition = composition_create(user=user, **{"mood": "calm", "style": "folk", **kwargs})
    claimed = composition_job_claim(composition_id=composition.pk, job_token="t")
    return composition_job_save(
        composition=claimed,
        rendered=RenderedPiece(
            midi=b"MThd", audio=b"OggS", piano_roll=b"\x89PNG", duration_seconds=3.0, metrics={}
        ),
    )


def test_the_compose_form_queues_a_job_and_shows_its_progress(user, client):
    client.force_login(user)
    assert client.get("/compositions/new/").status_code == 200
    response = client.post(
        "/compositions/new/", {"mood": "sad", "style": "chorale", "bars": 4, "title": "Grey"}
    )
    composition = Composition.objects.get(owner=user)
    assert response.status_code == 302 and response["Location"] == f"/compositions/{composition.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Grey" in page and 'data-status="queued"' in page and "<progress" in page


def test_the_compose_form_explains_bad_input(user, client):
    client.force_login(user)
    response = client.post("/compositions/new/", {"mood": "latest-session", "style": "folk", "bars": 8})
    assert response.status_code == 400
    assert "no mood session" in response.content.decode()
    response = client.post("/compositions/new/", {"mood": "calm", "style": "folk", "bars": 500})
    assert response.status_code == 400 and not Composition.objects.exists()


def test_the_library_lists_only_the_users_pieces_with_filters(user, other_user, client):
    _ready(user, title="Morning calm")
    composition_create(user=user, mood="angry", style="renaissance", title="Storm")
    _ready(other_user, title="Not yours")
    client.force_login(user)
    page = client.get("/compositions/").content.decode()
    assert "Morning calm" in page and "Storm" in page and "Not yours" not in page
    assert "<audio" in page  # the ready piece has a player
    filtered = client.get("/compositions/", {"mood": "angry"}).content.decode()
    assert "Storm" in filtered and "Morning calm" not in filtered


def test_rename_favourite_and_delete_from_the_detail_page(user, client, django_capture_on_commit_callbacks):
    composition = _ready(user)
    client.force_login(user)
    client.post(f"/compositions/{composition.pk}/rename/", {"title": "Evening"})
    client.post(f"/compositions/{composition.pk}/favourite/", {"favourite": "1"})
    composition.refresh_from_db()
    assert composition.title == "Evening" and composition.favourite
    assert client.get(f"/compositions/{composition.pk}/audio/")["Content-Type"] == "audio/ogg"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/compositions/{composition.pk}/delete/").status_code == 302
    assert not Composition.objects.exists()
