"""A mood chosen by hand, "that's not how I feel" corrections and the calibration they fit."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from moods.models import MoodCorrection, MoodSession
from moods.services import session_start
from tests.integration.moods.factories import make_session
from tests.integration.moods.helpers import make_user
from tests.integration.moods.test_api import HAPPY, client_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]

# What the page showed: a face the model read as mostly sad.
SHOWN_SAD = {
    "angry": 0.02,
    "disgust": 0.01,
    "fear": 0.05,
    "happy": 0.05,
    "sad": 0.62,
    "surprise": 0.02,
    "neutral": 0.23,
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def correct(client, session_id: int, felt: str = "neutral", shown: dict | None = None):
    return client.post(
        f"/api/v1/moods/sessions/{session_id}/corrections/",
        {"probabilities": shown or SHOWN_SAD, "felt_mood": felt},
        format="json",
    )


def test_a_mood_chosen_without_a_camera_is_my_latest_mood_for_songs_and_music():
    ann = make_user("ann")
    make_session(ann, [HAPPY])
    client = client_for(ann)
    answer = client.post("/api/v1/moods/choose/", {"mood": "calm"}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["chosen_mood"]["label"] == "calm" and body["dominant_mood"] is None
    assert body["close_reason"] == "chosen" and body["is_open"] is False and body["client"] == "token"
    assert client.get("/api/v1/moods/latest/").json()["mood"]["label"] == "calm"
    # "Recommend / compose from my latest session" use it like a measured mood.
    songs = client.get("/api/v1/recommendations/").json()
    assert songs["mood"]["label"] == "calm"
    detail = client.get(f"/api/v1/moods/sessions/{body['id']}/").json()
    assert detail["verdict"] == "calm, as you chose"


def test_a_chosen_mood_overrides_what_a_live_session_measured():
    ann = make_user("ann")
    session = make_session(ann, [HAPPY], close=False)
    answer = client_for(ann).post(
        f"/api/v1/moods/sessions/{session.pk}/mood/", {"mood": "sad"}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["chosen_mood"]["label"] == "sad"
    assert client_for(ann).get("/api/v1/moods/latest/").json()["mood"]["label"] == "sad"


def test_an_unknown_mood_is_a_400_naming_the_field():
    answer = client_for(make_user("ann")).post("/api/v1/moods/choose/", {"mood": "elated"}, format="json")
    assert answer.status_code == 400 and "mood" in answer.json()["error"]["fields"]


def test_a_correction_is_stored_becomes_the_sessions_mood_and_fits_my_calibration():
    ann = make_user("ann")
    session = make_session(ann, [HAPPY])
    client = client_for(ann)
    assert client.get("/api/v1/moods/calibration/").json() == {
        "corrections": 0,
        "bias": dict.fromkeys(SHOWN_SAD, 0.0),
    }
    answer = correct(client, session.pk, "neutral")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["felt_mood"] == "neutral" and body["session_id"] == session.pk
    # Without an earlier calibration what was shown is what the model read.
    assert body["probabilities"] == body["model_probabilities"] == SHOWN_SAD
    stored = MoodCorrection.objects.get()
    assert stored.user == ann and stored.session == session
    session.refresh_from_db()
    assert session.chosen_mood == "neutral"
    calibration = client.get("/api/v1/moods/calibration/").json()
    assert calibration["corrections"] == 1
    assert calibration["bias"]["neutral"] > 0 > calibration["bias"]["sad"]
    listed = client.get("/api/v1/moods/corrections/").json()
    assert [c["id"] for c in listed["results"]] == [body["id"]]


def test_a_later_session_keeps_the_calibration_and_its_corrections_undo_it():
    ann = make_user("ann")
    client = client_for(ann)
    first = make_session(ann, [HAPPY])
    for _ in range(3):
        assert correct(client, first.pk, "neutral").status_code == 201
    later = session_start(user=ann)
    assert later.calibration["corrections"] == 3
    # The page of the later session showed calibrated numbers; the stored model
    # probabilities are the model's own again (the calibration undone).
    shown = {k: round(v, 4) for k, v in SHOWN_SAD.items()}
    body = correct(client, later.pk, "neutral", shown=shown).json()
    assert body["probabilities"] == shown
    assert body["model_probabilities"]["sad"] > shown["sad"]
    assert body["model_probabilities"]["neutral"] < shown["neutral"]


def test_corrections_of_one_user_leave_another_users_calibration_alone():
    ann, bob = make_user("ann"), make_user("bob")
    session = make_session(ann, [HAPPY])
    for _ in range(3):
        correct(client_for(ann), session.pk, "neutral")
    assert client_for(bob).get("/api/v1/moods/calibration/").json()["corrections"] == 0
    assert session_start(user=bob).calibration is None
    assert client_for(bob).get("/api/v1/moods/corrections/").json()["count"] == 0


def test_another_users_session_is_404_for_corrections_and_chosen_moods():
    ann, bob = make_user("ann"), make_user("bob")
    session = make_session(ann, [HAPPY])
    assert correct(client_for(bob), session.pk).status_code == 404
    chose = client_for(bob).post(f"/api/v1/moods/sessions/{session.pk}/mood/", {"mood": "sad"}, format="json")
    assert chose.status_code == 404 and chose.json()["error"]["code"] == "not_found"
    assert not MoodCorrection.objects.exists()
    assert MoodSession.objects.get(pk=session.pk).chosen_mood == ""


@pytest.mark.parametrize(
    "shown, field",
    [
        ({**SHOWN_SAD, "sad": 0.1}, "add up to 1"),
        ({k: v for k, v in SHOWN_SAD.items() if k != "sad"}, "7 emotion probabilities"),
        ({**SHOWN_SAD, "sad": 1.5}, "probabilities"),
    ],
)
def test_bad_probabilities_are_a_400_that_says_why(shown, field):
    ann = make_user("ann")
    session = make_session(ann, [HAPPY])
    answer = correct(client_for(ann), session.pk, shown=shown)
    assert answer.status_code == 400
    assert field in str(answer.json()["error"])
    assert not MoodCorrection.objects.exists()
