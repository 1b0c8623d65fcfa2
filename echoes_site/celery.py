"""The Celery application, and `enqueue`, the one way our code starts a background job.

With a broker (`CELERY_BROKER_URL`), jobs go to Celery workers. Embedded (no broker),
jobs go to the job process this server starts and supervises (echoes_site.embedded_jobs),
still after the request has returned: a fresh machine needs no separate worker, no
request ever waits for a job, and a job that crashes cannot take the server down.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echoes_site.settings")

app = Celery("echoes")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue(task: Any, *args: Any, **kwargs: Any) -> None:
    """Start `task(*args, **kwargs)` in the background: on a worker, or in the job process.

    Call it inside `transaction.on_commit` so the job never reads uncommitted rows.
    """
    from django.conf import settings

    if settings.CELERY_EMBEDDED:
        from echoes_site.embedded_jobs import runner

        runner().submit(task, args, kwargs)
    else:
        task.apply_async(args=args, kwargs=kwargs)
