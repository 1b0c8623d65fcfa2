"""REST endpoints of accounts: thin, one class per operation."""

from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import USERNAME_PATTERN
from accounts.selectors import profile_get
from accounts.serializers import PreferencesSerializer, UserSerializer
from accounts.services import (
    profile_update,
    token_obtain,
    token_revoke,
    user_logout_everywhere,
    user_register,
)
from echoes_site.throttling import ScopedRateThrottle

_TokenOutput = inline_serializer("TokenOutput", {"token": serializers.CharField()})


class RegisterApi(APIView):
    """Create an account; answers with the user and an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    class InputSerializer(serializers.Serializer):
        username = serializers.RegexField(
            USERNAME_PATTERN,
            max_length=150,
            help_text="Letters a-z, digits and . _ - (NFKC-normalised first); unique in any case.",
        )
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, write_only=True)

    class OutputSerializer(serializers.Serializer):
        user = UserSerializer()
        token = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        examples=[
            OpenApiExample(
                "A new listener",
                value={
                    "username": "new-listener",
                    "email": "new-listener@example.com",
                    "password": "a-long-pass-phrase-42",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_register(**data.validated_data)
        token = token_obtain(user=user)
        return Response(
            self.OutputSerializer({"user": user, "token": token.key}).data,
            status=status.HTTP_201_CREATED,
        )


class TokenObtainApi(APIView):
    """Exchange a username (or email) and password for the API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=254, help_text="Username or email.")
        password = serializers.CharField(max_length=128, write_only=True)

    def get_authenticate_header(self, request) -> str:
        # Wrong credentials are a 401 with a challenge; DRF turns them into a 403 for a
        # view without authenticators, which mobile clients read as "forbidden".
        return "Token"

    @extend_schema(request=InputSerializer, responses={200: _TokenOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The HttpRequest, not DRF's wrapper: the lockout marks it for axes' middleware.
        user = authenticate(request._request, **data.validated_data)
        if user is None:
            raise AuthenticationFailed("Wrong username or password.")
        # A token is a login: last_login is updated and the lockout forgets the failures.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response({"token": token_obtain(user=user).key})


class TokenRevokeApi(APIView):
    """Revoke the caller's API token (log out every mobile client)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutEverywhereApi(APIView):
    """Log out everywhere: end every web session, the API token and every open socket."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        user_logout_everywhere(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    """The signed-in user with their preferences."""

    class OutputSerializer(serializers.Serializer):
        user = UserSerializer()
        preferences = PreferencesSerializer()

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request):
        profile = profile_get(user=request.user)
        return Response(
            self.OutputSerializer(
                {"user": request.user, "preferences": PreferencesSerializer.from_profile(profile)}
            ).data
        )


class PreferencesApi(APIView):
    """Read or change preferred languages and favourite singers."""

    @extend_schema(responses={200: PreferencesSerializer})
    def get(self, request):
        return Response(PreferencesSerializer.from_profile(profile_get(user=request.user)))

    @extend_schema(request=PreferencesSerializer, responses={200: PreferencesSerializer})
    def put(self, request):
        return self._update(request, partial=False)

    @extend_schema(request=PreferencesSerializer, responses={200: PreferencesSerializer})
    def patch(self, request):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool):
        data = PreferencesSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if not partial:
            values = {"languages": [], "favourite_singers": [], **values}
        profile = profile_update(user=request.user, **values)
        return Response(PreferencesSerializer.from_profile(profile_get(user=profile.user)))
