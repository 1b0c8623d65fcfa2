"""Serving a composition's private files to its owner.

File system: stream the file from storage through this authenticated view (there is no
public media URL). S3: redirect to a short-lived signed URL (AWS_QUERYSTRING_EXPIRE
seconds), so the bytes never pass through the web server. The rule is decided by the
storage itself: one that has local paths streams, one that has none signs URLs.
"""

from __future__ import annotations

import re

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect

from compositions.models import Composition

KINDS = {
    "midi": ("midi_file", "audio/midi", "mid"),
    "audio": ("audio_file", "audio/ogg", "ogg"),
    "piano_roll": ("piano_roll", "image/png", "png"),
}


class FileNotReady(Exception):
    """The composition has no such file yet (it is still being made, or it failed)."""


def download_filename(composition: Composition, kind: str) -> str:
    """A friendly file name made from the title, e.g. `calm-folk.mid`."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", composition.title).strip("-").lower()[:60] or "composition"
    return f"{stem}.{KINDS[kind][2]}"


def _storage_has_paths() -> bool:
    try:
        default_storage.path("probe")
    except NotImplementedError:
        return False
    return True


def file_response(*, composition: Composition, kind: str, as_attachment: bool) -> HttpResponse:
    """The response that gives the owner this file (stream or signed redirect)."""
    field, content_type, _ = KINDS[kind]
    name = getattr(composition, field).name
    if not name:
        raise FileNotReady(
            "This composition has no file yet." if composition.in_flight else "This composition has no file."
        )
    filename = download_filename(composition, kind)
    if not _storage_has_paths():
        disposition = "attachment" if as_attachment else "inline"
        url = default_storage.url(
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": f'{disposition}; filename="{filename}"',
            },
        )
        return HttpResponseRedirect(url)
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError as error:
        raise Http404("The file of this composition is missing.") from error
    response = FileResponse(handle, as_attachment=as_attachment, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response
