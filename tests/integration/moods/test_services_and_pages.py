"""Closing sessions (by the client, by the sweep) and the mood-history page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from moods.models import MoodSession
from moods.selectors import session_get, session_latest_mood, session_mood
from moods.services import session_close, session_close_stale, session_record_reading, session_start
from tests.integration.moods.factories import make_session, reading
from tests.integration.moods.helpers import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres")]

HAPPY = ("happy", 10, 0.7, 0.3)
SAD = ("sad", 12, -0.6, -0.4)


def test_closing_sets_the_dominant_mood_from_all_readings_and_is_idempotent():
    ann = make_user("ann")
    session = make_session(ann, [HAPPY, SAD, HAPPY], close=False)
    assert session.is_open and session_mood(session=session).label == "happy"  # 20 vs 12 frames
    closed = session_close(session_id=session.pk, reason="stop", counters={"frames_analysed": 32})
    assert (closed.dominant_mood, closed.frames_analysed, closed.close_reason) == ("happy", 32, "stop")
    assert closed.dominant_valence == pytest.approx(0.7)
    again = session_close(session_id=session.pk, reason="disconnect", counters={"frames_analysed": 99})
    assert again.close_reason == "stop" and again.frames_analysed == 32 and again.ended_at == closed.ended_at


def test_a_session_without_any_face_closes_without_a_mood():
    session = session_start(user=make_user("ann"))
    closed = session_close(session_id=session.pk, reason="disconnect")
    assert closed.dominant_mood == "" and closed.dominant_valence is None


def test_a_closed_session_takes_no_more_readings():
    session = make_session(make_user("ann"), [HAPPY])
    late = reading("sad", 50, -0.6, -0.4, at=timezone.now())
    assert (
        session_record_reading(session_id=session.pk, reading=late, counters={"frames_analysed": 1}) is None
    )
    assert session.readings.count() == 1


def test_the_sweep_closes_only_sessions_whose_server_fell_silent():
    ann = make_user("ann")
    long_ago = timezone.now() - timedelta(minutes=10)
    silent = make_session(ann, [SAD], close=False, started_at=long_ago - timedelta(minutes=1))
    talking = make_session(ann, [HAPPY], close=False)
    MoodSession.objects.filter(pk=silent.pk).update(last_activity_at=long_ago)
    assert session_close_stale(older_than=timedelta(seconds=60)) == 1
    silent.refresh_from_db()
    talking.refresh_from_db()
    assert silent.close_reason == "stale" and silent.ended_at == long_ago and silent.dominant_mood == "sad"
    assert talking.is_open
    assert session_close_stale(older_than=timedelta(seconds=60)) == 0


def test_selectors_never_hand_out_another_users_session():
    from django.http import Http404

    ann, bob = make_user("ann"), make_user("bob")
    bobs = make_session(bob, [HAPPY])
    with pytest.raises(Http404):
        session_get(user=ann, session_id=bobs.pk)
    assert session_latest_mood(user=ann) is None
    assert session_latest_mood(user=bob).label == "happy"


def test_the_history_page_shows_my_moods_and_a_png_chart():
    ann, bob = make_user("ann"), make_user("bob")
    make_session(ann, [HAPPY, HAPPY, SAD])
    make_session(bob, [SAD] * 4)
    client = Client()
    client.force_login(ann)
    page = client.get("/moods/history/")
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        "you were mostly happy" in html and 'data-mood="happy"' in html and "/moods/history/chart.png" in html
    )
    chart = client.get("/moods/history/chart.png?bucket=day")
    assert chart.status_code == 200 and chart["Content-Type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    bad = client.get("/moods/history/?start=2026-05-01&end=2026-04-01")
    assert bad.status_code == 400 and "must not be after" in bad.content.decode()
    assert client.get("/moods/history/chart.png?start=2026-05-01&end=2026-04-01").status_code == 400


def test_the_history_page_asks_strangers_to_log_in():
    response = Client().get("/moods/history/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
