from datetime import UTC, datetime

from matplotlib.dates import num2date

from moods.charts import history_figure, history_png
from moods.selectors import MoodHistory


def one_point_history() -> MoodHistory:
    at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    point = {"at": at, "valence": 0.7, "arousal": 0.3, "mood": "happy", "frames": 40}
    return MoodHistory(
        start=at,
        end=at,
        bucket="minute",
        points=[point],
        distribution={"happy": 1.0},
        frames={"happy": 40},
        sessions=1,
        dominant=None,
    )


def test_a_single_reading_keeps_the_time_axis_around_it():
    timeline = history_figure(one_point_history()).axes[0]
    left, right = (num2date(value) for value in timeline.get_xlim())
    assert (right - left).total_seconds() == 600


def test_the_history_renders_as_png():
    assert history_png(one_point_history()).startswith(b"\x89PNG")
