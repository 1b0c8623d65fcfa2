"""The Celery application, and `enqueue`, the one way our code starts a background job.

With a broker (`CELERY_BROKER_URL`), jobs go to Celery workers. Embedded (no broker),
jobs run in this process on a small thread pool, still after the request has returned,
so a fresh machine needs no separate worker and no request ever waits for a job.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echoes_site.settings")

app = Celery("echoes")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)
_embedded_pool: ThreadPoolExecutor | None = None


def _embedded_executor() -> ThreadPoolExecutor:
    global _embedded_pool
    if _embedded_pool is None:
        _embedded_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedded-job")
    return _embedded_pool


def _run_embedded(task: Any, args: tuple, kwargs: dict) -> None:
    from django.db import close_old_connections

    close_old_connections()
    try:
        task.apply(args=args, kwargs=kwargs, throw=False)
    except Exception:
        logger.exception("embedded job %s failed", task.name)
    finally:
        close_old_connections()


def enqueue(task: Any, *args: Any, **kwargs: Any) -> None:
    """Start `task(*args, **kwargs)` in the background: on a worker, or embedded in-process.

    Call it inside `transaction.on_commit` so the job never reads uncommitted rows.
    """
    from django.conf import settings

    if settings.CELERY_EMBEDDED:
        _embedded_executor().submit(_run_embedded, task, args, kwargs)
    else:
        task.apply_async(args=args, kwargs=kwargs)
