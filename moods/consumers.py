"""The live emotion session consumer at /ws/session/ (protocol: docs/websocket.md).

Thin by design: it parses messages, keeps the connection's in-memory state
(moods.live), runs inference on the process-wide pool (moods.inference) and calls the
services to save readings and close the session. Nothing here blocks the event loop:
frames are analysed in pool threads and database writes go through
database_sync_to_async.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import reverse
from django.utils import timezone

from accounts.ws_auth import CredentialsWatchMixin
from ml.emotion.personal import PersonalCalibration
from ml.errors import MLError
from ml.mood import Mood, mood_named
from moods import inference, protocol, selectors, services
from moods.live import Frame, FrameSlot, LiveSession, result_message, wants_hands
from moods.models import MoodSession
from moods.soundtrack import LEAD_SECONDS, LiveSoundtrack, MoodNow

logger = logging.getLogger(__name__)

# One sweep task per process (and event loop): closes sessions left open by a server
# that died; the first connection after a restart runs it at once.
_sweeper: asyncio.Task | None = None
# Frames of this process's connections now in the analysis pool (queued or running).
_in_pool = 0


async def _sweep_forever() -> None:
    while True:
        try:
            closed = await database_sync_to_async(services.session_close_stale)()
            if closed:
                logger.info("closed %d stale mood sessions", closed)
        except Exception:
            logger.exception("stale mood session sweep failed")
        await asyncio.sleep(max(1.0, services.stale_seconds() / 2))


def _ensure_sweeper() -> None:
    global _sweeper
    if _sweeper is None or _sweeper.done():
        _sweeper = asyncio.get_running_loop().create_task(_sweep_forever())


class MoodSessionConsumer(CredentialsWatchMixin, AsyncWebsocketConsumer):
    """One WebSocket connection: binary frames in, JSON results out."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        offered = self.scope.get("subprotocols") or []
        subprotocol = protocol.SUBPROTOCOL if protocol.SUBPROTOCOL in offered else None
        self.seq = 0
        self.fps = protocol.DEFAULT_FPS
        self.hands_fps = protocol.DEFAULT_HANDS_FPS
        self.hands_at = float("-inf")  # when this connection last looked for hands
        self.last_gesture: tuple[str | None, int] = (None, 0)
        self.live: LiveSession | None = None
        self.slot = FrameSlot()
        self.in_analysis = False  # a frame is in the pool right now
        self.tasks: list[asyncio.Task] = []
        self.db_lock = asyncio.Lock()
        self.music: LiveSoundtrack | None = None  # the soundtrack playing (or last played)
        self.music_mood: str | None = None  # a mood chosen for the music ("mood": "calm")
        self.music_last: Mood | None = None  # what the music followed last (held after stop)
        self.music_session_id: int | None = None  # the session the soundtrack followed
        if user is None or not user.is_authenticated:
            # Accept, explain, close: a browser sees neither an HTTP 403 nor its reason,
            # but it does see a close code (daphne drops close reasons, hence the frame).
            await self.accept(subprotocol)
            await self._send(
                protocol.error_message(
                    "unauthenticated",
                    "Log in (session cookie) or send an API token (Authorization: Token <key> "
                    "or subprotocol token.<key>).",
                )
            )
            await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.client = (
            MoodSession.Client.TOKEN
            if self.scope.get("auth_method") == "token"
            else MoodSession.Client.COOKIE
        )
        await self.accept(subprotocol)
        if not await self.join_groups():  # closes when the credentials are revoked
            return
        _ensure_sweeper()
        inference.warm_up()
        await self._start_session()
        self.tasks = [
            asyncio.create_task(self._analyse_forever()),
            asyncio.create_task(self._flush_forever()),
        ]
        await self._send(
            {
                "type": "ready",
                "protocol": protocol.SUBPROTOCOL,
                "session_id": self.live.session_id,
                "fps": self.fps,
                "hands_fps": self.hands_fps,
                "limits": {
                    "max_frame_bytes": protocol.MAX_FRAME_BYTES,
                    "max_frame_width": protocol.MAX_FRAME_WIDTH,
                    "max_frame_height": protocol.MAX_FRAME_HEIGHT,
                    "max_control_bytes": protocol.MAX_CONTROL_BYTES,
                    "reading_seconds": services.reading_seconds(),
                },
            }
        )

    async def __call__(self, scope, receive, send):
        # On a graceful server stop daphne cancels every consumer and waits for it:
        # close the session then, instead of leaving it to the stale sweep.
        try:
            await super().__call__(scope, receive, send)
        except asyncio.CancelledError:
            for task in getattr(self, "tasks", []):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.shield(self._close_session(MoodSession.CloseReason.DISCONNECT))
            raise

    # -- session lifecycle ---------------------------------------------------------
    async def _start_session(self) -> None:
        session = await database_sync_to_async(services.session_start)(user=self.user, client=self.client)
        self.live = LiveSession(
            session_id=session.pk, calibration=PersonalCalibration.from_dict(session.calibration or {})
        )

    async def _close_session(self, reason: str) -> MoodSession | None:
        live, self.live = getattr(self, "live", None), None
        if live is None or live.closed:
            return None
        live.closed = True
        # The waiting frame, and one still in analysis, will never be answered: dropped.
        live.counters.dropped += (self.slot.discard() is not None) + self.in_analysis
        async with self.db_lock:
            reading = live.take_reading(now=timezone.now())
            return await database_sync_to_async(services.session_close)(
                session_id=live.session_id, reason=reason, reading=reading, counters=live.counters.as_fields()
            )

    async def disconnect(self, code: int) -> None:
        for task in getattr(self, "tasks", []):
            task.cancel()
        if getattr(self, "music", None) is not None:
            await self.music.stop("disconnect")
        await self._close_session(MoodSession.CloseReason.DISCONNECT)
        await self.leave_groups()

    # -- incoming messages ---------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            await self._receive_frame(bytes_data)
            return
        try:
            control = protocol.parse_control(text_data or "")
        except protocol.ProtocolError as error:
            await self._send(protocol.error_message(error.code, error.message))
            return
        await getattr(self, f"_on_{control.type}")(control)

    async def _receive_frame(self, data: bytes) -> None:
        # Runs for every binary message, at whatever rate the client sends: O(1) work and
        # no waiting for analysis, so 500 frames/s from one client cost the event loop
        # next to nothing; only the newest frame is kept.
        self.seq += 1
        live = self.live
        if live is None:
            await self._send(
                protocol.error_message(
                    "no_session", 'No session is running; send {"type": "start"}.', seq=self.seq
                )
            )
            return
        live.counters.received += 1
        if len(data) == 0:
            live.counters.rejected += 1
            await self._send(
                protocol.error_message("bad_frame", "The frame is empty (0 bytes).", seq=self.seq)
            )
            return
        if len(data) > protocol.MAX_FRAME_BYTES:
            live.counters.rejected += 1
            await self._send(
                protocol.error_message(
                    "frame_too_large",
                    f"The frame is {len(data):,} bytes; the limit is {protocol.MAX_FRAME_BYTES:,} bytes.",
                    seq=self.seq,
                )
            )
            return
        if self.slot.offer(Frame(seq=self.seq, data=data, received_at=time.monotonic())) is not None:
            live.counters.dropped += 1

    async def _on_start(self, control: protocol.Control) -> None:
        if self.live is None:
            await self._start_session()
        await self._send({"type": "started", "session_id": self.live.session_id})

    async def _on_stop(self, control: protocol.Control) -> None:
        session = await self._close_session(MoodSession.CloseReason.STOP)
        if session is None:
            await self._send(protocol.error_message("no_session", "No session is running."))
            return
        verdict = await database_sync_to_async(selectors.session_verdict)(session=session)
        await self._send({"type": "stopped", "session": {**_session_summary(session), "verdict": verdict}})

    async def _on_ping(self, control: protocol.Control) -> None:
        await self._send({"type": "pong", "t": control.echo, "server_time": timezone.now().isoformat()})

    async def _on_correction(self, control: protocol.Control) -> None:
        # Corrects what this connection showed last (the server knows it; no numbers
        # from the client needed). Same service as POST .../corrections/.
        live = self.live
        if live is None or live.shown is None:
            await self._send(
                protocol.error_message("no_reading", "No face has been read yet in this session.")
            )
            return
        try:
            correction = await database_sync_to_async(services.mood_correction_create)(
                user=self.user, session_id=live.session_id, probabilities=live.shown, felt_mood=control.mood
            )
        except MLError as error:
            await self._send(protocol.error_message("bad_correction", str(error)))
            return
        await self._send(
            {"type": "corrected", "correction_id": correction.pk, "felt_mood": correction.felt_mood}
        )

    async def _on_options(self, control: protocol.Control) -> None:
        if control.fps is not None:
            self.fps = control.fps
        if control.hands_fps is not None:
            self.hands_fps = control.hands_fps
            self.last_gesture = (None, 0)
            self.hands_at = float("-inf")
        await self._send({"type": "options", "fps": self.fps, "hands_fps": self.hands_fps})

    # -- the live soundtrack (moods.soundtrack) -------------------------------------
    def _music_mood_now(self) -> MoodNow:
        """The mood the music follows: a chosen one, else the face's smoothed mood; the last
        one is held while no session runs (after stop) or no face is in view."""
        live = self.live
        gesture = live.tracker.gesture if live is not None else None
        if self.music_mood is not None:
            self.music_last = mood_named(self.music_mood)
        elif live is not None and live.shown is not None:
            self.music_last = live.tracker.mood
        if live is not None:
            self.music_session_id = live.session_id
        return MoodNow(mood=self.music_last, gesture=gesture)

    async def _on_music_start(self, control: protocol.Control) -> None:
        if self.music is not None and self.music.running:
            await self._send(
                protocol.error_message(
                    "music_on", "Music is already on: send music_options to change it, or music_stop."
                )
            )
            return
        if control.pin_mood:
            self.music_mood = control.mood
        now = self._music_mood_now()
        if now.mood is None:
            await self._send(
                protocol.error_message(
                    "no_mood",
                    "Music follows your mood, and no face has been read in this session yet: face the "
                    'camera and try again, or choose a mood for the music ("mood": "calm").',
                )
            )
            return
        self.music = LiveSoundtrack(
            send=self._send,
            mood_now=self._music_mood_now,
            style=control.style or "chorale",
            arrangement=control.arrangement or "mood",
            mode=control.mode or "follow",
            seed=random.randint(0, 2**31 - 1),
            label=f"user {self.user.pk}, session {self.music_session_id}",
        )
        self.music.start()
        await self._send({"type": "music_started", **self._music_settings()})

    def _music_settings(self) -> dict:
        stream = self.music.stream
        return {
            "style": stream.style,
            "arrangement": stream.arrangement,
            "mode": stream.mode,
            "follows": self.music_mood or "face",
            "lead_seconds": LEAD_SECONDS,
        }

    async def _on_music_options(self, control: protocol.Control) -> None:
        if self.music is None or not self.music.running:
            await self._send(
                protocol.error_message("music_off", 'Music is off; send {"type": "music_start"}.')
            )
            return
        # Read by the writer thread at the next bar: a string swap, no lock needed.
        if control.arrangement is not None:
            self.music.stream.set_arrangement(control.arrangement)
        if control.mode is not None:
            self.music.stream.set_mode(control.mode)
        if control.pin_mood:
            self.music_mood = control.mood
        await self._send({"type": "music_options", **self._music_settings()})

    async def _on_music_ack(self, control: protocol.Control) -> None:
        if self.music is None or not self.music.ack(control.bar):
            await self._send(protocol.error_message("bad_music", f"Bar {control.bar} was never sent."))

    async def _on_music_stop(self, control: protocol.Control) -> None:
        if self.music is None or not self.music.running:
            await self._send(protocol.error_message("music_off", "Music is off."))
            return
        await self.music.stop()
        await self._send({"type": "music_stopped", **self.music.summary()})

    async def _on_music_save(self, control: protocol.Control) -> None:
        from compositions import services as compositions

        played = self.music.played() if self.music is not None else []
        if not played:
            await self._send(
                protocol.error_message("nothing_played", "No music has played yet in this connection.")
            )
            return
        stream = self.music.stream
        loop = asyncio.get_running_loop()
        try:
            # FluidSynth + the encoder: seconds for a long soundtrack, off the event loop.
            rendered, fields = await loop.run_in_executor(
                None, functools.partial(compositions.soundtrack_render, bars=played, style=stream.style)
            )
            composition = await database_sync_to_async(compositions.composition_soundtrack_save)(
                user=self.user,
                session_id=self.music_session_id,
                rendered=rendered,
                style=stream.style,
                seed=stream.seed,
                title=control.title,
                **fields,
            )
        except MLError as error:
            await self._send(
                protocol.error_message("save_failed", f"The soundtrack could not be kept: {error}")
            )
            return
        await self._send(
            {
                "type": "music_saved",
                "composition": {
                    "id": composition.pk,
                    "title": composition.title,
                    "bars": composition.bars,
                    "duration_seconds": round(composition.duration_seconds or 0.0, 2),
                    "url": reverse("compositions:detail", kwargs={"composition_id": composition.pk}),
                },
            }
        )

    # -- background tasks of the connection ----------------------------------------
    async def _analyse_forever(self) -> None:
        """Analyse the latest frame, at most `fps` frames a second, one at a time."""
        global _in_pool
        loop = asyncio.get_running_loop()
        next_start = 0.0
        while True:
            delay = next_start - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # frames arriving meanwhile replace each other
            frame = await self.slot.take()
            live = self.live
            # 25% tolerance: a client sending at exactly `fps` never waits for jitter.
            next_start = time.monotonic() + 0.8 / self.fps
            now = time.monotonic()
            workers_busy = _in_pool >= inference.workers()
            hands = wants_hands(
                since_last=now - self.hands_at, hands_fps=self.hands_fps, workers_busy=workers_busy
            )
            if hands:
                self.hands_at = now
            self.in_analysis = True
            _in_pool += 1
            try:
                try:
                    analysis = await loop.run_in_executor(
                        inference.executor(),
                        # A saturated pool reads faces through one CNN pass, so more
                        # sessions keep their frame rate (the mood is smoothed anyway).
                        functools.partial(
                            inference.analyze_frame, frame.data, hands=hands, light=workers_busy
                        ),
                    )
                finally:
                    _in_pool -= 1
            except MLError as error:  # FrameDecodeError, FrameTooLarge: the client's fault
                self.in_analysis = False
                if live is not None and not live.closed:
                    live.counters.rejected += 1
                await self._send(protocol.error_message(_error_code(error), str(error), seq=frame.seq))
                continue
            except Exception:
                self.in_analysis = False
                logger.exception("analysis failed (session %s, seq %s)", live and live.session_id, frame.seq)
                await self._send(
                    protocol.error_message(
                        "analysis_failed", "This frame could not be analysed.", seq=frame.seq
                    )
                )
                continue
            self.in_analysis = False
            if hands:
                self.last_gesture = (analysis.gesture, analysis.hands)
            elif self.hands_fps > 0:
                analysis.gesture, analysis.hands = self.last_gesture  # held between hand looks
            if live is None or live.closed:
                continue  # the session was stopped while this frame was in analysis
            analysis = live.calibration.adjust(analysis)  # this user's corrections
            mood = live.record(analysis, at=timezone.now())
            latency_ms = (time.monotonic() - frame.received_at) * 1000.0
            await self._send(
                result_message(
                    seq=frame.seq, analysis=analysis, mood=mood, latency_ms=latency_ms, counters=live.counters
                )
            )

    async def _flush_forever(self) -> None:
        """Every few seconds: save the window as a reading, with the counters (heartbeat)."""
        while True:
            await asyncio.sleep(services.reading_seconds())
            live = self.live
            if live is None:
                continue
            async with self.db_lock:
                if live.closed:
                    continue
                try:
                    await database_sync_to_async(services.session_record_reading)(
                        session_id=live.session_id,
                        reading=live.take_reading(now=timezone.now()),
                        counters=live.counters.as_fields(),
                    )
                except Exception:
                    logger.exception("saving a reading failed (session %s)", live.session_id)

    # -- sending -------------------------------------------------------------------
    async def _send(self, message: dict) -> None:
        await self.send(text_data=protocol.dumps(message))


def _error_code(error: Exception) -> str:
    from ml.emotion.errors import FrameTooLarge

    return "frame_too_large" if isinstance(error, FrameTooLarge) else "bad_frame"


def _session_summary(session: MoodSession) -> dict:
    return {
        "id": session.pk,
        "started_at": session.started_at.isoformat(),
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "dominant_mood": protocol.mood_payload(
            None
            if not session.dominant_mood
            else _mood(session.dominant_mood, session.dominant_valence, session.dominant_arousal)
        ),
        "frames": {
            "received": session.frames_received,
            "analysed": session.frames_analysed,
            "dropped": session.frames_dropped,
            "rejected": session.frames_rejected,
            "with_face": session.frames_with_face,
        },
    }


def _mood(label: str, valence: float | None, arousal: float | None):
    return Mood(label, valence or 0.0, arousal or 0.0)
