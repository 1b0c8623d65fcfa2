"""Composition jobs end to end: REST → Redis broker → real Celery worker → PostgreSQL and
storage, with progress over a real WebSocket from a real daphne."""

from __future__ import annotations

import io

import mido
import numpy as np
import pretty_midi
import pytest
import soundfile

from compositions.models import Composition
from compositions.services import CRASH_MESSAGE
from compositions.tasks import MAX_RETRIES
from tests.integration.compositions.conftest import ProgressListener, make_user

pytestmark = pytest.mark.timeout(400)

BASE = "/api/v1/compositions/"


def _assert_real_midi(data: bytes, bars: int) -> None:
    midi = pretty_midi.PrettyMIDI(io.BytesIO(data))
    notes = [note for instrument in midi.instruments for note in instrument.notes]
    assert notes, "the MIDI file has no notes"
    assert midi.get_end_time() > 0
    # A second, independent reader agrees the file is well formed.
    track_notes = [
        m for track in mido.MidiFile(file=io.BytesIO(data)).tracks for m in track if m.type == "note_on"
    ]
    assert len([m for m in track_notes if m.velocity > 0]) == len(notes)
    assert bars >= 1


def _assert_audible(data: bytes) -> float:
    samples, rate = soundfile.read(io.BytesIO(data))
    assert rate > 0 and len(samples) > rate  # more than a second
    rms = float(np.sqrt(np.mean(np.square(samples))))
    assert rms > 1e-3, f"the audio is silent (rms {rms})"
    return len(samples) / rate


def _files_in(folder) -> list[str]:
    return (
        sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        if folder.exists()
        else []
    )


def test_a_composition_goes_from_queued_to_ready_with_progress_over_a_websocket(make_stack):
    stack = make_stack()
    stack.start_worker()
    user = make_user("composer")
    api = stack.api(user)
    listener = ProgressListener(stack.server.ws_url, api.headers["Authorization"].split()[1])
    try:
        snapshot = listener.wait_for(lambda e: e["type"] == "composition.snapshot", timeout=20)
        assert snapshot["compositions"] == []

        response = api.post(
            stack.url(BASE), json={"mood": "happy", "style": "folk", "bars": 8, "seed": 11, "title": "Sunny"}
        )
        assert response.status_code == 202, response.text
        composition_id = response.json()["id"]

        ready = listener.wait_for(
            lambda e: e.get("id") == composition_id and e.get("status") in {"ready", "failed"}
        )
        assert ready["status"] == "ready", ready
        stages = [e["stage"] for e in listener.events if e.get("type") == "composition.progress"]
        assert stages == ["queued", "generating", "rendering", "saving", "ready"]
    finally:
        listener.close()

    detail = api.get(stack.url(f"{BASE}{composition_id}/")).json()
    assert detail["status"] == "ready" and detail["duration_seconds"] > 0 and detail["metrics"]

    midi = api.get(stack.url(detail["files"]["midi"]))
    assert midi.status_code == 200 and midi.headers["Content-Type"] == "audio/midi"
    _assert_real_midi(midi.content, bars=8)

    audio = api.get(stack.url(detail["files"]["audio"]))
    assert audio.status_code == 200 and audio.headers["Accept-Ranges"] == "bytes"
    seconds = _assert_audible(audio.content)
    # The duration shown is the file's own, to the sample (not the MIDI's nominal length).
    assert seconds == pytest.approx(detail["duration_seconds"], abs=1e-3)

    # A player seeking through daphne gets exactly the bytes it asks for.
    size = len(audio.content)
    middle = api.get(stack.url(detail["files"]["audio"]), headers={"Range": "bytes=100-1099"})
    assert middle.status_code == 206 and middle.content == audio.content[100:1100]
    assert middle.headers["Content-Range"] == f"bytes 100-1099/{size}"
    tail = api.get(stack.url(detail["files"]["audio"]), headers={"Range": "bytes=-512"})
    assert tail.status_code == 206 and tail.content == audio.content[-512:]
    beyond = api.get(stack.url(detail["files"]["audio"]), headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{size}"

    roll = api.get(stack.url(detail["files"]["piano_roll"]))
    assert roll.content.startswith(b"\x89PNG")

    folder = f"compositions/{user.pk}/{composition_id}"
    assert _files_in(stack.media) == [
        f"{folder}/composition.mid",
        f"{folder}/composition.ogg",
        f"{folder}/piano_roll.png",
    ]

    # Another user sees none of it; the owner's delete removes the files.
    stranger = stack.api(make_user("stranger"))
    for suffix in ("", "status/", "midi/", "audio/", "piano-roll/"):
        assert stranger.get(stack.url(f"{BASE}{composition_id}/{suffix}")).status_code == 404
    assert stranger.post(stack.url(f"{BASE}{composition_id}/rename/"), json={"title": "x"}).status_code == 404
    assert stranger.delete(stack.url(f"{BASE}{composition_id}/")).status_code == 404
    assert api.delete(stack.url(f"{BASE}{composition_id}/")).status_code == 204
    assert _files_in(stack.media) == []
    assert not Composition.objects.filter(pk=composition_id).exists()


def test_a_job_whose_worker_is_killed_is_finished_by_another_worker(make_stack):
    stack = make_stack()
    user = make_user("unlucky")
    api = stack.api(user)
    composition_id = api.post(
        stack.url(BASE), json={"mood": "calm", "style": "chorale", "bars": 8, "seed": 5}
    ).json()["id"]
    # The job is waiting when the worker starts, so it runs while the worker's process is
    # still loading the generator: a wide window to kill it mid-job.
    first = stack.start_worker()
    stack.wait_for_status(api, composition_id, {"running", "ready", "failed"}, timeout=120)
    first.kill()  # SIGKILL the worker and its pool child while the job runs
    killed_at = Composition.objects.get(pk=composition_id)
    stack.start_worker()

    final = stack.wait_for_status(api, composition_id, {"ready", "failed"}, timeout=180)
    assert final["status"] == "ready", final
    composition = Composition.objects.get(pk=composition_id)
    # The kill landed mid-job (the job was running), and a second delivery finished it.
    assert killed_at.status == "running", killed_at.status
    assert composition.attempts == 2
    assert Composition.objects.filter(owner=user).count() == 1
    folder = f"compositions/{user.pk}/{composition_id}"
    assert _files_in(stack.media) == [
        f"{folder}/composition.mid",
        f"{folder}/composition.ogg",
        f"{folder}/piano_roll.png",
    ]


def test_a_failing_storage_ends_the_job_failed_with_a_message_after_retries(make_stack, tmp_path):
    # MEDIA_ROOT is a file, not a folder: every save fails with an OSError, as a broken
    # or full disk would. The job retries with back-off, then fails and says why.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("occupied")
    stack = make_stack(MEDIA_ROOT=str(blocker))
    stack.start_worker()
    api = stack.api(make_user("unsaved"))
    composition_id = api.post(
        stack.url(BASE), json={"mood": "sad", "style": "folk", "bars": 2, "seed": 1}
    ).json()["id"]
    final = stack.wait_for_status(api, composition_id, {"ready", "failed"}, timeout=240)
    assert final["status"] == "failed"
    assert "storage" in final["error"].lower()
    assert Composition.objects.get(pk=composition_id).attempts == 4  # the first run and 3 retries
    assert blocker.read_text() == "occupied"


POISON_SEED = 666


@pytest.mark.timeout(900)  # four cold pool processes, each loading TensorFlow on a shared CPU
def test_a_job_that_segfaults_its_worker_process_ends_failed_after_its_tries(make_stack):
    """Celery mode: the job's pool process dies of SIGSEGV on every try (the fault hook).
    Celery retries it (retry_on_worker_lost) and then fails it; the worker lives on."""
    stack = make_stack(
        COMPOSITION_FAULT_INJECTION=f"segv:{POISON_SEED}",
        # Each try starts a cold pool process (TensorFlow and the generator load inside the
        # job); on a saturated CPU that outlasted the 120 s soft limit, and the 6 s stale
        # heartbeat made the sweep resend the job. This test is about Celery's own retries
        # of a crashed job, not time limits or the sweep.
        COMPOSITION_SOFT_TIME_LIMIT="600",
        COMPOSITION_TIME_LIMIT="660",
        COMPOSITION_STALE_SECONDS="300",
    )
    worker = stack.start_worker()
    api = stack.api(make_user("poisoned"))
    poison = api.post(stack.url(BASE), json={"mood": "sad", "style": "folk", "bars": 1, "seed": POISON_SEED})
    final = stack.wait_for_status(api, poison.json()["id"], {"ready", "failed"}, timeout=700)
    assert final["status"] == "failed" and final["error"] == CRASH_MESSAGE, final
    row = Composition.objects.get(pk=poison.json()["id"])
    log = worker.log.read_text(errors="replace")
    crashes = log.count("exited with 'signal 11 (SIGSEGV)'")
    # Celery's main process retried the lost job itself, and gave up after max_retries.
    assert "retry: Retry in 2s: WorkerLostError" in log, log[-3000:]
    assert 2 <= crashes <= 1 + MAX_RETRIES and row.attempts <= 1 + MAX_RETRIES, (crashes, row.attempts)

    # The same worker (its main process respawned the pool process) makes the next piece,
    # and the poison job never runs again.
    assert worker.process.poll() is None
    healthy = api.post(stack.url(BASE), json={"mood": "calm", "style": "folk", "bars": 1, "seed": 3})
    assert (
        stack.wait_for_status(api, healthy.json()["id"], {"ready", "failed"}, timeout=300)["status"]
        == "ready"
    )
    assert worker.log.read_text(errors="replace").count("exited with 'signal 11 (SIGSEGV)'") == crashes
