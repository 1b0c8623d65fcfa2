"""Live emotion sessions and the mood readings aggregated from them.

A `MoodSession` is one WebSocket connection's worth of analysed frames (or the part of
it between a `start` and a `stop`). Frames are not stored: every few seconds the frames
of the window are folded into one `MoodReading` (counts, mean emotion probabilities,
and per-mood frame counts with their mean position), so history stays small and the
session's dominant mood can always be recomputed from its readings.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ml.mood import MOOD_LABELS

MOOD_CHOICES = [(label, label) for label in MOOD_LABELS]


class MoodSession(models.Model):
    """One live emotion session of a user."""

    class CloseReason(models.TextChoices):
        STOP = "stop", "client sent stop"
        DISCONNECT = "disconnect", "socket closed"
        STALE = "stale", "server restarted or lost the connection"
        CHOSEN = "chosen", "mood chosen by hand (no camera)"

    class Client(models.TextChoices):
        COOKIE = "cookie", "web (session cookie)"
        TOKEN = "token", "API token"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mood_sessions")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # Bumped with every reading (and every reading interval while connected): the sweep
    # closes open sessions whose server stopped bumping it (restart, crash).
    last_activity_at = models.DateTimeField()
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)
    client = models.CharField(max_length=16, choices=Client.choices, default=Client.COOKIE)

    frames_received = models.PositiveIntegerField(default=0)
    frames_analysed = models.PositiveIntegerField(default=0)
    frames_dropped = models.PositiveIntegerField(default=0)
    frames_rejected = models.PositiveIntegerField(default=0)
    frames_with_face = models.PositiveIntegerField(default=0)

    dominant_mood = models.CharField(max_length=16, choices=MOOD_CHOICES, blank=True)
    dominant_valence = models.FloatField(null=True, blank=True)
    dominant_arousal = models.FloatField(null=True, blank=True)
    # A mood the user chose by hand (without a camera, or "that's not how I feel"): it
    # is the session's mood for recommendations and compositions, over the measured one.
    chosen_mood = models.CharField(max_length=16, choices=MOOD_CHOICES, blank=True)
    chosen_at = models.DateTimeField(null=True, blank=True)
    # The user's personal calibration the frames were read with (PersonalCalibration.to_dict),
    # null when there was none: corrections sent later are undone with it (moods.calibration).
    calibration = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-started_at"], name="moodsession_user_started"),
            models.Index(
                fields=["last_activity_at"],
                name="moodsession_open_activity",
                condition=Q(ended_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="moodsession_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(dominant_mood="") | Q(dominant_mood__in=MOOD_LABELS),
                name="moodsession_dominant_in_vocabulary",
            ),
            models.CheckConstraint(
                condition=Q(chosen_mood="") | Q(chosen_mood__in=MOOD_LABELS),
                name="moodsession_chosen_in_vocabulary",
            ),
            models.CheckConstraint(
                condition=(
                    Q(dominant_valence__isnull=True) | Q(dominant_valence__gte=-1, dominant_valence__lte=1)
                )
                & (Q(dominant_arousal__isnull=True) | Q(dominant_arousal__gte=-1, dominant_arousal__lte=1)),
                name="moodsession_dominant_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.user_id} ({self.chosen_mood or self.dominant_mood or 'no mood'})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class MoodReading(models.Model):
    """The frames of a few seconds of one session, aggregated.

    `moods` maps each smoothed mood label seen in the window to
    {"frames": n, "valence": mean, "arousal": mean}; `emotions` holds the mean of the
    7 face-emotion probabilities over frames with a face (null when no face was seen);
    `mood`/`valence`/`arousal` is the window's dominant mood (blank without a face or
    gesture in the window).
    """

    session = models.ForeignKey(MoodSession, on_delete=models.CASCADE, related_name="readings")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    frames = models.PositiveIntegerField()
    frames_with_face = models.PositiveIntegerField()
    mood = models.CharField(max_length=16, choices=MOOD_CHOICES, blank=True)
    valence = models.FloatField(null=True, blank=True)
    arousal = models.FloatField(null=True, blank=True)
    emotions = models.JSONField(null=True, blank=True)
    moods = models.JSONField(default=dict, blank=True)
    gestures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["session", "started_at"], name="moodreading_session_started")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gte=models.F("started_at")), name="moodreading_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(frames_with_face__lte=models.F("frames")), name="moodreading_faces_le_frames"
            ),
            models.CheckConstraint(
                condition=Q(mood="") | Q(mood__in=MOOD_LABELS), name="moodreading_mood_in_vocabulary"
            ),
        ]

    def __str__(self) -> str:
        return f"reading {self.pk} of session {self.session_id}: {self.mood or '-'} ({self.frames} frames)"


class MoodCorrection(models.Model):
    """ "That's not how I feel": what the page showed, and the mood the user felt.

    `probabilities` are the 7 emotion probabilities shown at that moment (after the
    user's personal calibration of that session); `model_probabilities` the same frame
    as the model read it, before calibration: the user's next calibration is fitted on
    those (ml.emotion.personal), so it never learns from its own earlier output.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mood_corrections"
    )
    session = models.ForeignKey(MoodSession, on_delete=models.CASCADE, related_name="corrections")
    probabilities = models.JSONField()
    model_probabilities = models.JSONField()
    felt_mood = models.CharField(max_length=16, choices=MOOD_CHOICES)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-id"], name="moodcorrection_user_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(felt_mood__in=MOOD_LABELS), name="moodcorrection_felt_in_vocabulary"
            ),
        ]

    def __str__(self) -> str:
        return f"correction {self.pk} of {self.user_id}: felt {self.felt_mood} (session {self.session_id})"
