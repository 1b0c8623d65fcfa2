"""Hand landmark sets built by hand, in MediaPipe's order, for the gesture rules.

The canonical hand is upright (fingers towards image top, y down), palm to the camera,
in normalised coordinates of a square image. Each finger can be extended, folded or
half bent; the whole hand can then be rotated, scaled and moved.
"""

from __future__ import annotations

import math

import numpy as np

WRIST = np.array([0.50, 0.80, 0.0])
MCP_X = {"index": 0.44, "middle": 0.48, "ring": 0.52, "pinky": 0.56}
SEGMENTS = (0.06, 0.04, 0.03)  # MCP->PIP, PIP->DIP, DIP->tip


def _unit(*v: float) -> np.ndarray:
    a = np.array(v, dtype=float)
    return a / np.linalg.norm(a)


def _finger(mcp: np.ndarray, state: str, spread_deg: float) -> list[np.ndarray]:
    s = math.radians(spread_deg)
    up = np.array([math.sin(s), -math.cos(s), 0.0])
    if state == "extended":
        pip = mcp + up * SEGMENTS[0]
        dip = pip + up * SEGMENTS[1]
        return [mcp, pip, dip, dip + up * SEGMENTS[2]]
    if state == "folded":  # knuckle up, then curled back down into the palm
        pip = mcp + up * 0.05
        dip = pip + _unit(0.0, 0.4, -0.6) * 0.036
        return [mcp, pip, dip, dip + np.array([0.0, 0.03, 0.0])]
    if state == "partial":  # bent about 50 degrees at the middle joint
        pip = mcp + up * SEGMENTS[0]
        bend = _unit(0.0, -math.cos(math.radians(50)), -math.sin(math.radians(50)))
        dip = pip + bend * SEGMENTS[1]
        return [mcp, pip, dip, dip + bend * SEGMENTS[2]]
    raise ValueError(state)


def _thumb(state: str) -> list[np.ndarray]:
    cmc = WRIST + np.array([-0.05, -0.03, 0.0])
    if state == "folded":  # across the palm, tip near the index/middle knuckles
        return [cmc, np.array([0.42, 0.70, 0.0]), np.array([0.46, 0.65, 0.0]), np.array([0.50, 0.63, 0.0])]
    direction = {
        "open": _unit(-0.8, -0.6, 0.0),  # out to the side and up, as in an open palm
        "side": _unit(-1.0, -0.2, 0.0),  # straight out sideways
    }[state]
    mcp = cmc + direction * 0.07
    ip = mcp + direction * 0.05
    return [cmc, mcp, ip, ip + direction * 0.04]


def hand(
    *,
    thumb: str = "folded",
    index: str = "folded",
    middle: str = "folded",
    ring: str = "folded",
    pinky: str = "folded",
    spread: float = 4.0,
    rotate: float = 0.0,
    scale: float = 1.0,
    shift: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """(21, 3) landmarks. `spread`: degrees between neighbouring extended fingers.

    `rotate` turns the hand about the wrist in the image plane (degrees; +90 turns the
    canonical sideways thumb to point up).
    """
    states = {"index": index, "middle": middle, "ring": ring, "pinky": pinky}
    points = [WRIST.copy(), *_thumb(thumb)]
    for i, name in enumerate(("index", "middle", "ring", "pinky")):
        mcp = np.array([MCP_X[name], 0.60, 0.0])
        points += _finger(mcp, states[name], (i - 1.5) * spread)
    pts = np.array(points) - WRIST
    t = math.radians(rotate)
    rot = np.array([[math.cos(t), -math.sin(t), 0], [math.sin(t), math.cos(t), 0], [0, 0, 1]])
    pts = pts @ rot.T * scale + WRIST + np.array([shift[0], shift[1], 0.0])
    return pts
