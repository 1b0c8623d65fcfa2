"""Sub-commands parse-corpus, build-phrases, train, generate and evaluate."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ml.music.config import CACHE_DIR, DEFAULT_WEIGHTS


def _train(args: argparse.Namespace) -> int:
    from ml.music.train import TrainConfig, train

    cfg = TrainConfig(
        dataset=args.dataset,
        run_dir=args.run_dir,
        minutes=args.minutes,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        n_critic=args.n_critic,
        lr=args.lr,
        seed=args.seed,
        checkpoint_minutes=args.checkpoint_minutes,
        sample_every=args.sample_every,
        threads=args.threads,
        harmony_weight=args.harmony_weight,
        init_weights=args.init_weights,
        critic_warmup=args.critic_warmup,
    )
    result = train(cfg, export_to=Path(args.export) if args.export else None)
    print(json.dumps(result, indent=2))
    return 0


def _parse_corpus(args: argparse.Namespace) -> int:
    from ml.music.notes import parse_corpus

    styles = tuple(args.style or ("folk", "chorale"))
    print(json.dumps(parse_corpus(Path(args.out), styles=styles, limit=args.limit, only=args.only), indent=2))
    return 0


def _build_phrases(args: argparse.Namespace) -> int:
    from ml.music.phrase import build_phrase_dataset

    print(json.dumps(build_phrase_dataset(Path(args.tunes), Path(args.out)), indent=2))
    return 0


def _generate(args: argparse.Namespace) -> int:
    from ml.music import (
        generate,
        loudness_db,
        midi_bytes,
        piano_roll_png,
        piece_metrics,
        render_audio,
        to_midi,
    )

    piece = generate(
        arrangement=args.arrangement,
        mood=args.mood,
        style=args.style,
        bars=args.bars,
        tempo=args.tempo,
        seed=args.seed,
        snap_to_key=not args.no_snap,
        weights=args.weights or None,
    )
    written = []
    if args.out:
        Path(args.out).write_bytes(midi_bytes(piece))
        written.append(args.out)
    if args.audio:
        fmt = Path(args.audio).suffix.lstrip(".") or "ogg"
        audio = render_audio(
            to_midi(piece), fmt, soundfont=args.soundfont or None, loudness_db=loudness_db(piece.mood)
        )
        Path(args.audio).write_bytes(audio)
        written.append(args.audio)
    if args.png:
        Path(args.png).write_bytes(piano_roll_png(piece))
        written.append(args.png)
    summary = {
        "mood": piece.mood.label,
        "style": piece.style,
        "key": piece.key,
        "tempo": piece.tempo,
        "bars": piece.bars,
        "form": piece.form.to_json() if piece.form else None,
        "arrangement": piece.arrangement,
        "seconds": round(piece.duration_seconds, 2),
        "files": written,
        "metrics": piece_metrics(piece),
    }
    print(json.dumps(summary, indent=2))
    return 0


def _form_eval(args: argparse.Namespace) -> int:
    from ml.music.form_eval import run

    return run(args)


def _evaluate(args: argparse.Namespace) -> int:
    from ml.music.evaluate import listener_evaluation, listener_markdown

    models = {}
    for spec in args.model:
        name, _, path = spec.partition("=")
        models[name] = path or None
    from ml.music.evaluate import FACT_STYLES, VARIANTS

    variants = dict(VARIANTS)
    for spec in args.arrange:  # extra as-shipped variants with other arrangement steps
        steps = tuple(s for s in spec.split("+") if s)
        variants["shipped, arrangement " + ("+".join(steps) or "none")] = {"arrange": steps}
    models = models or {"shipped": None}
    results = listener_evaluation(
        Path(args.phrases),
        models,
        seeds=args.seeds,
        variants=variants,
        styles=tuple(args.style or FACT_STYLES),
    )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2))
    table = listener_markdown(results)
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(table)
    print(table)
    return 0


def register(sub) -> None:
    """Add the train/generate/evaluate sub-parsers."""
    p = sub.add_parser("train", help="train the WGAN-GP (resumes from --run-dir)")
    p.add_argument("--dataset", default=str(CACHE_DIR / "phrases.npz"), help="from build-phrases")
    p.add_argument("--run-dir", default=str(CACHE_DIR / "run"))
    p.add_argument(
        "--export", default=str(DEFAULT_WEIGHTS), help="where the EMA generator weights go ('' = nowhere)"
    )
    p.add_argument(
        "--minutes", type=float, default=65.0, help="wall-clock budget (resumed runs count what was spent)"
    )
    p.add_argument("--max-steps", type=int, default=100_000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--n-critic", type=int, default=2)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-minutes", type=float, default=4.0)
    p.add_argument("--sample-every", type=int, default=250)
    p.add_argument("--threads", type=int, default=2, help="TensorFlow intra-op threads")
    p.add_argument("--harmony-weight", type=float, default=1.0, help="weight of the harmony statistics loss")
    p.add_argument("--init-weights", default="", help="a new run starts its generator from these weights")
    p.add_argument("--critic-warmup", type=int, default=200, help="critic-only steps after --init-weights")
    p.set_defaults(func=_train)

    p = sub.add_parser("parse-corpus", help="v2: parse every folk tune and chorale to notes (slow, once)")
    p.add_argument("--out", default=str(CACHE_DIR / "tunes.npz"))
    p.add_argument("--limit", type=int, default=None, help="at most this many files")
    p.add_argument(
        "--style", action="append", choices=("folk", "chorale"), default=[], help="only these styles"
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        help="folk files matching this glob (in music21's corpus, e.g. 'oneills1850/1176-*'); repeatable",
    )
    p.set_defaults(func=_parse_corpus)

    p = sub.add_parser("build-phrases", help="v2: 8-bar phrase windows from the parsed corpus")
    p.add_argument("--tunes", default=str(CACHE_DIR / "tunes.npz"))
    p.add_argument("--out", default=str(CACHE_DIR / "phrases.npz"))
    p.set_defaults(func=_build_phrases)

    p = sub.add_parser("generate", help="compose one piece: MIDI, audio and a piano-roll PNG")
    p.add_argument("--mood", required=True)
    p.add_argument("--style", required=True)
    p.add_argument("--bars", type=int, default=8)
    p.add_argument(
        "--arrangement", default=None, help="piano, strings, acoustic, ambient or beat (default: by mood)"
    )
    p.add_argument("--tempo", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--no-snap", action="store_true", help="keep the network's pitches (no snapping to the key)"
    )
    p.add_argument("--out", default="", help="MIDI file to write")
    p.add_argument("--audio", default="", help="audio file to write (.ogg, .wav or .flac)")
    p.add_argument("--png", default="", help="piano-roll PNG to write")
    p.add_argument("--weights", default="")
    p.add_argument("--soundfont", default="")
    p.set_defaults(func=_generate)

    p = sub.add_parser("form-eval", help="form, ending, register and loudness of generated pieces")
    p.add_argument("--seeds", type=int, default=5, help="pieces per length and mood")
    p.add_argument("--style", default="folk")
    p.add_argument("--json", default=str(CACHE_DIR / "form_eval.json"))
    p.add_argument("--examples", default="", help="write one OGG + piano roll per arrangement here")
    p.add_argument("--example-bars", type=int, default=16)
    p.set_defaults(func=_form_eval)

    p = sub.add_parser("evaluate", help="listener facts on the validation tunes: real vs Markov vs models")
    p.add_argument("--phrases", default=str(CACHE_DIR / "phrases.npz"))
    p.add_argument(
        "--model",
        action="append",
        default=[],
        help="NAME=WEIGHTS (repeatable); NAME= alone means the shipped weights",
    )
    p.add_argument("--seeds", type=int, default=10, help="pieces per style and mood")
    p.add_argument(
        "--arrange",
        action="append",
        default=[],
        help="an extra as-shipped variant with these arrangement steps, joined by + ('' = none); repeatable",
    )
    p.add_argument("--style", action="append", default=[], help="only these styles (repeatable)")
    p.add_argument("--json", default=str(CACHE_DIR / "facts.json"))
    p.add_argument("--markdown", default=str(CACHE_DIR / "facts.md"))
    p.set_defaults(func=_evaluate)
