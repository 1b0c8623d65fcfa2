"""The music_* control messages: what they carry, and clear errors for bad names."""

from __future__ import annotations

import json

import pytest

from moods.protocol import ProtocolError, parse_control


def control(**body):
    return parse_control(json.dumps(body))


def test_music_start_carries_style_arrangement_mode_and_an_optional_mood():
    start = control(type="music_start", style="folk", arrangement="strings", mode="lift", mood="calm")
    assert (start.style, start.arrangement, start.mode, start.pin_mood, start.mood) == (
        "folk",
        "strings",
        "lift",
        True,
        "calm",
    )
    plain = control(type="music_start")
    assert (plain.style, plain.arrangement, plain.mode, plain.pin_mood) == (None, None, None, False)


def test_a_null_mood_means_follow_my_face_again():
    options = control(type="music_options", mood=None)
    assert options.pin_mood and options.mood is None


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"type": "music_start", "arrangement": "dubstep"}, "unknown_arrangement", "choose one of: mood"),
        ({"type": "music_start", "mode": "sideways"}, "unknown_mode", "follow, lift"),
        ({"type": "music_start", "style": "jazz"}, "unknown_style", "chorale"),
        ({"type": "music_start", "mood": "bored"}, "bad_music", "follow my face"),
        ({"type": "music_options"}, "bad_music", "needs"),
        ({"type": "music_options", "style": "folk"}, "bad_music", "when music starts"),
        ({"type": "music_ack"}, "bad_music", '"bar"'),
        ({"type": "music_ack", "bar": -1}, "bad_music", '"bar"'),
        ({"type": "music_ack", "bar": True}, "bad_music", '"bar"'),
        ({"type": "music_ack", "bar": 3, "lead_ms": "soon"}, "bad_music", "lead_ms"),
        ({"type": "music_save", "title": 5}, "bad_music", "title"),
    ],
)
def test_bad_music_messages_say_what_is_wrong(body, code, words):
    with pytest.raises(ProtocolError) as error:
        control(**body)
    assert error.value.code == code and words in error.value.message


def test_ack_and_save():
    ack = control(type="music_ack", bar=4, lead_ms=812.5)
    assert (ack.bar, ack.lead_ms) == (4, 812.5)
    assert control(type="music_save", title="  Rainy   morning ").title == "Rainy morning"
