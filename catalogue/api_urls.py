from django.urls import path

from catalogue import api

urlpatterns = [
    path("songs/", api.SongListApi.as_view(), name="song-list"),
    path("songs/<int:song_id>/", api.SongDetailApi.as_view(), name="song-detail"),
    path("singers/", api.SingerListApi.as_view(), name="singer-list"),
    path("singers/autocomplete/", api.SingerAutocompleteApi.as_view(), name="singer-autocomplete"),
    path("liked-songs/", api.LikedSongListApi.as_view(), name="liked-song-list"),
    path("liked-songs/<int:liked_song_id>/", api.LikedSongDetailApi.as_view(), name="liked-song-detail"),
    path("recommendations/", api.RecommendationsApi.as_view(), name="recommendations"),
    path("listening-events/", api.ListeningEventListApi.as_view(), name="listening-event-list"),
    path(
        "listening-events/<int:event_id>/",
        api.ListeningEventDetailApi.as_view(),
        name="listening-event-detail",
    ),
]
