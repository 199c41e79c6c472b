"""The outbox: written in the transaction of the change, dispatched at least once, planned once."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from retour.events.models import OutboxEvent
from retour.events.outbox import emit
from retour.notifications import jobs
from retour.notifications.dispatch import plan_event
from retour.notifications.models import Delivery
from retour.returns import services as returns
from tests.factories import SYSTEM
from tests.notifications.helpers import drain, open_return


class Boom(Exception):
    pass


def test_a_transition_writes_its_event_and_its_dispatch_job(order_a):
    return_request = open_return(order_a)
    returns.approve_return(return_request=return_request, actor=SYSTEM)

    event = OutboxEvent.objects.get(type="return.approved")
    assert event.store_id == order_a.store_id
    assert event.payload["return"]["rma"] == return_request.rma
    assert event.payload["from_status"] == "requested"
    jobs_for_event = DBTaskResult.objects.filter(
        task_path=jobs.dispatch_event.module_path, args_kwargs__args=[str(event.pk)]
    )
    assert jobs_for_event.count() == 1


def test_a_rolled_back_change_leaves_neither_event_nor_job(order_a):
    return_request = open_return(order_a)
    events, queued = OutboxEvent.objects.count(), DBTaskResult.objects.count()

    def approve_then_fail():
        with transaction.atomic():
            returns.approve_return(return_request=return_request, actor=SYSTEM)
            raise Boom

    with pytest.raises(Boom):
        approve_then_fail()

    assert OutboxEvent.objects.count() == events
    assert DBTaskResult.objects.count() == queued


@pytest.mark.django_db(transaction=True)
def test_emit_refuses_to_run_outside_a_transaction():
    from tests.factories import StoreFactory

    store_a = StoreFactory(reasons=False)
    with pytest.raises(RuntimeError):
        emit("return.approved", store_id=store_a.pk, payload={})


def test_a_redelivered_event_plans_no_second_delivery(order_a, smtp):
    open_return(order_a)
    drain()
    event = OutboxEvent.objects.get(type="return.created")
    assert Delivery.objects.filter(event=event).count() == 1

    # As if the dispatcher crashed after planning but before recording it had.
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    assert plan_event(str(event.pk), enqueue_send=lambda *a, **k: None) == 0
    jobs.dispatch_event.enqueue(str(event.pk))
    drain()

    assert Delivery.objects.filter(event=event).count() == 1
    assert smtp.by_event()[str(event.pk)] == 1


def test_the_sweep_recovers_events_whose_job_was_lost(order_a, smtp):
    open_return(order_a)
    DBTaskResult.objects.all().delete()  # the job rows are gone: only the outbox remembers
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(minutes=10))

    jobs.sweep_outbox.enqueue()
    drain()

    event = OutboxEvent.objects.get(type="return.created")
    assert event.dispatched_at is not None
    assert smtp.by_event() == {str(event.pk): 1}


def test_the_sweep_takes_back_a_delivery_whose_worker_died(order_a, smtp):
    open_return(order_a)
    drain()
    delivery = Delivery.objects.get()
    # A worker claimed it again and died: "sending", lease run out, job row gone.
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", claimed_until=timezone.now() - timedelta(seconds=1)
    )
    DBTaskResult.objects.all().delete()

    jobs.sweep_outbox.enqueue()
    drain()

    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.attempts == 2
    # At least once: the receiver sees the same Message-ID twice and can drop the second.
    assert set(smtp.message_ids().values()) == {2}
