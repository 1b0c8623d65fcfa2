"""The moods REST API: my sessions, their timelines, my history, one still image."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.integration.moods.factories import make_session
from tests.integration.moods.helpers import face_jpeg, huge_png, make_user, token_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres")]

HAPPY = ("happy", 10, 0.7, 0.3)
SAD = ("sad", 10, -0.6, -0.4)


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def test_i_list_only_my_sessions_newest_first():
    ann, bob = make_user("ann"), make_user("bob")
    old = make_session(ann, [SAD], started_at=timezone.now() - timedelta(days=2))
    new = make_session(ann, [HAPPY, HAPPY])
    make_session(bob, [HAPPY])
    body = client_for(ann).get("/api/v1/moods/sessions/").json()
    assert body["count"] == 2
    assert [s["id"] for s in body["results"]] == [new.pk, old.pk]
    first = body["results"][0]
    assert first["dominant_mood"] == {"label": "happy", "valence": 0.7, "arousal": 0.3}
    assert first["is_open"] is False and first["close_reason"] == "stop" and "frames" in first


def test_sessions_can_be_filtered_by_day():
    ann = make_user("ann")
    make_session(ann, [SAD], started_at=datetime(2026, 1, 10, 9, tzinfo=UTC))
    make_session(ann, [HAPPY], started_at=datetime(2026, 1, 12, 9, tzinfo=UTC))
    body = client_for(ann).get("/api/v1/moods/sessions/?start=2026-01-11&end=2026-01-12").json()
    assert [s["dominant_mood"]["label"] for s in body["results"]] == ["happy"]
    bad = client_for(ann).get("/api/v1/moods/sessions/?start=yesterday")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["start"]


def test_a_session_detail_has_its_timeline_in_time_order():
    ann = make_user("ann")
    session = make_session(ann, [SAD, HAPPY, HAPPY])
    body = client_for(ann).get(f"/api/v1/moods/sessions/{session.pk}/").json()
    assert [point["mood"]["label"] for point in body["timeline"]] == ["sad", "happy", "happy"]
    assert body["timeline"][0]["moods"]["sad"]["frames"] == 10
    assert body["dominant_mood"]["label"] == "happy"


def test_another_users_session_is_404_like_a_missing_one():
    ann, bob = make_user("ann"), make_user("bob")
    bobs = make_session(bob, [HAPPY])
    for url in (f"/api/v1/moods/sessions/{bobs.pk}/", "/api/v1/moods/sessions/999999/"):
        response = client_for(ann).get(url)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert client_for(bob).get(f"/api/v1/moods/sessions/{bobs.pk}/").status_code == 200


def test_the_api_needs_a_user():
    assert APIClient().get("/api/v1/moods/sessions/").status_code == 401


def test_history_gives_points_per_session_or_day_and_the_share_of_each_mood():
    ann, bob = make_user("ann"), make_user("bob")
    day = datetime(2026, 3, 5, 10, tzinfo=UTC)
    first = make_session(ann, [HAPPY, HAPPY, SAD], started_at=day)
    second = make_session(ann, [SAD, SAD], started_at=day + timedelta(hours=3))
    make_session(ann, [HAPPY], started_at=day - timedelta(days=40))  # out of range
    make_session(bob, [HAPPY] * 5, started_at=day)  # someone else's
    client = client_for(ann)

    body = client.get("/api/v1/moods/history/?start=2026-03-01&end=2026-03-05").json()
    assert body["sessions"] == 2 and body["bucket"] == "session"
    assert [(p["session_id"], p["mood"]) for p in body["points"]] == [(first.pk, "happy"), (second.pk, "sad")]
    assert body["frames"]["happy"] == 20 and body["frames"]["sad"] == 30
    assert body["distribution"]["sad"] == 0.6 and body["dominant"]["label"] == "sad"

    by_day = client.get("/api/v1/moods/history/?start=2026-03-01&end=2026-03-05&bucket=day").json()
    assert [(p["at"][:10], p["mood"], p["frames"]) for p in by_day["points"]] == [("2026-03-05", "sad", 50)]


@pytest.mark.parametrize(
    "query",
    ["start=2026-03-05&end=2026-03-01", "bucket=minute", "start=2020-01-01&end=2026-01-01", "end=tomorrow"],
)
def test_a_bad_history_range_is_a_400_that_says_why(query):
    response = client_for(make_user("ann")).get(f"/api/v1/moods/history/?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_latest_mood_is_that_of_my_latest_session_with_a_mood():
    ann = make_user("ann")
    client = client_for(ann)
    assert client.get("/api/v1/moods/latest/").json() == {"mood": None}
    make_session(ann, [SAD], started_at=timezone.now() - timedelta(hours=1))
    make_session(ann, [HAPPY])
    assert client.get("/api/v1/moods/latest/").json()["mood"]["label"] == "happy"


def test_a_still_image_is_analysed_from_multipart_or_a_raw_body():
    client = client_for(make_user("ann"))
    upload = io.BytesIO(face_jpeg())
    upload.name = "me.jpg"
    multipart = client.post("/api/v1/moods/analyze/", {"image": upload}, format="multipart")
    raw = client.post("/api/v1/moods/analyze/", face_jpeg(), content_type="image/jpeg")
    for response in (multipart, raw):
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["emotion"] == "happy" and body["face"]["box"][2] > 0
        assert body["mood"]["label"] in {"happy", "excited"} and body["image_size"] == [320, 240]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"definitely not an image", "image/jpeg", 400, "invalid"),
        (b"", "image/png", 400, "invalid"),
        (face_jpeg()[:400], "image/jpeg", 400, "invalid"),
        (b"\xff\xd8" + bytes(1024 * 1024), "image/jpeg", 413, "too_large"),
        (huge_png(), "image/png", 413, "too_large"),
        (b"{}", "application/json", 415, "unsupported_media_type"),
        (b"GIF89a", "text/plain", 415, "unsupported_media_type"),
    ],
    ids=["garbage", "empty", "truncated", "over-1MB", "10000x10000", "json", "text"],
)
def test_a_bad_still_image_is_a_clear_4xx(body, content_type, status, code):
    response = client_for(make_user("ann")).post("/api/v1/moods/analyze/", body, content_type=content_type)
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def test_a_multipart_image_over_1_mb_is_413():
    client = client_for(make_user("ann"))
    upload = io.BytesIO(b"\xff\xd8" + bytes(1024 * 1024 + 10))
    upload.name = "big.jpg"
    response = client.post("/api/v1/moods/analyze/", {"image": upload}, format="multipart")
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


def test_a_form_without_an_image_is_a_400_naming_the_field():
    response = client_for(make_user("ann")).post("/api/v1/moods/analyze/", {"photo": "x"}, format="multipart")
    assert response.status_code == 400
    assert "image" in response.json()["error"]["fields"]
