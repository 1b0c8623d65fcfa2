"""The job's bookkeeping: claiming, idempotent saving, deletion mid-job, the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from compositions.models import Composition
from compositions.services import (
    RenderedPiece,
    composition_create,
    composition_delete,
    composition_job_claim,
    composition_job_fail,
    composition_job_save,
    composition_sweep,
)

Status = Composition.Status


def _rendered() -> RenderedPiece:
    return RenderedPiece(
        midi=b"MThd-fake-midi",
        audio=b"OggS-audio",
        piano_roll=b"\x89PNG-roll",
        duration_seconds=12.5,
        metrics={"empty_bars": 0.0},
    )


@pytest.fixture
def composition(user):
    return composition_create(user=user, mood="calm", style="folk", seed=3)


def _stored_files(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_a_claimed_job_is_running_with_its_token(composition):
    claimed = composition_job_claim(composition_id=composition.pk, job_token="delivery-1")
    assert claimed is not None
    composition.refresh_from_db()
    assert (composition.status, composition.job_token, composition.attempts) == (
        Status.RUNNING,
        "delivery-1",
        1,
    )


def test_a_live_job_is_not_taken_by_another_delivery(composition):
    composition_job_claim(composition_id=composition.pk, job_token="delivery-1")
    assert composition_job_claim(composition_id=composition.pk, job_token="delivery-2") is None


def test_the_same_delivery_redelivered_takes_over_at_once(composition):
    composition_job_claim(composition_id=composition.pk, job_token="delivery-1")
    assert composition_job_claim(composition_id=composition.pk, job_token="delivery-1") is not None
    composition.refresh_from_db()
    assert composition.attempts == 2


def test_a_silent_job_is_taken_by_another_delivery(composition, settings):
    composition_job_claim(composition_id=composition.pk, job_token="delivery-1")
    Composition.objects.filter(pk=composition.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.COMPOSITION_STALE_SECONDS + 1)
    )
    assert composition_job_claim(composition_id=composition.pk, job_token="delivery-2") is not None


def test_a_finished_job_is_never_run_again(composition):
    claimed = composition_job_claim(composition_id=composition.pk, job_token="d1")
    composition_job_save(composition=claimed, rendered=_rendered())
    assert composition_job_claim(composition_id=composition.pk, job_token="d2") is None
    assert composition_job_claim(composition_id=composition.pk, job_token="d1") is None


def test_saving_marks_ready_with_files_at_their_deterministic_names(composition, media_in_tmp):
    claimed = composition_job_claim(composition_id=composition.pk, job_token="d1")
    ready = composition_job_save(composition=claimed, rendered=_rendered())
    assert ready.status == Status.READY and ready.stage == "ready"
    assert ready.midi_file.name == f"compositions/{composition.owner_id}/{composition.pk}/composition.mid"
    assert default_storage.open(ready.audio_file.name).read() == b"OggS-audio"
    assert ready.duration_seconds == 12.5 and ready.metrics == {"empty_bars": 0.0}


def test_a_rerun_overwrites_the_files_and_never_adds_any(composition, media_in_tmp):
    claimed = composition_job_claim(composition_id=composition.pk, job_token="d1")
    composition_job_save(composition=claimed, rendered=_rendered())
    first = _stored_files(media_in_tmp)
    # A second run of the same job (e.g. a redelivered message after the row was reset).
    Composition.objects.filter(pk=composition.pk).update(status=Status.QUEUED, job_token="")
    again = composition_job_claim(composition_id=composition.pk, job_token="d2")
    composition_job_save(composition=again, rendered=_rendered())
    assert _stored_files(media_in_tmp) == first == ["composition.mid", "composition.ogg", "piano_roll.png"]
    assert Composition.objects.count() == 1


def test_a_job_whose_row_was_deleted_leaves_no_files(
    composition, media_in_tmp, django_capture_on_commit_callbacks
):
    claimed = composition_job_claim(composition_id=composition.pk, job_token="d1")
    with django_capture_on_commit_callbacks(execute=True):
        composition_delete(composition=composition)
    with django_capture_on_commit_callbacks(execute=True):
        assert composition_job_save(composition=claimed, rendered=_rendered()) is None
    assert _stored_files(media_in_tmp) == []


def test_deleting_a_ready_composition_removes_its_files(
    composition, media_in_tmp, django_capture_on_commit_callbacks
):
    claimed = composition_job_claim(composition_id=composition.pk, job_token="d1")
    composition_job_save(composition=claimed, rendered=_rendered())
    assert len(_stored_files(media_in_tmp)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        composition_delete(composition=Composition.objects.get(pk=composition.pk))
    assert _stored_files(media_in_tmp) == []
    assert not Composition.objects.exists()


def test_a_taken_over_delivery_does_not_overwrite_the_new_owners_state(composition):
    first = composition_job_claim(composition_id=composition.pk, job_token="d1")
    Composition.objects.filter(pk=composition.pk).update(job_token="d2")
    assert composition_job_save(composition=first, rendered=_rendered()) is None
    composition.refresh_from_db()
    assert composition.status == Status.RUNNING


def test_failing_keeps_a_user_readable_message(composition):
    composition_job_claim(composition_id=composition.pk, job_token="d1")
    assert composition_job_fail(composition_id=composition.pk, message="No SoundFont found.", job_token="d1")
    composition.refresh_from_db()
    assert (composition.status, composition.stage, composition.error_message) == (
        Status.FAILED,
        "failed",
        "No SoundFont found.",
    )
    assert composition.finished_at is not None


def test_a_job_that_fails_after_saving_some_files_leaves_none(
    composition, media_in_tmp, django_capture_on_commit_callbacks
):
    composition_job_claim(composition_id=composition.pk, job_token="d1")
    # The MIDI was saved, then storage broke before the audio: what the attempt wrote goes.
    default_storage.save(composition.storage_names()["midi"], ContentFile(b"MThd"))
    with django_capture_on_commit_callbacks(execute=True):
        composition_job_fail(composition_id=composition.pk, message="Storage unavailable.", job_token="d1")
    assert _stored_files(media_in_tmp) == []


def test_the_sweep_requeues_a_running_job_whose_worker_went_silent(composition, settings):
    composition_job_claim(composition_id=composition.pk, job_token="d1")
    later = timezone.now() + timedelta(seconds=settings.COMPOSITION_STALE_SECONDS + 1)
    result = composition_sweep(now=later, enqueue=False)
    composition.refresh_from_db()
    assert result.requeued == [composition.pk]
    assert (composition.status, composition.job_token) == (Status.QUEUED, "")


def test_the_sweep_leaves_live_jobs_and_fresh_queued_jobs_alone(composition, user):
    composition_job_claim(composition_id=composition.pk, job_token="d1")
    composition_create(user=user, mood="sad", style="folk")
    result = composition_sweep(enqueue=False)
    assert result.requeued == [] and result.failed == []


def test_the_sweep_fails_a_job_started_too_many_times(composition, settings):
    Composition.objects.filter(pk=composition.pk).update(
        status=Status.RUNNING, attempts=settings.COMPOSITION_MAX_ATTEMPTS, job_token="d9"
    )
    later = timezone.now() + timedelta(seconds=settings.COMPOSITION_STALE_SECONDS + 1)
    result = composition_sweep(now=later, enqueue=False)
    composition.refresh_from_db()
    assert result.failed == [composition.pk]
    assert composition.status == Status.FAILED and "stopped unexpectedly" in composition.error_message


def test_the_sweep_resends_a_queued_job_whose_message_was_lost(composition, settings):
    later = timezone.now() + timedelta(seconds=10 * settings.COMPOSITION_STALE_SECONDS + 1)
    assert composition_sweep(now=later, enqueue=False).requeued == [composition.pk]
