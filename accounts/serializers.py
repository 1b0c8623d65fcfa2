from rest_framework import serializers

from accounts.languages import LANGUAGES
from accounts.models import Profile, User
from accounts.services import MAX_FAVOURITE_SINGERS


class PreferencesSerializer(serializers.Serializer):
    """Preferences as clients read and write them."""

    languages = serializers.ListField(
        child=serializers.CharField(max_length=40),
        max_length=len(LANGUAGES),
        required=False,
        help_text=f"Language codes or names; known codes: {', '.join(LANGUAGES)}.",
    )
    favourite_singers = serializers.ListField(
        child=serializers.CharField(max_length=120, allow_blank=True),
        max_length=MAX_FAVOURITE_SINGERS,
        required=False,
    )

    @staticmethod
    def from_profile(profile: Profile) -> dict:
        return {
            "languages": list(profile.languages),
            "favourite_singers": [s.name for s in profile.favourite_singers.all()],
        }


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "date_joined"]
        read_only_fields = fields
