"""From outbox event to delivered message, at least once and never twice for the same recipient.

1. `plan_event` (job `dispatch_event`): lock the event; unless already planned, create one
   `Delivery` per channel and recipient (unique: a second run plans nothing new), enqueue a
   `send_delivery` job for each, and mark the event dispatched, all in one transaction.
2. `send_one` (job `send_delivery`): *claim* the delivery in a short transaction (status
   `sending`, a lease of `LEASE_SECONDS`), send outside any transaction (a slow SMTP server or
   receiver holds no lock), then record the attempt and the outcome in a second transaction:
   `sent`, or `failed` with the next try after an exponential backoff with jitter (its job enqueued
   in that transaction), or `abandoned`.
3. `sweep` (periodic job): enqueue again what a crash left behind: events never planned, and
   deliveries due or whose lease ran out. Claiming makes duplicate jobs harmless.

A worker killed after the receiver accepted a message but before step 2 committed sends it again
after the lease: the receiver recognises it by the event id (webhook header, e-mail Message-ID).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from retour.core.jobs import backoff_delay
from retour.events.models import OutboxEvent
from retour.notifications.channels import CHANNELS, Outcome
from retour.notifications.choices import Channel, DeliveryStatus
from retour.notifications.content import shopper_for
from retour.notifications.models import Delivery, DeliveryAttempt, WebhookEndpoint

logger = logging.getLogger(__name__)

Enqueue = Callable[..., object]


def _lease() -> timedelta:
    return timedelta(seconds=settings.RETOUR_JOBS["LEASE_SECONDS"])


def plan_event(event_id: str, *, enqueue_send: Enqueue) -> int:
    """Plan the deliveries of one event; returns how many were created (0 if already planned)."""
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update()
            .select_related("store")
            .filter(pk=event_id, dispatched_at__isnull=True)
            .first()
        )
        if event is None:
            return 0
        shopper = shopper_for(event, event.store)
        created = 0
        for channel in CHANNELS.values():
            for planned in channel.plan(event, event.store, shopper):
                delivery, is_new = Delivery.objects.get_or_create(
                    event=event,
                    channel=channel.name,
                    recipient=planned.recipient,
                    defaults={
                        "store_id": event.store_id,
                        "language": planned.language,
                        "endpoint_id": planned.endpoint_id,
                    },
                )
                if is_new:
                    enqueue_send(str(delivery.pk))
                    created += 1
        OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=timezone.now())
    return created


def _claim(delivery_id: int) -> Delivery | None:
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            return None
        retryable = delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
        if retryable and delivery.next_attempt_at > now:
            return None  # a later job is scheduled for it
        lease_over = delivery.status == DeliveryStatus.SENDING and (
            delivery.claimed_until is None or delivery.claimed_until <= now
        )
        if not (retryable or lease_over):
            return None  # sent, abandoned, or another worker holds it
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.claimed_until = now + _lease()
        delivery.save(update_fields=["status", "attempts", "claimed_until"])
    return delivery


def send_one(delivery_id: int, *, enqueue_send: Enqueue) -> str:
    """Try one delivery once; returns its status afterwards (or "skipped")."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return "skipped"
    delivery = Delivery.objects.select_related("event__store", "endpoint").get(pk=delivery.pk)
    started_at = timezone.now()
    try:
        outcome = CHANNELS[delivery.channel].send(delivery)
    except Exception as exc:  # a bug in a channel must not leave the delivery claimed
        logger.exception("delivery %s crashed", delivery.pk)
        outcome = Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")
    return _record(delivery, outcome, started_at, enqueue_send=enqueue_send)


def _record(delivery: Delivery, outcome: Outcome, started_at, *, enqueue_send: Enqueue) -> str:
    now = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=started_at,
            duration_ms=outcome.duration_ms,
            ok=outcome.ok,
            status_code=outcome.status_code,
            error=outcome.error[:2000],
            response=outcome.response[:500],
        )
        fields = {"claimed_until": None, "last_error": outcome.error[:2000]}
        if outcome.ok:
            fields.update(status=DeliveryStatus.SENT, sent_at=now)
        elif outcome.permanent or delivery.attempts >= settings.RETOUR_JOBS["MAX_ATTEMPTS"]:
            fields.update(status=DeliveryStatus.ABANDONED)
        else:
            delay = backoff_delay(delivery.attempts)
            fields.update(
                status=DeliveryStatus.FAILED, next_attempt_at=now + timedelta(seconds=delay)
            )
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        if fields["status"] == DeliveryStatus.FAILED:
            enqueue_send(str(delivery.pk), run_after=fields["next_attempt_at"])
        if delivery.channel == Channel.WEBHOOK and delivery.endpoint_id:
            _count_endpoint(delivery.endpoint_id, ok=outcome.ok, status_code=outcome.status_code)
    logger.info(
        "delivery %s on %s: %s",
        delivery.pk,
        delivery.channel,
        fields["status"],
        extra={"event": str(delivery.event_id), "attempt": delivery.attempts},
    )
    return fields["status"]


def _count_endpoint(endpoint_id: int, *, ok: bool, status_code: int | None) -> None:
    """Failures in a row per endpoint; past the limit (or on 410 Gone) it is disabled and what
    was waiting for it is abandoned, to be replayed by hand once it is fixed."""
    if ok:
        WebhookEndpoint.objects.filter(pk=endpoint_id).update(consecutive_failures=0)
        return
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    limit = settings.RETOUR_WEBHOOKS["DISABLE_AFTER"]
    if endpoint.disabled_at is None and (
        endpoint.consecutive_failures >= limit or status_code == 410
    ):
        reason = (
            "410 Gone"
            if status_code == 410
            else f"{endpoint.consecutive_failures} failures in a row"
        )
        disable_endpoint(endpoint, reason=reason)


def disable_endpoint(endpoint: WebhookEndpoint, *, reason: str) -> None:
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True).update(
        disabled_at=now, disabled_reason=reason[:300]
    )
    Delivery.objects.filter(
        endpoint_id=endpoint.pk, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
    ).update(status=DeliveryStatus.ABANDONED, last_error=f"endpoint disabled: {reason}"[:2000])
    logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)


def sweep(*, enqueue_dispatch: Enqueue, enqueue_send: Enqueue, limit: int = 1000) -> dict:
    """Enqueue again the work a crash (or a lost job) left behind. Idempotent."""
    now = timezone.now()
    # Work younger than the lease is probably still queued: leave it to its own job.
    settled = now - _lease()
    events = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, created_at__lte=settled)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    deliveries = list(
        Delivery.objects.filter(
            Q(
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED],
                next_attempt_at__lte=now,
                created_at__lte=settled,
            )
            | Q(status=DeliveryStatus.SENDING, claimed_until__lte=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in events:
        enqueue_dispatch(str(event_id))
    for delivery_id in deliveries:
        enqueue_send(str(delivery_id))
    if events or deliveries:
        logger.info("sweep re-enqueued %d events, %d deliveries", len(events), len(deliveries))
    return {"events": len(events), "deliveries": len(deliveries)}
