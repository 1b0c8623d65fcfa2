from django.urls import path

from moods import api

urlpatterns = [
    path("moods/sessions/", api.MoodSessionListApi.as_view(), name="mood-session-list"),
    path("moods/sessions/<int:session_id>/", api.MoodSessionDetailApi.as_view(), name="mood-session-detail"),
    path(
        "moods/sessions/<int:session_id>/mood/",
        api.MoodSessionChooseApi.as_view(),
        name="mood-session-choose",
    ),
    path(
        "moods/sessions/<int:session_id>/corrections/",
        api.MoodCorrectionCreateApi.as_view(),
        name="mood-correction-create",
    ),
    path("moods/choose/", api.MoodChooseApi.as_view(), name="mood-choose"),
    path("moods/corrections/", api.MoodCorrectionListApi.as_view(), name="mood-correction-list"),
    path("moods/calibration/", api.MoodCalibrationApi.as_view(), name="mood-calibration"),
    path("moods/latest/", api.MoodLatestApi.as_view(), name="mood-latest"),
    path("moods/history/", api.MoodHistoryApi.as_view(), name="mood-history"),
    path("moods/analyze/", api.MoodAnalyzeApi.as_view(), name="mood-analyze"),
]
