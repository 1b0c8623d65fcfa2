"""/healthz through a real ASGI server, with every service up and with one down."""

import time

import pytest
import requests

from tests.conftest import LiveServer, free_port, subprocess_env


def healthz(env: dict[str, str], tmp_path) -> requests.Response:
    """/healthz of a new server once it has loaded its emotion models (503 "warming" before)."""
    server = LiveServer(tmp_path, env)
    server.start()
    try:
        deadline = time.monotonic() + 180
        while True:
            response = requests.get(f"{server.url}/healthz", timeout=30)
            if response.json()["emotion_model"] != "warming" or time.monotonic() > deadline:
                return response
            assert response.status_code == 503 and response.json()["status"] == "warming"
            time.sleep(0.2)
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_every_configured_service(tmp_path, redis_url, broker_url):
    response = healthz(subprocess_env(REDIS_URL=redis_url, CELERY_BROKER_URL=broker_url), tmp_path)
    checks = response.json()["checks"]
    assert checks["database"]["detail"] == "ok (postgresql)"
    assert checks["channel_layer"]["detail"] == "ok (RedisChannelLayer)"
    assert checks["broker"]["ok"] is True
    assert response.json()["emotion_model"] == "ready" and checks["emotion_model"]["ok"] is True
    assert response.status_code == (200 if checks["models"]["ok"] else 503)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("service", ["REDIS_URL", "CELERY_BROKER_URL"])
def test_healthz_is_503_when_a_configured_service_is_down(tmp_path, redis_url, broker_url, service):
    env = subprocess_env(REDIS_URL=redis_url, CELERY_BROKER_URL=broker_url)
    env[service] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    response = healthz(env, tmp_path)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    down = "channel_layer" if service == "REDIS_URL" else "broker"
    assert body["checks"][down]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
