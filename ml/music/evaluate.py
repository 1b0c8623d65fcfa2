"""The evaluation of the phrase generator on the validation pieces (docs/music-eval.md).

Real: the validation tunes' 8-bar windows that end at a phrase end (a by-tune split,
never trained on), half A the mgeval reference, half B the "real" column. Each model
in each variant (the network alone; as shipped) writes 6 moods x seeds 8-bar pieces
with the public `generate`; the Markov baseline writes as many pieces as half B with
half B's modes. Listener facts (ml.music.metrics), mgeval OA, mood control under
music21's two key finders, and copies of 2-bar spans of the training windows.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ml.mood import MOOD_LABELS, mood_named
from ml.music.baselines import MarkovBaseline
from ml.music.dataset import load_dataset
from ml.music.generate import Piece, generate, piece_from_tokens, tokens_to_pitches
from ml.music.metrics import MGEVAL_FEATURES, CopyIndex, mgeval_compare, note_density

MOODS_FOR_CONTROL = tuple(m for m in MOOD_LABELS if m != "neutral")


FACT_STYLES = ("chorale", "folk")  # the styles the phrase data holds


def phrase_pitches(tokens: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """A phrase window (eighth grid + onsets) as the product's 16-step MIDI pitches."""
    from ml.music.phrase_generate import grid_to_tokens16

    return tokens_to_pitches(grid_to_tokens16(tokens, onsets))


def pitches_in_c(pitches: np.ndarray) -> np.ndarray:
    """A piece moved so its (Krumhansl-Schmuckler) tonic is C, as the real windows are.

    The shipped generator transposes each piece to a seed-chosen key; mgeval's pitch
    features would otherwise measure the key, not the music.
    """
    from ml.music.metrics import piece_tonic

    shift = ((-piece_tonic(pitches) + 6) % 12) - 6
    return np.where(pitches >= 0, pitches + shift, -1)


def _style_rows(data: dict[str, np.ndarray], prefix: str, style: str, cadence_only: bool) -> np.ndarray:
    from ml.music.phrase import PHRASE_STYLES

    cond = data[f"{prefix}_cond"]
    sel = cond[:, 3 + PHRASE_STYLES.index(style)] == 1
    if cadence_only:
        sel &= cond[:, 2] == 1
    return np.flatnonzero(sel)


# How each model is generated: the network alone, and as shipped (generate()'s defaults).
VARIANTS: dict[str, dict] = {
    "network alone": {"snap_to_key": False, "candidates": 1, "arrange": False},
    "as shipped": {},
}


def _mood_pieces(style: str, seeds: int, weights, options: dict) -> list[Piece]:
    return [
        generate(mood=label, style=style, bars=8, seed=seed, weights=weights, **options)
        for label in MOODS_FOR_CONTROL
        for seed in range(seeds)
    ]


def mood_facts(pieces: list[Piece], median: float) -> dict[str, float]:
    """valence -> mode under music21's Krumhansl and Aarden-Essen finders; arousal -> density."""
    from ml.music.metrics import music21_mode

    kk = [(music21_mode(p.pitches, "krumhansl") == "major") == (p.mood.valence >= 0) for p in pieces]
    ae = [(music21_mode(p.pitches, "aarden") == "major") == (p.mood.valence >= 0) for p in pieces]
    dens = [(note_density(p.pitches) > median) == (p.mood.arousal > 0) for p in pieces]
    return {
        "valence_mode_krumhansl": float(np.mean(kk)),
        "valence_mode_aarden": float(np.mean(ae)),
        "arousal_density": float(np.mean(dens)),
    }


def listener_evaluation(
    phrases: Path,
    models: dict[str, str | Path | None],
    seeds: int = 10,
    seed: int = 0,
    progress: bool = True,
    variants: dict[str, dict] | None = None,
    styles: tuple[str, ...] = FACT_STYLES,
) -> dict:
    """Listener facts, mgeval OA, mood control and copies for real, Markov and each model.

    Real: the validation tunes' 8-bar windows that end at a phrase end (half A is the
    mgeval reference, half B "real"). Markov: `MarkovBaseline` on the training windows,
    snapped to the key like the shipped GAN. Each model in `models` (name -> weights)
    in each of `variants` (name -> generate() options; default `VARIANTS`: the network
    alone, i.e. one candidate, no snap, no arrangement, and as shipped, i.e. generate()'s
    defaults), 6 moods x `seeds` seeds.
    """
    from tqdm import tqdm

    from ml.music.metrics import listener_facts

    t0 = time.monotonic()
    data = load_dataset(phrases)
    rng = np.random.default_rng(seed)
    results: dict = {"styles": {}, "seeds": seeds}
    train16 = [phrase_pitches(t, o) for t, o in zip(data["train_tokens"], data["train_onsets"], strict=True)]
    copy_index = CopyIndex(train16, max_bars=2)
    v1_cond = np.concatenate([data["train_cond"][:, :2], data["train_cond"][:, 3:]], axis=1)
    train_tokens16 = np.stack([np.where(p < 0, 64, p - 28) for p in train16]).astype(np.int8)
    markov = MarkovBaseline().fit(train_tokens16, v1_cond)
    variants = VARIANTS if variants is None else variants
    for style in styles:
        val_rows = _style_rows(data, "val", style, cadence_only=True)
        train_rows = _style_rows(data, "train", style, cadence_only=False)
        median = float(np.median([note_density(train16[i]) for i in train_rows]))
        real = [phrase_pitches(data["val_tokens"][i], data["val_onsets"][i]) for i in val_rows]
        half_a, half_b = real[0::2], real[1::2]
        sets: dict[str, list[np.ndarray]] = {"real (validation)": half_b}
        pieces_of: dict[str, list[Piece]] = {}
        markov_pieces = []
        for i in val_rows[1::2]:
            major = bool(data["val_cond"][i, 0] >= 0)
            tokens = markov.sample(style, major, 8 * 16, rng)
            mood = mood_named("happy" if major else "sad")
            markov_pieces.append(
                piece_from_tokens(tokens, mood=mood, style=style, tempo=100, snap_to_key=True).pitches
            )
        sets["Markov"] = markov_pieces
        for name, weights in tqdm(models.items(), desc=f"generate {style}", disable=not progress):
            for variant, options in variants.items():
                pieces = _mood_pieces(style, seeds, weights, options)
                pieces_of[f"{name}, {variant}"] = pieces
                sets[f"{name}, {variant}"] = [p.pitches for p in pieces]
        rows = {}
        for name, pieces in sets.items():
            facts = listener_facts(pieces)
            mg = mgeval_compare(half_a, [pitches_in_c(p) for p in pieces])
            facts["mgeval_mean_oa"] = float(np.mean([v["oa"] for v in mg.values()]))
            facts.update({f"mgeval_oa_{feature}": v["oa"] for feature, v in mg.items()})
            facts["copied_2_bars"] = float(np.mean([copy_index.longest_copy(p) >= 2 for p in pieces]))
            if name in pieces_of:
                facts.update(mood_facts(pieces_of[name], median))
            facts["pieces"] = len(pieces)
            rows[name] = facts
        results["styles"][style] = {"sets": rows, "density_median": median, "reference_pieces": len(half_a)}
    results["seconds"] = round(time.monotonic() - t0, 1)
    return results


FACT_LABELS = {
    "downbeat_onsets": ("voice-bars with a note on the downbeat", "%"),
    "barline_ties": ("voice-bars entered by a tie over the barline", "%"),
    "stepwise": ("melody steps of at most a whole tone", "%"),
    "leaps_5th": ("melody leaps of a fifth or more", "%"),
    "long_notes": ("melody notes of a half note or longer", "%"),
    "melody_notes_per_bar": ("melody notes per bar", "n"),
    "melody_ends_on_tonic": ("melody ends on the tonic", "%"),
    "bass_ends_on_tonic": ("bass ends on the tonic", "%"),
    "rhythm_reuse_5_8": ("bars 5-8 reuse the rhythm of bars 1-4 (2 of 4 bars)", "%"),
    "triadic_sonorities": ("sonorities of 3+ voices inside a major/minor triad", "%"),
    "bass_on_tonic": ("bass steps on the tonic", "%"),
    "bass_moves_per_bar": ("bass changes of pitch class per bar", "n"),
    "parallels_per_8_bars": ("parallel fifths/octaves per 8 bars", "n"),
    "all_voices_sounding": ("steps with all four voices sounding (a re-attack's breath sounds)", "%"),
    "all_voices_sounding_strict": ("steps with all four voices sounding (every silent 16th counts)", "%"),
    "voices_out_of_order": ("sounding steps with a lower voice above the voice over it", "%."),
    "spacing_faults": ("4-voice sonorities spread too wide (S-A or A-T > octave, T-B > 12th)", "%."),
    "mgeval_mean_oa": ("mgeval mean OA vs real half A", "n"),
    # the mean's parts: which feature pulls it down
    **{f"mgeval_oa_{name}": (f"- mgeval OA: {name.replace('_', ' ')}", "n") for name in MGEVAL_FEATURES},
    "valence_mode_krumhansl": ("valence -> mode (music21 Krumhansl)", "%"),
    "valence_mode_aarden": ("valence -> mode (music21 Aarden-Essen)", "%"),
    "arousal_density": ("arousal -> density vs the style's data median", "%"),
    "copied_2_bars": ("pieces with a 2-bar span copied from training", "%"),
}


def _cell(value: float, unit: str) -> str:
    """A table cell: "%" a whole percentage, "%." one with a decimal (rare faults), else
    a number."""
    if unit == "%":
        return f"{value:.0%}"
    if unit == "%.":
        return f"{value:.1%}"
    return f"{value:.2f}"


def listener_markdown(results: dict) -> str:
    """One table per style: listener facts (rows) for every compared set (columns)."""
    lines = []
    for style, block in results["styles"].items():
        sets = block["sets"]
        names = list(sets)
        lines += [
            f"### {style} ({block['reference_pieces']} + {sets[names[0]]['pieces']} real validation phrases; "
            f"{results['seeds']} seeds x 6 moods per model; data density median "
            f"{block['density_median']:.2f} notes per bar)",
            "",
            "| listener fact | " + " | ".join(names) + " |",
            "| --- |" + " --- |" * len(names),
        ]
        for key, (label, unit) in FACT_LABELS.items():
            cells = []
            for name in names:
                value = sets[name].get(key)
                if value is None or not np.isfinite(value):
                    cells.append("-")
                else:
                    cells.append(_cell(value, unit))
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
