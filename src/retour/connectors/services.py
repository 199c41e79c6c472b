"""Connections to shop platforms: inbound events (recorded raw, applied once, in the platform's
order) and write-backs (refunds, restocks, store credit), retried and never lost.

Inbound: `receive_webhook` verifies the signature, records the event under the platform's
delivery id (the same delivery twice is one row) and enqueues `jobs.apply_event` in the same
transaction; `apply_event` reads the order if the webhook does not carry it (outside any
transaction) and upserts it through `commerce.services.upsert_order`, which ignores an update
older than the one we have. Backfill pages go the same way, with the cursor kept after each page.
A first backfill on a platform that exports in bulk (Shopify) goes through its export instead
(`bulk_backfill_step`), the paged backfill then reading what changed since the export began.

Outbound: `receivers` turns `refund.succeeded`, `stock.restocked` and `store_credit.issued`
outbox events into `WriteBack` rows (one per event and connection) with a job, in the emitting
transaction. `push_write_back` builds the request once (so retries send the same lines, amounts
and idempotency key), sends it outside any transaction, and records the outcome; a write-back
that fails for good is shown on the return (`return.platform_sync_failed`) and on the
connection page, from where it can be retried; one the platform has nothing to take (store
credit on WooCommerce) is kept as skipped with the reason, shown on the connection page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.commerce.audit import record_audit
from retour.commerce.models import Customer, Order, Store
from retour.commerce.services import upsert_order
from retour.connectors.adapters import CONNECTORS, connector_for
from retour.connectors.adapters.base import (
    Connector,
    ConnectorError,
    CreditFacts,
    ExportChunk,
    Exporter,
    PaymentPartFacts,
    PlatformOrder,
    RefundFacts,
    RefundLineFacts,
    RestockFacts,
    Skipped,
)
from retour.connectors.choices import EventStatus, Platform, WriteBackKind, WriteBackStatus
from retour.connectors.models import Connection, InboundEvent, WriteBack
from retour.core.actors import Actor, ActorKind
from retour.core.errors import Conflict, InvalidRequest, NotFound
from retour.core.jobs import enqueue_in
from retour.refunds import services as refunds
from retour.refunds.choices import AllocationStatus, Destination, Gateway
from retour.refunds.models import Refund, RefundAllocation
from retour.returns import lifecycle
from retour.returns.models import Return

# Platforms without webhooks: their orders are read on a schedule (`jobs.poll_platforms`).
POLLED = (Platform.PRESTASHOP,)

# The outbox events written back, and the kind of write-back each becomes.
WRITTEN_BACK = {
    "refund.succeeded": WriteBackKind.REFUND,
    "refund.awaiting_platform": WriteBackKind.REFUND,
    "stock.restocked": WriteBackKind.RESTOCK,
    "store_credit.issued": WriteBackKind.STORE_CREDIT,
}


def platform_actor(connection: Connection) -> Actor:
    return Actor(ActorKind.PLATFORM, label=connection.platform)


# ---- connections --------------------------------------------------------------------------------


@transaction.atomic
def connect(
    *,
    store: Store,
    platform: str,
    base_url: str,
    credentials: Mapping[str, Any],
    actor: Actor,
    options: Mapping[str, Any] | None = None,
) -> Connection:
    """Create or update the store's connection to `platform`; the credentials are encrypted. A
    credential given empty keeps the one saved (secrets are never shown back to be re-typed);
    every credential the platform needs must end up set."""
    if platform not in CONNECTORS:  # a platform without an adapter yet
        raise InvalidRequest(_("Unknown platform."), field="platform")
    if not base_url.startswith(("https://", "http://")):
        raise InvalidRequest(
            _("Give the shop's address, starting with https://."), field="base_url"
        )
    connection = Connection.objects.select_for_update().filter(
        store=store, platform=platform
    ).first() or Connection(store=store, platform=platform)
    saved = connection.credentials if connection.credentials_encrypted else {}
    merged = {**saved, **{name: value for name, value in credentials.items() if value}}
    for name in CONNECTORS[platform].credential_names:
        if not merged.get(name):
            raise InvalidRequest(_("This credential is required."), field=name)
    connection.base_url = base_url.rstrip("/")
    connection.options = dict(options or {})
    connection.set_credentials(merged)
    connection.active = True
    connection.save()
    record_audit(
        store=store,
        actor=actor,
        verb="connection.saved",
        obj=connection,
        data={"platform": platform, "base_url": connection.base_url},
    )
    return connection


def note_error(connection_id: int, message: str) -> None:
    Connection.objects.filter(pk=connection_id).update(
        last_error=message[:2000], last_error_at=timezone.now()
    )


# ---- inbound ------------------------------------------------------------------------------------


def receive_webhook(
    *, store_slug: str, platform: str, headers: Mapping[str, str], body: bytes
) -> tuple[InboundEvent | None, bool]:
    """Verify and record a webhook; (event, created). A delivery already recorded (the platform
    retried, or someone replays it) changes nothing; the platform's ping when a webhook is saved
    is answered with (None, False), nothing recorded. Raises `NotFound` for a store without this
    connection and `InvalidSignature` for a body the secret did not sign."""
    from retour.connectors import jobs

    connection = Connection.objects.filter(
        store__slug=store_slug, platform=platform, active=True
    ).first()
    if connection is None:
        raise NotFound(_("No such connection."))
    connector = connector_for(connection)
    if connector.is_ping(headers, body):
        return None, False
    connector.verify(headers, body)
    notice = connector.notice(headers, body)
    with transaction.atomic():
        event, created = InboundEvent.objects.get_or_create(
            connection=connection,
            key=notice.key,
            defaults={
                "topic": notice.topic,
                "resource_id": notice.resource_id,
                "platform_updated_at": notice.updated_at,
                "headers": dict(headers),
                "body": body.decode(errors="replace"),
            },
        )
        if created:
            Connection.objects.filter(pk=connection.pk).update(last_event_at=timezone.now())
            jobs.apply_event.enqueue(event.pk)
    return event, created


def _is_stale(connection: Connection, event: InboundEvent) -> bool:
    """Is the order we have newer than this event? Then reading the platform is not needed."""
    if event.platform_updated_at is None:
        return False
    return Order.objects.filter(
        store_id=connection.store_id,
        external_id=event.resource_id,
        platform_updated_at__gt=event.platform_updated_at,
    ).exists()


def _finish(event: InboundEvent, status: str, error: str = "") -> InboundEvent:
    InboundEvent.objects.filter(pk=event.pk).update(
        status=status, error=error[:2000], applied_at=timezone.now()
    )
    event.status, event.error = status, error
    return event


def _upsert(connection: Connection, order: PlatformOrder) -> bool:
    result = upsert_order(
        store=connection.store,
        external_id=order.external_id,
        data=order.data,
        actor=platform_actor(connection),
    )
    return result.changed


def apply_event(event_id: int) -> InboundEvent:
    """Apply a recorded event: read its order if needed and upsert it. Safe to run twice (the
    upsert is idempotent; an applied event is not applied again). A platform that cannot be
    reached raises `ConnectorError(retryable=True)` for the job to retry."""
    event = InboundEvent.objects.select_related("connection__store").get(pk=event_id)
    connection = event.connection
    if event.status != EventStatus.RECEIVED:
        return event
    if not event.resource_id or _is_stale(connection, event):
        return _finish(event, EventStatus.IGNORED)
    connector = connector_for(connection)
    try:
        notice = connector.notice(event.headers, event.body.encode())
        order = notice.order or connector.fetch_order(event.resource_id)
        if order is None:
            return _finish(event, EventStatus.IGNORED)
        changed = _upsert(connection, order)
    except ConnectorError as error:
        note_error(connection.pk, error.message)
        if error.retryable:
            raise
        return _finish(event, EventStatus.FAILED, error.message)
    except (ValueError, Conflict) as error:  # the order does not fit Retour's rules
        note_error(connection.pk, str(error))
        return _finish(event, EventStatus.FAILED, str(error))
    return _finish(event, EventStatus.APPLIED if changed else EventStatus.IGNORED)


@transaction.atomic
def replay_event(*, event: InboundEvent, actor: Actor) -> InboundEvent:
    """Apply a recorded event again (after fixing what made it fail)."""
    from retour.connectors import jobs

    InboundEvent.objects.filter(pk=event.pk).update(status=EventStatus.RECEIVED, error="")
    record_audit(
        store=event.connection.store,
        actor=actor,
        verb="connection.event_replayed",
        obj=event.connection,
        data={"event": event.key},
    )
    jobs.apply_event.enqueue(event.pk)
    event.status = EventStatus.RECEIVED
    return event


@transaction.atomic
def start_backfill(*, connection: Connection, actor: Actor) -> Connection:
    """Read the platform's order history in the background, page after page, from where the
    last backfill stopped (from the start once a backfill has finished). From the start, a
    platform that exports in bulk (Shopify) prepares the whole history at once instead: a few
    requests rather than one per handful of orders under its rate limit."""
    from retour.connectors import jobs

    locked = Connection.objects.select_for_update().get(pk=connection.pk)
    if locked.backfill_done_at is not None:
        locked.cursor, locked.backfill_done_at, locked.bulk_export = "", None, {}
        locked.save(update_fields=["cursor", "backfill_done_at", "bulk_export"])
    bulk = _exports_in_bulk(locked) and not locked.cursor and "fallback" not in locked.bulk_export
    record_audit(
        store=connection.store,
        actor=actor,
        verb="connection.backfill_started",
        obj=locked,
        data={"platform": locked.platform, "cursor": locked.cursor, "bulk": bulk},
    )
    # An export under way is taken up where it is (Shopify runs one of ours at a time).
    (jobs.bulk_backfill if bulk else jobs.backfill).enqueue(locked.pk)
    return locked


def _exports_in_bulk(connection: Connection) -> bool:
    return getattr(CONNECTORS[connection.platform], "exports_in_bulk", False)


@dataclass(frozen=True)
class BackfillStep:
    applied: int
    done: bool


def _record(connection: Connection, order: PlatformOrder) -> bool:
    """Record a backfilled order raw (keyed by its id and update time: read twice, it is
    recorded and applied once) and upsert it; did it change anything? In the caller's
    transaction, with what says how far the backfill went."""
    updated = order.data.updated_at
    event, created = InboundEvent.objects.get_or_create(
        connection=connection,
        key=f"backfill:{order.external_id}:{updated.isoformat() if updated else ''}",
        defaults={
            "topic": "backfill",
            "resource_id": order.external_id,
            "platform_updated_at": updated,
            "body": json.dumps(order.raw, default=str),
        },
    )
    if not created:
        return False
    changed = _upsert(connection, order)
    _finish(event, EventStatus.APPLIED if changed else EventStatus.IGNORED)
    return changed


def backfill_page(connection_id: int) -> BackfillStep:
    """Read one page of the platform's orders from the kept cursor, record and upsert each, then
    keep the new cursor: a backfill stopped anywhere resumes from its last page."""
    connection = Connection.objects.select_related("store").get(pk=connection_id)
    page = connector_for(connection).backfill(connection.cursor)
    applied = 0
    for order in page.orders:
        with transaction.atomic():
            applied += _record(connection, order)
    Connection.objects.filter(pk=connection.pk).update(
        cursor=page.cursor,
        backfill_done_at=timezone.now() if page.done else None,
        last_event_at=timezone.now(),
    )
    return BackfillStep(applied=applied, done=page.done)


# Orders imported from an export's file by one run of the job: a worker is held seconds, not
# minutes; the next run resumes at the byte where this one stopped.
EXPORT_ORDERS_PER_STEP = 250


@dataclass(frozen=True)
class BulkStep:
    """`wait`: seconds until the next step (the export is still being prepared, or more of its
    file is to be read); None once the export is over — imported, or given up for the paged
    backfill — and the paged backfill takes over."""

    wait: float | None
    applied: int = 0


def bulk_backfill_step(connection_id: int) -> BulkStep:
    """One step of a backfill through the platform's bulk export: start it, or ask whether it
    is ready, or import the next orders of its file (each recorded and upserted like a page's,
    with the file's offset after it in the same transaction: a crash resumes after the last
    order written). A finished export leaves the paged backfill to read the orders updated since
    it began; one the platform failed, canceled or let expire leaves it the whole history."""
    connection = Connection.objects.select_related("store").get(pk=connection_id)
    connector = cast(Exporter, connector_for(connection))
    state = connection.bulk_export
    poll = settings.RETOUR_CONNECTORS["BULK_POLL_SECONDS"]
    if "fallback" in state:
        return BulkStep(wait=None)
    if not state:
        export = connector.start_export()
        state = {"id": export.id, "started_at": export.started_at, "offset": 0}
        Connection.objects.filter(pk=connection.pk).update(bulk_export=state)
        return BulkStep(wait=poll)
    export = connector.export_status(state["id"])
    if export.running:
        return BulkStep(wait=poll)
    if not export.completed:
        give_up_export(
            connection_id,
            _(
                "The platform's bulk export of the order history ended with status "
                "%(status)s: the history is read page by page instead."
            )
            % {"status": export.error},
        )
        return BulkStep(wait=None)
    chunk = (
        connector.export_orders(export.url, offset=state["offset"], limit=EXPORT_ORDERS_PER_STEP)
        if export.url  # none when the shop has no orders
        else ExportChunk([], done=True)
    )
    applied = 0
    for order, offset in chunk.orders:
        with transaction.atomic():
            applied += _record(connection, order)
            state = {**state, "offset": offset}
            Connection.objects.filter(pk=connection.pk).update(
                bulk_export=state, last_event_at=timezone.now()
            )
    if not chunk.done:
        return BulkStep(wait=0, applied=applied)
    Connection.objects.filter(pk=connection.pk).update(
        bulk_export={}, cursor=connector.cursor_since(state["started_at"])
    )
    return BulkStep(wait=None, applied=applied)


def give_up_export(connection_id: int, message: str) -> None:
    """The bulk export failed: said on the connection page; the paged backfill reads the whole
    history (from the start: nothing of the export is relied on)."""
    note_error(connection_id, message)
    Connection.objects.filter(pk=connection_id).update(
        bulk_export={"fallback": message[:500]}, cursor=""
    )


# ---- outbound -----------------------------------------------------------------------------------


def _return_id(kind: str, payload: Mapping[str, Any]) -> int | None:
    if kind == WriteBackKind.STORE_CREDIT:
        refund = Refund.objects.filter(reference=payload["store_credit"]["reference"]).first()
        return refund.return_request_id if refund else None
    return (payload.get("return") or {}).get("id")  # None for a claim's refund


def _platform_parts(refund_id: int):
    """The parts of a refund the platform itself pays back (refunds gateway `platform`)."""
    return RefundAllocation.objects.filter(
        refund_id=refund_id, destination=Destination.ORIGINAL_PAYMENT, gateway=Gateway.PLATFORM
    )


def _idempotency_key(kind: str, payload: Mapping[str, Any], event_id: Any) -> str:
    """Derived from our own record: the refund's key (the one its gateway call carries) — with
    the parts' attempt when the platform pays them, so that a refund finance retries after the
    platform refused it is a new request — the stock movement, the outbox event of the credit."""
    if kind == WriteBackKind.REFUND:
        refund_id = payload["refund"]["id"]
        key = Refund.objects.values_list("idempotency_key", flat=True).get(pk=refund_id)
        attempts = _platform_parts(refund_id).values_list("attempt", flat=True)
        return f"{key}-platform-a{max(attempts)}" if attempts else key
    if kind == WriteBackKind.RESTOCK:
        return f"retour-restock-{payload['movement']}"
    return f"retour-credit-{event_id}"


def plan_write_backs(*, event_id: Any, event_type: str, store_id: int, payload: dict) -> int:
    """In the emitting transaction: one write-back (and its job) per active connection of the
    store. Returns how many."""
    from retour.connectors import jobs

    kind = WRITTEN_BACK[event_type]
    active = Connection.objects.filter(store_id=store_id, active=True)
    if not active.exists():
        return 0  # most stores: nothing to tell, and nothing more to read
    if event_type == "refund.succeeded" and _platform_parts(payload["refund"]["id"]).exists():
        return 0  # the platform made this refund: its write-back already told it everything
    key = _idempotency_key(kind, payload, event_id)
    planned = 0
    connections = active.exclude(write_backs__kind=kind, write_backs__idempotency_key=key)
    for connection in connections:
        write_back = WriteBack.objects.create(
            connection=connection,
            kind=kind,
            source_event=event_id,
            source=payload,
            return_request_id=_return_id(kind, payload),
            idempotency_key=key,
        )
        delay = settings.RETOUR_CONNECTORS["RESTOCK_DELAY"] if kind == WriteBackKind.RESTOCK else 0
        enqueue_in(jobs.push_write_back, delay, write_back.pk)
        planned += 1
    return planned


def _restocks_to_carry(write_back: WriteBack) -> dict[int, list[WriteBack]]:
    """The return's restocks not yet sent to this platform, by return line (called under the
    return's lock: a restock's own job claims it under the same lock)."""
    pending = WriteBack.objects.filter(
        connection_id=write_back.connection_id,
        kind=WriteBackKind.RESTOCK,
        return_request_id=write_back.return_request_id,
        status=WriteBackStatus.PENDING,
        request={},
    )
    by_line: dict[int, list[WriteBack]] = {}
    for restock in pending:
        by_line.setdefault(int(restock.source["reference"].split("/")[1]), []).append(restock)
    return by_line


def _refund_facts(refund: Refund, carried: Mapping[int, int]) -> RefundFacts:
    """What the platform is told of a refund. Money only for the parts it must pay itself (the
    store refunds through the platform); a part Retour's gateway or finance already paid is
    never sent as a transaction — the platform would pay the shopper a second time."""
    parts = [
        PaymentPartFacts(a.payment.reference, a.payment.gateway, a.amount)
        for a in _platform_parts(refund.pk)
        .filter(status=AllocationStatus.PENDING)
        .select_related("payment")
        .order_by("pk")
    ]
    return RefundFacts(
        order_external_id=refund.order.external_id,
        currency=refund.currency,
        reference=refund.reference,
        rma=refund.return_request.rma if refund.return_request else refund.claim.number,
        lines=[
            RefundLineFacts(
                line.order_line.external_id,
                line.quantity,
                line.amount,
                carried.get(line.return_line_id, 0),
            )
            for line in refund.lines.select_related("order_line").order_by("pk")
        ],
        shipping=Decimal(str((refund.breakdown or {}).get("shipping") or "0")),
        amount=sum((part.amount for part in parts), Decimal("0")),
        parts=parts,
    )


def _restock_facts(write_back: WriteBack) -> RestockFacts:
    source = write_back.source
    return RestockFacts(
        sku=source["variant"]["sku"],
        variant_external_id=source["variant"]["external_id"],
        warehouse_code=source["warehouse"]["code"],
        delta=source["delta"],
        reference=source["reference"],
    )


def _credit_facts(write_back: WriteBack) -> CreditFacts:
    credit = write_back.source["store_credit"]
    customer = Customer.objects.get(pk=credit["customer"]["id"])
    return CreditFacts(
        customer_external_id=customer.external_id,
        email=customer.email,
        amount=Decimal(credit["change"]),
        currency=credit["currency"],
        reference=credit["reference"] or credit["code"],
    )


def _build_refund(write_back: WriteBack, connector: Connector) -> dict[str, Any]:
    """The refund's request, carrying the restocks of its lines not sent yet (the platform
    restocks with the refund): those are marked included, so that their own jobs send nothing."""
    refund = Refund.objects.select_related("order", "return_request", "claim").get(
        pk=write_back.source["refund"]["id"]
    )
    carry: list[WriteBack] = []
    if connector.restocks_with_refund:
        restocks = _restocks_to_carry(write_back)
        for line in refund.lines.all():
            carry += restocks.get(line.return_line_id, [])[: line.quantity]
    carried: dict[int, int] = {}
    for restock in carry:
        line_id = int(restock.source["reference"].split("/")[1])
        carried[line_id] = carried.get(line_id, 0) + 1
    WriteBack.objects.filter(pk__in=[restock.pk for restock in carry]).update(
        status=WriteBackStatus.INCLUDED, request={"included_in": write_back.pk}
    )
    facts = _refund_facts(refund, carried)
    request = connector.refund_request(facts)
    if not facts.parts:
        return request
    # The platform pays these parts: its answer settles them in Retour (`_settle`).
    pending = _platform_parts(refund.pk).filter(status=AllocationStatus.PENDING)
    parts = list(pending.values_list("pk", flat=True))
    return request | {"settles_refund": refund.pk, "settles_parts": parts}


def _paid_elsewhere(request: Mapping[str, Any]) -> bool:
    """Did someone settle (finance, by hand) a part this request asks the platform to pay, since
    it was built? Then sending it would pay the shopper twice."""
    parts = request.get("settles_parts") or []
    pending = RefundAllocation.objects.filter(pk__in=parts, status=AllocationStatus.PENDING)
    return bool(parts) and pending.count() < len(parts)


def _claim(write_back_id: int) -> tuple[WriteBack, dict[str, Any]] | None:
    """Under the return's lock: the write-back with its request, built on the first try and kept
    (every retry sends the same request with the same key). None when there is nothing to send
    (already sent, or a restock the refund carried)."""
    with transaction.atomic():
        write_back = WriteBack.objects.select_related("connection").get(pk=write_back_id)
        if write_back.return_request_id:
            Return.objects.select_for_update().filter(pk=write_back.return_request_id).first()
        write_back = WriteBack.objects.select_for_update().get(pk=write_back_id)
        if write_back.status not in (WriteBackStatus.PENDING, WriteBackStatus.FAILED):
            return None
        if not write_back.request:
            connector = connector_for(write_back.connection)
            if write_back.kind == WriteBackKind.REFUND:
                write_back.request = _build_refund(write_back, connector)
            elif write_back.kind == WriteBackKind.RESTOCK:
                write_back.request = connector.restock_request(_restock_facts(write_back))
            else:
                write_back.request = connector.credit_request(_credit_facts(write_back))
        write_back.attempts += 1
        write_back.save(update_fields=["request", "attempts"])
        return write_back, write_back.request


def push_write_back(write_back_id: int) -> WriteBack:
    """Send a write-back (outside any transaction) and record the outcome. A retryable failure
    is re-raised for the job to try again later, with the same request and key."""
    try:
        claimed = _claim(write_back_id)
    except Skipped as error:  # the platform has nothing to take it: said, not retried
        return skip_write_back(write_back_id, error.message)
    except ConnectorError as error:  # the request cannot be built (e.g. unknown customer)
        return fail_write_back(write_back_id, error.message)
    if claimed is None:
        return WriteBack.objects.get(pk=write_back_id)
    write_back, request = claimed
    if _paid_elsewhere(request):
        return fail_write_back(
            write_back_id,
            _("The refund was settled outside the platform since: not sent (it would pay twice)."),
        )
    try:
        sent = connector_for(write_back.connection).send(
            request, idempotency_key=write_back.idempotency_key
        )
    except ConnectorError as error:
        note_error(write_back.connection_id, error.message)
        WriteBack.objects.filter(pk=write_back.pk).update(last_error=error.message[:2000])
        if error.retryable:
            raise
        with transaction.atomic():
            _settle(write_back, request, error=error.message)
            return fail_write_back(write_back_id, error.message)
    with transaction.atomic():
        WriteBack.objects.filter(pk=write_back.pk).update(
            status=WriteBackStatus.SENT,
            remote_id=sent.remote_id,
            sent_at=timezone.now(),
            last_error="",
        )
        _settle(write_back, request, reference=sent.remote_id)
    write_back.refresh_from_db()
    return write_back


def _settle(
    write_back: WriteBack, request: Mapping[str, Any], *, reference: str = "", error: str = ""
) -> None:
    """A refund the platform was asked to pay: record what it answered on the refund, in the
    transaction that records the write-back's outcome (once: a write-back sent is not sent
    again, and settled parts are skipped). A platform that could not be reached leaves the parts
    pending: the same request, with the same key, is retried."""
    if request.get("settles_refund"):
        refunds.record_platform_refund(
            refund=Refund.objects.get(pk=request["settles_refund"]),
            reference=reference,
            error=error,
            actor=platform_actor(write_back.connection),
        )


@transaction.atomic
def fail_write_back(write_back_id: int, message: str) -> WriteBack:
    """Give up on a write-back: kept as failed, shown on its return's timeline (an outbox event:
    staff are told) and on the connection page, from where it can be retried."""
    write_back = (
        WriteBack.objects.select_for_update().select_related("connection").get(pk=write_back_id)
    )
    write_back.status, write_back.last_error = WriteBackStatus.FAILED, message[:2000]
    write_back.save(update_fields=["status", "last_error"])
    note_error(write_back.connection_id, message)
    if write_back.return_request_id:
        lifecycle.record_event(
            Return.objects.get(pk=write_back.return_request_id),
            "platform_sync_failed",
            actor=Actor.system("connectors"),
            data={
                "platform": write_back.connection.platform,
                "kind": write_back.kind,
                "write_back": write_back.pk,
                "error": message[:500],
            },
        )
    return write_back


def skip_write_back(write_back_id: int, reason: str) -> WriteBack:
    """A write-back the platform cannot take (WooCommerce core has no store credit): kept as
    skipped with the reason, shown on the connection page; nothing was sent."""
    WriteBack.objects.filter(pk=write_back_id).update(
        status=WriteBackStatus.SKIPPED, last_error=reason[:2000]
    )
    return WriteBack.objects.get(pk=write_back_id)


@transaction.atomic
def retry_write_back(*, write_back: WriteBack, actor: Actor) -> WriteBack:
    """Staff send a failed write-back again (same request, same idempotency key)."""
    from retour.connectors import jobs

    locked = WriteBack.objects.select_for_update().get(pk=write_back.pk)
    if locked.status != WriteBackStatus.FAILED:
        raise Conflict(_("Only a failed write-back can be retried."))
    locked.status = WriteBackStatus.PENDING
    locked.save(update_fields=["status"])
    record_audit(
        store=write_back.connection.store,
        actor=actor,
        verb="connection.write_back_retried",
        obj=write_back.connection,
        data={"write_back": locked.pk, "kind": locked.kind},
    )
    jobs.push_write_back.enqueue(locked.pk)
    return locked
