"""The S3 path: files go to a bucket through django-storages, downloads redirect to
short-lived signed URLs (which answer a player's Range requests themselves), deleting
removes the objects. The S3-compatible server is moto's
server mode (`moto[server]` from PyPI: `python -m moto.server -p PORT`)."""

from __future__ import annotations

import io
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import boto3
import pretty_midi
import pytest
import requests

from tests.conftest import free_port, stop_process, wait_for_port
from tests.integration.compositions.conftest import make_user

pytestmark = pytest.mark.timeout(300)

BUCKET = "echoes-test-compositions"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_S3_REGION_NAME": "us-east-1",
}


@pytest.fixture
def s3_server(tmp_path):
    port = free_port()
    log = tmp_path / "moto.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log)
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=BUCKET)
        yield endpoint, client
    finally:
        stop_process(process)


def _keys(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_files_live_in_the_bucket_are_served_by_signed_urls_and_deleted_with_the_row(make_stack, s3_server):
    endpoint, client = s3_server
    stack = make_stack(
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL=endpoint,
        AWS_QUERYSTRING_EXPIRE="120",
        **CREDENTIALS,
    )
    stack.start_worker()
    user = make_user("clouded")
    api = stack.api(user)
    composition_id = api.post(
        stack.url("/api/v1/compositions/"), json={"mood": "excited", "style": "folk", "bars": 4}
    ).json()["id"]
    final = stack.wait_for_status(api, composition_id, {"ready", "failed"})
    assert final["status"] == "ready", final

    folder = f"compositions/{user.pk}/{composition_id}"
    assert _keys(client) == [
        f"{folder}/composition.mid",
        f"{folder}/composition.ogg",
        f"{folder}/piano_roll.png",
    ]
    assert not (stack.media).exists()  # nothing went to the file system

    redirect = api.get(stack.url(final["files"]["midi"]), allow_redirects=False)
    assert redirect.status_code == 302
    signed = urlparse(redirect.headers["Location"])
    assert f"{signed.scheme}://{signed.netloc}" == endpoint
    query = parse_qs(signed.query)
    assert "X-Amz-Signature" in query and query["X-Amz-Expires"] == ["120"]
    body = requests.get(redirect.headers["Location"], timeout=20)
    assert body.status_code == 200
    assert pretty_midi.PrettyMIDI(io.BytesIO(body.content)).instruments

    # The player seeks on the signed URL: S3 (here moto's server) answers the range.
    audio = api.get(stack.url(final["files"]["audio"]) + "?download=0", allow_redirects=False)
    assert audio.status_code == 302
    whole = requests.get(audio.headers["Location"], timeout=20).content
    part = requests.get(audio.headers["Location"], headers={"Range": "bytes=100-1099"}, timeout=20)
    assert part.status_code == 206 and part.headers["Accept-Ranges"] == "bytes"
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(whole)}" and part.content == whole[100:1100]
    tail = requests.get(audio.headers["Location"], headers={"Range": "bytes=-512"}, timeout=20)
    assert tail.status_code == 206 and tail.content == whole[-512:]

    assert api.delete(stack.url(f"/api/v1/compositions/{composition_id}/")).status_code == 204
    assert _keys(client) == []
