"""Players seek: the audio route answers `Range` with 206 and exactly the bytes asked for,
suffix ranges included; a range past the end is 416; a stale `If-Range` gets the whole file."""

from __future__ import annotations

import pytest

from compositions.downloads import RangeNotSatisfiable, byte_range
from compositions.models import Composition
from compositions.services import (
    RenderedPiece,
    composition_create,
    composition_job_claim,
    composition_job_save,
)

AUDIO = bytes(range(256)) * 40  # 10,240 bytes, every offset distinguishable


def _ready_with_audio(user) -> Composition:
    composition = composition_create(user=user, mood="calm", style="folk")
    claimed = composition_job_claim(composition_id=composition.pk, job_token="t")
    return composition_job_save(
        composition=claimed,
        rendered=RenderedPiece(
            midi=b"MThd", audio=AUDIO, piano_roll=b"\x89PNG", duration_seconds=3.0, metrics={}
        ),
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", (0, 100)),
        ("bytes=100-", (100, 1000)),
        ("bytes=-100", (900, 1000)),
        ("bytes=-5000", (0, 1000)),  # a suffix longer than the file is the whole file
        ("bytes=990-5000", (990, 1000)),  # the end is clipped to the file
        ("bytes=0-1,5-6", None),  # several ranges: the whole file (RFC 9110 allows it)
        ("bytes=9-3", None),  # malformed: ignored
        ("items=0-3", None),  # another unit: ignored
    ],
)
def test_byte_range_reads_the_header_as_rfc_9110_says(header, expected):
    assert byte_range(header, 1000) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=1000-", 1000), ("bytes=5000-6000", 1000), ("bytes=-1", 0)]
)
def test_a_range_wholly_past_the_end_is_not_satisfiable(header, size):
    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, size)


@pytest.mark.parametrize(
    "route", ["/compositions/{id}/audio/", "/api/v1/compositions/{id}/audio/?download=0"]
)
def test_the_audio_route_answers_ranges_with_206_and_those_bytes(user, client, route):
    composition = _ready_with_audio(user)
    client.force_login(user)
    url = route.format(id=composition.pk)

    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == AUDIO

    part = client.get(url, HTTP_RANGE="bytes=1000-1999")
    assert part.status_code == 206 and part["Accept-Ranges"] == "bytes"
    assert part["Content-Range"] == f"bytes 1000-1999/{len(AUDIO)}" and part["Content-Length"] == "1000"
    assert part["Content-Type"] == "audio/ogg"
    assert b"".join(part.streaming_content) == AUDIO[1000:2000]

    tail = client.get(url, HTTP_RANGE="bytes=-300")
    assert tail.status_code == 206 and tail["Content-Range"] == f"bytes 9940-10239/{len(AUDIO)}"
    assert b"".join(tail.streaming_content) == AUDIO[-300:]

    rest = client.get(url, HTTP_RANGE="bytes=10000-")
    assert rest.status_code == 206 and b"".join(rest.streaming_content) == AUDIO[10000:]

    refused = client.get(url, HTTP_RANGE=f"bytes={len(AUDIO)}-")
    assert refused.status_code == 416 and refused["Content-Range"] == f"bytes */{len(AUDIO)}"


def test_if_range_with_the_current_etag_gets_the_part_and_a_stale_one_the_whole_file(user, client):
    composition = _ready_with_audio(user)
    client.force_login(user)
    url = f"/compositions/{composition.pk}/audio/"
    etag = client.get(url)["ETag"]

    current = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag)
    assert current.status_code == 206 and b"".join(current.streaming_content) == AUDIO[:10]

    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"another-version"')
    assert stale.status_code == 200 and b"".join(stale.streaming_content) == AUDIO
