"""A mobile developer's generated client works: openapi-python-client (the PyPI package,
run offline) writes a client from the live /api/schema/, and that client, unchanged, goes
through a listener's journey against a real server (daphne, a Celery worker, PostgreSQL,
Redis): register, preferences, a mood session, recommendations, compose, poll, library,
sessions.

The generator writes a client that does not import when a request body is offered as
JSON, form and multipart with one schema; the API speaks JSON (multipart only where a
file is uploaded), so every module must import."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core.management import call_command

from tests.integration.compositions.conftest import make_stack  # noqa: F401 (fixture)

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("postgres")]

PACKAGE = "echoes_generated_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


def generate_client(schema_url: str, folder: Path) -> Path:
    """The client package generated from the live schema; its path."""
    schema = requests.get(schema_url, params={"format": "json"}, timeout=60)
    assert schema.status_code == 200, schema.text[:300]
    (folder / "schema.json").write_bytes(schema.content)
    (folder / "config.yaml").write_text(
        f"package_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\n"
    )
    if not GENERATOR.exists():
        pytest.fail(f"{GENERATOR} is missing: install requirements.lock", pytrace=False)
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(folder / "schema.json"),
            "--config",
            str(folder / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
        ],
        # The generator formats its output with ruff, from the same venv.
        env={"PATH": f"{GENERATOR.parent}:/usr/bin:/bin", "HOME": str(folder)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return folder / PACKAGE


@pytest.fixture
def generated(tmp_path):
    """Import every module of a generated package from tmp_path; forget it afterwards."""
    imported = []

    def load(package_dir: Path):
        sys.path.insert(0, str(package_dir.parent))
        package = importlib.import_module(PACKAGE)
        for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
            imported.append(importlib.import_module(module.name))
        return package

    try:
        yield load
    finally:
        sys.path[:] = [p for p in sys.path if p != str(tmp_path)]
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_a_client_generated_from_the_live_schema_runs_the_listener_journey(make_stack, generated, tmp_path):  # noqa: F811
    call_command("load_catalogue", verbosity=0)
    stack = make_stack()
    stack.start_worker()
    package_dir = generate_client(stack.url("/api/schema/"), tmp_path)
    generated(package_dir)  # every module imports (NameError: 'Unset' was the failure)

    from echoes_generated_client import AuthenticatedClient, Client
    from echoes_generated_client.api.v1 import (
        v1_auth_register_create,
        v1_compositions_create,
        v1_compositions_list,
        v1_compositions_status_retrieve,
        v1_me_preferences_update,
        v1_moods_choose_create,
        v1_moods_sessions_list,
        v1_recommendations_retrieve,
    )
    from echoes_generated_client.models import (
        CompositionCreateInputRequest,
        MoodChooseInputRequest,
        MoodLabelEnum,
        PreferencesRequest,
        RegisterInputRequest,
    )

    anonymous = Client(base_url=stack.server.url, timeout=60)
    registered = v1_auth_register_create.sync(
        client=anonymous,
        body=RegisterInputRequest(
            username="mira", email="mira@example.com", password="a-long-pass-phrase-42"
        ),
    )
    assert registered.user.username == "mira", registered
    api = AuthenticatedClient(base_url=stack.server.url, token=registered.token, prefix="Token", timeout=60)

    preferences = v1_me_preferences_update.sync(
        client=api, body=PreferencesRequest(languages=["te", "en"], favourite_singers=[])
    )
    assert sorted(preferences.languages) == ["en", "te"], preferences

    session = v1_moods_choose_create.sync(client=api, body=MoodChooseInputRequest(mood=MoodLabelEnum.CALM))
    assert session.chosen_mood.label == "calm", session

    recommended = v1_recommendations_retrieve.sync(client=api, session=session.id, limit=10)
    assert recommended.mood.label == "calm" and len(recommended.results) == 10, recommended
    assert {item.song.language for item in recommended.results} <= {"te", "en"}

    queued = v1_compositions_create.sync(
        client=api, body=CompositionCreateInputRequest(style="folk", session_id=session.id, bars=4, seed=7)
    )
    assert queued.status == "queued" and queued.mood_session == session.id, queued

    deadline = time.monotonic() + 240
    state = v1_compositions_status_retrieve.sync(queued.id, client=api)
    while state.status not in {"ready", "failed"} and time.monotonic() < deadline:
        time.sleep(0.5)
        state = v1_compositions_status_retrieve.sync(queued.id, client=api)
    assert state.status == "ready", (state, stack.workers[0].log.read_text()[-3000:])

    library = v1_compositions_list.sync(client=api)
    assert library.count == 1 and library.results[0].id == queued.id
    assert library.results[0].status == "ready" and library.results[0].duration_seconds > 0

    sessions = v1_moods_sessions_list.sync(client=api)
    assert [s.id for s in sessions.results] == [session.id]
