"""Pages of the moods app: the mood-history page and its chart."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from moods.aggregation import mood_verdict
from moods.charts import history_png
from moods.selectors import BUCKETS, DAY_VALIDATORS, MAX_HISTORY_DAYS, MoodHistory, mood_history


class HistoryRangeForm(forms.Form):
    start = forms.DateField(
        required=False, validators=DAY_VALIDATORS, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, validators=DAY_VALIDATORS, widget=forms.DateInput(attrs={"type": "date"})
    )
    bucket = forms.ChoiceField(choices=[(b, b) for b in BUCKETS], required=False)

    def clean(self):
        data = super().clean()
        end = data.get("end") or timezone.now().date()
        start = data.get("start") or end - timedelta(days=29)
        if start > end:
            raise forms.ValidationError("The first day must not be after the last day.")
        if (end - start).days >= MAX_HISTORY_DAYS:
            raise forms.ValidationError(f"Choose at most {MAX_HISTORY_DAYS} days.")
        data.update(start=start, end=end, bucket=data.get("bucket") or "session")
        return data


def _history(request) -> tuple[HistoryRangeForm, MoodHistory | None]:
    # Always bound: with no parameters every field is optional and clean() fills defaults.
    form = HistoryRangeForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    start = datetime.combine(data["start"], time.min, tzinfo=UTC)
    end = datetime.combine(data["end"], time.min, tzinfo=UTC) + timedelta(days=1)
    return form, mood_history(user=request.user, start=start, end=end, bucket=data["bucket"])


@login_required
@require_GET
def history(request):
    """My mood over a date range: the chart, the distribution and the sessions."""
    form, result = _history(request)
    rows = (
        sorted(
            ((label, share, result.frames.get(label, 0)) for label, share in result.distribution.items()),
            key=lambda row: -row[1],
        )
        if result
        else []
    )
    return render(
        request,
        "moods/history.html",
        {
            "form": form,
            "history": result,
            "verdict": mood_verdict(result.distribution) if result else None,
            "distribution_rows": rows,
            "query": request.GET.urlencode(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def history_chart(request):
    """The history as a PNG (same query parameters as the page)."""
    form, result = _history(request)
    if result is None:
        return HttpResponse("Bad date range.", status=400, content_type="text/plain")
    response = HttpResponse(history_png(result), content_type="image/png")
    response["Cache-Control"] = "private, max-age=60"
    return response
