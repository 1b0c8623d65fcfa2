"""ASGI entry point: HTTP through Django, WebSockets through Channels.

WebSocket routes come from each app's `routing.py`; authentication (session cookie or
API token) is done by `accounts.ws_auth.WebSocketAuthMiddleware`.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echoes_site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from accounts.ws_auth import WebSocketAuthMiddleware  # noqa: E402
from echoes_site.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
