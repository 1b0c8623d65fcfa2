"""Recommendation candidates are cached per process and catalogue version: read once for
every listener in a mood and languages, and never stale after the catalogue changes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.caching import catalogue_version
from catalogue.models import Song
from catalogue.recommender import recommend
from catalogue.services import SongData, songs_upsert
from ml.mood import mood_named
from tests.unit.catalogue.factories import make_grid, make_song, make_user

pytestmark = pytest.mark.django_db


def song_queries(user, mood: str = "calm", **kwargs) -> tuple[list[int], list[str]]:
    """The ranked song ids, and the SQL that read the song table for them."""
    with CaptureQueriesContext(connection) as queries:
        ids = [r.song.id for r in recommend(user=user, mood=mood_named(mood), **kwargs)]
    table = Song._meta.db_table
    return ids, [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"] and "COUNT(" not in q["sql"]]


def test_a_second_listener_in_the_same_mood_and_languages_reads_no_songs():
    make_grid()
    first, first_reads = song_queries(make_user(languages=["te"]), limit=10)
    again, again_reads = song_queries(make_user(languages=["te"]), limit=10)
    assert first_reads, "the first ranking reads the candidates"
    assert again == first and again_reads == []
    # Another mood or other languages are other candidates.
    assert song_queries(make_user(languages=["te"]), mood="happy", limit=10)[1]
    assert song_queries(make_user(languages=["ta"]), limit=10)[1]


def test_a_song_added_to_the_catalogue_is_recommended_at_once():
    make_grid(languages=("te",))
    user = make_user(languages=["te"])
    before = [r.song.id for r in recommend(user=user, mood=mood_named("calm"), limit=5)]
    calm = recommend(user=user, mood=mood_named("calm"), limit=1)[0]
    perfect = make_song("Right on calm", "New singer", valence=calm.target_valence, energy=calm.target_energy)
    after = [r.song.id for r in recommend(user=make_user(languages=["te"]), mood=mood_named("calm"), limit=5)]
    assert perfect.id not in before and after[0] == perfect.id


def test_a_song_changed_by_the_importer_or_deleted_is_not_recommended_from_the_cache():
    songs = make_grid(languages=("te",))
    user = make_user(languages=["te"])
    top = recommend(user=user, mood=mood_named("calm"), limit=1)[0].song
    # The importer's bulk update moves the top song far away from calm ...
    songs_upsert(
        songs=[
            SongData(
                title=top.title, singers=tuple(top.singer_names), language="te", valence=0.99, energy=0.99
            )
        ]
    )
    moved = recommend(user=make_user(languages=["te"]), mood=mood_named("calm"), limit=3)
    assert top.id not in [r.song.id for r in moved]
    # ... and a deleted song is gone from the next ranking.
    gone = moved[0].song
    Song.objects.filter(pk=gone.pk).delete()
    after = recommend(user=make_user(languages=["te"]), mood=mood_named("calm"), limit=3)
    assert gone.id not in [r.song.id for r in after]
    assert len(songs) == 25


def test_the_version_changes_with_every_kind_of_song_write_and_is_one_cheap_read():
    song = make_song("Versioned", "Some singer", valence=0.5, energy=0.5)
    seen = [catalogue_version()]

    def changed() -> bool:
        seen.append(catalogue_version())
        return seen[-1] != seen[-2]

    song.title = "Renamed in the admin"
    song.save()
    assert changed()
    song.singers.set([make_song("Other", "Another singer").singers.first()])
    assert changed()
    songs_upsert(
        songs=[SongData(title="Imported", singers=("Bulk singer",), language="te", valence=0.2, energy=0.3)]
    )
    assert changed()
    Song.objects.filter(pk=song.pk).delete()
    assert changed()
    with CaptureQueriesContext(connection) as queries:
        catalogue_version()
    assert len(queries) == 1 and "COUNT(" not in queries[0]["sql"].upper()
