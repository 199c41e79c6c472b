"""The refunds' jobs (see `retour.core.jobs`, auto-discovered). Arguments are strings and JSON.

- `start_refund`: the return reached its refund trigger (`services.trigger_reached`); enqueued by
  `on_event_emitted` in the transaction that moved the return, so it exists exactly when the move
  does. It requests the refund once (`services.start_automatic_refund`) and orders the reserved
  exchanges' replacements.
- `process_refund_now`: a refund was requested, approved or retried: send it to its gateways now
  rather than at the next sweep. A worker killed while talking to the gateway leaves the refund
  leased; once the lease runs out the sweep sends it again with the *same* idempotency keys, so
  the gateway makes it once.
- `retry_due_refunds` (every minute) and `expire_store_credit` (hourly) are the sweeps.
- `create_exchange_payment_link`: the replacement costs more; ask the gateway for a payment page.
"""

from __future__ import annotations

from datetime import timedelta

from retour.core.jobs import enqueue_retry, job, periodic
from retour.refunds import credit, exchanges, services
from retour.refunds.adapters import TransientGatewayError
from retour.refunds.choices import RefundTrigger
from retour.refunds.models import Refund, RefundSettings

# Events of a refund that may be sent now (the return's or claim's events carry the refund's
# reference).
_SEND_NOW = frozenset(
    f"{subject}.refund_{step}"
    for subject in ("return", "claim")
    for step in ("requested", "approved", "retried")
)


def on_event_emitted(sender, *, event, **kwargs) -> None:
    """`event_emitted` receiver, inside the emitting transaction: enqueue the refund's work."""
    payload = event.payload
    data = payload.get("data") or {}
    if event.type in _SEND_NOW:
        if not data.get("awaiting_approval"):
            process_refund_now.enqueue(str(data["refund"]))
        return
    if event.type == "return.exchange_requested":
        if exchanges.needs_payment(data):
            create_exchange_payment_link.enqueue(str(data["exchange"]))
        return
    if not event.type.startswith("return.") or payload.get("from_status") == payload.get(
        "to_status"
    ):
        return
    moved = {"from_status": payload["from_status"], "to_status": payload["to_status"]}
    if not any(services.trigger_reached(trigger, **moved) for trigger in RefundTrigger):
        return  # reaches no trigger: no need to read the store's settings
    details = payload.get("return") or {}
    trigger = services.refund_trigger(
        details.get("method", ""), RefundSettings.for_store(event.store_id)
    )
    if services.trigger_reached(trigger, **moved):
        start_refund.enqueue(str(details["id"]), trigger, data.get("deductions") or {})


@job
def start_refund(return_id: str, trigger: str, deductions: dict | None = None) -> str:
    exchanges.order_reserved_replacements(return_id=int(return_id), actor=services.AUTOMATIC)
    refund = services.start_automatic_refund(
        return_id=int(return_id),
        trigger=trigger,
        deductions=services.deductions_from_event(deductions),
    )
    return refund.reference if refund else "skipped"


@job
def process_refund_now(reference: str) -> str:
    refund = Refund.objects.filter(reference=reference).only("pk").first()
    if refund is None:
        return "unknown"
    return services.process_refund(refund.pk).status


@periodic(
    every=timedelta(minutes=1),
    description="Send requested refunds; retry gateway timeouts with backoff, then alert.",
)
@job
def retry_due_refunds() -> int:
    return services.retry_due_refunds()


@periodic(
    every=timedelta(hours=1), description="Expire what is left of store credit past its date."
)
@job
def expire_store_credit() -> int:
    return credit.expire_credits()


@job
def create_exchange_payment_link(exchange_id: str, attempt: int = 0) -> str:
    try:
        exchange = exchanges.create_payment_link(exchange_id=int(exchange_id))
    except TransientGatewayError:
        if enqueue_retry(create_exchange_payment_link, exchange_id, attempt=attempt):
            return "retrying"
        raise
    return exchange.payment_link or "no link"
