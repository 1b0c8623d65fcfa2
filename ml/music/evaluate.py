"""Objective evaluation on the validation pieces: real vs real, the GAN, Markov, random.

The validation segments (a by-piece split, never trained on) are divided by piece into
a reference half A and a comparison half B. Every compared set has B's size and B's
conditions (style, valence, arousal): (a) the real half B, (b) the GAN, (c) the Markov
baseline, (d) random notes. mgeval OA/KL compare intra(A) with inter(A, set).
Mood control and originality use the public `generate` on 8-bar pieces.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ml.mood import MOOD_LABELS, mood_named
from ml.music.baselines import MarkovBaseline, random_tokens
from ml.music.config import NOISE_DIM, SEGMENT_STEPS, STYLES
from ml.music.dataset import load_dataset, normalise_key
from ml.music.generate import Piece, generate, generate_tokens, piece_from_tokens, tokens_to_pitches
from ml.music.metrics import CopyIndex, detected_mode, mgeval_compare, musegan_metrics, note_density

MOODS_FOR_CONTROL = tuple(m for m in MOOD_LABELS if m != "neutral")


def in_c(tokens: np.ndarray) -> np.ndarray:
    """Tokens moved to tonic C, as the real validation segments are (key-normalised data)."""
    moved = normalise_key(tokens)
    return tokens if moved is None else moved[0]


def _postprocess(tokens: np.ndarray, cond: np.ndarray, snap: bool) -> np.ndarray:
    mood = mood_named("happy" if cond[0] >= 0 else "sad")  # only the mode matters here
    piece = piece_from_tokens(
        tokens, mood=mood, style=STYLES[int(cond[2:].argmax())], tempo=100, snap_to_key=snap
    )
    return piece.pitches


def split_reference(data: dict[str, np.ndarray], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of validation segments in half A and half B (by piece)."""
    pieces = np.unique(data["val_piece"])
    rng = np.random.default_rng(seed)
    rng.shuffle(pieces)
    half_a = set(pieces[: len(pieces) // 2].tolist())
    in_a = np.array([p in half_a for p in data["val_piece"]])
    return np.flatnonzero(in_a), np.flatnonzero(~in_a)


def gan_tokens(conds: np.ndarray, rng: np.random.Generator, weights: str | Path | None) -> np.ndarray:
    out = []
    for i in range(0, len(conds), 64):
        c = conds[i : i + 64]
        z = rng.standard_normal((len(c), NOISE_DIM)).astype(np.float32)
        out.append(generate_tokens(c, z, weights))
    return np.concatenate(out)


def mood_control(
    seeds: int, weights: str | Path | None, medians: np.ndarray, snap: bool, candidates: int
) -> tuple[dict[str, float], list[Piece]]:
    """Share of 8-bar pieces whose detected mode / density side agrees with the mood asked for."""
    valence_ok, arousal_ok, pieces, records = [], [], [], []
    for style_index, style in enumerate(STYLES):
        for label in MOODS_FOR_CONTROL:
            mood = mood_named(label)
            for seed in range(seeds):
                piece = generate(
                    mood=mood,
                    style=style,
                    bars=8,
                    seed=seed,
                    snap_to_key=snap,
                    weights=weights,
                    candidates=candidates,
                )
                pieces.append(piece)
                valence_ok.append((detected_mode(piece.pitches) == "major") == (mood.valence >= 0))
                dens = note_density(piece.pitches)
                arousal_ok.append((dens > medians[style_index]) == (mood.arousal > 0))
                records.append((style_index, mood.arousal > 0, dens))
    # relative check: the median of the generated pieces of the same style instead of the data's
    relative = []
    for style_index in range(len(STYLES)):
        dens = np.array([d for s, _, d in records if s == style_index])
        high = np.array([h for s, h, _ in records if s == style_index])
        relative.extend(((dens > np.median(dens)) == high).tolist())
    result = {
        "valence": float(np.mean(valence_ok)),
        "arousal": float(np.mean(arousal_ok)),
        "arousal_vs_generated_median": float(np.mean(relative)),
        "pieces": len(valence_ok),
    }
    return result, pieces


def evaluate(
    dataset: Path, weights: str | Path | None = None, seeds: int = 10, seed: int = 0, progress: bool = True
) -> dict:
    """Every number of docs/music-eval.md, as a dict."""
    from tqdm import tqdm

    t0 = time.monotonic()
    data = load_dataset(dataset)
    rng = np.random.default_rng(seed)
    idx_a, idx_b = split_reference(data, seed)
    val_tokens, val_cond = data["val_tokens"], data["val_cond"]
    reference = [tokens_to_pitches(t) for t in val_tokens[idx_a]]
    conds_b = val_cond[idx_b]
    sets: dict[str, list[np.ndarray]] = {"real (half B)": [tokens_to_pitches(t) for t in val_tokens[idx_b]]}
    # every generated set is moved to tonic C like the real segments before comparing
    raw_gan = np.stack([in_c(t) for t in gan_tokens(conds_b, rng, weights)])
    sets["GAN (with post-processing)"] = [
        _postprocess(t, c, snap=True) for t, c in zip(raw_gan, conds_b, strict=False)
    ]
    sets["GAN (network only, argmax)"] = [tokens_to_pitches(t) for t in raw_gan]
    unaugmented = data["train_shift"] == 0
    markov = MarkovBaseline().fit(data["train_tokens"][unaugmented], data["train_cond"][unaugmented])
    markov_tokens = [
        in_c(markov.sample(STYLES[int(c[2:].argmax())], bool(c[0] >= 0), SEGMENT_STEPS, rng)) for c in conds_b
    ]
    sets["Markov (same post-processing)"] = [
        _postprocess(t, c, snap=True) for t, c in zip(markov_tokens, conds_b, strict=False)
    ]
    sets["random notes"] = [tokens_to_pitches(in_c(random_tokens(SEGMENT_STEPS, rng))) for _ in conds_b]

    results: dict = {"sets": {}, "reference_segments": len(idx_a), "compared_segments": len(idx_b)}
    for name, pieces in tqdm(sets.items(), desc="mgeval", disable=not progress):
        mg = mgeval_compare(reference, pieces)
        results["sets"][name] = {
            "mgeval": mg,
            "mean_oa": float(np.mean([v["oa"] for v in mg.values()])),
            "mean_kl": float(np.mean([v["kl"] for v in mg.values()])),
            "musegan": musegan_metrics(pieces),
        }
    results["reference_musegan"] = musegan_metrics(reference)

    medians = data["style_density_median"]
    control, generated = mood_control(seeds, weights, medians, snap=True, candidates=8)
    control_snap, _ = mood_control(seeds, weights, medians, snap=True, candidates=1)
    control_raw, _ = mood_control(seeds, weights, medians, snap=False, candidates=1)
    results["mood_control"] = {
        "with_snap_to_key": control,
        "snap_only": control_snap,
        "network_only": control_raw,
    }

    # originality: whole training pieces, any transposition
    lengths = data["train_piece_lengths"]
    flat = data["train_piece_tokens"]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    index = CopyIndex(
        (tokens_to_pitches(flat[:, s : s + n]) for s, n in zip(starts, lengths, strict=False)), max_bars=4
    )
    spans = [index.longest_copy(p.pitches) for p in generated]
    real_spans = [index.longest_copy(p) for p in sets["real (half B)"]]
    results["originality"] = {
        "gan_max_bars": int(max(spans)),
        "gan_mean_bars": float(np.mean(spans)),
        "gan_share_2_bars_or_more": float(np.mean([s >= 2 for s in spans])),
        "real_validation_max_bars": int(max(real_spans)),
        "real_validation_share_2_bars_or_more": float(np.mean([s >= 2 for s in real_spans])),
    }
    results["seconds"] = round(time.monotonic() - t0, 1)
    return results


def markdown_table(results: dict) -> str:
    """The evaluation as Markdown tables (what docs/music-eval.md shows)."""
    sets = results["sets"]
    features = list(next(iter(sets.values()))["mgeval"])
    lines = [
        f"Reference: {results['reference_segments']} validation segments (half A); each compared set has "
        f"{results['compared_segments']} 4-bar segments with half B's conditions.",
        "",
        "### mgeval: overlapping area (OA, higher is better) / KL divergence (lower is better)",
        "",
        "| set | " + " | ".join(features) + " | **mean OA** | mean KL |",
        "| --- |" + " --- |" * (len(features) + 2),
    ]
    for name, r in sets.items():
        cells = [f"{r['mgeval'][f]['oa']:.2f} / {r['mgeval'][f]['kl']:.2f}" for f in features]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | **{r['mean_oa']:.3f}** | {r['mean_kl']:.3f} |")
    lines += [
        "",
        "### MuseGAN metrics (mean over tracks; EB empty bars, UPC used pitch classes per bar, "
        "QN notes of >= 2 sixteenths, TD tonal distance between tracks)",
        "",
        "| set | EB | UPC | QN | TD |",
        "| --- | --- | --- | --- | --- |",
    ]
    ref = results["reference_musegan"]
    lines.append(
        f"| real (half A, reference) | {ref['EB']:.3f} | {ref['UPC']:.2f} | "
        f"{ref['QN']:.3f} | {ref['TD']:.3f} |"
    )
    for name, r in sets.items():
        m = r["musegan"]
        lines.append(f"| {name} | {m['EB']:.3f} | {m['UPC']:.2f} | {m['QN']:.3f} | {m['TD']:.3f} |")
    mc = results["mood_control"]
    snap, one, raw = mc["with_snap_to_key"], mc["snap_only"], mc["network_only"]
    lines += [
        "",
        f"### Mood control ({mc['with_snap_to_key']['pieces']} pieces of 8 bars: 3 styles x 6 moods x seeds)",
        "",
        "| generation | valence -> detected mode agrees "
        "| arousal -> density vs the style's median in the data "
        "| arousal -> density vs the median of the generated pieces |",
        "| --- | --- | --- | --- |",
        f"| default: best of 8 candidates + snap-to-key | {snap['valence']:.1%} | {snap['arousal']:.1%} "
        f"| {snap['arousal_vs_generated_median']:.1%} |",
        f"| 1 candidate + snap-to-key | {one['valence']:.1%} | {one['arousal']:.1%} "
        f"| {one['arousal_vs_generated_median']:.1%} |",
        "| no snap, no candidate choice (1 candidate, snap_to_key=False; blips dropped, eighths quantised) "
        f"| {raw['valence']:.1%} | {raw['arousal']:.1%} "
        f"| {raw['arousal_vs_generated_median']:.1%} |",
    ]
    o = results["originality"]
    lines += [
        "",
        "### Originality (longest span found verbatim in the training pieces, "
        "all 4 tracks, any transposition)",
        "",
        "| set | longest span (bars) | mean | share with a span of >= 2 bars |",
        "| --- | --- | --- | --- |",
        f"| GAN, the mood-control pieces | {o['gan_max_bars']} | {o['gan_mean_bars']:.2f} "
        f"| {o['gan_share_2_bars_or_more']:.1%} |",
        f"| real validation segments (half B) | {o['real_validation_max_bars']} | - "
        f"| {o['real_validation_share_2_bars_or_more']:.1%} |",
    ]
    return "\n".join(lines) + "\n"


def run(
    dataset: Path, weights: str | Path | None, seeds: int, out_json: Path | None, out_md: Path | None
) -> dict:
    results = evaluate(dataset, weights, seeds)
    if out_json:
        Path(out_json).parent.mkdir(parents=True, exist_ok=True)
        Path(out_json).write_text(json.dumps(results, indent=2))
    if out_md:
        Path(out_md).parent.mkdir(parents=True, exist_ok=True)
        Path(out_md).write_text(markdown_table(results))
    return results


# --- listener facts on 8-bar pieces (issue 12) --------------------------------------------

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


def _mood_pieces(style: str, seeds: int, weights, snap: bool, candidates: int) -> list[Piece]:
    return [
        generate(
            mood=label,
            style=style,
            bars=8,
            seed=seed,
            snap_to_key=snap,
            weights=weights,
            candidates=candidates,
        )
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
    phrases: Path, models: dict[str, str | Path | None], seeds: int = 10, seed: int = 0, progress: bool = True
) -> dict:
    """Listener facts, mgeval OA, mood control and copies for real, Markov and each model.

    Real: the validation tunes' 8-bar windows that end at a phrase end (half A is the
    mgeval reference, half B "real"). Markov: `MarkovBaseline` on the training windows,
    snapped to the key like the shipped GAN. Each model in `models` (name -> weights)
    twice: the network alone (one candidate, no snap) and as shipped (`generate()`'s
    defaults: best of 8 candidates, snap to the mood's key), 6 moods x `seeds` seeds.
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
    for style in FACT_STYLES:
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
            for variant, snap, cands in (("network alone", False, 1), ("as shipped", True, 8)):
                pieces = _mood_pieces(style, seeds, weights, snap, cands)
                pieces_of[f"{name}, {variant}"] = pieces
                sets[f"{name}, {variant}"] = [p.pitches for p in pieces]
        rows = {}
        for name, pieces in sets.items():
            facts = listener_facts(pieces)
            mg = mgeval_compare(half_a, [pitches_in_c(p) for p in pieces])
            facts["mgeval_mean_oa"] = float(np.mean([v["oa"] for v in mg.values()]))
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
    "parallels_per_8_bars": ("parallel fifths/octaves per 8 bars", "n"),
    "all_voices_sounding": ("steps with all four voices sounding", "%"),
    "mgeval_mean_oa": ("mgeval mean OA vs real half A", "n"),
    "valence_mode_krumhansl": ("valence -> mode (music21 Krumhansl)", "%"),
    "valence_mode_aarden": ("valence -> mode (music21 Aarden-Essen)", "%"),
    "arousal_density": ("arousal -> density vs the style's data median", "%"),
    "copied_2_bars": ("pieces with a 2-bar span copied from training", "%"),
}


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
                    cells.append(f"{value:.0%}" if unit == "%" else f"{value:.2f}")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
