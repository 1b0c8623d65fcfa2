"""The language rule for Spotify tracks (catalogue.language_rule), case by case."""

from __future__ import annotations

import pytest

from catalogue.language_rule import INSTRUMENTAL, UNKNOWN, derive_language, evidence_of
from catalogue.spotify import SpotifyEvidence, artist_tags_parse


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("k-pop", {"ko"}),
        ("j-rock", {"ja"}),
        ("tamil pop", {"ta"}),
        ("modern bollywood", {"hi"}),
        ("latin pop", {"es"}),
        ("samba-jazz", {"pt"}),
        ("canadian pop", {"en"}),
        ("pop-film", {"in?"}),
        ("russian rock", {"other"}),
        ("pop", set()),
        ("acid jazz", set()),
    ],
)
def test_labels_and_tags_name_languages(label, expected):
    assert evidence_of(label) == expected


def test_a_language_genre_names_the_language():
    assert derive_language(track_genres=["k-pop"]) == "ko"
    assert derive_language(track_genres=["sertanejo"]) == "pt"
    assert derive_language(track_genres=["bollywood"]) == "hi"


def test_a_style_genre_alone_is_unknown_not_english():
    assert derive_language(track_genres=["pop", "rock"]) == UNKNOWN


def test_artist_tags_beat_a_misleading_genre():
    # A Tamil film song filed under k-pop (456 such rows in the 114k file).
    assert derive_language(track_genres=["k-pop"], artist_tags=["kollywood", "tamil pop"]) == "ta"


def test_an_indian_artist_without_a_stated_language_is_unknown_rather_than_korean():
    assert derive_language(track_genres=["k-pop"], artist_indian=True) == UNKNOWN
    assert derive_language(track_genres=["malay"], artist_indian=True) == UNKNOWN


def test_regional_indian_beats_filmi_and_hindi_beats_urdu():
    assert derive_language(track_genres=["pop-film"], artist_tags=["filmi", "telugu pop"]) == "te"
    assert derive_language(track_genres=["pop-film"], artist_tags=["filmi", "pakistani pop"]) == "hi"
    assert derive_language(track_genres=["pop-film"]) == UNKNOWN
    assert derive_language(track_genres=["indian"], artist_tags=["tamil pop", "telugu pop"]) == UNKNOWN


def test_english_by_nationality_loses_to_any_other_language():
    assert derive_language(track_genres=["pop"], artist_tags=["uk pop"]) == "en"
    assert derive_language(track_genres=["latin"], artist_tags=["canadian pop"]) == "es"


def test_two_other_languages_are_unknown():
    assert derive_language(track_genres=["latin", "k-pop"]) == UNKNOWN
    assert derive_language(track_genres=["pop"], artist_tags=["dutch pop", "german pop"]) == UNKNOWN


def test_the_lead_artists_other_genres_decide_when_the_track_is_silent():
    assert derive_language(track_genres=["acoustic"], lead_artist_genres=["acoustic", "j-pop"]) == "ja"
    assert derive_language(track_genres=["acoustic"], lead_artist_genres=["acoustic", "pop"]) == UNKNOWN


def test_instrumental_tracks_have_no_language():
    assert derive_language(track_genres=["k-pop"], instrumentalness=0.9) == INSTRUMENTAL
    assert derive_language(track_genres=["k-pop"], instrumentalness=0.3) == "ko"


def test_evidence_spans_files_by_track_id_and_artist_name():
    evidence = SpotifyEvidence()
    # 114k file: the same track under two genres; 2024 file: the artist's tags.
    evidence.add(track_id="A" * 22, genre="k-pop", artists="Yuvan Shankar Raja;Someone")
    evidence.add(track_id="A" * 22, genre="pop", artists="Yuvan Shankar Raja;Someone")
    evidence.add(track_id="B" * 22, genre="hip hop", artists="Yuvan Shankar Raja", tags=["kollywood"])
    evidence.add(track_id="C" * 22, genre="j-pop", artists="Gen Hoshino")
    record = {"spotify_id": "A" * 22, "artists": "Yuvan Shankar Raja;Someone", "track_genre": "pop"}
    assert evidence.language_of(record) == "ta"
    assert (
        evidence.language_of({"spotify_id": "D" * 22, "artists": "Gen Hoshino", "track_genre": "acoustic"})
        == "ja"
    )


def test_artist_tag_cells_parse_and_broken_ones_are_empty():
    assert artist_tags_parse("['filmi', 'modern bollywood']") == ["filmi", "modern bollywood"]
    assert artist_tags_parse("") == [] and artist_tags_parse("[oops") == []
