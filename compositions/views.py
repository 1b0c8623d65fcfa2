"""Pages of the composition library: list, compose, detail (with live progress), actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compositions import downloads, selectors, services
from compositions.forms import ComposeForm, RenameForm
from compositions.models import Composition
from ml.errors import MLError
from ml.mood import MOOD_LABELS
from ml.music.config import STYLES

PAGE_SIZE = 12


@login_required
@require_GET
def library(request):
    """The user's compositions with filters (mood, style, favourite) and pages."""
    filters = {
        "mood": request.GET.get("mood") if request.GET.get("mood") in MOOD_LABELS else None,
        "style": request.GET.get("style") if request.GET.get("style") in STYLES else None,
        "favourite": True if request.GET.get("favourite") == "1" else None,
        # NUL characters cannot reach PostgreSQL (a `?q=%00` was a 500).
        "q": request.GET.get("q", "").replace("\x00", "")[:120] or None,
    }
    page = Paginator(selectors.composition_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "compositions/library.html",
        {
            "page": page,
            "filters": filters,
            "moods": MOOD_LABELS,
            "styles": STYLES,
            "query": query.urlencode(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def compose(request):
    """The compose form; a valid form queues a job and goes to its page (progress there)."""
    initial = {"mood": request.GET["mood"]} if request.GET.get("mood") in MOOD_LABELS else None
    form = ComposeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            composition = services.composition_create(user=request.user, **form.service_arguments())
        except services.CompositionLimitReached as error:
            form.add_error(None, str(error))
        except MLError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        except Http404:
            form.add_error(None, "That mood session was not found.")
        else:
            messages.success(request, "Composing… this page shows the progress.")
            return redirect("compositions:detail", composition_id=composition.pk)
    status = 429 if any("in progress" in e for e in form.non_field_errors()) else 400 if form.errors else 200
    return render(request, "compositions/compose.html", {"form": form}, status=status)


@login_required
@require_GET
def detail(request, composition_id: int):
    composition = selectors.composition_get(user=request.user, composition_id=composition_id)
    return render(
        request,
        "compositions/detail.html",
        {"composition": composition, "rename_form": RenameForm(initial={"title": composition.title})},
    )


@login_required
@require_POST
def rename(request, composition_id: int):
    composition = selectors.composition_get(user=request.user, composition_id=composition_id)
    form = RenameForm(request.POST)
    if form.is_valid():
        try:
            services.composition_rename(composition=composition, title=form.cleaned_data["title"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, "A title needs 1 to 120 characters.")
    return redirect("compositions:detail", composition_id=composition.pk)


@login_required
@require_POST
def favourite(request, composition_id: int):
    composition = selectors.composition_get(user=request.user, composition_id=composition_id)
    services.composition_favourite_set(
        composition=composition, favourite=request.POST.get("favourite") == "1"
    )
    if request.POST.get("next"):
        return redirect(_safe_next(request))
    return redirect("compositions:detail", composition_id=composition.pk)


@login_required
@require_POST
def delete(request, composition_id: int):
    composition = selectors.composition_get(user=request.user, composition_id=composition_id)
    services.composition_delete(composition=composition)
    messages.success(request, f"Deleted “{composition.title}”.")
    return redirect("compositions:library")


def _safe_next(request) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "compositions:library"


def _file(request, composition_id: int, kind: str, as_attachment: bool) -> HttpResponse:
    composition: Composition = selectors.composition_get(user=request.user, composition_id=composition_id)
    try:
        return downloads.file_response(
            request=request, composition=composition, kind=kind, as_attachment=as_attachment
        )
    except downloads.FileNotReady as error:
        return HttpResponse(str(error), status=409, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def midi(request, composition_id: int):
    return _file(request, composition_id, "midi", as_attachment=True)


@login_required
@require_GET
def audio(request, composition_id: int):
    return _file(request, composition_id, "audio", as_attachment=request.GET.get("download") == "1")


@login_required
@require_GET
def piano_roll(request, composition_id: int):
    return _file(request, composition_id, "piano_roll", as_attachment=False)
