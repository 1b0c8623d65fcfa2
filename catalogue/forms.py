"""Forms of the catalogue pages (the REST API has its own serializers)."""

from __future__ import annotations

from django import forms

from catalogue.models import ListeningEvent
from catalogue.recommender import STRATEGIES
from ml.mood import MOOD_LABELS


class RecommendForm(forms.Form):
    mood = forms.ChoiceField(
        choices=[("", "My latest session's mood")] + [(label, label) for label in MOOD_LABELS], required=False
    )
    session = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    strategy = forms.ChoiceField(
        choices=[("match", "Match my mood"), ("lift", "Lift my mood")], required=False, initial="match"
    )

    def clean_strategy(self) -> str:
        value = self.cleaned_data.get("strategy") or "match"
        return value if value in STRATEGIES else "match"


class EventForm(forms.Form):
    song = forms.IntegerField(min_value=1)
    kind = forms.ChoiceField(choices=ListeningEvent.Kind.choices)
    mood = forms.ChoiceField(choices=[("", "")] + [(label, label) for label in MOOD_LABELS], required=False)
    next = forms.CharField(required=False, max_length=500)
