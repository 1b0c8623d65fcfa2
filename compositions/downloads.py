"""Serving a composition's private files to its owner.

File system: stream the file from storage through this authenticated view (there is no
public media URL), answering `Range` requests (206 Partial Content, `Accept-Ranges:
bytes`) so that players can seek: Django's FileResponse alone always sends the whole file.
The header is parsed by Werkzeug's parser (RFC 9110 syntax, suffix ranges included); a
range past the end is 416, a malformed or multi-part one is ignored (the whole file, as
RFC 9110 allows), and `If-Range` with a stale validator gets the whole file.
S3: redirect to a short-lived signed URL (AWS_QUERYSTRING_EXPIRE seconds), so the bytes
never pass through the web server; S3 itself answers the player's ranges. The rule is
decided by the storage itself: one that has local paths streams, one that has none signs
URLs.
"""

from __future__ import annotations

import re
from typing import IO

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import http_date
from werkzeug.http import parse_range_header

from compositions.models import Composition

KINDS = {
    "midi": ("midi_file", "audio/midi", "mid"),
    "audio": ("audio_file", "audio/ogg", "ogg"),
    "piano_roll": ("piano_roll", "image/png", "png"),
}


class FileNotReady(Exception):
    """The composition has no such file yet (it is still being made, or it failed)."""


class RangeNotSatisfiable(Exception):
    """The requested byte range lies wholly outside the file (answered with 416)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range `[start, stop)` a `Range` header asks of a file of `size` bytes.

    None means "send the whole file": no header, another unit, bad syntax or several
    ranges (RFC 9110 lets a server ignore Range). RangeNotSatisfiable if the range starts
    at or after the end (or is an empty suffix, or the file is empty).
    """
    if not header:
        return None
    parsed = parse_range_header(header)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        return None
    start, stop = parsed.ranges[0]
    if start < 0:  # a suffix: the last -start bytes
        if size == 0:
            raise RangeNotSatisfiable
        return max(0, size + start), size
    if start >= size:
        raise RangeNotSatisfiable
    return start, size if stop is None else min(stop, size)


class _FilePart:
    """A file-like view of `length` bytes of `handle` from its current position."""

    def __init__(self, handle: IO[bytes], length: int):
        self._handle = handle
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size < 0 else min(size, self._left)
        data = self._handle.read(size)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._handle.close()


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


def file_response(
    *, request: HttpRequest, composition: Composition, kind: str, as_attachment: bool
) -> HttpResponse:
    """The response that gives the owner this file (stream, part of it, or signed redirect)."""
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
        size = default_storage.size(name)
        stamp = int(default_storage.get_modified_time(name).timestamp())
    except FileNotFoundError as error:
        raise Http404("The file of this composition is missing.") from error
    modified = http_date(stamp)
    etag = f'"{size:x}-{stamp:x}"'
    wanted = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range not in {etag, modified}:
        wanted = None  # the client's copy is of another version: it needs all of this one
    try:
        part = byte_range(wanted, size)
    except RangeNotSatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        refused["Accept-Ranges"] = "bytes"
        return refused
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError as error:
        raise Http404("The file of this composition is missing.") from error
    if part is None:
        response = FileResponse(
            handle, as_attachment=as_attachment, filename=filename, content_type=content_type
        )
    else:
        start, stop = part
        handle.seek(start)
        response = FileResponse(
            _FilePart(handle, stop - start),
            status=206,
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
        response["Content-Length"] = str(stop - start)
        response["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Last-Modified"] = modified
    response["Cache-Control"] = "private, max-age=300"
    return response
