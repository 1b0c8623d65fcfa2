"""The compose form of the web page (the REST API has its own serializer)."""

from __future__ import annotations

from django import forms

from ml.mood import MOOD_LABELS
from ml.music.config import MAX_BARS, MAX_TEMPO, MIN_BARS, MIN_TEMPO, STYLES
from ml.music.instrumentation import ARRANGEMENT_NAMES

LENGTH_CHOICES = [
    ("30s", "30 seconds"),
    ("1min", "1 minute"),
    ("2min", "2 minutes"),
    ("3min", "3 minutes"),
    ("", "A number of bars (below)"),
]
ARRANGEMENT_CHOICES = [("", "Suits the mood")] + [(a, a.capitalize()) for a in ARRANGEMENT_NAMES]

LATEST_SESSION = "latest-session"


class ComposeForm(forms.Form):
    mood = forms.ChoiceField(
        choices=[(LATEST_SESSION, "From my latest live session")]
        + [(m, m.capitalize()) for m in MOOD_LABELS],
        initial="calm",
    )
    style = forms.ChoiceField(choices=[(s, s.capitalize()) for s in STYLES])
    arrangement = forms.ChoiceField(
        choices=ARRANGEMENT_CHOICES,
        required=False,
        help_text="Piano, strings, guitar and flute, ambient pads, or keys, bass and drums.",
    )
    length = forms.ChoiceField(choices=LENGTH_CHOICES, required=False, initial="1min")
    bars = forms.IntegerField(
        min_value=MIN_BARS,
        max_value=MAX_BARS,
        required=False,
        help_text="Used when the length is a number of bars (4 beats each).",
    )
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
        if data.get("length"):
            data.pop("bars")  # a listening time was chosen: the bars follow from it
        else:
            data.pop("length", None)
        mood = data.pop("mood")
        if mood == LATEST_SESSION:
            data["from_latest_session"] = True
        else:
            data["mood"] = mood
        return data


class RenameForm(forms.Form):
    title = forms.CharField(max_length=120)
