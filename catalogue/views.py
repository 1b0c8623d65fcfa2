"""Catalogue pages: recommendations (with play / like / skip) and listening history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from catalogue.forms import EventForm, RecommendForm
from catalogue.recommender import journey_steps, recommend
from catalogue.selectors import (
    favourite_singers_unmatched,
    liked_song_list,
    listening_event_get,
    listening_event_list,
    mood_resolve,
    song_get,
)
from catalogue.services import listening_event_create, listening_event_delete, song_unlike

HISTORY_PAGE_SIZE = 50


@login_required
@require_GET
def recommendations(request):
    form = RecommendForm(request.GET or None)
    label, strategy, session_id = None, "match", None
    if form.is_bound and form.is_valid():
        label = form.cleaned_data["mood"] or None
        strategy = form.cleaned_data["strategy"]
        # ?session=<id> (e.g. a link from the end of a live session); a chosen mood wins.
        session_id = None if label else form.cleaned_data["session"]
    try:
        mood = mood_resolve(user=request.user, label=label, session_id=session_id)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
        mood = mood_resolve(user=request.user)
    results = recommend(user=request.user, mood=mood, strategy=strategy, limit=20)
    return render(
        request,
        "catalogue/recommendations.html",
        {
            "form": form if form.is_bound else RecommendForm(initial={"strategy": "match"}),
            "mood": mood,
            "strategy": strategy,
            "results": results,
            "journey": journey_steps(results) if strategy == "lift" else [],
            "target_mood": results[-1].target_mood if results else None,
            "event_api_url": reverse("api:listening-event-list"),
            "unmatched_singers": favourite_singers_unmatched(user=request.user),
        },
    )


@login_required
@require_POST
def event_create(request):
    form = EventForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Choose a song and one of play, like, skip, finish.")
    song = song_get(song_id=form.cleaned_data["song"])
    listening_event_create(
        user=request.user, song=song, kind=form.cleaned_data["kind"], mood=form.cleaned_data["mood"]
    )
    verb = {"play": "Playing", "like": "Liked", "skip": "Skipped", "finish": "Finished"}[
        form.cleaned_data["kind"]
    ]
    messages.success(request, f"{verb}: {song.title}.")
    return redirect(_back(request, "catalogue:recommendations"))


@login_required
@require_GET
def history(request):
    events = listening_event_list(user=request.user)
    page = Paginator(events, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalogue/history.html", {"page": page})


@login_required
@require_POST
def event_undo(request, event_id: int):
    """Undo a listening event (e.g. a skip by mistake); another listener's is 404."""
    event = listening_event_get(user=request.user, event_id=event_id)
    listening_event_delete(event=event)
    messages.success(request, f"Undone: {event.get_kind_display()} of {event.song.title}.")
    return redirect(_back(request, "catalogue:history"))


@login_required
@require_GET
def liked(request):
    page = Paginator(liked_song_list(user=request.user), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalogue/liked.html", {"page": page})


@login_required
@require_POST
def unlike(request, liked_song_id: int):
    """Unlike one of your liked songs; a song you have not liked is 404."""
    song = song_get(song_id=liked_song_id)
    if not song_unlike(user=request.user, song=song):
        raise Http404("You have not liked that song.")
    messages.success(request, f"Unliked: {song.title}.")
    return redirect(_back(request, "catalogue:liked"))


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return reverse(default)
    return target
