from django.contrib import admin

from moods.models import MoodCorrection, MoodReading, MoodSession


class MoodReadingInline(admin.TabularInline):
    model = MoodReading
    extra = 0
    fields = ("started_at", "ended_at", "frames", "frames_with_face", "mood", "valence", "arousal")
    readonly_fields = fields
    can_delete = False


@admin.register(MoodSession)
class MoodSessionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "started_at",
        "ended_at",
        "dominant_mood",
        "frames_analysed",
        "close_reason",
    )
    list_filter = ("dominant_mood", "chosen_mood", "close_reason", "client")
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)
    inlines = [MoodReadingInline]


@admin.register(MoodCorrection)
class MoodCorrectionAdmin(admin.ModelAdmin):
    """Corrections are evidence a user gave: readable, not editable."""

    list_display = ("id", "user", "session", "felt_mood", "created_at")
    list_filter = ("felt_mood",)
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user", "session")
    readonly_fields = ("user", "session", "probabilities", "model_probabilities", "felt_mood", "created_at")
