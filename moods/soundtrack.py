"""The live soundtrack of one connection: bars written just in time and sent as note events.

`LiveSoundtrack` runs one asyncio task per connection with music on. For every bar it
waits until the bar is LEAD_SECONDS from its start (on the soundtrack's clock, which
starts when music starts), asks `ml.music.stream.BarStream` for it in a worker thread
(the network and the arrangement: tens of ms), and sends it as a `music_bar` message
(docs/websocket.md). Writing late, not early, is what makes a mood change audible
within about a bar; LEAD_SECONDS covers writing, the network and the player's queue.

A client that stops confirming bars (`music_ack`) for MAX_UNACKED_BARS is not listening
(or not reading its socket): the soundtrack stops with a `music_stalled` error frame
instead of writing into a buffer nobody empties. What played is kept (the last
MAX_RECORD_BARS bars) so that "Save this soundtrack" can store it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ml.mood import Mood

logger = logging.getLogger(__name__)

LEAD_SECONDS = 0.8  # a bar is written this long before it starts
FIRST_BAR_DELAY = 0.4  # the first bar starts this long after it is written
MAX_UNACKED_BARS = 8
MAX_RECORD_BARS = 1800  # an hour at 120 bpm

_pool: ThreadPoolExecutor | None = None


def music_executor() -> ThreadPoolExecutor:
    """One thread per process writes every connection's bars (each takes tens of ms);
    analysis keeps its own pool, so music never waits behind frames or the reverse."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="soundtrack")
    return _pool


def warm_up() -> None:
    """Load the music generator in the soundtrack thread now (non-blocking), so the first
    listener of a process does not wait seconds for TensorFlow and the weights."""

    def load() -> None:
        from ml.music import load_generator

        try:
            load_generator()
        except Exception:  # missing weights: music_start will say so to whoever asks
            logger.exception("the music generator could not be loaded")

    music_executor().submit(load)


@dataclass(frozen=True)
class MoodNow:
    """What the soundtrack follows at this moment."""

    mood: Mood | None
    gesture: str | None = None


def bar_message(bar, *, sent_at: float) -> dict[str, Any]:
    """The `music_bar` message of one bar (see docs/websocket.md)."""
    return {
        "type": "music_bar",
        "bar": bar.index,
        "start": round(bar.start, 4),
        "duration": round(bar.duration, 4),
        "sent_at": round(sent_at, 4),
        "tempo": bar.tempo,
        "key": bar.key,
        "mode": bar.mode,
        "mood": _mood(bar.mood),
        "target": _mood(bar.target),
        "phrase": bar.phrase,
        "section": bar.section,
        "bar_in_phrase": bar.bar_in_phrase,
        "cadence": bar.cadence,
        "arrangement": bar.arrangement,
        # the arrangement's parts: a General MIDI program per channel, drums on 9 (GM's 10)
        "parts": [
            {"channel": p.channel, "program": p.program, "name": p.name, "drums": p.is_drum}
            for p in bar.parts
        ],
        "gesture": bar.gesture,
        # [start s, duration s, channel, pitch, velocity, flags]: flags 1 = tie (held into
        # the next bar if it continues), 2 = continues the previous bar's tie on that
        # channel and pitch (no attack)
        "notes": [
            [
                n.start,
                n.duration,
                n.channel,
                n.pitch,
                n.velocity,
                (1 if n.tie else 0) | (2 if n.continues else 0),
            ]
            for n in bar.notes
        ],
    }


def _mood(mood: Mood) -> dict[str, Any]:
    return {"label": mood.label, "valence": round(mood.valence, 4), "arousal": round(mood.arousal, 4)}


class LiveSoundtrack:
    """Music on for one connection: writes and sends bars until stopped."""

    def __init__(
        self,
        *,
        send: Callable[[dict], Awaitable[None]],
        mood_now: Callable[[], MoodNow],
        style: str,
        arrangement: str,
        mode: str,
        seed: int,
        label: str = "",
    ) -> None:
        from ml.music.stream import BarStream

        self.stream = BarStream(style=style, arrangement=arrangement, mode=mode, seed=seed)
        self._send = send
        self._mood_now = mood_now
        self.label = label  # for logs: user and session
        self.record: deque = deque(maxlen=MAX_RECORD_BARS)
        self.sent = 0
        self.acked = -1
        self.late = 0  # bars sent after their start (an underrun on the server's side)
        self.write_ms: deque[float] = deque(maxlen=200)
        self.started_at: float | None = None
        self.task: asyncio.Task | None = None
        self.stop_reason: str | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def clock(self) -> float:
        """Seconds on the soundtrack's clock (0 = the first bar's start; negative before it)."""
        return -FIRST_BAR_DELAY if self.started_at is None else time.monotonic() - self.started_at

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self, reason: str = "stopped") -> None:
        self.stop_reason = self.stop_reason or reason
        task, self.task = self.task, None
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task  # the task logged its own failure, if any

    def ack(self, bar: int) -> bool:
        """A bar the player has queued; False for one never sent."""
        if not 0 <= bar < self.sent:
            return False
        self.acked = max(self.acked, bar)
        return True

    def played(self) -> list:
        """The bars that have started by now (what the listener heard)."""
        now = self.clock()
        return [bar for bar in self.record if bar.start <= now]

    def summary(self) -> dict[str, Any]:
        return {
            "bars": self.sent,
            "seconds": round(self.clock(), 2),
            "late_bars": self.late,
            "write_ms_max": round(max(self.write_ms), 1) if self.write_ms else None,
        }

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                wait = self.stream.clock - LEAD_SECONDS - self.clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                if self.sent - 1 - self.acked >= MAX_UNACKED_BARS:
                    await self._stalled()
                    return
                now = self._mood_now()
                if now.mood is None:  # cannot happen after start; the last mood is held
                    raise RuntimeError("the soundtrack lost its mood")
                began = time.perf_counter()
                bar = await loop.run_in_executor(
                    music_executor(),
                    functools.partial(self.stream.next_bar, target=now.mood, gesture=now.gesture),
                )
                self.write_ms.append((time.perf_counter() - began) * 1000)
                if self.started_at is None:
                    # The clock starts once the first bar is written (the first bar of a
                    # process also loads the network: seconds), FIRST_BAR_DELAY before it.
                    self.started_at = time.monotonic() + FIRST_BAR_DELAY
                sent_at = self.clock()
                if sent_at > bar.start:
                    self.late += 1
                self.record.append(bar)
                self.sent += 1
                await self._send(bar_message(bar, sent_at=sent_at))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("soundtrack failed (%s)", self.label)
            self.stop_reason = "failed"
            await self._send(
                {
                    "type": "error",
                    "code": "music_failed",
                    "message": "The music stopped because of a server error; press Music to start it again.",
                }
            )

    async def _stalled(self) -> None:
        self.stop_reason = "stalled"
        logger.info("soundtrack stalled: %d bars unconfirmed (%s)", self.sent - 1 - self.acked, self.label)
        await self._send(
            {
                "type": "error",
                "code": "music_stalled",
                "message": (
                    f"The music stopped: the player confirmed no bar for {MAX_UNACKED_BARS} bars "
                    '(send {"type": "music_ack", "bar": n} for each bar you queue).'
                ),
            }
        )
