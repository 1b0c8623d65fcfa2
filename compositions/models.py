"""A composition: one generated piece for a mood, with its MIDI, audio and piano roll.

Files live in Django's default storage under deterministic names
(`compositions/<owner>/<id>/...`, see `storage_names`), so a re-run of the job overwrites
them and a delete can remove them even if the row never recorded them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from compositions import library_cache
from echoes_site.revisions import UserRevisionQuerySet
from ml.mood import MOOD_LABELS
from ml.music.config import MAX_BARS, MIN_BARS
from ml.music.generate import LENGTHS
from ml.music.instrumentation import ARRANGEMENT_NAMES


class CompositionQuerySet(UserRevisionQuerySet):
    """Bulk writes, which send no signals, invalidate their owners' cached library pages."""

    revision_namespace = library_cache.NAMESPACE
    revision_user_field = "owner_id"


class Composition(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class Stage(models.TextChoices):
        """Finer progress than `status`, published to the owner's channel-layer group."""

        QUEUED = "queued", "Queued"
        GENERATING = "generating", "Generating"
        RENDERING = "rendering", "Rendering"
        SAVING = "saving", "Saving"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        """How the piece was made: a composition job, or a live session's soundtrack kept."""

        COMPOSED = "composed", "Composed"
        SOUNDTRACK = "soundtrack", "Live soundtrack"

    IN_FLIGHT = (Status.QUEUED, Status.RUNNING)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="compositions")
    title = models.CharField(max_length=120)
    mood_label = models.CharField(max_length=16, choices=[(m, m) for m in MOOD_LABELS])
    valence = models.FloatField()
    arousal = models.FloatField()
    style = models.CharField(max_length=32)
    tempo = models.PositiveSmallIntegerField(null=True, blank=True, help_text="BPM; empty = chosen by mood.")
    bars = models.PositiveSmallIntegerField(default=8)
    # The length the listener asked for ("1min"; blank: they asked for `bars`), from which
    # `bars` was worked out at the piece's tempo.
    length = models.CharField(max_length=8, blank=True, choices=[(k, k) for k in LENGTHS])
    # The named arrangement (piano, strings, ...); blank: the mood's, chosen when composed.
    arrangement = models.CharField(max_length=16, blank=True, choices=[(a, a) for a in ARRANGEMENT_NAMES])
    # The piece's form once composed: {"form": "AABA", "kind", "ritardando",
    # "sections": [{"letter", "start_bar", "bars", "key_shift"}]} (ml.music.form).
    form = models.JSONField(default=dict, blank=True)
    seed = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.COMPOSED)
    # The live session whose mood this was composed for ("from my latest session").
    mood_session = models.ForeignKey(
        "moods.MoodSession", on_delete=models.SET_NULL, null=True, blank=True, related_name="compositions"
    )

    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.QUEUED)
    error_message = models.CharField(max_length=500, blank=True)
    # Job bookkeeping: which delivery owns the running job, when it last showed life,
    # and how many times a worker started it (the sweep gives up after a few).
    job_token = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    midi_file = models.FileField(max_length=255, blank=True)
    audio_file = models.FileField(max_length=255, blank=True)
    piano_roll = models.FileField(max_length=255, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)

    favourite = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = CompositionQuerySet.as_manager()

    class Meta:
        # Deletion's SET_NULL of `mood_session` goes through the base manager: ours.
        base_manager_name = "objects"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="composition_owner_created"),
            models.Index(fields=["status", "heartbeat_at"], name="composition_status_heartbeat"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valence__gte=-1) & Q(valence__lte=1) & Q(arousal__gte=-1) & Q(arousal__lte=1),
                name="composition_mood_in_range",
            ),
            # A kept soundtrack is as long as it played (an hour is 1,800 bars at 120 bpm).
            models.CheckConstraint(
                condition=Q(bars__gte=MIN_BARS) & (Q(bars__lte=MAX_BARS) | Q(source="soundtrack")),
                name="composition_bars_range",
            ),
            models.CheckConstraint(
                condition=Q(tempo__isnull=True) | (Q(tempo__gte=40) & Q(tempo__lte=240)),
                name="composition_tempo_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def in_flight(self) -> bool:
        return self.status in self.IN_FLIGHT

    @property
    def storage_folder(self) -> str:
        return f"compositions/{self.owner_id}/{self.pk}"

    def storage_names(self) -> dict[str, str]:
        """The deterministic storage name of each file of this composition."""
        return {
            "midi": f"{self.storage_folder}/composition.mid",
            "audio": f"{self.storage_folder}/composition.ogg",
            "piano_roll": f"{self.storage_folder}/piano_roll.png",
        }
