"""The job layer: every background and scheduled piece of work in Retour goes through here.

It is Django's Tasks API (the `django-tasks` backport of `django.tasks`), so a job is a function
decorated with `@job` and started with `.enqueue(...)`. The backend is chosen by configuration
(`RETOUR_TASKS_BACKEND`, ADR 0004): by default `django-tasks-db`, whose queue is a table of the
application's own database. Enqueueing inside a transaction therefore commits or rolls back with
the business change, on SQLite (the embedded default, no other service) as on PostgreSQL (many
`retour worker` processes on many hosts).

What the Tasks API lacks, and this module adds:

- retries with exponential backoff and jitter (`backoff_delay`, `enqueue_retry`);
- scheduled jobs (`@periodic`), enqueued by the scheduler that `retour worker` runs;
- the figures of the queue for the dashboard and monitoring (`queue_figures`).

A job must be idempotent: a worker killed in the middle of one leaves its row "running" and the
work is taken up again by the sweep of whoever owns the state (e.g. the notifications outbox).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks import TaskResultStatus, task, task_backends
from django_tasks.base import Task

logger = logging.getLogger(__name__)

job = task
"""Declare a job: `@job` (or `@job(priority=…)`) on a module-level function with JSON arguments."""


def _jobs_setting(name: str) -> int:
    return int(settings.RETOUR_JOBS[name])


def backoff_delay(attempt: int, *, base: float | None = None, cap: float | None = None) -> float:
    """Seconds to wait before try number `attempt + 1` (attempt counts from 1).

    Exponential with "equal jitter": half of `min(cap, base × 2^(attempt-1))` plus a random part
    of the other half, so retries of many failed deliveries spread out but still grow.
    """
    base = _jobs_setting("BACKOFF_BASE") if base is None else base
    cap = _jobs_setting("BACKOFF_CAP") if cap is None else cap
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def enqueue_in(job_: Task, delay: float, *args: Any, **kwargs: Any):
    """Enqueue `job_` to run no earlier than `delay` seconds from now."""
    if delay <= 0:
        return job_.enqueue(*args, **kwargs)
    run_after = timezone.now() + timedelta(seconds=delay)
    return job_.using(run_after=run_after).enqueue(*args, **kwargs)


def enqueue_retry(job_: Task, *args: Any, attempt: int, **kwargs: Any) -> bool:
    """Enqueue `job_` again after the backoff of `attempt`; False once attempts are exhausted.

    The job receives `attempt=attempt + 1`; it is the job's business to know what a failure means.
    """
    if attempt >= _jobs_setting("MAX_ATTEMPTS"):
        return False
    enqueue_in(job_, backoff_delay(attempt), *args, attempt=attempt + 1, **kwargs)
    return True


# ---- scheduled jobs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Periodic:
    task: Task
    every: Callable[[], timedelta]
    description: str

    @property
    def name(self) -> str:
        return self.task.module_path


_PERIODIC: dict[str, Periodic] = {}


def periodic(*, every: timedelta | Callable[[], timedelta], description: str):
    """Register a job (already decorated with `@job`) to be enqueued every `every`.

    `every` may be a callable so that the period can come from settings read at run time. The
    scheduler enqueues it when `retour worker` starts (which is also how a crash is recovered
    from) and then at that interval; it is not enqueued while a run of it is still waiting.
    """

    def register(job_: Task) -> Task:
        interval = every if callable(every) else (lambda: every)
        _PERIODIC[job_.module_path] = Periodic(job_, interval, description)
        return job_

    return register


def periodic_jobs() -> list[Periodic]:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("jobs")  # each app's `jobs` module registers its periodic jobs
    return sorted(_PERIODIC.values(), key=lambda item: item.name)


def _waiting(job_: Task) -> bool:
    """Is a run of `job_` already queued? Only the database backend can tell; others say no."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(job_.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=job_.module_path
    ).exists()


class Scheduler:
    """Enqueues the periodic jobs when they are due. One per `retour worker` process; with several
    workers each enqueues too, which costs a duplicate run of an idempotent sweep at worst (run
    `retour worker --no-scheduler` on all hosts but one to avoid it)."""

    def __init__(self) -> None:
        self.next_run: dict[str, float] = {}

    def tick(self, now: float | None = None) -> list[str]:
        now = time.monotonic() if now is None else now
        enqueued = []
        for item in periodic_jobs():
            if self.next_run.get(item.name, 0.0) > now:
                continue
            self.next_run[item.name] = now + item.every().total_seconds()
            if not _waiting(item.task):
                item.task.enqueue()
                enqueued.append(item.name)
        return enqueued

    def run_forever(self, stop: threading.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            try:
                close_old_connections()
                self.tick()
            except Exception:
                logger.exception("scheduler tick failed")
            stop.wait(interval)
        connections.close_all()


# ---- the worker ---------------------------------------------------------------------------------


def run_worker(
    *,
    queues: str = "*",
    interval: float = 1.0,
    batch: bool = False,
    max_tasks: int | None = None,
    worker_id: str | None = None,
    scheduler: bool = True,
) -> None:
    """Run jobs until stopped (SIGTERM/SIGINT finish the current job first).

    With `batch`, run what is ready (after one scheduler tick) and return.
    """
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=queues.split(","),
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=max_tasks,
        worker_id=worker_id or get_random_string(32),
        excluded_queue_names=[],
    )
    stop = threading.Event()
    thread = None
    if scheduler:
        if batch:
            Scheduler().tick()
        else:
            thread = threading.Thread(
                target=Scheduler().run_forever, args=(stop,), name="scheduler", daemon=True
            )
            thread.start()
    try:
        if not batch:
            worker.configure_signals()
        worker.run()
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=5)


def run_ready_jobs(limit: int = 10_000) -> int:
    """Run, in this process, the jobs that are due now; returns how many ran. For tests and
    maintenance; production runs `retour worker`."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="in-process",
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        result = DBTaskResult.objects.ready().first()
        if result is None:
            break
        result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    return ran


# ---- figures ------------------------------------------------------------------------------------


def queue_figures() -> dict[str, Any]:
    """Queue depth, failures and retries of the job queue (database backend)."""
    from django.db.models import Count, Min, Q
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = task_backends["default"]
    if not isinstance(backend, DatabaseBackend):
        return {"backend": type(backend).__name__}
    from django_tasks_db.models import get_date_max

    now = timezone.now()
    waiting = Q(status=TaskResultStatus.READY)
    due = waiting & (Q(run_after=get_date_max()) | Q(run_after__lte=now))
    rows = DBTaskResult.objects.aggregate(
        ready=Count("id", filter=due),
        scheduled=Count("id", filter=waiting & Q(run_after__gt=now) & ~Q(run_after=get_date_max())),
        running=Count("id", filter=Q(status=TaskResultStatus.RUNNING)),
        failed_24h=Count(
            "id",
            filter=Q(status=TaskResultStatus.FAILED, finished_at__gte=now - timedelta(days=1)),
        ),
        succeeded_1h=Count(
            "id",
            filter=Q(status=TaskResultStatus.SUCCESSFUL, finished_at__gte=now - timedelta(hours=1)),
        ),
        oldest_ready=Min("enqueued_at", filter=due),
    )
    oldest = rows.pop("oldest_ready")
    rows["oldest_ready_age_seconds"] = round((now - oldest).total_seconds(), 1) if oldest else 0.0
    rows["backend"] = "django_tasks_db"
    return rows
