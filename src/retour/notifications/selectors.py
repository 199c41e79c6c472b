"""Figures for the operations dashboard and monitoring."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.utils import timezone

from retour.core.jobs import queue_figures
from retour.events.models import OutboxEvent
from retour.notifications.choices import Channel, DeliveryStatus
from retour.notifications.models import Delivery, WebhookEndpoint

# Past these, the health figure says "degraded" (HTTP 503 for the monitor).
MAX_QUEUE_AGE_SECONDS = 300
MAX_OUTBOX_AGE_SECONDS = 300


def notification_figures(store_ids: list[int] | None = None) -> dict[str, Any]:
    now = timezone.now()
    events = OutboxEvent.objects.all()
    deliveries = Delivery.objects.all()
    endpoints = WebhookEndpoint.objects.all()
    if store_ids is not None:
        events = events.filter(store_id__in=store_ids)
        deliveries = deliveries.filter(store_id__in=store_ids)
        endpoints = endpoints.filter(store_id__in=store_ids)
    outbox = events.filter(dispatched_at__isnull=True).aggregate(
        undispatched=Count("pk"), oldest=Min("created_at")
    )
    oldest = outbox.pop("oldest")
    outbox["oldest_undispatched_age_seconds"] = (
        round((now - oldest).total_seconds(), 1) if oldest else 0.0
    )
    by_status = dict(
        deliveries.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    recent = deliveries.filter(created_at__gte=now - timedelta(hours=24))
    return {
        "outbox": outbox,
        "deliveries": {status: by_status.get(status, 0) for status in DeliveryStatus.values},
        "retries_due": deliveries.filter(
            status=DeliveryStatus.FAILED, next_attempt_at__lte=now
        ).count(),
        "last_24h": recent.aggregate(
            sent=Count("pk", filter=Q(status=DeliveryStatus.SENT)),
            retried=Count("pk", filter=Q(attempts__gt=1)),
            abandoned=Count("pk", filter=Q(status=DeliveryStatus.ABANDONED)),
        ),
        "webhook_endpoints": endpoints.aggregate(
            active=Count("pk", filter=Q(disabled_at__isnull=True)),
            disabled=Count("pk", filter=Q(disabled_at__isnull=False)),
        ),
    }


FAILING = (DeliveryStatus.FAILED, DeliveryStatus.ABANDONED)


def failures_by_channel(store_ids: list[int]) -> list[dict[str, Any]]:
    """For each channel, the deliveries of these stores that failed (will retry) or were
    abandoned, and the most recent error. Two queries, whatever the number of deliveries."""
    failing = Delivery.objects.filter(store_id__in=store_ids, status__in=FAILING)
    last_error = (
        failing.filter(channel=OuterRef("channel"))
        .exclude(last_error="")
        .order_by("-next_attempt_at", "-created_at", "-pk")
        .values("last_error")[:1]
    )
    rows = {
        row["channel"]: row
        for row in failing.order_by()
        .values("channel")
        .annotate(
            failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
            abandoned=Count("pk", filter=Q(status=DeliveryStatus.ABANDONED)),
            last_error=Subquery(last_error),
        )
    }
    return [
        {
            "channel": channel,
            "label": label,
            "failed": rows.get(channel, {}).get("failed", 0),
            "abandoned": rows.get(channel, {}).get("abandoned", 0),
            "last_error": rows.get(channel, {}).get("last_error") or "",
        }
        for channel, label in Channel.choices
    ]


def operations(store_ids: list[int]) -> dict[str, Any]:
    """The operations dashboard: the job queue's figures (process-wide, the queue has no store)
    and the notifications' figures of these stores, with their failures and disabled endpoints."""
    return {
        "jobs": queue_figures(),
        "notifications": notification_figures(store_ids),
        "failures": failures_by_channel(store_ids),
        "disabled_endpoints": list(
            WebhookEndpoint.objects.filter(store_id__in=store_ids, disabled_at__isnull=False)
            .select_related("store")
            .only("url", "disabled_at", "disabled_reason", "store__name")
            .order_by("-disabled_at")
        ),
    }


def health() -> dict[str, Any]:
    """The queue's health for monitoring: `status` is "ok" or "degraded", with the reasons."""
    jobs = queue_figures()
    notifications = notification_figures()
    problems = []
    if jobs.get("oldest_ready_age_seconds", 0) > MAX_QUEUE_AGE_SECONDS:
        problems.append("jobs are waiting: is `retour worker` running?")
    if notifications["outbox"]["oldest_undispatched_age_seconds"] > MAX_OUTBOX_AGE_SECONDS:
        problems.append("outbox events are not being dispatched")
    return {
        "status": "degraded" if problems else "ok",
        "problems": problems,
        "jobs": jobs,
        "notifications": notifications,
    }
