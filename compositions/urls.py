from django.urls import path

from compositions import views

app_name = "compositions"

urlpatterns = [
    path("", views.library, name="library"),
    path("new/", views.compose, name="compose"),
    path("<int:composition_id>/", views.detail, name="detail"),
    path("<int:composition_id>/rename/", views.rename, name="rename"),
    path("<int:composition_id>/favourite/", views.favourite, name="favourite"),
    path("<int:composition_id>/delete/", views.delete, name="delete"),
    path("<int:composition_id>/midi/", views.midi, name="midi"),
    path("<int:composition_id>/audio/", views.audio, name="audio"),
    path("<int:composition_id>/piano-roll/", views.piano_roll, name="piano-roll"),
]
