"""Webhooks against a real local HTTP receiver that checks the signature."""

import time

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from retour.core.errors import InvalidRequest
from retour.events.models import OutboxEvent
from retour.notifications import services
from retour.notifications.models import Delivery, DeliveryAttempt, WebhookEndpoint
from retour.notifications.webhooks import sign, verify_signature
from retour.returns import services as returns
from tests.factories import SYSTEM
from tests.notifications.helpers import drain, open_return


@pytest.fixture
def endpoint(store_a, receiver):
    url = receiver.start()
    created = services.create_endpoint(store=store_a, url=url, actor=SYSTEM)
    receiver.secret = created.secret
    return created.endpoint


def _make_due():
    """Time passes: every retry waiting for its backoff is due now."""
    Delivery.objects.filter(status="failed").update(next_attempt_at=timezone.now())
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_each_event_is_posted_signed_with_its_id_and_version(order_a, endpoint, receiver):
    return_request = open_return(order_a)
    returns.approve_return(return_request=return_request, actor=SYSTEM)
    drain()

    events = {str(pk) for pk in OutboxEvent.objects.values_list("pk", flat=True)}
    assert {r["event_id"] for r in receiver.requests} == events
    assert all(r["valid"] for r in receiver.requests)
    approved = next(r["body"] for r in receiver.requests if r["body"]["type"] == "return.approved")
    assert approved["version"] == 1
    assert approved["store"]["slug"] == "store-a"
    assert approved["data"]["return"]["rma"] == return_request.rma
    assert approved["data"]["from_status"] == "requested"


def test_the_endpoint_only_gets_the_events_it_asked_for(order_a, receiver, store_a):
    created = services.create_endpoint(
        store=store_a, url=receiver.start(), actor=SYSTEM, events=["return.approved"]
    )
    receiver.secret = created.secret
    return_request = open_return(order_a)
    returns.approve_return(return_request=return_request, actor=SYSTEM)
    drain()

    assert [r["body"]["type"] for r in receiver.requests] == ["return.approved"]


def test_a_failing_receiver_is_retried_with_backoff_then_succeeds(order_a, endpoint, receiver):
    receiver.statuses = [500, 503]
    open_return(order_a)
    drain()
    delivery = Delivery.objects.get(channel="webhook")
    assert delivery.status == "failed"
    assert delivery.next_attempt_at > timezone.now()

    _make_due()
    drain()
    _make_due()
    drain()

    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.attempts == 3
    assert [r["attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert [a.status_code for a in DeliveryAttempt.objects.filter(delivery=delivery)] == [
        500,
        503,
        200,
    ]
    assert sum(receiver.effects.values()) == 1
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_the_backoff_grows_and_has_jitter(settings):
    from retour.core.jobs import backoff_delay

    delays = [[backoff_delay(attempt, base=10, cap=3600) for _ in range(50)] for attempt in (1, 4)]
    assert all(5 <= d <= 10 for d in delays[0])
    assert all(40 <= d <= 80 for d in delays[1])
    assert len(set(delays[1])) > 1
    assert backoff_delay(30, base=10, cap=3600) <= 3600


def test_an_endpoint_is_disabled_after_repeated_failures(
    order_a, endpoint, receiver, settings, fast_retries
):
    settings.RETOUR_WEBHOOKS = {**settings.RETOUR_WEBHOOKS, "DISABLE_AFTER": 3}
    receiver.statuses = [500] * 10
    return_request = open_return(order_a)
    returns.approve_return(return_request=return_request, actor=SYSTEM)
    drain(rounds=10)

    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    assert "3 failures in a row" in endpoint.disabled_reason
    assert len(receiver.requests) == 3
    assert set(Delivery.objects.filter(channel="webhook").values_list("status", flat=True)) == {
        "abandoned"
    }


def test_a_disabled_endpoint_gets_nothing_new_and_replay_works_once_enabled(
    order_a, endpoint, receiver, settings, fast_retries
):
    settings.RETOUR_WEBHOOKS = {**settings.RETOUR_WEBHOOKS, "DISABLE_AFTER": 1}
    receiver.statuses = [500]
    return_request = open_return(order_a)
    drain()
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None

    returns.approve_return(return_request=return_request, actor=SYSTEM)
    drain()
    assert len(receiver.requests) == 1  # nothing new planned for a disabled endpoint

    delivery = Delivery.objects.get(channel="webhook")
    with pytest.raises(InvalidRequest):
        services.replay_delivery(delivery=delivery, actor=SYSTEM)
    services.enable_endpoint(endpoint=endpoint, actor=SYSTEM)
    services.replay_delivery(delivery=delivery, actor=SYSTEM)
    drain()

    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert receiver.requests[-1]["event_id"] == str(delivery.event_id)
    assert sum(receiver.effects.values()) == 1


def test_a_replayed_delivery_is_recognised_by_the_receiver(order_a, endpoint, receiver):
    open_return(order_a)
    drain()
    delivery = Delivery.objects.get(channel="webhook")

    services.replay_delivery(delivery=delivery, actor=SYSTEM)
    drain()

    assert len(receiver.requests) == 2
    assert receiver.requests[0]["event_id"] == receiver.requests[1]["event_id"]
    assert sum(receiver.effects.values()) == 1  # the effect happened once


def test_410_gone_disables_the_endpoint_at_once(order_a, endpoint, receiver):
    receiver.statuses = [410]
    open_return(order_a)
    drain()
    endpoint.refresh_from_db()
    assert endpoint.disabled_reason == "410 Gone"


def test_the_signature_refuses_tampering_and_old_timestamps():
    body = b'{"id":"1"}'
    header = sign("whsec_x", body)
    assert verify_signature("whsec_x", body, header)
    assert not verify_signature("whsec_x", body + b" ", header)
    assert not verify_signature("whsec_y", body, header)
    old = sign("whsec_x", body, timestamp=int(time.time()) - 600)
    assert not verify_signature("whsec_x", body, old)
    assert not verify_signature("whsec_x", body, "garbage")


def test_the_secret_is_shown_once_and_masked_after(store_a):
    created = services.create_endpoint(store=store_a, url="https://shop.example/hook", actor=SYSTEM)
    assert created.secret.startswith("whsec_")
    stored = WebhookEndpoint.objects.get(pk=created.endpoint.pk)
    assert stored.masked_secret == created.secret[:10] + "…"
    with pytest.raises(InvalidRequest):
        services.create_endpoint(store=store_a, url="file:///etc/passwd", actor=SYSTEM)
