"""Scheduled messages to shoppers: a reminder before an approved return expires, and a feedback
request after it is resolved. Each writes a return event (hence an outbox event) once per return;
running a job twice sends nothing twice."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from retour.core.actors import Actor
from retour.returns import lifecycle
from retour.returns.choices import ReturnStatus as S
from retour.returns.models import Return, ReturnEvent

BATCH = 500


def _without(kind: str):
    return ~Exists(ReturnEvent.objects.filter(return_request=OuterRef("pk"), kind=kind))


def _record_once(return_id: int, kind: str, statuses: tuple[str, ...], data: dict) -> bool:
    with transaction.atomic():
        return_request = Return.objects.select_for_update().filter(pk=return_id).first()
        if (
            return_request is None
            or return_request.status not in statuses
            or ReturnEvent.objects.filter(return_request=return_request, kind=kind).exists()
        ):
            return False
        lifecycle.record_event(return_request, kind, actor=Actor.system("notifications"), data=data)
    return True


def remind_expiring_returns(now=None) -> int:
    """Approved returns not shipped yet, `REMINDER_DAYS_BEFORE` days before their window
    (`RETURN_SHIP_DAYS` after approval) closes."""
    config = settings.RETOUR_NOTIFICATIONS
    now = now or timezone.now()
    window = timedelta(days=config["RETURN_SHIP_DAYS"])
    remind_after = window - timedelta(days=config["REMINDER_DAYS_BEFORE"])
    statuses = (S.APPROVED, S.LABEL_ISSUED)
    due = (
        Return.objects.filter(
            status__in=statuses,
            status_changed_at__lte=now - remind_after,
            status_changed_at__gt=now - window,
        )
        .filter(_without("expiry_reminder"))
        .values_list("pk", "status_changed_at")[:BATCH]
    )
    sent = 0
    for return_id, changed_at in list(due):
        expires_on = (changed_at + window).date().isoformat()
        sent += _record_once(return_id, "expiry_reminder", statuses, {"expires_on": expires_on})
    return sent


def request_feedback(now=None) -> int:
    """Returns resolved `FEEDBACK_AFTER_DAYS` days ago (and not more than 30 days ago)."""
    config = settings.RETOUR_NOTIFICATIONS
    now = now or timezone.now()
    statuses = (S.RESOLVED, S.CLOSED)
    due = (
        Return.objects.filter(
            status__in=statuses,
            status_changed_at__lte=now - timedelta(days=config["FEEDBACK_AFTER_DAYS"]),
            status_changed_at__gt=now - timedelta(days=30),
        )
        .filter(_without("feedback_requested"))
        .values_list("pk", flat=True)[:BATCH]
    )
    return sum(_record_once(pk, "feedback_requested", statuses, {}) for pk in list(due))
