"""schemathesis, every check and every phase, against the live OpenAPI schema of a real server.

`schemathesis run` (the CLI, so each phase it has runs: examples, coverage, fuzzing,
stateful) fuzzes every operation of /api/schema/ served by daphne on PostgreSQL and
Redis, with `--checks all`, a fixed seed and a bounded number of examples per operation,
as a user who owns ready compositions, listening events and mood sessions (hooks in
schemathesis_hooks.py: half the path ids are that user's own, and a fuzzed token revoke
or "log out everywhere" only makes the next call sign in again).

The throttles and the login lockout are raised for this server, so register, token and
compose are really fuzzed (the test checks that accounts and compositions were made and
that nothing was answered 429). The run must end with 0 failures: the only failures
dropped are those `accepted_reason` in the hooks explains (each reason is in docs/api.md).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from django.conf import global_settings

from tests.conftest import REPO, LiveServer, subprocess_env
from tests.integration.api.objects import OWNED_OBJECTS, PASSWORD, make_user

PHASES = "examples,coverage,fuzzing,stateful"
# Examples per operation in the fuzzing phase (the coverage and stateful phases size
# themselves): about 5-9 minutes here on a loaded 2-core machine; raise locally to dig deeper.
MAX_EXAMPLES = os.environ.get("API_FUZZ_EXAMPLES", "2")
SEED = os.environ.get("API_FUZZ_SEED", "20261126")
MAX_RESPONSE_SECONDS = os.environ.get("API_FUZZ_MAX_RESPONSE_SECONDS", "30")
OWN_OBJECTS_EACH = 3  # a fuzzed DELETE of one leaves the others for the happy paths


@pytest.fixture
def fuzz_server(transactional_db, tmp_path, redis_url, broker_url, settings) -> Iterator[LiveServer]:
    """daphne on the test database with its own queue, prefixes and media, throttles raised."""
    tag = uuid.uuid4().hex[:10]
    env = subprocess_env(
        MEDIA_ROOT=str(tmp_path / "media"),
        COMPOSITIONS_QUEUE=f"api-fuzz-{tag}",  # no worker listens: compositions stay queued
        CHANNEL_LAYER_PREFIX=f"api-fuzz-{tag}",
        CACHE_PREFIX=f"api-fuzz-{tag}",
        # The fuzzer sends hundreds of requests a minute; 429 is documented but would
        # hide every other answer.
        THROTTLE_USER="100000/min",
        THROTTLE_ANON="100000/min",
        THROTTLE_LOGIN="100000/min",
        THROTTLE_COMPOSE="100000/min",
        COMPOSITIONS_MAX_IN_FLIGHT="100000",
        # ...and the login lockout would answer every token call with 429 after a few
        # fuzzed wrong passwords: the token operation would never really be fuzzed.
        LOGIN_FAILURE_LIMIT="100000000",
    )
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.COMPOSITIONS_QUEUE = env["COMPOSITIONS_QUEUE"]
    # The server checks passwords with the default hashers: make the fuzzer with them.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    server = LiveServer(tmp_path, env)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        redis.Redis.from_url(broker_url).delete(env["COMPOSITIONS_QUEUE"])


def test_every_operation_passes_every_check_in_every_phase(fuzz_server: LiveServer, tmp_path: Path):
    fuzzer = make_user("fuzzer")
    own_ids = {
        param: sorted({kind.factory(fuzzer).pk for _ in range(OWN_OBJECTS_EACH)})
        for param, kind in OWNED_OBJECTS.items()
    }
    accepted_log = tmp_path / "accepted.jsonl"
    # The live schema, fetched here with a patient timeout (its first build on a cold,
    # loaded server can take longer than schemathesis waits).
    schema = requests.get(f"{fuzz_server.url}/api/schema/?format=json", timeout=180)
    assert schema.status_code == 200, schema.status_code
    schema_file = tmp_path / "schema.json"
    schema_file.write_bytes(schema.content)
    output = tmp_path / "schemathesis.txt"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SCHEMATHESIS_HOOKS": "tests.integration.api.schemathesis_hooks",
        "FUZZ_BASE_URL": fuzz_server.url,
        "FUZZ_USERNAME": fuzzer.username,
        "FUZZ_PASSWORD": PASSWORD,
        "FUZZ_OWN_IDS": json.dumps(own_ids),
        "FUZZ_ACCEPTED_LOG": str(accepted_log),
    }
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(schema_file),
        f"--url={fuzz_server.url}",
        "--checks=all",
        f"--phases={PHASES}",
        f"--max-examples={MAX_EXAMPLES}",
        f"--seed={SEED}",
        "--workers=2",
        "--request-timeout=60",
        # max_response_time is one of the checks: 10 s by default, which a password hash
        # (token, register) can exceed on this loaded 2-core machine.
        f"--max-response-time={MAX_RESPONSE_SECONDS}",
        "--no-color",
    ]
    with output.open("w") as out:
        result = subprocess.run(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=1500
        )
    report = output.read_text(errors="replace")
    accepted = Counter(
        (entry["code"], entry["reason"])
        for entry in map(json.loads, accepted_log.read_text().splitlines() if accepted_log.exists() else [])
    )
    print(report[-3000:])
    for (code, reason), count in accepted.most_common():
        print(f"accepted {count:4d} x {code} {reason}")

    assert result.returncode == 0, f"schemathesis found failures:\n{report[-20000:]}"
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in report, f"the {phase} phase did not pass:\n{report[-3000:]}"
    # register, token and compose were fuzzed for real: no call was answered 429 (token:
    # nor locked out), and register and compose succeeded (their schema examples):
    log = fuzz_server.log.read_text(errors="replace")
    for operation, success in (("POST /api/v1/auth/register/", 201), ("POST /api/v1/compositions/", 202)):
        assert f'"{operation}" {success} ' in log, f"no fuzzed {operation} succeeded"
    assert '" 429 ' not in log, "the fuzzer was throttled"
    assert not re.search(r'" 5\d\d ', log), "the server answered 5xx"
