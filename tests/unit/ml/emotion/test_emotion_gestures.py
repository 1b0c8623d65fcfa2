"""Gesture rules on hand-built landmark sets: each gesture, and the near misses."""

from __future__ import annotations

import numpy as np
import pytest

from ml.emotion import GESTURE_EFFECTS, GESTURES, classify_gesture

from .hands import hand

OPEN = dict(thumb="open", index="extended", middle="extended", ring="extended", pinky="extended")


def test_every_required_gesture_has_a_meaning_and_a_mood_effect():
    required = {"thumbs_up", "thumbs_down", "open_palm", "fist", "victory", "pointing"}
    assert required <= set(GESTURES)
    assert set(GESTURES) == set(GESTURE_EFFECTS)
    assert all(meaning.strip() for meaning in GESTURES.values())


@pytest.mark.parametrize(
    ("name", "points"),
    [
        ("open_palm", hand(**OPEN, spread=8)),
        ("fist", hand()),
        ("thumbs_up", hand(thumb="side", rotate=90)),
        ("thumbs_down", hand(thumb="side", rotate=-90)),
        ("victory", hand(index="extended", middle="extended", spread=20)),
        ("pointing", hand(index="extended")),
        ("pointing", hand(thumb="open", index="extended")),
    ],
)
def test_hand_poses_are_named(name, points):
    assert classify_gesture(points) == name


@pytest.mark.parametrize(
    ("why", "points"),
    [
        ("four fingers but the thumb folded", hand(**{**OPEN, "thumb": "folded"})),
        ("open palm with one finger half bent", hand(**{**OPEN, "ring": "partial"})),
        ("thumb out sideways, not up or down", hand(thumb="side")),
        ("thumb about 60 degrees from vertical", hand(thumb="side", rotate=20)),
        ("victory fingers held together", hand(index="extended", middle="extended", spread=0)),
        ("three fingers", hand(index="extended", middle="extended", ring="extended", spread=15)),
        ("victory with the thumb out", hand(thumb="open", index="extended", middle="extended", spread=20)),
        ("pointing with the middle finger half bent", hand(index="extended", middle="partial")),
        (
            "a claw: every finger half bent",
            hand(index="partial", middle="partial", ring="partial", pinky="partial"),
        ),
        ("pinky only", hand(pinky="extended")),
    ],
)
def test_near_misses_are_no_gesture(why, points):
    assert classify_gesture(points) is None, why


def test_thumbs_up_tolerates_a_tilt_of_thirty_degrees():
    assert classify_gesture(hand(thumb="side", rotate=90 + 30)) == "thumbs_up"
    assert classify_gesture(hand(thumb="side", rotate=90 - 30)) == "thumbs_up"


@pytest.mark.parametrize("rotate", [-40, 0, 35])
@pytest.mark.parametrize(("scale", "shift"), [(0.5, (0.1, 0.2)), (1.5, (-0.2, -0.3))])
def test_rules_do_not_depend_on_hand_size_position_or_roll(rotate, scale, shift):
    kwargs = dict(rotate=rotate, scale=scale, shift=shift)
    assert classify_gesture(hand(**OPEN, spread=8, **kwargs)) == "open_palm"
    assert classify_gesture(hand(**kwargs)) == "fist"
    assert classify_gesture(hand(index="extended", **kwargs)) == "pointing"
    assert classify_gesture(hand(index="extended", middle="extended", spread=20, **kwargs)) == "victory"


def test_malformed_landmarks_are_no_gesture():
    assert classify_gesture(np.zeros((5, 3))) is None
    bad = hand()
    bad[3, 1] = np.nan
    assert classify_gesture(bad) is None
    assert classify_gesture(np.zeros((21, 3))) is None  # a degenerate point cloud


def test_two_dimensional_landmarks_are_accepted():
    assert classify_gesture(hand(index="extended")[:, :2]) == "pointing"
