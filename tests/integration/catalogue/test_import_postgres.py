"""The importer and the shipped catalogue on PostgreSQL (constraints, Unicode, upserts)."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from catalogue.importing import import_songs
from catalogue.models import Singer, Song
from tests.conftest import REPO, subprocess_env

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres")]


def test_shipped_catalogue_loads_twice_without_changes():
    out = StringIO()
    call_command("load_catalogue", stdout=out)
    call_command("load_catalogue", stdout=out)
    first, second = out.getvalue().splitlines()[:2]
    assert "404 created" in first and "0 created, 0 updated, 404 unchanged, 0 rejected" in second
    chithra = Singer.objects.get(key="k s chithra")
    assert chithra.name == "K. S. Chithra" and chithra.songs.filter(language="ta").exists()


def test_mixed_file_keeps_good_rows_and_is_idempotent(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"track_name,artists,album_name,valence,energy,tempo,mode,track_genre,language\n"
        b"Ponveene,K. J. Yesudas,Thalavattam,0.2,0.3,72,0,filmi,Malayalam\n"
        b"Ninna Nodalentho,Sonu Nigam,Mussanje Maatu,0.25,0.3,80,0,filmi,kn\n"
        b"Broken,X,Y,7,0.3,72,0,filmi,ml\n"
        + b"Caf\xe9,Zaz,Zaz,0.7,0.6,120,1,chanson,fr\n"
        + b"Je veux,Zaz;Zaz,Zaz,0.8,0.7,120,1,chanson,fr\n"
    )
    first = import_songs(path)
    assert (first.created, [r.line for r in first.rejected]) == (3, [4, 5])
    second = import_songs(path)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert Song.objects.get(title="Je veux").singer_names == ["Zaz"]


@pytest.mark.django_db(transaction=True)
def test_the_command_rejects_a_nul_row_on_postgresql_without_a_traceback(tmp_path):
    """PostgreSQL refuses NUL in text; `manage.py import_songs` printed a traceback for it
    (issue 19). Run as an operator would: a real process on the test database."""
    path = tmp_path / "nul.csv"
    path.write_bytes(b"track_name,artists,valence,energy\nA\x00x,B,0.5,0.5\nC,D,0.5,0.5\n")
    done = subprocess.run(
        [sys.executable, "manage.py", "import_songs", str(path), "--language", "ta", "--no-progress"],
        cwd=REPO,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output
    assert "2 rows: 1 created" in output and "track_name contains a NUL" in output
    assert Song.objects.filter(title="C").exists() and not Song.objects.filter(title__startswith="A").exists()
