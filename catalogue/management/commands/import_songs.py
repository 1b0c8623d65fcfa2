"""manage.py import_songs FILE: upsert songs from CSV/JSON in the Spotify audio-features layout."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalogue.importing import DEFAULT_MAX_BYTES, ImportRefused, ImportReport, import_songs

SHOWN_REJECTIONS = 100


class Command(BaseCommand):
    help = (
        "Import songs from a CSV or JSON file (Spotify audio-features columns: track_name, artists "
        "separated by ';', album_name, valence, energy, tempo, mode, track_genre, plus language). "
        "Upserts on title + singers + language; bad rows are reported with line numbers and skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV, JSON array or JSON Lines file")
        parser.add_argument("--language", help="language for rows without a language column (code or name)")
        parser.add_argument("--encoding", default="utf-8", help="text encoding of the file (default utf-8)")
        parser.add_argument(
            "--max-mb", type=float, default=DEFAULT_MAX_BYTES / 1024 / 1024, help="refuse larger files"
        )
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options) -> None:
        try:
            report = import_songs(
                options["file"],
                default_language=options["language"],
                encoding=options["encoding"],
                batch_size=max(1, options["batch_size"]),
                max_bytes=int(options["max_mb"] * 1024 * 1024),
                progress_bar=None if options["no_progress"] else tqdm,
            )
        except ImportRefused as error:
            raise CommandError(str(error)) from error
        write_report(self, report)


def write_report(command: BaseCommand, report: ImportReport) -> None:
    """Print the summary and the rejected rows (shared by load_catalogue)."""
    command.stdout.write(
        f"{report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.rejected_count} rejected, "
        f"{report.merged} merged (a track id already read) "
        f"({report.rows_per_second:.0f} rows/s)"
    )
    for rejected in report.rejected[:SHOWN_REJECTIONS]:
        command.stdout.write(command.style.WARNING(f"  line {rejected.line}: {rejected.reason}"))
    if report.rejected_count > SHOWN_REJECTIONS:
        command.stdout.write(f"  ... and {report.rejected_count - SHOWN_REJECTIONS} more rejected rows")
