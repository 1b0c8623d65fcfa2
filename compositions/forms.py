"""The compose form of the web page (the REST API has its own serializer)."""

from __future__ import annotations

from django import forms

from ml.mood import MOOD_LABELS
from ml.music.config import MAX_BARS, MAX_TEMPO, MIN_BARS, MIN_TEMPO, STYLES

LATEST_SESSION = "latest-session"


class ComposeForm(forms.Form):
    mood = forms.ChoiceField(
        choices=[(LATEST_SESSION, "From my latest live session")]
        + [(m, m.capitalize()) for m in MOOD_LABELS],
        initial="calm",
    )
    style = forms.ChoiceField(choices=[(s, s.capitalize()) for s in STYLES])
    bars = forms.IntegerField(min_value=MIN_BARS, max_value=MAX_BARS, initial=8)
    tempo = forms.IntegerField(
        min_value=MIN_TEMPO,
        max_value=MAX_TEMPO,
        required=False,
        help_text="Beats per minute; empty = suits the mood.",
    )
    seed = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, help_text="Empty = a surprise."
    )
    title = forms.CharField(max_length=120, required=False)

    def service_arguments(self) -> dict:
        """The keyword arguments of `composition_create` for this form's data."""
        data = dict(self.cleaned_data)
        mood = data.pop("mood")
        if mood == LATEST_SESSION:
            data["from_latest_session"] = True
        else:
            data["mood"] = mood
        return data


class RenameForm(forms.Form):
    title = forms.CharField(max_length=120)
