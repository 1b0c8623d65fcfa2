"""Daphne, with the WebSocket close codes docs/websocket.md promises.

Run it exactly like daphne (same arguments): `python -m echoes_site.asgi_server -b HOST
-p PORT ... echoes_site.asgi:application`. Two things differ from plain daphne:

- A message over `--websocket-max-message-size` is refused with a close frame, code
  **1009** ("message too big"). Daphne leaves Autobahn's `failByDrop` at its default,
  which fails such a connection by dropping TCP, so clients saw 1006 (no close frame).
- A graceful stop (SIGTERM, Ctrl-C) first closes every open WebSocket with **1001**
  ("going away") and waits up to SHUTDOWN_CLOSE_SECONDS for the closing handshakes;
  daphne alone cancels the applications and drops the sockets (1006 again). Clients that
  see 1001 know to reconnect (to another server) rather than report an error.

Both use Autobahn's and Twisted's public API on daphne's own factory and reactor.
"""

from __future__ import annotations

import logging

from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import defer, task

logger = logging.getLogger(__name__)

GOING_AWAY = 1001
SHUTDOWN_CLOSE_SECONDS = 3.0


class EchoesServer(Server):
    """daphne's Server; its WebSocket factory fails with close frames, stops with 1001."""

    @property
    def ws_factory(self):
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory) -> None:
        # daphne assigns its factory in run(), before its own setProtocolOptions call, which
        # sets only the options it names: failByDrop stays as set here.
        from twisted.internet import reactor  # daphne.server installed the asyncio reactor

        self._ws_factory = factory
        factory.setProtocolOptions(failByDrop=False)
        # Registered before daphne's kill_all_applications (also "before shutdown"), so
        # the close frames go out while the applications still run.
        reactor.addSystemEventTrigger("before", "shutdown", self.close_websockets)

    def open_websockets(self) -> list[WebSocketProtocol]:
        return [
            protocol
            for protocol in list(self.connections)
            if isinstance(protocol, WebSocketProtocol) and protocol.state == AutobahnProtocol.STATE_OPEN
        ]

    def close_websockets(self) -> defer.Deferred | None:
        """Send 1001 to every open socket; the stop waits for their closing handshakes."""
        sockets = self.open_websockets()
        if not sockets:
            return None
        logger.info("server stopping: closing %d WebSocket(s) with 1001", len(sockets))
        for protocol in sockets:
            # sendCloseFrame: sendClose admits only the codes an application may use
            # (1000, 3000-4999); 1001 is the server's own, as autobahn's own failures send.
            protocol.sendCloseFrame(code=GOING_AWAY, reasonUtf8=b"server shutting down", isReply=False)
        return self._wait_until_closed(sockets, SHUTDOWN_CLOSE_SECONDS)

    @defer.inlineCallbacks
    def _wait_until_closed(self, sockets: list[WebSocketProtocol], seconds: float):
        from twisted.internet import reactor

        for _ in range(int(seconds / 0.05)):
            if all(p.state == AutobahnProtocol.STATE_CLOSED for p in sockets):
                return
            yield task.deferLater(reactor, 0.05, lambda: None)


class EchoesCommandLine(CommandLineInterface):
    server_class = EchoesServer


if __name__ == "__main__":
    EchoesCommandLine.entrypoint()
