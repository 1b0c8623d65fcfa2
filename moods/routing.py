"""WebSocket routes of the moods app (collected by echoes_site/routing.py)."""

from django.urls import path

from moods.consumers import MoodSessionConsumer

websocket_urlpatterns = [
    path("ws/session/", MoodSessionConsumer.as_asgi()),
]
