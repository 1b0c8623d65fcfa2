"""ASGI entry point: HTTP through Django, WebSockets through Channels.

WebSocket routes come from each app's `routing.py`; authentication (session cookie or
API token) is done by `accounts.ws_auth.WebSocketAuthMiddleware`.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echoes_site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from accounts.ws_auth import WebSocketAuthMiddleware  # noqa: E402
from echoes_site.routing import websocket_urlpatterns  # noqa: E402


class BrowserOriginValidator(OriginValidator):
    """Check the Origin of browsers (cross-site WebSocket hijacking); let native apps in.

    Browsers always send Origin. Native mobile clients send none and could forge it
    anyway; they authenticate with a token, which a foreign page cannot send for them.
    Channels' AllowedHostsOriginValidator refuses a missing Origin, which shut them out.
    """

    def valid_origin(self, parsed_origin):
        return parsed_origin is None or super().valid_origin(parsed_origin)


from echoes_site.embedded_jobs import server_started  # noqa: E402

server_started()  # no broker: this server runs the jobs, in a job process of its own

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(
            WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns)), settings.ALLOWED_HOSTS
        ),
    }
)
