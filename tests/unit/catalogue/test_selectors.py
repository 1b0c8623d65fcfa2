"""Reading songs with filters, and resolving the mood a recommendation is for."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from catalogue.selectors import mood_resolve, singer_list, song_list
from ml.errors import InvalidMood
from tests.unit.catalogue.factories import make_song, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def songs():
    return {
        "sad": make_song("Tum Hi Ho", "Arijit Singh", language="hi", valence=0.2, energy=0.3),
        "calm": make_song("Srivalli", "Sid Sriram", language="te", valence=0.75, energy=0.25),
        "excited": make_song(
            "Naatu Naatu", ["Rahul Sipligunj", "Kaala Bhairava"], language="te", valence=0.8, energy=0.95
        ),
    }


def test_song_list_filters(songs):
    assert list(song_list(filters={"language": "Telugu"})) == [songs["excited"], songs["calm"]]
    assert list(song_list(filters={"q": "bhairava"})) == [songs["excited"]]
    assert list(song_list(filters={"singer": "ARIJIT singh"})) == [songs["sad"]]
    assert list(song_list(filters={"mood": "calm"})) == [songs["calm"]]
    assert list(song_list(filters={"energy_min": 0.9})) == [songs["excited"]]
    with pytest.raises(ValidationError):
        list(song_list(filters={"language": "xx"}))


def test_singer_list_counts_songs(songs):
    make_song("Kalaavathi", "Sid Sriram", language="te", valence=0.8, energy=0.6)
    sid = singer_list(q="sid").get()
    assert sid.name == "Sid Sriram" and sid.song_count == 2


def test_mood_resolve_prefers_values_then_label_then_neutral():
    user = make_user()
    assert mood_resolve(user=user, valence=0.6, arousal=-0.5).label == "calm"
    assert mood_resolve(user=user, label="sad").valence == pytest.approx(-0.65)
    assert mood_resolve(user=user).label == "neutral"
    with pytest.raises(InvalidMood):
        mood_resolve(user=user, label="melancholy")
    with pytest.raises(InvalidMood):
        mood_resolve(user=user, valence=2.0, arousal=0.0)
    with pytest.raises(ValidationError):
        mood_resolve(user=user, valence=0.5)
