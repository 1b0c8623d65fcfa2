"""Evaluation of form, ending, loudness and register of generated pieces (docs/music-eval.md).

    python -m ml.music form-eval [--seeds 5] [--examples docs/music-examples]

For each length (16, 32, 64 bars), every mood and `seeds` seeds, with the shipped
weights and every post-processing step as shipped:

- **returns vs different sections**: mean cosine similarity of the melody's
  pitch-class histogram (each section in its own key region) and of its onset
  positions in the bar, over pairs of sections with the same letter and pairs with
  different letters (`ml.music.form.section_similarity`);
- **ends on the tonic**: share of pieces whose last melody and bass notes are the home
  key's tonic;
- **register**: mean melody pitch of happy + excited minus sad + calm;
- **loudness**: RMS of the rendered audio (each mood's own arrangement, and all on
  piano), loudest mood minus quietest, and the highest peak.

`--examples DIR` also writes one short OGG and its piano roll per arrangement.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ml.mood import MOOD_LABELS
from ml.music.metrics import notes_of
from ml.music.register import key_tonic_mode

LENGTHS_EVALUATED = (16, 32, 64)
BRIGHT, DARK = ("happy", "excited"), ("sad", "calm")


def _ends_on_tonic(piece, voice: int) -> bool:
    notes = notes_of(piece.pitches[voice])
    return bool(notes) and notes[-1][2] % 12 == key_tonic_mode(piece.key)[0]


def _rms_db(piece, arrangement: str | None = None) -> tuple[float, float]:
    from ml.music.audio import rms_db, synthesize
    from ml.music.expression import loudness_db
    from ml.music.midi import to_midi

    if arrangement:
        piece.arrangement = arrangement
    audio = synthesize(to_midi(piece), loudness_db=loudness_db(piece.mood))
    return rms_db(audio), float(np.abs(audio).max())


def form_evaluation(seeds: int = 5, style: str = "folk", weights=None) -> dict:
    """The figures of the module doc, as a JSON-able dict."""
    from ml.music.form import section_similarity
    from ml.music.generate import generate

    out: dict = {"seeds": seeds, "style": style, "lengths": {}}
    register: dict[str, list[float]] = {m: [] for m in MOOD_LABELS}
    loud_own: dict[str, list[float]] = {m: [] for m in MOOD_LABELS}
    loud_piano: dict[str, list[float]] = {m: [] for m in MOOD_LABELS}
    peaks = []
    for bars in LENGTHS_EVALUATED:
        sims, melody_tonic, bass_tonic, forms = [], [], [], set()
        for mood in MOOD_LABELS:
            for seed in range(seeds):
                piece = generate(mood=mood, style=style, bars=bars, seed=seed, weights=weights)
                forms.add(piece.form.name)
                sims.append(section_similarity(piece.pitches, piece.form))
                melody_tonic.append(_ends_on_tonic(piece, 0))
                bass_tonic.append(_ends_on_tonic(piece, 3))
                melody = piece.pitches[0][piece.pitches[0] >= 0]
                register[mood].append(float(melody.mean()))
                if bars == 16:  # loudness on the shortest pieces: the figure does not need length
                    level, peak = _rms_db(piece)
                    loud_own[mood].append(level)
                    peaks.append(peak)
                    level, peak = _rms_db(piece, "piano")
                    loud_piano[mood].append(level)
                    peaks.append(peak)
        keys = sims[0].keys()
        out["lengths"][bars] = {
            "pieces": len(sims),
            "forms": sorted(forms),
            **{k: float(np.nanmean([s[k] for s in sims])) for k in keys},
            "melody_ends_on_tonic": float(np.mean(melody_tonic)),
            "bass_ends_on_tonic": float(np.mean(bass_tonic)),
        }
    mean = {m: float(np.mean(v)) for m, v in register.items()}
    out["register"] = {
        "melody_mean": mean,
        "gap": float(np.mean([mean[m] for m in BRIGHT]) - np.mean([mean[m] for m in DARK])),
    }
    for name, table in (("own_arrangement", loud_own), ("piano", loud_piano)):
        levels = {m: float(np.mean(v)) for m, v in table.items()}
        loudest, quietest = max(levels, key=levels.get), min(levels, key=levels.get)
        out[f"loudness_{name}"] = {
            "rms_db": levels,
            "loudest": loudest,
            "quietest": quietest,
            "gap_db": levels[loudest] - levels[quietest],
        }
    out["highest_peak"] = float(max(peaks))
    return out


def form_markdown(result: dict) -> str:
    lines = [
        f"{result['seeds']} seeds x 7 moods per length, style {result['style']}, "
        "shipped weights and post-processing.",
        "",
        "| bars | forms | return: pitch-class / rhythm | different: pitch-class / rhythm "
        "| melody ends on tonic | bass ends on tonic |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for bars, row in result["lengths"].items():
        lines.append(
            f"| {bars} | {', '.join(row['forms'])} | "
            f"{row['return_pitch_class']:.3f} / {row['return_rhythm']:.3f} | "
            f"{row['different_pitch_class']:.3f} / {row['different_rhythm']:.3f} | "
            f"{row['melody_ends_on_tonic']:.0%} | {row['bass_ends_on_tonic']:.0%} |"
        )
    reg = result["register"]
    lines += [
        "",
        "| mood | melody mean (MIDI) | RMS, own arrangement (dBFS) | RMS, piano (dBFS) |",
        "| --- | --- | --- | --- |",
    ]
    for mood, value in reg["melody_mean"].items():
        own = result["loudness_own_arrangement"]["rms_db"][mood]
        piano = result["loudness_piano"]["rms_db"][mood]
        lines.append(f"| {mood} | {value:.1f} | {own:.1f} | {piano:.1f} |")
    own, piano = result["loudness_own_arrangement"], result["loudness_piano"]
    lines += [
        "",
        f"Register gap (happy + excited minus sad + calm): **{reg['gap']:.1f} semitones** (goal >= 3).",
        f"Loudness gap, own arrangements: **{own['gap_db']:.1f} dB** "
        f"({own['loudest']} vs {own['quietest']}); all on piano: **{piano['gap_db']:.1f} dB** "
        f"({piano['loudest']} vs {piano['quietest']}) (goal >= 6). "
        f"Highest peak {result['highest_peak']:.3f} (full scale 1.0: no clipping).",
    ]
    return "\n".join(lines) + "\n"


EXAMPLE_MOODS = {
    "piano": "neutral",
    "strings": "sad",
    "acoustic": "happy",
    "ambient": "calm",
    "beat": "excited",
}


def write_examples(folder: Path, bars: int = 8, seed: int = 1, style: str = "folk") -> list[Path]:
    """One short OGG and piano-roll PNG per arrangement, in the mood it is the default of."""
    from ml.music.audio import render_audio
    from ml.music.expression import loudness_db
    from ml.music.generate import generate
    from ml.music.midi import to_midi
    from ml.music.plot import piano_roll_png

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for arrangement, mood in EXAMPLE_MOODS.items():
        piece = generate(mood=mood, style=style, bars=bars, seed=seed, arrangement=arrangement)
        ogg = folder / f"{arrangement}.ogg"
        # 22.05 kHz keeps the example files small; the product renders at 44.1 kHz
        ogg.write_bytes(
            render_audio(to_midi(piece), "ogg", sample_rate=22050, loudness_db=loudness_db(piece.mood))
        )
        png = folder / f"{arrangement}.png"
        png.write_bytes(piano_roll_png(piece, dpi=60))
        written += [ogg, png]
    return written


def run(args) -> int:
    result = form_evaluation(seeds=args.seeds, style=args.style)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2))
    print(form_markdown(result))
    if args.examples:
        for path in write_examples(Path(args.examples), bars=args.example_bars):
            print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    return 0
