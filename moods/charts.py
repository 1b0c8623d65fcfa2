"""The mood-history picture: a matplotlib PNG (timeline above, distribution below)."""

from __future__ import annotations

import io
from datetime import timedelta

from ml.mood import MOOD_LABELS
from moods.selectors import MoodHistory

# One colour per mood, shared by both panels (colour-blind-safe Okabe-Ito palette).
MOOD_COLOURS = {
    "happy": "#E69F00",
    "excited": "#D55E00",
    "calm": "#009E73",
    "neutral": "#999999",
    "sad": "#0072B2",
    "angry": "#CC3311",
    "anxious": "#CC79A7",
}


def history_png(history: MoodHistory, *, width: float = 9.0, height: float = 6.0, dpi: int = 100) -> bytes:
    """Render the history as PNG bytes (Agg backend, no pyplot: safe in server threads)."""
    buffer = io.BytesIO()
    history_figure(history, width=width, height=height, dpi=dpi).savefig(buffer, format="png")
    return buffer.getvalue()


def history_figure(history: MoodHistory, *, width: float = 9.0, height: float = 6.0, dpi: int = 100):
    """The matplotlib Figure of the history: timeline above, distribution below."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    timeline, bars = figure.subplots(2, 1, height_ratios=[3, 2])

    if history.points:
        times = [point["at"] for point in history.points]
        timeline.plot(times, [p["valence"] for p in history.points], color="#444", lw=1.5, label="valence")
        timeline.plot(
            times, [p["arousal"] for p in history.points], color="#444", lw=1, ls="--", label="arousal"
        )
        timeline.scatter(
            times,
            [p["valence"] for p in history.points],
            c=[MOOD_COLOURS[p["mood"]] for p in history.points],
            s=[min(200, 20 + p["frames"] / 5) for p in history.points],
            zorder=3,
            edgecolors="white",
        )
        if len(set(times)) == 1:
            # One instant would give matplotlib a zero-width axis, which it widens to years.
            timeline.set_xlim(times[0] - timedelta(minutes=5), times[0] + timedelta(minutes=5))
        locator = AutoDateLocator()
        timeline.xaxis.set_major_locator(locator)
        timeline.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        timeline.legend(loc="upper left", frameon=False)
    else:
        timeline.text(
            0.5, 0.5, "No sessions in this range yet", ha="center", va="center", transform=timeline.transAxes
        )
    timeline.set_ylim(-1.05, 1.05)
    timeline.axhline(0, color="#ccc", lw=0.8)
    timeline.set_ylabel("valence / arousal")
    timeline.set_title("Mood over time (dots coloured by the dominant mood)")

    shares = [history.distribution.get(label, 0.0) * 100 for label in MOOD_LABELS]
    bars.bar(MOOD_LABELS, shares, color=[MOOD_COLOURS[label] for label in MOOD_LABELS])
    bars.set_ylabel("% of frames")
    bars.set_ylim(0, max(100.0, max(shares, default=0)) if any(shares) else 100)
    bars.set_title("How often each mood was held")
    for index, share in enumerate(shares):
        if share:
            bars.text(index, share + 1.5, f"{share:.0f}%", ha="center", fontsize=9)

    return figure
