"""Accuracy of the emotion CNN on real labelled face photos that installed packages ship.

    .venv/bin/python bench/emotion_accuracy.py

Data (offline, no download):
- scikit-image's `data.lfw_subset()`: the first 100 images are real face photos from
  Labeled Faces in the Wild (25x25 grayscale, tightly cropped). LFW labels identities,
  not expressions, so the expression labels below were assigned by one annotator (the
  ml/emotion engineer) by eye, before the model was ever run on these images, as
  1 = clearly smiling, 0 = clearly not smiling (neutral, talking, surprised), and
  None = ambiguous (a faint smile, a grimace): ambiguous faces are left out of the
  scores and their predictions reported separately. Nothing was tuned on them: the
  prediction is the CNN's arg-max over its 7 classes.
- full-size portraits shipped by scikit-image and matplotlib, run through the whole
  pipeline (MediaPipe face detection + crop + CNN).

Only "happy vs not happy" can be scored: nothing offline carries labels for angry,
disgust, fear, sad or surprise.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# index in lfw_subset() -> 1 smiling, 0 not smiling, None ambiguous (labelled by eye).
# fmt: off
SMILING: dict[int, int | None] = {
    0: 0, 1: 1, 2: None, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 8: None, 9: None,
    10: None, 11: 1, 12: 0, 13: 1, 14: 0, 15: None, 16: 0, 17: 0, 18: 1, 19: 1,
    20: 0, 21: 1, 22: 1, 23: 1, 24: 1, 25: 0, 26: 0, 27: None, 28: 0, 29: 0,
    30: None, 31: 1, 32: 0, 33: 0, 34: 0, 35: 0, 36: 1, 37: 1, 38: 1, 39: 0,
    40: 0, 41: 0, 42: 0, 43: None, 44: 0, 45: 1, 46: None, 47: None, 48: 0, 49: 0,
    50: 1, 51: 0, 52: 1, 53: 1, 54: 0, 55: 0, 56: 0, 57: 0, 58: 0, 59: 0,
    60: 0, 61: None, 62: 0, 63: None, 64: 1, 65: 0, 66: 0, 67: None, 68: None, 69: 1,
    70: 0, 71: 0, 72: 0, 73: 0, 74: 1, 75: None, 76: 0, 77: 0, 78: None, 79: 1,
    80: 0, 81: 1, 82: None, 83: 0, 84: None, 85: 1, 86: None, 87: 0, 88: 1, 89: None,
    90: 0, 91: 1, 92: 0, 93: 1, 94: 1, 95: 0, 96: None, 97: 0, 98: 0, 99: 0,
}
# fmt: on

# Full-size portraits: (loader, label by eye or None when not clear).
PORTRAITS = {
    "skimage astronaut (Eileen Collins)": ("astronaut", "happy"),
    "skimage camera (cameraman)": ("camera", None),
    "matplotlib grace_hopper.jpg": ("grace_hopper", None),
}


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (small samples)."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def lfw_predictions(backend: str) -> np.ndarray:
    """(100, 7) CNN probabilities for the 100 LFW faces, each resized to 64x64."""
    import cv2
    from skimage import data

    from ml.emotion.model import EmotionCNN

    faces = (data.lfw_subset()[:100] * 255).round().astype(np.uint8)
    crops = np.stack([cv2.resize(f, (64, 64), interpolation=cv2.INTER_CUBIC) for f in faces])
    return EmotionCNN(backend).predict(crops)


def load_portrait(name: str) -> np.ndarray:
    from skimage import data

    if name == "grace_hopper":
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
            from PIL import Image

            return np.asarray(Image.open(file).convert("RGB"))
    return getattr(data, name)()


def main() -> None:
    from ml.emotion import FrameAnalyzer
    from ml.mood import EMOTIONS

    labelled = {i: y for i, y in SMILING.items() if y is not None}
    ambiguous = [i for i, y in SMILING.items() if y is None]
    print(
        f"LFW subset (scikit-image): {len(labelled)} faces labelled "
        f"({sum(labelled.values())} smiling, {len(labelled) - sum(labelled.values())} not), "
        f"{len(ambiguous)} ambiguous left out"
    )
    for backend in ("tflite", "keras"):
        probs = lfw_predictions(backend)
        top = [EMOTIONS[k] for k in probs.argmax(axis=1)]
        tp = sum(1 for i, y in labelled.items() if y == 1 and top[i] == "happy")
        fp = sum(1 for i, y in labelled.items() if y == 0 and top[i] == "happy")
        fn = sum(1 for i, y in labelled.items() if y == 1 and top[i] != "happy")
        tn = sum(1 for i, y in labelled.items() if y == 0 and top[i] != "happy")
        n = tp + fp + fn + tn
        print(f"\n[{backend}] happy vs not happy on {n} faces")
        low, high = wilson(tp + tn, n)
        print(
            f"  accuracy {(tp + tn) / n:.1%} (95% CI {low:.1%}-{high:.1%}); "
            f"majority-class baseline {max(tp + fn, fp + tn) / n:.1%}"
        )
        print(f"  happy precision {tp / max(1, tp + fp):.1%}  recall {tp / max(1, tp + fn):.1%}")
        print(f"  confusion: smiling->happy {tp}, smiling->other {fn}, other->happy {fp}, other->other {tn}")
        not_smiling = Counter(top[i] for i, y in labelled.items() if y == 0)
        print(f"  predictions on not-smiling faces: {dict(not_smiling.most_common())}")
        amb = Counter(top[i] for i in ambiguous)
        print(f"  predictions on ambiguous faces: {dict(amb.most_common())}")

    print("\nFull pipeline on full-size portraits:")
    with FrameAnalyzer(hands=False) as analyzer:
        for title, (name, label) in PORTRAITS.items():
            result = analyzer.analyze(load_portrait(name))
            if result.emotions is None:
                print(f"  {title}: no face found (label {label})")
                continue
            ranked = sorted(result.emotions.items(), key=lambda kv: -kv[1])[:3]
            shown = ", ".join(f"{k} {v:.2f}" for k, v in ranked)
            print(f"  {title}: label {label or 'not clear'}; predicted {shown}")


if __name__ == "__main__":
    main()
