"""Piano-roll picture of a piece (matplotlib, Agg backend): one colour per track."""

from __future__ import annotations

import io

from ml.music.generate import Piece
from ml.music.metrics import notes_of

COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def piano_roll_png(piece: Piece, dpi: int = 100) -> bytes:
    """PNG bytes: time in bars on x, pitch names on y, one coloured lane per track."""
    fig = piano_roll_figure(piece, dpi)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def piano_roll_figure(piece: Piece, dpi: int = 100):
    """The matplotlib Figure of `piano_roll_png`; the legend sits above the plot, never on notes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    sounding = piece.pitches[piece.pitches >= 0]
    low = int(sounding.min()) - 2 if sounding.size else 48
    high = int(sounding.max()) + 2 if sounding.size else 72
    width = min(24.0, 4.0 + piece.bars * 0.9)
    fig = Figure(figsize=(width, 4.8), dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    spb = piece.steps_per_bar
    for index, _name in enumerate(piece.tracks):
        colour = COLOURS[index % len(COLOURS)]
        bars = [((s / spb), (e - s) / spb) for s, e, _ in notes_of(piece.pitches[index])]
        pitches = [p for _, _, p in notes_of(piece.pitches[index])]
        for (x, w), p in zip(bars, pitches, strict=False):
            ax.broken_barh(
                [(x, w * 0.97)], (p - 0.4, 0.8), facecolors=colour, edgecolors="black", linewidth=0.3
            )
    for bar in range(piece.bars + 1):
        ax.axvline(bar, color="#999999", linewidth=0.6 if bar % 4 else 1.2)
    draw_sections(ax, piece, high)
    ax.set_xlim(0, piece.bars)
    ax.set_ylim(low, high)
    c_ticks = [p for p in range(low, high + 1) if p % 12 == 0]
    ax.set_yticks(c_ticks)
    ax.set_yticklabels([f"C{p // 12 - 1}" for p in c_ticks])
    ax.set_xticks(range(0, piece.bars + 1, max(1, piece.bars // 16)))
    ax.set_xlabel("bar")
    ax.set_ylabel("pitch")
    ax.grid(axis="y", color="#eeeeee", linewidth=0.5)
    ax.set_title(f"{piece.style} · {piece.mood.label} · {piece.key} · {piece.tempo} bpm", loc="left")
    # above the axes, right-aligned: inside them it hid the highest notes
    ax.legend(
        handles=[Patch(color=COLOURS[i], label=n) for i, n in enumerate(piece.tracks)],
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        borderaxespad=0.2,
        fontsize=8,
        ncol=len(piece.tracks),
        frameon=False,
    )
    fig.tight_layout()
    return fig


SECTION_SHADES = {"A": "#f3f0e6", "B": "#e6eef6", "C": "#ebf5e6", "I": "#f2f2f2", "O": "#f2f2f2"}


def draw_sections(ax, piece: Piece, top: int) -> None:
    """Each section of the form as a shaded band with its letter (and key move) on top."""
    if piece.form is None or len(piece.form.sections) < 2:
        return
    for section in piece.form.sections:
        start, end = section.start_bar, section.start_bar + section.bars
        ax.axvspan(start, end, color=SECTION_SHADES.get(section.letter, "#f2f2f2"), zorder=0)
        ax.axvline(start, color="#444444", linewidth=1.6)
        label = section.letter + (f" ({section.key_shift:+d})" if section.key_shift else "")
        ax.text((start + end) / 2, top - 0.6, label, ha="center", va="top", fontsize=9, fontweight="bold")


def training_losses_png(losses_csv, dpi: int = 100) -> bytes:
    """PNG of a run's losses.csv: Wasserstein estimate, gradient penalty and the condition losses."""
    import csv

    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    with open(losses_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    steps = [int(r["step"]) for r in rows]
    fig = Figure(figsize=(10, 4), dpi=dpi)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for key in ("w_dist", "gp"):
        left.plot(steps, [float(r[key]) for r in rows], label=key, linewidth=0.8)
    for key in [k for k in rows[0] if k.endswith("_loss") and k not in ("c_loss", "g_loss")]:
        right.plot(steps, [float(r[key]) for r in rows], label=key, linewidth=0.8)
    for ax, title in ((left, "critic"), (right, "generator condition losses")):
        ax.set_xlabel("generator step")
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
