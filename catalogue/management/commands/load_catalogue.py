"""manage.py load_catalogue: load the curated catalogue shipped in catalogue/data/songs.csv (idempotent)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.importing import ImportRefused, import_songs
from catalogue.management.commands.import_songs import write_report
from catalogue.models import Song

SEED_FILE = Path(__file__).resolve().parents[2] / "data" / "songs.csv"


class Command(BaseCommand):
    help = "Load (or refresh) the initial catalogue shipped with the repository; safe to run every start."

    def handle(self, *args, **options) -> None:
        try:
            report = import_songs(SEED_FILE, curated=True)
        except ImportRefused as error:
            raise CommandError(str(error)) from error
        write_report(self, report)
        if report.rejected_count:
            raise CommandError("The shipped catalogue has rejected rows; see above.")
        if not Song.objects.filter(spotify_id__isnull=False).exists():
            # stderr: a hint for people; stdout keeps the one-line summary scripts read.
            self.stderr.write(
                "This is the small curated catalogue (no Spotify ids, so no player in the page). "
                "For the full one (about 150,000 songs, a few minutes): manage.py import_spotify "
                "../shared/data/catalogue/spotify_tracks_114k.csv "
                "../shared/data/catalogue/spotify_tracks_by_genre_2024.csv"
            )
