from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/register/", api.RegisterApi.as_view(), name="register"),
    path("auth/token/", api.TokenObtainApi.as_view(), name="token"),
    path("auth/token/revoke/", api.TokenRevokeApi.as_view(), name="token-revoke"),
    path("auth/logout-everywhere/", api.LogoutEverywhereApi.as_view(), name="logout-everywhere"),
    path("me/", api.MeApi.as_view(), name="me"),
    path("me/preferences/", api.PreferencesApi.as_view(), name="preferences"),
]
