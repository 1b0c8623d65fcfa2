"""manage.py plot_catalogue [--out FILE]: the catalogue on the valence/energy plane, as a PNG.

Each song is a dot coloured by the mood label nearest to it; the arrows show the
targets of the "lift" strategy from sad, step by step.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from catalogue.features import mood_target, mood_to_song_space, song_mood_label
from catalogue.models import Song
from catalogue.recommender import LIFT_STEPS, lift_target
from ml.mood import MOOD_LABELS, MOOD_PROTOTYPES, mood_named

COLOURS = {
    "happy": "#f2b705",
    "excited": "#f25c05",
    "calm": "#2a9d8f",
    "neutral": "#8d99ae",
    "sad": "#3a5a9b",
    "angry": "#c1121f",
    "anxious": "#7b2cbf",
}


class Command(BaseCommand):
    help = "Draw the catalogue's songs on the valence/energy plane (PNG)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default="docs/catalogue_mood_map.png")

    def handle(self, *args, **options) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        points = list(Song.objects.values_list("valence", "energy"))
        fig, ax = plt.subplots(figsize=(7, 6), dpi=120)
        for label in MOOD_LABELS:
            xs = [v for v, e in points if song_mood_label(v, e) == label]
            ys = [e for v, e in points if song_mood_label(v, e) == label]
            ax.scatter(xs, ys, s=12, alpha=0.7, color=COLOURS[label], label=f"{label} ({len(xs)})")
            px, py = mood_to_song_space(*MOOD_PROTOTYPES[label])
            ax.annotate(label, (px, py), fontsize=9, fontweight="bold", ha="center", color="black")
        sad = mood_named("sad")
        path = [mood_target(sad)] + [
            mood_to_song_space(*lift_target(sad, s)) for s in range(1, LIFT_STEPS + 1)
        ]
        for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
            ax.annotate("", (x1, y1), (x0, y0), arrowprops={"arrowstyle": "->", "color": "black", "lw": 1.5})
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="valence (0..1)", ylabel="energy (0..1)")
        ax.set_title(f"Catalogue: {len(points)} songs; arrows = 'lift' targets from sad")
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(alpha=0.3)
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.tight_layout()
        fig.savefig(out)
        plt.close(fig)
        self.stdout.write(f"wrote {out}")
