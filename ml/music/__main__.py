"""`python -m ml.music parse-corpus|build-phrases|train|generate|evaluate` (see ml.music.cli)."""

from ml.music.cli import main

raise SystemExit(main())
