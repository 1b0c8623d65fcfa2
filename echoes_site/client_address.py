"""The client's address, as every throttle and the login lockout see it.

By default (TRUSTED_PROXIES=0) it is the socket peer: a header such as X-Forwarded-For
is written by the client and proves nothing. Behind N reverse proxies that each append
the address they received the request from to X-Forwarded-For (nginx:
`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`), the N-th entry from the
right is the one our own first proxy wrote: the real client. Entries left of it are
the client's own and are ignored. Do not also run daphne with --proxy-headers: it would
turn the header into the peer address before Django sees it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_address(request) -> str:
    """The address of the client that sent `request` (an HttpRequest or a DRF Request)."""
    peer = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        # Fewer entries than proxies: the request did not come through all of them.
        return peer
    candidate = forwarded[-proxies]
    return candidate if _is_address(candidate) else peer
