from django.urls import path

from compositions import api

urlpatterns = [
    path("compositions/", api.CompositionCollectionApi.as_view(), name="compositions"),
    path("compositions/<int:composition_id>/", api.CompositionItemApi.as_view(), name="composition"),
    path(
        "compositions/<int:composition_id>/status/",
        api.CompositionStatusApi.as_view(),
        name="composition-status",
    ),
    path(
        "compositions/<int:composition_id>/rename/",
        api.CompositionRenameApi.as_view(),
        name="composition-rename",
    ),
    path(
        "compositions/<int:composition_id>/favourite/",
        api.CompositionFavouriteApi.as_view(),
        name="composition-favourite",
    ),
    path(
        "compositions/<int:composition_id>/midi/", api.CompositionMidiApi.as_view(), name="composition-midi"
    ),
    path(
        "compositions/<int:composition_id>/audio/",
        api.CompositionAudioApi.as_view(),
        name="composition-audio",
    ),
    path(
        "compositions/<int:composition_id>/piano-roll/",
        api.CompositionPianoRollApi.as_view(),
        name="composition-piano-roll",
    ),
]
