from django.urls import path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.recommendations, name="recommendations"),
    path("events/", views.event_create, name="event-create"),
    path("history/", views.history, name="history"),
    path("events/<int:event_id>/undo/", views.event_undo, name="event-undo"),
    path("liked/", views.liked, name="liked"),
    path("liked/<int:liked_song_id>/unlike/", views.unlike, name="unlike"),
]
