"""Named hand gestures from MediaPipe's 21 hand landmarks, by geometric rules.

Landmarks (MediaPipe order): 0 wrist; thumb 1 CMC, 2 MCP, 3 IP, 4 tip; index 5-8,
middle 9-12, ring 13-16, pinky 17-20 (MCP, PIP, DIP, tip). The rules work on joint
angles and distances in 3-D (x and z scaled by the image width, y by its height), so
they do not depend on the hand's size or distance, and only thumbs up/down depend on
which way is up in the image. A finger must be clearly extended or clearly folded for
a rule to fire; a half-bent finger makes the hand "no gesture" rather than a guess.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

# name -> what the gesture means for the mood (shown to users and in docs/emotion.md).
GESTURES: dict[str, str] = {
    "thumbs_up": "More of this: I like this mood, lift it a little (valence up).",
    "thumbs_down": "Not this: I dislike this mood, steer away from it (valence down).",
    "open_palm": "Calm me down: slower and softer (arousal down, towards calm).",
    "fist": "Pump it up: more energy and drive (arousal up).",
    "victory": "Celebrate: joyful and upbeat (valence and arousal up).",
    "pointing": "Hold it: keep the current mood steady (the face is ignored while pointing).",
}

# name -> (valence, arousal) nudge the MoodTracker adds to the face's mood while the
# gesture is shown. From a neutral face: open palm lands in calm, fist in excited,
# victory in happy; thumbs up/down only shift valence.
GESTURE_EFFECTS: dict[str, tuple[float, float]] = {
    "thumbs_up": (0.30, 0.00),
    "thumbs_down": (-0.30, 0.00),
    "open_palm": (0.20, -0.40),
    "fist": (0.15, 0.45),
    "victory": (0.30, 0.40),
    "pointing": (0.00, 0.00),
}

# Gestures during which the tracker keeps its mood instead of following the face.
HOLD_GESTURES = frozenset({"pointing"})

WRIST = 0
THUMB = (1, 2, 3, 4)
FINGERS: dict[str, tuple[int, int, int, int]] = {
    "index": (5, 6, 7, 8),
    "middle": (9, 10, 11, 12),
    "ring": (13, 14, 15, 16),
    "pinky": (17, 18, 19, 20),
}

# Joint angle (degrees, 180 = straight) above which a finger joint counts as straight.
STRAIGHT_PIP = 155.0
STRAIGHT_DIP = 140.0
STRAIGHT_THUMB = 145.0
# Joint angle below which a finger counts as folded even if its tip is not yet back
# at the palm.
FOLDED_PIP = 110.0
# The thumb's direction must be within this many degrees of image up/down.
THUMB_VERTICAL_DEGREES = 45.0
# Index and middle finger must diverge at least this much for a victory sign.
VICTORY_SPREAD_DEGREES = 8.0


class Finger(Enum):
    EXTENDED = "extended"
    FOLDED = "folded"
    PARTIAL = "partial"


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """The angle at b (degrees) between b->a and b->c; 180 when a, b, c are in line."""
    u, v = a - b, c - b
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu < 1e-9 or nv < 1e-9:
        return 180.0
    cos = float(np.dot(u, v) / (nu * nv))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def _between(u: np.ndarray, v: np.ndarray) -> float:
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu < 1e-9 or nv < 1e-9:
        return 0.0
    return float(np.degrees(np.arccos(np.clip(np.dot(u, v) / (nu * nv), -1.0, 1.0))))


def finger_state(points: np.ndarray, finger: str) -> Finger:
    """Whether a (non-thumb) finger is extended, folded or in between."""
    mcp, pip, dip, tip = (points[i] for i in FINGERS[finger])
    wrist = points[WRIST]
    pip_angle = _angle(mcp, pip, dip)
    dip_angle = _angle(pip, dip, tip)
    tip_reach = np.linalg.norm(tip - wrist)
    pip_reach = np.linalg.norm(pip - wrist)
    if pip_angle >= STRAIGHT_PIP and dip_angle >= STRAIGHT_DIP and tip_reach > pip_reach:
        return Finger.EXTENDED
    if tip_reach < pip_reach or pip_angle < FOLDED_PIP:
        return Finger.FOLDED
    return Finger.PARTIAL


def thumb_extended(points: np.ndarray) -> bool:
    """The thumb is straight and sticks out of the fist (its tip is away from the palm)."""
    cmc, mcp, ip, tip = (points[i] for i in THUMB)
    palm = np.linalg.norm(points[FINGERS["middle"][0]] - points[WRIST])
    if palm < 1e-9:
        return False
    straight = _angle(cmc, mcp, ip) >= STRAIGHT_THUMB and _angle(mcp, ip, tip) >= STRAIGHT_THUMB
    # Folded across the palm, the tip sits near the index/middle knuckles.
    away = np.linalg.norm(tip - points[FINGERS["index"][0]]) > 0.6 * palm
    return bool(straight and away)


def landmarks_to_points(landmarks, width: int, height: int) -> np.ndarray:
    """MediaPipe NormalizedLandmarkList -> (21, 3) array in image pixel units."""
    return np.array(
        [(p.x * width, p.y * height, p.z * width) for p in landmarks.landmark],
        np.float64,
    )


def classify_gesture(points: np.ndarray) -> str | None:
    """The gesture name for (21, 3) hand landmarks (x right, y down), or None.

    `points` should be in isotropic units (pixels, or normalised coordinates of a square
    image); see `landmarks_to_points`.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.shape == (21, 2):
        points = np.concatenate([points, np.zeros((21, 1))], axis=1)
    if points.shape != (21, 3) or not np.all(np.isfinite(points)):
        return None
    states = {name: finger_state(points, name) for name in FINGERS}
    thumb_out = thumb_extended(points)
    extended = {name for name, s in states.items() if s is Finger.EXTENDED}
    folded = {name for name, s in states.items() if s is Finger.FOLDED}

    if len(extended) == 4:
        return "open_palm" if thumb_out else None
    if len(folded) == 4:
        if not thumb_out:
            return "fist"
        direction = points[THUMB[3], :2] - points[THUMB[1], :2]
        if _between(direction, np.array([0.0, -1.0])) <= THUMB_VERTICAL_DEGREES:
            return "thumbs_up"
        if _between(direction, np.array([0.0, 1.0])) <= THUMB_VERTICAL_DEGREES:
            return "thumbs_down"
        return None  # thumb out sideways: no agreed meaning
    if extended == {"index", "middle"} and folded == {"ring", "pinky"} and not thumb_out:
        index_dir = points[8] - points[5]
        middle_dir = points[12] - points[9]
        if _between(index_dir, middle_dir) >= VICTORY_SPREAD_DEGREES:
            return "victory"
        return None
    if extended == {"index"} and folded == {"middle", "ring", "pinky"}:
        return "pointing"
    return None
