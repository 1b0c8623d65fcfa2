"""Pages of the front end: landing/dashboard and the live session.

Thin: each view reads through the apps' selectors and hands the template what its
JavaScript module needs (URLs, vocabularies) as one JSON blob (json_script), so the
modules never hard-code a route.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from ml.emotion.gestures import GESTURES
from ml.mood import EMOTIONS, MOOD_LABELS, MOOD_PROTOTYPES


def _url(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


@require_GET
def home(request):
    """The landing page; signed in, a dashboard of the latest mood and compositions."""
    context: dict = {}
    if request.user.is_authenticated:
        from compositions.selectors import composition_list
        from moods.selectors import session_latest_mood, session_list

        context["latest_mood"] = session_latest_mood(user=request.user)
        context["recent_compositions"] = list(composition_list(user=request.user)[:4])
        context["session_count"] = session_list(user=request.user).count()
    return render(request, "frontend/home.html", context)


def _styles() -> tuple[str, ...]:
    from ml.music.config import STYLES

    return STYLES


def _arrangements() -> tuple[str, ...]:
    from ml.music.instrumentation import ARRANGEMENT_NAMES

    return ARRANGEMENT_NAMES


@login_required
@require_GET
def session(request):
    """The live session: camera → WebSocket → live emotions and mood, then songs or music."""
    config = {
        "ws_path": "/ws/session/",
        "login_url": _url("accounts:login"),
        "recommendations_url": _url("api:recommendations"),
        "listening_events_url": _url("api:listening-event-list"),
        "compositions_url": _url("api:compositions"),
        "composition_status_url": _url("api:composition-status", composition_id=0),
        "composition_detail_url": _url("compositions:detail", composition_id=0),
        "composition_audio_url": _url("compositions:audio", composition_id=0),
        "choose_url": _url("api:mood-choose"),
        "session_mood_url": _url("api:mood-session-choose", session_id=0),
        "correction_url": _url("api:mood-correction-create", session_id=0),
        "prototypes": {label: list(point) for label, point in MOOD_PROTOTYPES.items()},
        "gestures": GESTURES,
        "music": _music_config(),
    }
    return render(
        request,
        "frontend/session.html",
        {
            "config": config,
            "emotions": EMOTIONS,
            "mood_labels": MOOD_LABELS,
            "styles": _styles(),
            "arrangements": _arrangements(),
            "fps_choices": (5, 10, 15, 30),
            "music_arrangements": _music_config()["arrangements"],
            "recommendations_page": _url("catalogue:recommendations"),
        },
    )


def _music_config() -> dict:
    """What the page's soundtrack player needs: its files on our server, names, gestures."""
    from ml.music.stream import GESTURE_MUSIC, LIVE_ARRANGEMENTS

    vendor = "frontend/vendor/js-synthesizer/"
    return {
        "soundfont_url": _url("frontend:soundfont"),
        "synth_url": static(vendor + "js-synthesizer.min.js"),
        "worklet_urls": [
            static(vendor + "libfluidsynth-2.4.6.js"),
            static(vendor + "js-synthesizer.worklet.min.js"),
        ],
        "arrangements": LIVE_ARRANGEMENTS,
        "gestures": {name: effect.words for name, effect in GESTURE_MUSIC.items()},
    }


@require_GET
def soundfont(request):
    """The General MIDI SoundFont the page's synthesiser plays (Debian's TimGM6mb, GPL-2).

    Served from the system package, not the repository; a browser keeps it for a day.
    """
    path = Path(settings.SOUNDFONT_PATH)
    if not path.is_file():
        raise Http404("No SoundFont is installed on the server (apt-get install timgm6mb-soundfont).")
    response = FileResponse(path.open("rb"), content_type="application/octet-stream")
    response["Cache-Control"] = "public, max-age=86400"
    return response
