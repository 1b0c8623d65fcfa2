"""How well the product reads faces it was not trained on: `ml.emotion.evaluate`.

    .venv/bin/python bench/emotion_accuracy.py [--data PATH] [--limit N]

Prints the figures of docs/emotion.md (FER2013 validation split, per-user calibration,
real LFW photos); see ml/emotion/evaluate.py for what each one measures.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.emotion.evaluate import main

if __name__ == "__main__":
    main()
