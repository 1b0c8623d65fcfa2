from django.urls import path

from moods import api

urlpatterns = [
    path("moods/sessions/", api.MoodSessionListApi.as_view(), name="mood-session-list"),
    path("moods/sessions/<int:session_id>/", api.MoodSessionDetailApi.as_view(), name="mood-session-detail"),
    path("moods/latest/", api.MoodLatestApi.as_view(), name="mood-latest"),
    path("moods/history/", api.MoodHistoryApi.as_view(), name="mood-history"),
    path("moods/analyze/", api.MoodAnalyzeApi.as_view(), name="mood-analyze"),
]
