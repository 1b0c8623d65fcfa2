"""Entry point for `python -m ml.emotion`."""

import sys

from ml.emotion.cli import main

if __name__ == "__main__":
    sys.exit(main())
