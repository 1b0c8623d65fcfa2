"""The full-catalogue import: both Spotify layouts, dedupe by track id, curated songs kept."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from catalogue.models import Song
from tests.unit.catalogue.factories import make_song
from tests.unit.catalogue.test_importing import spotify_id

pytestmark = pytest.mark.django_db

HEADER_114K = (
    ",track_id,artists,album_name,track_name,popularity,duration_ms,explicit,danceability,energy,key,"
    "loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,time_signature,track_genre"
)
HEADER_2024 = (
    "search_genre,track_name,track_id,artist_name,artist_id,album_name,release_date,duration_ms,explicit,"
    "track_number,popularity,data_collection_date,danceability,energy,key,loudness,mode,speechiness,"
    "acousticness,instrumentalness,liveness,valence,tempo,time_signature,artist_genres,artist_popularity,"
    "artist_followers"
)

TAMIL_TAGS = "['kollywood', 'tamil pop']"
HINDI_TAGS = "['filmi', 'modern bollywood']"


def row_114k(i, track, artists, title, genre, valence="0.4", energy="0.6", instrumental="0.0"):
    return (
        f"{i},{track},{artists},Album,{title},60,200000,False,0.55,{energy},5,-6.0,1,0.05,0.3,"
        f"{instrumental},0.1,{valence},118.0,4,{genre}"
    )


def row_2024(genre, title, track, artist, tags, date="2019-05-03", valence="0.7"):
    return (
        f"{genre},{title},{track},{artist},{'x' * 22},Album,{date},200000,False,1,50,2024-11-06,0.6,0.5,5,"
        f'-6.0,0,0.05,0.2,0.0,0.1,{valence},100.0,4,"{tags}",60,1000'
    )


@pytest.fixture
def files(tmp_path):
    kpop, tamil, bieber, acoustic = (spotify_id(n) for n in ("kpop", "tamil", "bieber", "acoustic"))
    a = tmp_path / "a.csv"
    a.write_text(
        "\n".join(
            [
                HEADER_114K,
                row_114k(0, kpop, "BTS", "Spring Day", "k-pop"),
                row_114k(1, kpop, "BTS", "Spring Day", "pop"),  # same track, second genre
                row_114k(2, tamil, "Yuvan Shankar Raja", "Pogadhe", "k-pop"),
                row_114k(3, spotify_id("tum"), "Arijit Singh", "Tum Hi Ho", "pop-film", valence="0.2"),
                row_114k(4, "not-an-id", "X", "Broken", "pop"),
                row_114k(5, acoustic, "Gen Hoshino", "Comedy", "acoustic"),
                row_114k(6, spotify_id("gen"), "Gen Hoshino", "Koi", "j-pop"),
                row_114k(7, spotify_id("inst"), "Nobody", "Drone", "ambient", instrumental="0.93"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    b = tmp_path / "b.csv"
    b.write_text(
        "\n".join(
            [
                HEADER_2024,
                row_2024("k-pop", "Spring Day", kpop, "BTS", "['k-pop', 'k-pop boy group']"),
                row_2024(
                    "hip hop", "Other", spotify_id("y2"), "Yuvan Shankar Raja", "['kollywood', 'tamil pop']"
                ),
                row_2024(
                    "latin", "Despacito", bieber, "Justin Bieber", "['canadian pop', 'pop']", date="0000"
                ),
                row_2024(
                    "bollywood",
                    "Tum Hi Ho",
                    spotify_id("tum"),
                    "Arijit Singh",
                    "['filmi', 'modern bollywood']",
                ),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return a, b


def run(*paths) -> str:
    out = StringIO()
    call_command("import_spotify", *map(str, paths), "--no-progress", stdout=out)
    return out.getvalue()


def test_both_layouts_import_once_per_track_with_derived_languages(files):
    output = run(*files)
    assert Song.objects.count() == 8  # 11 good rows, 3 of them tracks already read
    assert "line 6: track_id must be a 22-character Spotify id" in output
    assert "8 unique tracks" in output
    spring = Song.objects.get(spotify_id=spotify_id("kpop"))
    assert spring.language == "ko" and spring.features == "measured" and spring.valence == 0.4
    # The 2024 file's tags make the k-pop-filed Tamil song Tamil.
    assert Song.objects.get(spotify_id=spotify_id("tamil")).language == "ta"
    assert Song.objects.get(spotify_id=spotify_id("tum")).language == "hi"
    # Tagged Canadian but filed under latin; "0000" is an unknown year, not a rejected row.
    despacito = Song.objects.get(spotify_id=spotify_id("bieber"))
    assert (despacito.language, despacito.year) == ("es", None)
    assert Song.objects.get(spotify_id=spotify_id("acoustic")).language == "ja"
    assert Song.objects.get(spotify_id=spotify_id("inst")).language == "zxx"
    assert Song.objects.get(spotify_id=spotify_id("y2")).year == 2019


def test_importing_again_changes_nothing(files):
    run(*files)
    before = sorted(Song.objects.values_list("spotify_id", "updated_at"))
    output = run(*files)
    assert sorted(Song.objects.values_list("spotify_id", "updated_at")) == before
    assert "0 created, 0 updated" in output


def test_a_curated_song_keeps_its_language_and_gains_the_measured_features(files):
    call_command("load_catalogue", stdout=StringIO(), stderr=StringIO())
    curated = Song.objects.get(title="Tum Hi Ho", singers_key="arijit singh")
    assert (curated.curated, curated.features, curated.spotify_id) == (True, "hand", None)
    run(*files)
    curated.refresh_from_db()
    assert curated.spotify_id == spotify_id("tum") and curated.features == "measured"
    assert curated.valence == 0.2 and curated.language == "hi" and curated.album == "Aashiqui 2"
    assert Song.objects.filter(title="Tum Hi Ho", singers_key="arijit singh").count() == 1
    # Loading the curated file again keeps the measured features.
    out = StringIO()
    call_command("load_catalogue", stdout=out, stderr=StringIO())
    curated.refresh_from_db()
    assert curated.valence == 0.2 and curated.features == "measured"
    assert "0 created, 0 updated" in out.getvalue()


def test_hand_and_measured_songs_are_told_apart_in_the_api(files, client):
    from tests.unit.catalogue.factories import make_user

    make_song("Kannalane", "K. S. Chithra", features="hand")
    run(*files)
    client.force_login(make_user())
    body = client.get("/api/v1/songs/", {"limit": 50}).json()
    by_title = {s["title"]: s for s in body["results"]}
    assert by_title["Kannalane"]["features"] == "hand" and by_title["Kannalane"]["embed_url"] is None
    assert by_title["Spring Day"]["features"] == "measured"
    assert by_title["Spring Day"]["embed_url"] == f"https://open.spotify.com/embed/track/{spotify_id('kpop')}"
