"""The figures for monitoring and the dashboard, and the worker's command."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from retour.core.jobs import Scheduler
from retour.notifications import jobs
from tests.notifications.helpers import drain, open_return


def test_the_queue_health_counts_waiting_jobs_and_deliveries(client, order_a, smtp):
    open_return(order_a)
    answer = client.get("/healthz/queue")

    assert answer.status_code == 200
    figures = answer.json()
    assert figures["status"] == "ok"
    assert figures["jobs"]["ready"] == 1
    assert figures["notifications"]["outbox"]["undispatched"] == 1

    drain()
    figures = client.get("/healthz/queue").json()
    assert figures["jobs"]["ready"] == 0
    assert figures["notifications"]["deliveries"]["sent"] == 1


def test_the_health_figure_degrades_when_no_worker_runs(client, order_a):
    open_return(order_a)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=10))

    answer = client.get("/healthz/queue")

    assert answer.status_code == 503
    assert answer.json()["status"] == "degraded"


def test_the_scheduler_enqueues_each_periodic_job_once_while_it_waits(db):
    scheduler = Scheduler()
    first = scheduler.tick(now=0)
    assert jobs.sweep_outbox.module_path in first
    # Due again, but its previous run has not been taken yet: not enqueued twice.
    assert scheduler.tick(now=10_000) == []
    waiting = DBTaskResult.objects.filter(task_path=jobs.sweep_outbox.module_path)
    assert waiting.count() == 1


def test_the_worker_lists_its_scheduled_jobs(capsys, db):
    call_command("worker", "--list-scheduled")
    out = capsys.readouterr().out
    assert "retour.notifications.jobs.sweep_outbox  every 30 s" in out
    assert "send_expiry_reminders" in out
