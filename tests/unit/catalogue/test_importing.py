"""The importer on good and bad files, and the shipped catalogue."""

from __future__ import annotations

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalogue.importing import ImportRefused, RowError, clean_song, import_songs
from catalogue.models import Singer, Song

pytestmark = pytest.mark.django_db

SPOTIFY_HEADER = (
    "track_id,artists,album_name,track_name,popularity,duration_ms,explicit,danceability,energy,key,"
    "loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,time_signature,track_genre"
)


def spotify_id(text: str) -> str:
    """A well-formed 22-character Spotify id, the same for the same text."""
    digits = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[(digits >> (6 * i)) % 62] for i in range(22))


def spotify_row(
    title: str, artists: str, valence="0.5", energy="0.5", tempo="120.0", mode="1", genre="pop"
) -> str:
    return (
        f"{spotify_id(title)},{artists},Album,{title},50,200000,False,0.5,{energy},5,-6.0,"
        f"{mode},0.05,0.1,0.0,0.1,{valence},{tempo},4,{genre}"
    )


def write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_spotify_layout_csv_imports_with_a_default_language(tmp_path):
    rows = [
        spotify_row("Kesariya", "Arijit Singh"),
        spotify_row("Tum Kya Mile", "Arijit Singh;Shreya Ghoshal", mode="0"),
    ]
    path = write(tmp_path, "songs.csv", "\n".join([SPOTIFY_HEADER, *rows]) + "\n")
    report = import_songs(path, default_language="Hindi")
    assert (report.rows, report.created, report.rejected_count) == (2, 2, 0)
    duet = Song.objects.get(title="Tum Kya Mile")
    assert duet.language == "hi" and duet.singer_names == ["Arijit Singh", "Shreya Ghoshal"]
    assert duet.mode == 0 and duet.tempo == 120.0 and duet.genre == "pop"
    assert Singer.objects.count() == 2
    assert "youtube.com/results?search_query=Tum+Kya+Mile+Arijit+Singh" in duet.listen_url


def test_importing_twice_changes_nothing(tmp_path):
    path = write(
        tmp_path, "songs.csv", "\n".join([SPOTIFY_HEADER, spotify_row("A", "X"), spotify_row("B", "Y;Z")])
    )
    import_songs(path, default_language="en")
    before = list(Song.objects.values_list("id", "updated_at"))
    again = import_songs(path, default_language="en")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert list(Song.objects.values_list("id", "updated_at")) == before


def test_changed_features_update_the_same_song(tmp_path):
    import_songs(
        write(tmp_path, "a.csv", "\n".join([SPOTIFY_HEADER, spotify_row("A", "X", valence="0.2")])),
        default_language="en",
    )
    report = import_songs(
        write(tmp_path, "b.csv", "\n".join([SPOTIFY_HEADER, spotify_row("A", "x", valence="0.9")])),
        default_language="en",
    )
    assert (report.created, report.updated) == (0, 1)
    assert Song.objects.get().valence == 0.9


def test_bad_rows_are_reported_with_line_numbers_and_good_rows_kept(tmp_path):
    text = "\n".join(
        [
            "track_name,artists,valence,energy,tempo,mode,language,year",
            "Good one,Singer A,0.5,0.5,100,1,te,2001",  # line 2
            "Too happy,Singer B,7,0.5,100,1,te,2001",  # 3: valence 7
            "Wordy,Singer C,high,0.5,100,1,te,2001",  # 4: wrong type
            "Klingon,Singer D,0.5,0.5,100,1,tlh,2001",  # 5: unknown language
            "Good one,singer a,0.5,0.5,100,1,te,2001",  # 6: duplicate of 2
            ",Singer E,0.5,0.5,100,1,te,2001",  # 7: no title
            "Short row,Singer F,0.5",  # 8: missing fields
            "Bad mode,Singer G,0.5,0.5,100,major-ish,te,2001",  # 9
            "Good two,Singer H,0.1,0.9,,,Tamil,",  # 10
        ]
    )
    report = import_songs(write(tmp_path, "mixed.csv", text))
    assert report.created == 2
    assert sorted(Song.objects.values_list("title", flat=True)) == ["Good one", "Good two"]
    reasons = {r.line: r.reason for r in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "valence must be between 0 and 1, not 7" in reasons[3]
    assert "valence must be a number" in reasons[4]
    assert "unknown language 'tlh'" in reasons[5]
    assert "duplicate of line 2" in reasons[6]
    assert "track_name is empty" in reasons[7]
    assert "expected 8 fields, found 3" in reasons[8]
    assert "mode must be 1" in reasons[9]


def test_non_utf8_bytes_reject_only_their_row(tmp_path):
    data = (
        "track_name,artists,valence,energy,language\n"
        "Fine,Singer A,0.5,0.5,en\n"
        "Caf\xe9,Singer B,0.5,0.5,fr\n".encode("latin-1")
        + b"Also fine,Singer C,0.5,0.5,en\n"
    )
    report = import_songs(write(tmp_path, "latin.csv", data))
    assert report.created == 2
    assert [r.line for r in report.rejected] == [3]
    assert "not valid utf-8" in report.rejected[0].reason


def test_a_declared_encoding_reads_legacy_files(tmp_path):
    data = "track_name,artists,valence,energy,language\nCafé,Zaz,0.5,0.5,fr\n".encode("latin-1")
    report = import_songs(write(tmp_path, "latin.csv", data), encoding="latin-1")
    assert report.created == 1 and Song.objects.get().title == "Café"


def test_quoted_multiline_fields_keep_line_numbers_right(tmp_path):
    text = 'track_name,artists,valence,energy,language\n"Two\nlines",A,0.5,0.5,en\nBroken,B,2,0.5,en\n'
    report = import_songs(write(tmp_path, "multi.csv", text))
    assert report.created == 1 and [r.line for r in report.rejected] == [4]


def test_missing_columns_refuse_the_file(tmp_path):
    path = write(tmp_path, "cols.csv", "track_name,artists,valence\nA,B,0.5\n")
    with pytest.raises(ImportRefused, match="missing required columns: energy, language"):
        import_songs(path)
    assert Song.objects.count() == 0


def test_an_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB without writing them
    with pytest.raises(ImportRefused, match="200.0 MB; the limit is 100 MB"):
        import_songs(path, default_language="en")


def test_unknown_default_language_and_encoding_are_refused(tmp_path):
    path = write(tmp_path, "a.csv", "track_name,artists,valence,energy\nA,B,0.5,0.5\n")
    with pytest.raises(ImportRefused, match="Unknown language"):
        import_songs(path, default_language="elvish")
    with pytest.raises(ImportRefused, match="Unknown encoding"):
        import_songs(path, default_language="en", encoding="no-such-codec")


def test_json_array_and_json_lines_import(tmp_path):
    songs = [
        {"track_name": "Srivalli", "artists": "Sid Sriram", "valence": 0.7, "energy": 0.3, "language": "te"},
        {"track_name": "Bad", "artists": "X", "valence": "loud", "energy": 0.3, "language": "te"},
        {
            "title": "Naatu Naatu",
            "singers": ["Rahul Sipligunj", "Kaala Bhairava"],
            "valence": 0.8,
            "energy": 0.95,
            "language": "Telugu",
        },
    ]
    array = import_songs(write(tmp_path, "songs.json", json.dumps(songs, indent=2)))
    assert array.created == 2 and array.rejected_count == 1
    assert array.rejected[0].line == 9  # the second object starts on line 9 of the indented file
    lines = import_songs(write(tmp_path, "songs.jsonl", "\n".join(json.dumps(s) for s in songs)))
    assert (lines.created, lines.unchanged, [r.line for r in lines.rejected]) == (0, 2, [2])


def test_broken_json_keeps_the_rows_before_the_error(tmp_path):
    text = (
        '[{"track_name": "A", "artists": "B", "valence": 0.5, "energy": 0.5, "language": "en"},\n'
        ' {"track_name": '
    )
    report = import_songs(write(tmp_path, "broken.json", text))
    assert (
        report.created == 1 and report.rejected[0].line == 2 and "not valid JSON" in report.rejected[0].reason
    )


def test_clean_song_names_every_problem_of_a_row():
    with pytest.raises(RowError) as error:
        clean_song({"track_name": "", "artists": "", "valence": "7", "energy": "-1", "language": "xx"})
    message = str(error.value)
    for part in (
        "track_name is empty",
        "artists is empty",
        "unknown language",
        "valence must be between",
        "energy must be between",
    ):
        assert part in message


def test_import_command_prints_the_report(tmp_path):
    path = write(tmp_path, "cmd.csv", "track_name,artists,valence,energy\nA,B,0.5,0.5\nC,D,9,0.5\n")
    out = StringIO()
    call_command("import_songs", str(path), "--language", "ta", "--no-progress", stdout=out)
    assert (
        "2 rows: 1 created" in out.getvalue()
        and "line 3: valence must be between 0 and 1, not 9" in out.getvalue()
    )
    with pytest.raises(CommandError, match="missing required columns"):
        call_command("import_songs", str(path), "--no-progress", stdout=StringIO())


def test_shipped_catalogue_loads_idempotently_with_enough_variety():
    out = StringIO()
    call_command("load_catalogue", stdout=out)
    assert Song.objects.count() >= 300
    languages = set(Song.objects.values_list("language", flat=True))
    assert len(languages) >= 8 and {"te", "hi", "ta", "en"} <= languages
    assert Singer.objects.count() >= 60
    call_command("load_catalogue", stdout=out)
    assert "0 created, 0 updated" in out.getvalue().splitlines()[-1]


def test_a_broken_json_line_rejects_only_itself(tmp_path):
    good = '{"track_name": "A", "artists": "B", "valence": 0.5, "energy": 0.5, "language": "en"}'
    text = "\n".join([good, '{"track_name": "broken", ', "[1, 2]", good.replace('"A"', '"C"')])
    report = import_songs(write(tmp_path, "songs.jsonl", text))
    assert report.created == 2
    assert [(r.line, r.reason.split(":")[0]) for r in report.rejected] == [
        (2, "not valid JSON"),
        (3, "each song must be a JSON object"),
    ]


def test_large_json_array_streams_with_right_line_numbers(tmp_path):
    songs = [
        {
            "track_name": f"Song {i}",
            "artists": f"Singer {i % 40}",
            "valence": 0.5,
            "energy": 0.5,
            "language": "en",
        }
        for i in range(3000)
    ]
    songs[2500]["valence"] = 9
    path = write(tmp_path, "big.json", "[\n" + ",\n".join(json.dumps(s) for s in songs) + "\n]\n")
    assert path.stat().st_size > 256 * 1024  # more than one chunk
    report = import_songs(path)
    assert report.created == 2999 and [r.line for r in report.rejected] == [2502]


@pytest.mark.parametrize("name", ["empty.csv", "empty.json"])
def test_an_empty_file_is_refused(tmp_path, name):
    with pytest.raises(ImportRefused, match="empty"):
        import_songs(write(tmp_path, name, "\n  \n"), default_language="en")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "nul.csv",
            b"track_name,artists,valence,energy\nA\x00x,B,0.5,0.5\nC,D,0.5,0.5\n",
            "track_name contains a NUL",
        ),
        (
            "nul2.csv",
            b"track_name,artists,valence,energy\nA,B\x00,0.5,0.5\nC,D,0.5,0.5\n",
            "artists contains a NUL",
        ),
        (
            "nul.json",
            b'[{"track_name": "A\\u0000x", "artists": "B", "valence": 0.5, "energy": 0.5},'
            b' {"track_name": "C", "artists": "D", "valence": 0.5, "energy": 0.5}]',
            "track_name contains a NUL",
        ),
        (
            "surrogate.json",
            b'[{"track_name": "A\\ud800", "artists": "B", "valence": 0.5, "energy": 0.5},'
            b' {"track_name": "C", "artists": "D", "valence": 0.5, "energy": 0.5}]',
            "lone surrogate",
        ),
    ],
)
def test_a_nul_or_a_lone_surrogate_rejects_its_row_not_the_import(tmp_path, name, content, reason):
    # PostgreSQL refuses NUL in text: the command printed a traceback (issue 19).
    out = StringIO()
    call_command(
        "import_songs", str(write(tmp_path, name, content)), "--language", "ta", "--no-progress", stdout=out
    )
    assert "2 rows: 1 created" in out.getvalue() and reason in out.getvalue()
