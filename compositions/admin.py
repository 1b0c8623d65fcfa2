from django.contrib import admin

from compositions.models import Composition


@admin.register(Composition)
class CompositionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "owner",
        "mood_label",
        "style",
        "bars",
        "status",
        "stage",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "style", "mood_label", "favourite"]
    search_fields = ["title", "owner__username"]
    readonly_fields = [
        "job_token",
        "attempts",
        "heartbeat_at",
        "started_at",
        "finished_at",
        "created_at",
        "metrics",
    ]
    raw_id_fields = ["owner"]
