from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import FavouriteSinger, Profile, User

admin.site.register(User, UserAdmin)


class FavouriteSingerInline(admin.TabularInline):
    model = FavouriteSinger
    extra = 0


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "languages", "updated_at"]
    search_fields = ["user__username", "user__email"]
    inlines = [FavouriteSingerInline]
