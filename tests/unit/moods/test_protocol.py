"""Parsing the client's control messages; every bad one names what is wrong."""

from __future__ import annotations

import json

import pytest

from moods.protocol import MAX_CONTROL_BYTES, ProtocolError, error_message, parse_control


@pytest.mark.parametrize(
    ("text", "kind", "fps", "hands_fps"),
    [
        ('{"type": "start"}', "start", None, None),
        ('{"type": "stop"}', "stop", None, None),
        ('{"type": "options", "fps": 15}', "options", 15.0, None),
        ('{"type": "options", "hands_fps": 0}', "options", None, 0.0),
        ('{"type": "options", "fps": 0.5, "hands_fps": 2.5}', "options", 0.5, 2.5),
    ],
)
def test_control_messages_are_parsed(text, kind, fps, hands_fps):
    control = parse_control(text)
    assert (control.type, control.fps, control.hands_fps) == (kind, fps, hands_fps)


def test_a_correction_names_the_mood_felt():
    control = parse_control('{"type": "correction", "mood": "calm"}')
    assert (control.type, control.mood) == ("correction", "calm")


def test_ping_echoes_its_token():
    assert parse_control('{"type": "ping", "t": 1234.5}').echo == 1234.5


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "bad_message"),
        ("   ", "bad_message"),
        ("hello", "bad_message"),
        ("[1, 2, 3]", "bad_message"),
        ('"start"', "bad_message"),
        ("{}", "unknown_type"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "options"}', "bad_options"),
        ('{"type": "options", "fps": 0}', "bad_options"),
        ('{"type": "options", "fps": 500}', "bad_options"),
        ('{"type": "options", "fps": "fast"}', "bad_options"),
        ('{"type": "options", "fps": true}', "bad_options"),
        ('{"type": "options", "hands_fps": "often"}', "bad_options"),
        ('{"type": "options", "hands_fps": -1}', "bad_options"),
        ('{"type": "options", "hands_fps": 61}', "bad_options"),
        ('{"type": "ping", "t": {"a": 1}}', "bad_message"),
        ('{"type": "correction"}', "bad_correction"),
        ('{"type": "correction", "mood": "elated"}', "bad_correction"),
        ('{"type": "correction", "mood": ["sad"]}', "bad_correction"),
        ("[" * 100_000, "message_too_large"),
        (json.dumps({"type": "ping", "t": "x" * MAX_CONTROL_BYTES}), "message_too_large"),
    ],
)
def test_bad_control_messages_raise_a_protocol_error_with_a_code_and_a_message(text, code):
    with pytest.raises(ProtocolError) as error:
        parse_control(text)
    assert error.value.code == code and error.value.message


def test_deeply_nested_json_within_the_size_limit_is_a_bad_message_not_a_crash():
    with pytest.raises(ProtocolError) as error:
        parse_control("[" * 4000)
    assert error.value.code == "bad_message"


def test_error_frames_name_the_frame_they_are_about():
    assert error_message("bad_frame", "No.", seq=7) == {
        "type": "error",
        "code": "bad_frame",
        "message": "No.",
        "seq": 7,
    }
    assert "seq" not in error_message("bad_message", "No.")
