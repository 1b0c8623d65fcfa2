"""Close live sessions left open by a server that died (also done by every server's sweep)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from moods.services import session_close_stale, stale_seconds


class Command(BaseCommand):
    help = "Close open mood sessions whose server has been silent for --older-than seconds."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=None,
            help="Seconds of silence (default: settings.MOOD_SESSION_STALE_SECONDS).",
        )

    def handle(self, *args, older_than: float | None, **options) -> None:
        seconds = stale_seconds() if older_than is None else older_than
        closed = session_close_stale(older_than=timedelta(seconds=seconds))
        self.stdout.write(f"closed {closed} stale mood session{'s' if closed != 1 else ''}")
