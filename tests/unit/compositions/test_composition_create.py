"""Creating compositions: moods from every source, bad input, the in-flight limit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from compositions.models import Composition
from compositions.services import CompositionLimitReached, composition_create
from ml.errors import InvalidMood
from ml.music.errors import InvalidBars, InvalidStyle, InvalidTempo


def test_a_named_mood_is_stored_with_its_circumplex_position(user):
    composition = composition_create(user=user, mood="calm", style="folk", bars=8, seed=7)
    assert (composition.mood_label, composition.valence, composition.arousal) == ("calm", 0.5, -0.5)
    assert composition.status == Composition.Status.QUEUED
    assert composition.title == "Calm folk"
    assert composition.seed == 7


def test_valence_and_arousal_alone_get_the_nearest_label(user):
    composition = composition_create(user=user, valence=-0.6, arousal=-0.4, style="chorale")
    assert composition.mood_label == "sad"
    assert (composition.valence, composition.arousal) == (-0.6, -0.4)


def test_a_seed_is_chosen_when_none_is_given(user):
    composition = composition_create(user=user, mood="happy", style="folk")
    assert 0 <= composition.seed < 2**31


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"mood": "euphoric", "style": "folk"}, InvalidMood),
        ({"mood": "calm", "style": "dubstep"}, InvalidStyle),
        ({"mood": "calm", "style": "folk", "bars": 0}, InvalidBars),
        ({"mood": "calm", "style": "folk", "bars": 129}, InvalidBars),
        ({"mood": "calm", "style": "folk", "tempo": 39}, InvalidTempo),
        ({"mood": "calm", "style": "folk", "tempo": 100000}, InvalidTempo),
        ({"mood": "calm", "style": "folk", "seed": -1}, ValidationError),
        ({"style": "folk"}, ValidationError),
        ({"mood": "calm", "from_latest_session": True, "style": "folk"}, ValidationError),
        ({"valence": 0.2, "style": "folk"}, ValidationError),
        ({"mood": "calm", "valence": 3.0, "arousal": 0.0, "style": "folk"}, InvalidMood),
    ],
)
def test_bad_input_raises_a_specific_error_and_creates_nothing(user, arguments, error):
    with pytest.raises(error) as raised:
        composition_create(user=user, **arguments)
    assert str(raised.value)
    assert not Composition.objects.exists()


def test_from_latest_session_without_any_session_says_so(user):
    with pytest.raises(ValidationError, match="no mood session"):
        composition_create(user=user, from_latest_session=True, style="folk")


def test_from_latest_session_uses_the_latest_session_with_a_mood_and_links_it(user, closed_session):
    closed_session(user, "sad")
    latest = closed_session(user, "excited")
    composition = composition_create(user=user, from_latest_session=True, style="folk")
    assert composition.mood_label == "excited"
    assert composition.mood_session == latest


def test_too_many_jobs_in_flight_are_refused_with_a_clear_message(user, other_user, settings):
    settings.COMPOSITIONS_MAX_IN_FLIGHT = 2
    composition_create(user=user, mood="calm", style="folk")
    composition_create(user=user, mood="calm", style="folk")
    with pytest.raises(CompositionLimitReached, match="2 compositions in progress"):
        composition_create(user=user, mood="calm", style="folk")
    # Another user's jobs do not count against this one.
    composition_create(user=other_user, mood="calm", style="folk")
    assert Composition.objects.filter(owner=user).count() == 2


def test_finished_jobs_do_not_count_against_the_limit(user, settings):
    settings.COMPOSITIONS_MAX_IN_FLIGHT = 1
    first = composition_create(user=user, mood="calm", style="folk")
    Composition.objects.filter(pk=first.pk).update(status=Composition.Status.READY)
    composition_create(user=user, mood="calm", style="folk")


def test_the_job_is_enqueued_only_when_the_row_is_committed(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        composition_create(user=user, mood="calm", style="folk")
    # The library revision's bump on commit (echoes_site.revisions), publish "queued",
    # then enqueue the job.
    assert [callback.__qualname__ for callback in callbacks] == [
        "bump.<locals>.replace",
        "composition_create.<locals>.<lambda>",
        "_enqueue_on_commit.<locals>.start",
    ]
