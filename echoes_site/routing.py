"""All WebSocket routes, collected from the apps that have them."""

from compositions.routing import websocket_urlpatterns as composition_routes
from moods.routing import websocket_urlpatterns as mood_routes

websocket_urlpatterns = [*mood_routes, *composition_routes]
