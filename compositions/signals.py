"""Single-row writes that invalidate the owner's cached library pages (bulk writes: models.py)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from compositions import library_cache
from compositions.models import Composition
from moods.models import MoodSession


@receiver(post_save, sender=Composition, dispatch_uid="library-revision-save")
@receiver(post_delete, sender=Composition, dispatch_uid="library-revision-delete")
def composition_written(sender, instance: Composition, **kwargs) -> None:
    library_cache.bump_revisions({instance.owner_id})


@receiver(post_delete, sender=MoodSession, dispatch_uid="library-revision-session-delete")
def mood_session_deleted(sender, instance: MoodSession, **kwargs) -> None:
    # Its compositions' `mood_session` became null (however Django's collector did it).
    library_cache.bump_revisions({instance.user_id})
