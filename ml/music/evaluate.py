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
