"""schemathesis hooks for the CLI run of test_schemathesis.py (loaded via SCHEMATHESIS_HOOKS).

This module runs inside the `schemathesis run` process, not in Django: it knows the
fuzzing user's name and password and the ids of the objects that user owns from
environment variables the test sets, and talks to the server over HTTP only.

- Auth: the fuzzer's token is fetched from `POST /api/v1/auth/token/` (one token per user,
  the same on every call until revoked). A fuzzed token revoke or "log out everywhere"
  that succeeds ends that token, so the cached one is dropped and the next call signs in
  again: these operations are fuzzed like the rest instead of being excluded.
- Path ids: half the generated cases use the fuzzer's own object ids, so the happy paths
  (200s on a real composition, event, session) are fuzzed as well as 404s.
"""

from __future__ import annotations

import json
import os
import re
import threading

import requests
import schemathesis
from hypothesis import strategies as st

BASE_URL = os.environ["FUZZ_BASE_URL"]
USERNAME = os.environ["FUZZ_USERNAME"]
PASSWORD = os.environ["FUZZ_PASSWORD"]
# {"composition_id": [1, 2, 3], ...}: several of each, so a fuzzed DELETE leaves others.
OWN_IDS: dict[str, list[int]] = json.loads(os.environ["FUZZ_OWN_IDS"])
# Operations whose success ends the fuzzer's token.
# Where accepted failures are written (one JSON line each) for the test to report.
ACCEPTED_LOG = os.environ.get("FUZZ_ACCEPTED_LOG")
ENDS_TOKEN = ("/api/v1/auth/token/revoke/", "/api/v1/auth/logout-everywhere/")

_token: str | None = None
_lock = threading.Lock()


def _current_token() -> str:
    global _token
    with _lock:
        if _token is None:
            response = requests.post(
                f"{BASE_URL}/api/v1/auth/token/",
                json={"username": USERNAME, "password": PASSWORD},
                timeout=60,
            )
            response.raise_for_status()
            _token = response.json()["token"]
        return _token


@schemathesis.auth(refresh_interval=None)
class FuzzerToken:
    """`Authorization: Token <key>` of the fuzzing user, signed in again after a revoke."""

    def get(self, case, ctx):
        return _current_token()

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Token {data}"


@schemathesis.hook
def after_call(ctx, case, response):
    global _token
    if case.path in ENDS_TOKEN and 200 <= response.status_code < 300:
        with _lock:
            _token = None


@schemathesis.hook
def flatmap_path_parameters(ctx, path_parameters):
    own = {name: OWN_IDS[name] for name in path_parameters or {} if name in OWN_IDS}
    if not own:
        return st.just(path_parameters)
    with_own_ids = st.fixed_dictionaries({name: st.sampled_from(ids) for name, ids in own.items()}).map(
        lambda chosen: {**path_parameters, **chosen}
    )
    return st.one_of(st.just(path_parameters), with_own_ids)


# Failures accepted on purpose, each for one stated reason (also in docs/api.md,
# "schemathesis"). Everything else fails the run.
#
# Schema-valid input refused with a 400 by a rule the schema cannot state: the fields
# named in the error must all be among the operation's rule fields.
_RECOMMENDATION_RULES = {
    "languages": "language names are free text with aliases",
    "mood": "mood names are free text with aliases",
    "valence": "valence and arousal are given together",
    "arousal": "valence and arousal are given together",
}
RULES_BEYOND_THE_SCHEMA: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/api/v1/auth/register/"): {
        "password": "Django's password validators (common, numeric, similar to the name)",
        "email": "email validity and uniqueness in any case",
        "username": "usernames unique in any case",
    },
    ("POST", "/api/v1/compositions/"): {
        "style": "style names are free text with aliases",
        "mood": "mood names are free text with aliases",
        "length": "a length or bars, not both; a length's bars at the tempo must fit 128 bars",
    },
    ("GET", "/api/v1/moods/history/"): {
        "start": "dates 1900-9000",
        "end": "dates 1900-9000",
    },
    ("GET", "/api/v1/moods/sessions/"): {"start": "dates 1900-9000", "end": "dates 1900-9000"},
    ("GET", "/api/v1/songs/"): {"language": "language names are free text with aliases"},
    ("GET", "/api/v1/recommendations/"): _RECOMMENDATION_RULES,
    ("POST", "/api/v1/recommendations/"): _RECOMMENDATION_RULES,
    ("PUT", "/api/v1/me/preferences/"): {"languages": "language names are free text with aliases"},
    ("PATCH", "/api/v1/me/preferences/"): {"languages": "language names are free text with aliases"},
    ("POST", "/api/v1/moods/analyze/"): {"image": "the bytes must decode as an image"},
    ("POST", "/api/v1/moods/sessions/{session_id}/corrections/"): {
        "felt_mood": "mood names are free text with aliases",
    },
    ("POST", "/api/v1/moods/choose/"): {"mood": "mood names are free text with aliases"},
    ("POST", "/api/v1/moods/sessions/{session_id}/mood/"): {"mood": "mood names are free text with aliases"},
}
# The same for a rule that is not one field's (`non_field_errors`): by its message.
NON_FIELD_RULES: dict[str, str] = {
    "Unknown style ": "style names are free text with aliases (chorale, renaissance, folk)",
    "Unknown mood ": "mood names are free text with aliases",
    "The range can span at most 366 days": "a history range spans at most 366 days",
    "Give the 7 emotion probabilities": "the 7 emotion probabilities must all be given",
}
_INVALID_COMPONENT = re.compile(r"Invalid component: (?:parameter `(?P<param>[^`]+)` in query|in body)")


def accepted_reason(failure, case, response) -> str | None:
    """Why this failure is accepted, or None when it is a real failure."""
    method, path = case.method.upper(), case.operation.path
    code = getattr(failure, "code", "")
    if code == "ST202" and response.status_code == 400:
        rules = RULES_BEYOND_THE_SCHEMA.get((method, path), {})
        try:
            fields = response.json()["error"].get("fields", {})
        except (ValueError, KeyError, TypeError):
            return None
        reasons = {rules.get(field) for field in fields if field != "non_field_errors"}
        for message in fields.get("non_field_errors", []):
            known = (why for start, why in NON_FIELD_RULES.items() if message.startswith(start))
            reasons.add(next(known, None))
        if fields and None not in reasons:
            return "; ".join(sorted(reasons))
        return None
    if code == "ST201" and 200 <= response.status_code < 300:
        match = _INVALID_COMPONENT.search(failure.message or "")
        if match is None:
            return None
        param = match.group("param")
        if param is not None:
            values = (case.query or {}).get(param)
            values = values if isinstance(values, list) else [values]
            if values and all(value in ("", "null") for value in values):
                return "an empty (or 'null') query value means 'not given', as an HTML form sends it"
            return None
        if "Incorrect type" in failure.message:
            return "a JSON scalar of another type is read as the field's type (DRF: 0 -> '0', false -> 0.0)"
        return None
    content_type = (case.headers or {}).get("Content-Type", "") if case.headers else ""
    if (
        code in ("ST104", "ST109")
        and response.status_code == 400
        and not response.content
        and (content_type.startswith("multipart/") or (case.media_type or "").startswith("multipart/"))
    ):
        return "daphne's HTTP layer (Twisted) answers a malformed multipart body with a bare 400"
    return None


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    reason = accepted_reason(failure, case, response)
    if reason is None:
        return True
    if ACCEPTED_LOG:
        with _lock, open(ACCEPTED_LOG, "a") as log:
            entry = {"operation": case.operation.label, "code": failure.code, "reason": reason}
            log.write(json.dumps(entry) + "\n")
    return False
