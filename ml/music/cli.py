"""Command line of ml.music. Bad input prints one line and exits with status 2."""

from __future__ import annotations

import argparse
import sys

from ml.errors import MLError
from ml.music.config import DEFAULT_WEIGHTS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml.music", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

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
