"""`python -m ml.music build-dataset|train|generate|evaluate` (see ml.music.cli)."""

from ml.music.cli import main

raise SystemExit(main())
