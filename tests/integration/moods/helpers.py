"""Helpers of the moods integration tests: real frames, users, and WebSocket clients."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from django.conf import settings
from django.test import Client
from PIL import Image
from websockets.asyncio.client import ClientConnection, connect

from accounts.models import User
from accounts.services import token_obtain, user_register

PASSWORD = "listen-to-the-echoes-42"
WS_PATH = "/ws/session/"


def make_user(name: str) -> User:
    return user_register(username=name, email=f"{name}@example.com", password=PASSWORD)


def token_for(user: User) -> str:
    return token_obtain(user=user).key


def session_cookie(user: User) -> str:
    """A real logged-in session (saved in the test database) for `user`."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@cache
def astronaut_rgb(width: int = 320, height: int = 240) -> np.ndarray:
    """scikit-image's astronaut (a smiling face), cropped to 4:3 and resized."""
    from skimage import data

    image = Image.fromarray(data.astronaut()).crop((0, 0, 512, 384)).resize((width, height))
    return np.asarray(image)


@cache
def face_jpeg(width: int = 320, height: int = 240, quality: int = 85) -> bytes:
    """A JPEG webcam-sized frame of a real smiling face."""
    buffer = io.BytesIO()
    Image.fromarray(astronaut_rgb(width, height)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def huge_png(side: int = 10_000) -> bytes:
    """A side x side PNG: small in bytes (one colour compresses well), huge in pixels."""
    buffer = io.BytesIO()
    Image.new("L", (side, side), 0).save(buffer, "PNG", optimize=False)
    return buffer.getvalue()


def ws_connect(
    server: Any,
    *,
    cookie: str | None = None,
    token: str | None = None,
    subprotocol_token: str | None = None,
    origin: str | None = "self",
    path: str = WS_PATH,
    **kwargs: Any,
):
    """A websockets client connection to the live server's /ws/session/ (or `path`)."""
    headers = {}
    if cookie:
        headers["Cookie"] = cookie
    if token:
        headers["Authorization"] = f"Token {token}"
    subprotocols = ["echoes.v1", f"token.{subprotocol_token}"] if subprotocol_token else None
    return connect(
        server.ws_url + path,
        additional_headers=headers,
        subprotocols=subprotocols,
        origin=server.url if origin == "self" else origin,
        max_size=4 * 1024 * 1024,
        open_timeout=60,
        **kwargs,
    )


async def recv_json(ws: ClientConnection, timeout: float = 60) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_until(ws: ClientConnection, kind: str, timeout: float = 60) -> dict[str, Any]:
    """Skip messages until one of type `kind` arrives."""
    deadline = time.monotonic() + timeout
    while True:
        message = await recv_json(ws, max(0.1, deadline - time.monotonic()))
        if message["type"] == kind:
            return message


def wait_until(check: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    """Poll `check` (reads the database) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
