"""Length, arrangement and form of a composition: asked through the API and the page, stored by the job."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from compositions.services import (
    composition_create,
    composition_job_claim,
    composition_job_save,
    composition_render,
)
from ml.music.errors import InvalidArrangement

BASE = "/api/v1/compositions/"


def test_a_length_in_minutes_becomes_the_bars_at_the_moods_tempo(user):
    composition = composition_create(user=user, mood="calm", style="folk", length="1min", seed=1)
    assert composition.length == "1min" and composition.bars == 20  # calm: 80 bpm, 20 bars = 60 s
    fast = composition_create(user=user, mood="calm", style="folk", length="30s", tempo=160, seed=1)
    assert fast.bars == 20


def test_length_and_bars_together_or_too_long_a_length_are_refused(user):
    with pytest.raises(ValidationError) as both:
        composition_create(user=user, mood="calm", style="folk", length="1min", bars=8)
    assert "length" in both.value.message_dict
    with pytest.raises(ValidationError) as too_long:
        composition_create(user=user, mood="calm", style="folk", length="3min", tempo=240)
    assert "180 bars" in too_long.value.message_dict["length"][0]
    with pytest.raises(InvalidArrangement):
        composition_create(user=user, mood="calm", style="folk", arrangement="kazoo")


def test_the_api_takes_length_and_arrangement_and_says_what_was_asked(api_for, user):
    api_client = api_for(user)
    response = api_client.post(
        BASE, {"mood": "excited", "style": "folk", "length": "30s", "arrangement": "beat"}, format="json"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["length"] == "30s" and body["bars"] == 16 and body["arrangement"] == "beat"
    assert body["form"] == {}  # known once composed
    bad = api_client.post(BASE, {"mood": "calm", "style": "folk", "length": "1min", "bars": 8}, format="json")
    assert bad.status_code == 400 and "length" in bad.json()["error"]["fields"]
    unknown = api_client.post(BASE, {"mood": "calm", "style": "folk", "arrangement": "kazoo"}, format="json")
    assert unknown.status_code == 400 and "arrangement" in unknown.json()["error"]["fields"]


def test_the_compose_page_offers_lengths_and_arrangements(client, user):
    client.force_login(user)
    page = client.get("/compositions/new/").content.decode()
    assert 'value="2min"' in page and 'value="ambient"' in page
    response = client.post(
        "/compositions/new/", {"mood": "sad", "style": "chorale", "length": "30s", "arrangement": "strings"}
    )
    assert response.status_code == 302
    composition = user.compositions.get()
    assert composition.length == "30s" and composition.arrangement == "strings"
    assert composition.bars == 10  # sad: 82 bpm, 10 bars = 29.3 s


def test_the_job_stores_the_form_and_the_arrangement_it_played(user, media_in_tmp):
    composition = composition_create(user=user, mood="calm", style="folk", bars=16, seed=4)
    claimed = composition_job_claim(composition_id=composition.pk, job_token="t1")
    ready = composition_job_save(composition=claimed, rendered=composition_render(composition=claimed))
    assert ready.form["form"] == "AABA"
    assert [s["start_bar"] for s in ready.form["sections"]] == [0, 4, 8, 12]
    assert ready.arrangement == "ambient"  # the calm mood's, as none was asked for
