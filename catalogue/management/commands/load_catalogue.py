"""manage.py load_catalogue: load the catalogue shipped in catalogue/data/songs.csv (idempotent)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.importing import ImportRefused, import_songs
from catalogue.management.commands.import_songs import write_report

SEED_FILE = Path(__file__).resolve().parents[2] / "data" / "songs.csv"


class Command(BaseCommand):
    help = "Load (or refresh) the initial catalogue shipped with the repository; safe to run every start."

    def handle(self, *args, **options) -> None:
        try:
            report = import_songs(SEED_FILE)
        except ImportRefused as error:
            raise CommandError(str(error)) from error
        write_report(self, report)
        if report.rejected_count:
            raise CommandError("The shipped catalogue has rejected rows; see above.")
