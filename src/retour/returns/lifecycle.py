"""The return state machine. This module alone changes `Return.status`.

    requested ─┬─> pending_review ─┬─> approved ─> label_issued ─> in_transit ─> delivered
               ├─> approved        └─> rejected        │               │            │
               └─> rejected                            └───────────────┴────────────┴─> received
    received ─> inspected ─> resolved ─> closed
    approved / label_issued ─> expired;  anything before the parcel ships ─> cancelled

A parcel can reach the warehouse before any carrier scan (or with none at all), so `received`
is reachable from every state in which the shopper may have sent it.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.core.actors import Actor
from retour.core.errors import Conflict
from retour.events.outbox import emit
from retour.returns.choices import ReturnStatus as S
from retour.returns.models import Return, ReturnEvent

TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.PENDING_REVIEW, S.APPROVED, S.REJECTED, S.CANCELLED}),
    S.PENDING_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    # approved → resolved is the returnless refund: the shopper keeps the item.
    S.APPROVED: frozenset(
        {S.LABEL_ISSUED, S.IN_TRANSIT, S.RECEIVED, S.RESOLVED, S.CANCELLED, S.EXPIRED}
    ),
    # label_issued → approved when the label is voided (e.g. to change the method).
    S.LABEL_ISSUED: frozenset(
        {S.APPROVED, S.IN_TRANSIT, S.DELIVERED, S.RECEIVED, S.CANCELLED, S.EXPIRED}
    ),
    S.IN_TRANSIT: frozenset({S.DELIVERED, S.RECEIVED}),
    S.DELIVERED: frozenset({S.RECEIVED}),
    S.RECEIVED: frozenset({S.INSPECTED}),
    S.INSPECTED: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED}),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CLOSED: frozenset(),
}


class IllegalTransition(Conflict):
    code = "illegal_transition"


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]


def allowed_transitions(current: str) -> frozenset[str]:
    return TRANSITIONS[current]


def transition(
    return_request: Return,
    target: str,
    *,
    actor: Actor,
    data: dict[str, Any] | None = None,
    kind: str = "status_changed",
) -> ReturnEvent:
    """Move the return to `target` and write the audit event, or raise and write nothing.

    The caller holds the row lock (`select_for_update`) inside its transaction, so the status it
    checks here is the one it will overwrite.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition() must run inside the service's transaction")
    current = return_request.status
    if not can_transition(current, target):
        raise IllegalTransition(
            _("A return that is “%(current)s” cannot become “%(target)s”.")
            % {"current": S(current).label, "target": S(target).label},
            current=current,
            target=target,
        )
    now = timezone.now()
    Return.objects.filter(pk=return_request.pk).update(
        status=target, status_changed_at=now, updated_at=now
    )
    return_request.status = target
    return_request.status_changed_at = now
    event = ReturnEvent.objects.create(
        return_request=return_request,
        kind=kind,
        from_status=current,
        to_status=target,
        data=data or {},
        **actor.audit_fields(),
    )
    emit(f"return.{target}", store_id=return_request.store_id, payload=_payload(event))
    return event


def record_event(
    return_request: Return, kind: str, *, actor: Actor, data: dict[str, Any] | None = None
) -> ReturnEvent:
    """An audit event that changes no status (a line received, a note, a label voided)."""
    event = ReturnEvent.objects.create(
        return_request=return_request,
        kind=kind,
        from_status=return_request.status,
        to_status=return_request.status,
        data=data or {},
        **actor.audit_fields(),
    )
    emit(f"return.{kind}", store_id=return_request.store_id, payload=_payload(event))
    return event


def _payload(event: ReturnEvent) -> dict[str, Any]:
    """The outbox payload of a return's event: the facts as they stood, for webhooks and e-mails."""
    return_request = event.return_request
    order = return_request.order
    return {
        "return": {
            "id": return_request.pk,
            "rma": return_request.rma,
            "status": return_request.status,
            "method": return_request.method,
            "resolution": return_request.resolution,
            "locale": return_request.locale,
            "status_reason": return_request.status_reason,
            "order": {"id": order.pk, "number": order.number},
            "email": order.email,
        },
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "actor": {"kind": event.actor_kind, "label": event.actor_label},
        "data": event.data,
        "occurred_at": event.created_at.isoformat(),
    }
