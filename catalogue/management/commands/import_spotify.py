"""manage.py import_spotify FILE [FILE ...]: the full catalogue from the Spotify datasets."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalogue.importing import DEFAULT_MAX_BYTES, ImportRefused, import_songs
from catalogue.management.commands.import_songs import write_report
from catalogue.spotify import evidence_collect


class Command(BaseCommand):
    help = (
        "Import Spotify dataset CSVs (e.g. ../shared/data/catalogue/spotify_tracks_114k.csv and "
        "spotify_tracks_by_genre_2024.csv), deduplicated by track id, with the language derived "
        "from genres and artist genre tags (catalogue.language_rule). Put the file that lists every "
        "artist of a track first: the first file to have a track wins. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="CSV files in a Spotify layout (read, never copied)")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        evidence = evidence_collect(options["files"])
        self.stdout.write(
            f"read the evidence for the language rule in {time.perf_counter() - started:.1f} s: "
            f"{len(evidence.track_genres):,} tracks, {len(evidence.artist_genres):,} artists"
        )
        seen: dict[str, str] = {}
        rows = 0
        for path in options["files"]:
            try:
                report = import_songs(
                    path,
                    batch_size=max(1, options["batch_size"]),
                    max_bytes=DEFAULT_MAX_BYTES,
                    progress_bar=None if options["no_progress"] else tqdm,
                    language_of=evidence.language_of,
                    seen_tracks=seen,
                )
            except ImportRefused as error:
                raise CommandError(f"{path}: {error}") from error
            self.stdout.write(f"{path}:")
            write_report(self, report)
            rows += report.rows
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{len(seen):,} unique tracks from {rows:,} rows in {seconds:.0f} s "
            f"({rows / seconds:,.0f} rows/s)"
        )
