"""ASGI entry point: HTTP through Django, WebSockets through Channels.

WebSocket routes come from each app's `routing.py`; authentication (session cookie or
API token) is done by `accounts.ws_auth.WebSocketAuthMiddleware`.
"""

import os
from urllib.parse import urlsplit

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echoes_site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import WebsocketDenier  # noqa: E402
from django.conf import settings  # noqa: E402
from django.http.request import validate_host  # noqa: E402

from accounts.ws_auth import WebSocketAuthMiddleware  # noqa: E402
from echoes_site.routing import websocket_urlpatterns  # noqa: E402

_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def _origin_of(scheme: str, netloc: str) -> tuple[str, int] | None:
    """(hostname, port) of an origin or a Host header, the port made explicit."""
    parsed = urlsplit(f"{scheme}://{netloc}")
    try:
        port = parsed.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    return (parsed.hostname or "", port) if parsed.hostname and port else None


class BrowserOriginValidator:
    """Check the Origin of browsers (cross-site WebSocket hijacking); let native apps in.

    A browser's Origin must be the site the socket was opened on: the same host *and
    port* as the Host header (channels' validator compared the host only, so any other
    service on the same host was let in), with the host in ALLOWED_HOSTS; or one of
    CSRF_TRUSTED_ORIGINS. Native mobile clients send no Origin and could forge it
    anyway; they authenticate with a token, which a foreign page cannot send for them.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin")
        if origin is None or self.valid_origin(
            origin.decode("latin-1"), headers.get(b"host", b"").decode("latin-1")
        ):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

    @staticmethod
    def valid_origin(origin: str, host: str) -> bool:
        if origin in settings.CSRF_TRUSTED_ORIGINS:
            return True
        parsed = urlsplit(origin)
        if parsed.scheme not in {"http", "https"}:
            return False
        theirs = _origin_of(parsed.scheme, parsed.netloc)
        # Behind a TLS-terminating proxy the socket arrives as ws:// while the page is
        # https://: a Host without a port means the default port of the page's scheme.
        ours = _origin_of(parsed.scheme, host)
        if theirs is None or theirs != ours:
            return False
        hostname = f"[{theirs[0]}]" if ":" in theirs[0] else theirs[0]
        return validate_host(hostname, settings.ALLOWED_HOSTS)


if not settings.TESTING:  # the test process imports this module without serving it
    from moods.sweeper import sweeper_start

    sweeper_start()  # closes sessions a dead server left open, without waiting for a socket

if settings.EMOTION_WARM_START:
    # In background threads: the server listens at once, /healthz says "warming" until
    # the models are loaded, and the first live session does not wait for them.
    from moods.inference import warm_up
    from moods.soundtrack import warm_up as music_warm_up

    warm_up()
    music_warm_up()  # the music generator too, in the soundtrack's own thread

from echoes_site.embedded_jobs import server_started  # noqa: E402

server_started()  # no broker: this server runs the jobs, in a job process of its own

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
