"""The live-session WebSocket protocol (`echoes.v1`), without any I/O.

docs/websocket.md is the user-facing description; this module is its executable form:
limits, control-message parsing, and the JSON shapes the server sends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ml.mood import MOOD_LABELS, Mood

SUBPROTOCOL = "echoes.v1"

# Frame limits (the contract). Frames above MAX_FRAME_BYTES get an error frame;
# daphne's own --websocket-max-message-size must be larger (we run it at 2 MiB) so a
# slightly-too-large frame reaches us and gets a friendly error, while anything above
# daphne's limit is cut off by daphne with close code 1009 before it is buffered.
MAX_FRAME_BYTES = 1024 * 1024
MAX_FRAME_WIDTH = 1920
MAX_FRAME_HEIGHT = 1080
MAX_FRAME_PIXELS = MAX_FRAME_WIDTH * MAX_FRAME_HEIGHT
MAX_CONTROL_BYTES = 4096

DEFAULT_FPS = 30.0
MIN_FPS = 0.5
MAX_FPS = 60.0
# The hand model is the most expensive stage (palm detection + landmarks: 10-75 ms
# here, against 3-15 ms for face + CNN). Gestures are held for a second or more, so
# looking for hands a few times a second (by time, not every n-th frame, so the cost
# per connection does not grow with its fps) loses nothing a user would notice.
DEFAULT_HANDS_FPS = 4.0
MAX_HANDS_FPS = MAX_FPS
# ... but only while the process has a free analysis worker: when every worker is busy,
# a connection looks for hands only if it has not for HANDS_MAX_GAP seconds, so under
# load gestures slow down (to one look every 2 s) before faces do.
HANDS_MAX_GAP = 2.0

# Close codes (4000-4999 are the application's own range).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_SERVER_SHUTDOWN = 1012  # "service restart" (RFC 6455 registry)


class ProtocolError(Exception):
    """A message the client sent that we cannot act on; becomes an error frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Control:
    """A parsed JSON control message."""

    type: str
    fps: float | None = None
    hands_fps: float | None = None
    echo: Any = None
    mood: str | None = None
    # music_* messages (docs/websocket.md, "Live soundtrack")
    style: str | None = None
    arrangement: str | None = None
    mode: str | None = None
    pin_mood: bool = False  # "mood" was given: follow that label (or, null, the camera again)
    bar: int | None = None
    lead_ms: float | None = None
    title: str = ""


MUSIC_CONTROL_TYPES = ("music_start", "music_stop", "music_options", "music_ack", "music_save")
CONTROL_TYPES = ("start", "stop", "ping", "options", "correction", *MUSIC_CONTROL_TYPES)
MAX_TITLE_CHARS = 120


def parse_control(text: str) -> Control:
    """Parse one text message; ProtocolError says what is wrong with it."""
    if len(text.encode("utf-8", errors="replace")) > MAX_CONTROL_BYTES:
        raise ProtocolError(
            "message_too_large",
            f"Control messages are at most {MAX_CONTROL_BYTES} bytes; send frames as binary messages.",
        )
    if not text.strip():
        raise ProtocolError(
            "bad_message", 'The message is empty; send a JSON object such as {"type": "ping"}.'
        )
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError(
            "bad_message",
            "Text messages must be JSON control messages; send frames as binary JPEG, PNG or WebP.",
        ) from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_message", 'A control message must be a JSON object with a "type".')
    kind = data.get("type")
    if kind not in CONTROL_TYPES:
        raise ProtocolError(
            "unknown_type",
            f"Unknown message type {str(kind)[:40]!r}; use one of: {', '.join(CONTROL_TYPES)}.",
        )
    if kind == "options":
        fps, hands_fps = data.get("fps"), data.get("hands_fps")
        if fps is None and hands_fps is None:
            raise ProtocolError("bad_options", 'options needs "fps" and/or "hands_fps".')
        if fps is not None and (
            isinstance(fps, bool) or not isinstance(fps, (int, float)) or not MIN_FPS <= fps <= MAX_FPS
        ):
            raise ProtocolError("bad_options", f"fps must be a number from {MIN_FPS:g} to {MAX_FPS:g}.")
        if hands_fps is not None and (
            isinstance(hands_fps, bool)
            or not isinstance(hands_fps, (int, float))
            or not 0 <= hands_fps <= MAX_HANDS_FPS
        ):
            raise ProtocolError(
                "bad_options",
                f"hands_fps must be a number from 0 (no gestures) to {MAX_HANDS_FPS:g}.",
            )
        return Control(
            type="options",
            fps=float(fps) if fps is not None else None,
            hands_fps=float(hands_fps) if hands_fps is not None else None,
        )
    if kind == "ping":
        echo = data.get("t")
        if echo is not None and not isinstance(echo, (int, float, str)):
            raise ProtocolError("bad_message", 'ping\'s "t" must be a number or a string.')
        return Control(type="ping", echo=echo)
    if kind == "correction":
        mood = data.get("mood")
        if mood not in MOOD_LABELS:
            raise ProtocolError(
                "bad_correction", f'correction needs "mood": one of {", ".join(MOOD_LABELS)}.'
            )
        return Control(type="correction", mood=mood)
    if kind in MUSIC_CONTROL_TYPES:
        return _parse_music(kind, data)
    return Control(type=kind)


def _parse_music(kind: str, data: dict[str, Any]) -> Control:
    """The music_* messages; names are checked against what the soundtrack offers."""
    from ml.music.config import STYLES
    from ml.music.stream import LIVE_ARRANGEMENTS, MODES

    if kind == "music_ack":
        bar, lead = data.get("bar"), data.get("lead_ms")
        if isinstance(bar, bool) or not isinstance(bar, int) or bar < 0:
            raise ProtocolError("bad_music", 'music_ack needs "bar": the number of the bar you queued.')
        if lead is not None and (isinstance(lead, bool) or not isinstance(lead, (int, float))):
            raise ProtocolError(
                "bad_music", '"lead_ms" must be a number (ms from queueing to the bar\'s start).'
            )
        return Control(type=kind, bar=bar, lead_ms=float(lead) if lead is not None else None)
    if kind == "music_save":
        title = data.get("title", "")
        if not isinstance(title, str):
            raise ProtocolError("bad_music", '"title" must be text.')
        return Control(type=kind, title=" ".join(title.split())[:MAX_TITLE_CHARS])
    if kind == "music_stop":
        return Control(type=kind)
    values: dict[str, Any] = {}
    for name, allowed in (("style", STYLES), ("arrangement", LIVE_ARRANGEMENTS), ("mode", MODES)):
        value = data.get(name)
        if value is None:
            continue
        if value not in allowed:
            raise ProtocolError(
                f"unknown_{name}",
                f"Unknown {name} {str(value)[:40]!r}; choose one of: {', '.join(allowed)}.",
            )
        values[name] = value
    pin = "mood" in data
    mood = data.get("mood")
    if pin and mood is not None and mood not in MOOD_LABELS:
        raise ProtocolError(
            "bad_music",
            f'"mood" is one of {", ".join(MOOD_LABELS)} (music follows it), or null (follow my face).',
        )
    if kind == "music_options":
        if "style" in values:
            raise ProtocolError(
                "bad_music", "The style is chosen when music starts (music_stop, then music_start)."
            )
        if not values and not pin:
            raise ProtocolError("bad_music", 'music_options needs "arrangement", "mode" and/or "mood".')
    return Control(type=kind, pin_mood=pin, mood=mood, **values)


def error_message(code: str, message: str, *, seq: int | None = None) -> dict[str, Any]:
    """An error frame; `seq` names the binary frame it is about, if any."""
    body: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if seq is not None:
        body["seq"] = seq
    return body


def mood_payload(mood: Mood | None) -> dict[str, Any] | None:
    if mood is None:
        return None
    return {"label": mood.label, "valence": round(mood.valence, 4), "arousal": round(mood.arousal, 4)}


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))
