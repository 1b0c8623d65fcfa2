from django.contrib import admin

from catalogue.models import ListeningEvent, Singer, Song
from catalogue.services import song_singers_sync


@admin.register(Singer)
class SingerAdmin(admin.ModelAdmin):
    list_display = ["name", "key"]
    search_fields = ["name", "key"]


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "singers_display",
        "language",
        "album",
        "year",
        "genre",
        "valence",
        "energy",
        "tempo",
        "mode",
    ]
    list_filter = ["language", "genre", "mode", "year"]
    search_fields = ["title", "singers_display", "album"]
    autocomplete_fields = ["singers"]
    readonly_fields = ["title_key", "singers_key", "singers_display", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        from accounts.names import normalise_name

        obj.title_key = normalise_name(obj.title) or obj.title.strip().casefold()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        song_singers_sync(song=form.instance)


@admin.register(ListeningEvent)
class ListeningEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "song", "mood"]
    list_filter = ["kind", "mood"]
    search_fields = ["user__username", "song__title"]
    raw_id_fields = ["user", "song"]
    date_hierarchy = "created_at"
