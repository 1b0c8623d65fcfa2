"""Command line of ml.music. Bad input prints one line and exits with status 2."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ml.errors import MLError
from ml.music.config import CACHE_DIR, DEFAULT_DATASET, DEFAULT_WEIGHTS, STYLES


def _build_dataset(args: argparse.Namespace) -> int:
    from ml.music.dataset import build_dataset

    styles = tuple(args.styles.split(",")) if args.styles else STYLES
    for style in styles:
        if style not in STYLES:
            from ml.music.errors import InvalidStyle

            raise InvalidStyle(f"Unknown style {style!r}; choose from: {', '.join(STYLES)}.")
    shifts = tuple(int(s) for s in args.augment.split(",") if s.strip()) if args.augment else ()
    summary = build_dataset(
        Path(args.out),
        styles=styles,
        limit=args.limit,
        processes=args.processes,
        augment=shifts,
        parse_cache=Path(args.parse_cache) if args.parse_cache else None,
    )
    print(json.dumps(summary, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml.music", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build-dataset", help="parse music21's corpus into the training cache")
    p.add_argument("--out", default=str(DEFAULT_DATASET))
    p.add_argument("--styles", default="", help="comma-separated subset of " + ",".join(STYLES))
    p.add_argument("--limit", type=int, default=None, help="at most this many files per style")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument(
        "--augment", default="-2,-1,1,2", help="extra transpositions (semitones) of training segments"
    )
    p.add_argument("--parse-cache", default=str(CACHE_DIR / "parsed"))
    p.set_defaults(func=_build_dataset)

    _register_more(sub)
    return parser


def _register_more(sub) -> None:  # filled in by the other commands below
    from ml.music import cli_commands

    cli_commands.register(sub)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; MLError and bad files become a one-line message and exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MLError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


__all__ = ["main", "build_parser", "DEFAULT_WEIGHTS"]
