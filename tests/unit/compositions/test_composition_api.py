"""The REST API of compositions: create, list/filter/paginate, detail, status, rename,
favourite, delete, downloads; another user's object is 404 on every route."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from compositions.models import Composition
from compositions.services import (
    RenderedPiece,
    composition_create,
    composition_job_claim,
    composition_job_save,
)

BASE = "/api/v1/compositions/"


def _ready(user, **kwargs) -> Composition:
    composition = composition_create(user=user, **{"mood": "calm", "style": "folk", **kwargs})
    claimed = composition_job_claim(composition_id=composition.pk, job_token="t")
    return composition_job_save(
        composition=claimed,
        rendered=RenderedPiece(
            midi=b"MThd midi", audio=b"OggS audio", piano_roll=b"\x89PNG", duration_seconds=9.0, metrics={}
        ),
    )


def test_create_answers_202_with_the_queued_composition(user, api_for):
    response = api_for(user).post(
        BASE, {"mood": "sad", "style": "chorale", "bars": 4, "seed": 1}, format="json"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["mood"]["label"] == "sad" and body["bars"] == 4
    assert body["files"] == {"midi": None, "audio": None, "piano_roll": None}


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"mood": "euphoric", "style": "folk"}, "Unknown mood"),
        ({"mood": "calm", "style": "dubstep"}, "Unknown style"),
        ({"mood": "calm", "style": "folk", "bars": 1000}, "bars"),
        ({"mood": "calm", "style": "folk", "tempo": 5}, "Tempo"),
        ({"mood": "calm", "style": "folk", "bars": "many"}, "integer"),
        ({"style": "folk"}, "mood"),
        ({"mood": "calm"}, "style"),
    ],
)
def test_bad_create_input_is_a_400_in_the_api_error_format(user, api_for, payload, fragment):
    response = api_for(user).post(BASE, payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and fragment.lower() in error["message"].lower()


def test_too_many_in_flight_is_a_429_saying_why(user, api_for, settings):
    settings.COMPOSITIONS_MAX_IN_FLIGHT = 1
    api = api_for(user)
    assert api.post(BASE, {"mood": "calm", "style": "folk"}, format="json").status_code == 202
    response = api.post(BASE, {"mood": "calm", "style": "folk"}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_in_flight"
    assert "in progress" in response.json()["error"]["message"]


def test_another_users_session_is_404_and_ones_own_gives_its_mood(user, other_user, api_for, closed_session):
    session = closed_session(other_user, "happy")
    response = api_for(user).post(BASE, {"session_id": session.pk, "style": "folk"}, format="json")
    assert response.status_code == 404
    own = api_for(other_user).post(BASE, {"session_id": session.pk, "style": "folk"}, format="json")
    assert own.status_code == 202
    assert own.json()["mood"]["label"] == "happy" and own.json()["mood_session"] == session.pk


def test_list_filters_by_mood_style_favourite_and_paginates(user, other_user, api_for):
    composition_create(user=user, mood="calm", style="folk")
    sad = composition_create(user=user, mood="sad", style="chorale")
    Composition.objects.filter(pk=sad.pk).update(favourite=True)
    composition_create(user=other_user, mood="sad", style="chorale")
    api = api_for(user)
    assert api.get(BASE).json()["count"] == 2
    assert [c["id"] for c in api.get(BASE, {"mood": "sad"}).json()["results"]] == [sad.pk]
    assert [c["id"] for c in api.get(BASE, {"style": "chorale"}).json()["results"]] == [sad.pk]
    assert [c["id"] for c in api.get(BASE, {"favourite": "true"}).json()["results"]] == [sad.pk]
    page = api.get(BASE, {"limit": 1}).json()
    assert len(page["results"]) == 1 and page["next"]
    assert api.get(BASE, {"created_from": "2999-01-01"}).json()["count"] == 0
    assert api.get(BASE, {"mood": "euphoric"}).status_code == 400


def test_rename_favourite_status_and_delete(user, api_for, django_capture_on_commit_callbacks):
    composition = _ready(user)
    api = api_for(user)
    url = f"{BASE}{composition.pk}/"
    assert (
        api.post(url + "rename/", {"title": "  Rainy   day "}, format="json").json()["title"] == "Rainy day"
    )
    assert api.post(url + "rename/", {"title": " "}, format="json").status_code == 400
    assert api.post(url + "favourite/", {"favourite": True}, format="json").json()["favourite"] is True
    status = api.get(url + "status/").json()
    assert status["status"] == "ready" and status["files"]["audio"].endswith("/audio/")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(url).status_code == 204
    assert not default_storage.exists(composition.midi_file.name)
    assert api.get(url).status_code == 404


def test_downloads_stream_the_owners_files(user, api_for):
    composition = _ready(user, title="Rainy day")
    api = api_for(user)
    midi = api.get(f"{BASE}{composition.pk}/midi/")
    assert midi.status_code == 200 and b"".join(midi.streaming_content) == b"MThd midi"
    assert midi["Content-Type"] == "audio/midi" and 'filename="rainy-day.mid"' in midi["Content-Disposition"]
    audio = api.get(f"{BASE}{composition.pk}/audio/", {"download": "0"})
    assert audio["Content-Type"] == "audio/ogg" and audio["Content-Disposition"].startswith("inline")
    assert api.get(f"{BASE}{composition.pk}/piano-roll/")["Content-Type"] == "image/png"


def test_a_file_of_a_job_in_progress_is_a_409(user, api_for):
    composition = composition_create(user=user, mood="calm", style="folk")
    response = api_for(user).get(f"{BASE}{composition.pk}/audio/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_ready"


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("get", "status/", None),
        ("get", "midi/", None),
        ("get", "audio/", None),
        ("get", "piano-roll/", None),
        ("post", "rename/", {"title": "mine now"}),
        ("post", "favourite/", {"favourite": True}),
        ("delete", "", None),
    ],
)
def test_every_route_is_404_for_another_user(user, other_user, api_for, method, suffix, payload):
    composition = _ready(other_user)
    response = getattr(api_for(user), method)(f"{BASE}{composition.pk}/{suffix}", payload, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    composition.refresh_from_db()
    assert composition.title == "Calm folk" and composition.favourite is False


@pytest.mark.parametrize("suffix", ["", "midi/", "audio/", "piano-roll/"])
def test_pages_and_files_are_404_for_another_user(user, other_user, client, suffix):
    composition = _ready(other_user)
    client.force_login(user)
    assert client.get(f"/compositions/{composition.pk}/{suffix}").status_code == 404
    assert client.post(f"/compositions/{composition.pk}/delete/").status_code == 404
    assert Composition.objects.filter(pk=composition.pk).exists()


def test_anonymous_clients_are_refused(client):
    assert client.get(BASE).status_code in (401, 403)
    assert client.get("/compositions/").status_code == 302


def test_a_burst_of_create_requests_is_throttled_with_429(user, api_for, settings):
    settings.COMPOSITIONS_MAX_IN_FLIGHT = 1000
    from django.core.cache import cache

    cache.clear()
    allowed = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["compose"].split("/")[0])
    api = api_for(user)
    codes = [
        api.post(BASE, {"mood": "calm", "style": "folk", "bars": 1}, format="json").status_code
        for _ in range(allowed + 5)
    ]
    assert codes[:allowed] == [202] * allowed and set(codes[allowed:]) == {429}
    response = api.post(BASE, {"mood": "calm", "style": "folk"}, format="json")
    assert response.json()["error"]["code"] == "throttled"
    assert Composition.objects.count() == allowed


def test_the_written_out_representation_equals_drfs_rendering_of_the_declared_fields(user, closed_session):
    from compositions.serializers import CompositionSerializer

    session = closed_session(user, "happy")
    queued = composition_create(
        user=user, session_id=session.pk, style="chorale", bars=4, seed=3, title="Rain"
    )
    ready = _ready(user, tempo=90)
    ready.favourite = True
    ready.metrics = {"used_pitch_classes": 7, "bars": [1, 2]}
    for composition in (queued, ready, Composition.objects.get(pk=ready.pk)):
        serializer = CompositionSerializer()
        assert serializer.to_representation(composition) == serializer.generic_representation(composition)
    listed = CompositionSerializer(Composition.objects.filter(owner=user).order_by("id"), many=True).data
    assert [c["id"] for c in listed] == [queued.pk, ready.pk] and listed[1]["files"]["audio"]
