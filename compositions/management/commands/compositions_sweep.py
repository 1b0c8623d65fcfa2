"""`manage.py compositions_sweep`: recover composition jobs whose worker died.

For cron, or after restarting an embedded (broker-less) server: re-queues jobs stuck in
running (no heartbeat for COMPOSITION_STALE_SECONDS) or queued (untouched for 10x that),
and fails those that were started COMPOSITION_MAX_ATTEMPTS times already.
"""

from django.core.management.base import BaseCommand

from compositions.services import composition_sweep


class Command(BaseCommand):
    help = "Re-queue or fail composition jobs left queued/running by a dead worker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only report; change nothing.")

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        if dry_run:
            from django.db import transaction

            with transaction.atomic():
                result = composition_sweep(enqueue=False)
                transaction.set_rollback(True)
        else:
            result = composition_sweep()
        self.stdout.write(
            f"requeued {len(result.requeued)} {result.requeued}, failed {len(result.failed)} {result.failed}"
            + (" (dry run)" if dry_run else "")
        )
