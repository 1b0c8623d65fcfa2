"""music21's bundled corpus: where it is, how four-part scores are read, how folk tunes
are accompanied (used by `ml.music.notes` and `ml.music.phrase`).

Folk tunes are monophonic; their alto, tenor and bass come from `harmonise`, a rule
(one diatonic triad per half bar chosen to cover the melody, root in the bass, close
voicing), because the corpus has no accompaniment. Documented in the model card: the
folk accompaniment the GAN learns is this rule's, and the shipped arrangement can
re-apply it to a generated melody (`ml.music.arrangement.reharmonise`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ml.music.theory import find_key


def corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


# --- harmonisation of monophonic tunes -------------------------------------------------

_MAJOR_CHORDS = (
    (0, 4, 7, 0.30),
    (2, 5, 9, 0.0),
    (4, 7, 11, -0.10),
    (5, 9, 0, 0.10),
    (7, 11, 2, 0.20),
    (9, 0, 4, 0.0),
)
_MINOR_CHORDS = (
    (0, 3, 7, 0.30),
    (5, 8, 0, 0.10),
    (7, 11, 2, 0.20),
    (8, 0, 3, 0.0),
    (3, 7, 10, 0.0),
    (10, 2, 5, -0.05),
)


def _nearest_with_pc(target: int, pcs: Iterable[int], low: int, high: int) -> int:
    candidates = [p for p in range(low, high + 1) if p % 12 in set(pcs)]
    if not candidates:
        return max(low, min(high, target))
    return min(candidates, key=lambda p: (abs(p - target), p))


def harmonise(
    melody: list[tuple[float, float, int]], length_ql: float
) -> list[list[tuple[float, float, int]]]:
    """Alto, tenor and bass for a melody: one diatonic triad per half bar (2 quarters).

    The triad maximises the share of melody time on chord tones plus a small prior
    for I, V and IV; the bass takes the root, alto and tenor the nearest chord tones
    below the melody (smooth voice leading).
    """
    hist = np.zeros(12)
    for _, dur, midi in melody:
        hist[midi % 12] += dur
    tonic, mode, _ = find_key(hist)
    chords = _MAJOR_CHORDS if mode == "major" else _MINOR_CHORDS
    alto_prev, tenor_prev, bass_prev = 62, 55, 45
    alto, tenor, bass = [], [], []
    span = 2.0
    n = int(np.ceil(length_ql / span))
    for i in range(n):
        lo, hi = i * span, (i + 1) * span
        weights = np.zeros(12)
        mel_low = 127
        for start, dur, midi in melody:
            overlap = min(hi, start + dur) - max(lo, start)
            if overlap > 0:
                weights[midi % 12] += overlap
                mel_low = min(mel_low, midi)
        if weights.sum() <= 0:
            continue
        best, best_score = None, -1e9
        for a, b, c, prior in chords:
            pcs = {(tonic + a) % 12, (tonic + b) % 12, (tonic + c) % 12}
            score = sum(weights[pc] for pc in pcs) / weights.sum() + 0.5 * prior
            if score > best_score:
                best, best_score = (a, b, c), score
        root, third, fifth = ((tonic + d) % 12 for d in best)
        bass_prev = _nearest_with_pc(bass_prev, [root], 38, 52)
        top = min(69, mel_low - 1) if mel_low < 127 else 69
        alto_prev = _nearest_with_pc(alto_prev, [root, third, fifth], 53, max(top, 55))
        rest_pcs = [pc for pc in (root, third, fifth) if pc != alto_prev % 12]
        tenor_prev = _nearest_with_pc(tenor_prev, rest_pcs, 46, max(alto_prev - 1, 48))
        dur = min(hi, length_ql) - lo
        alto.append((lo, dur, alto_prev))
        tenor.append((lo, dur, tenor_prev))
        bass.append((lo, dur, bass_prev))
    return [alto, tenor, bass]


# --- four-part scores ------------------------------------------------------------------


_VOICE_NAMES = (
    ("soprano", "cantus", "superius"),
    ("alto", "altus", "contra"),
    ("tenor",),
    ("bass", "bassus"),
)


def _satb(parts: list) -> list | None:
    """Soprano, alto, tenor, bass parts by name (lowest-sounding duplicates win for T/B).

    Exactly four unnamed parts are taken in score order; otherwise an unnamed extra
    part (e.g. a horn doubling in a cantata chorale) makes the piece unusable.
    """
    names = [f"{p.partName or ''} {p.id or ''}".lower() for p in parts]
    chosen = []
    for index, keys in enumerate(_VOICE_NAMES):
        matches = [p for p, n in zip(parts, names, strict=False) if any(k in n for k in keys)]
        if not matches:
            return parts if len(parts) == 4 else None
        # first soprano/alto, last tenor/bass: outer voices of the texture
        chosen.append(matches[0] if index < 2 else matches[-1])
    return chosen
