"""Every write of the logistics app: labels, voids, tracking, pickups, expiry.

Carrier calls are slow and can fail or hang, so they never run inside a database transaction
(a row lock held for 20 s would stall the return for everyone, and a rollback cannot un-buy a
label). Each operation is therefore three steps:

1. a short transaction *claims* the work: it locks the return, checks the lifecycle allows it,
   and writes a `pending` Shipment whose idempotency key is derived from the return and the
   attempt number (one live shipment per return is a database constraint: two clicks cannot
   buy two labels);
2. the carrier is called with that key, outside any transaction;
3. a second transaction records the outcome: the label and `returns.services.record_label`
   together, or the failure (the shipment `failed` with its error, and a `label_failed` event on
   the return). A `pending` row left by a crash is taken over, with the same key, after
   `PENDING_LEASE`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.commerce.audit import record_audit
from retour.commerce.models import Store, Warehouse
from retour.core.actors import Actor
from retour.core.errors import Conflict, DomainError, InvalidRequest, NotFound
from retour.logistics import routing
from retour.logistics.adapters import CarrierError, NotSupported, get_adapter
from retour.logistics.adapters.base import (
    DropOffPoint,
    PickupRequest,
    ShipmentRequest,
    TrackingUpdate,
)
from retour.logistics.choices import (
    PICKUP_HOURS,
    TRACKING_RANK,
    CarrierKind,
    PickupStatus,
    PickupWindow,
    RoutingStrategy,
    ShipmentStatus,
    TrackingStatus,
)
from retour.logistics.documents import Address, PackingSlipData, PackingSlipItem
from retour.logistics.documents.manifest import ManifestData, ManifestParcel
from retour.logistics.models import (
    CarrierAccount,
    PickupBooking,
    RoutingRule,
    Shipment,
    TrackingEvent,
)
from retour.returns import lifecycle
from retour.returns import services as returns_services
from retour.returns.choices import ReturnStatus as S
from retour.returns.models import Return

logger = logging.getLogger(__name__)

PENDING_LEASE = dt.timedelta(minutes=5)
DEFAULT_ITEM_GRAMS = 500
LIVE = (ShipmentStatus.PENDING, ShipmentStatus.CREATED)


class LabelInProgress(Conflict):
    code = "label_in_progress"


class NoLabel(Conflict):
    code = "no_label"


class WebhookRejected(DomainError):
    code = "unauthenticated"
    http_status = 401


# ---- addresses and requests ---------------------------------------------------------------------


def shopper_address(return_request: Return) -> Address:
    order = return_request.order
    data = order.shipping_address or {}
    customer = return_request.customer
    name = data.get("name") or (customer.full_name if customer else "") or order.email
    return Address(
        name=name,
        lines=[data.get("line1", ""), data.get("line2", "")],
        postcode=data.get("postcode", order.shipping_postcode),
        city=data.get("city", ""),
        country=data.get("country", order.shipping_country),
    )


def warehouse_address(warehouse: Warehouse) -> Address:
    data = warehouse.address or {}
    return Address(
        name=data.get("name") or warehouse.name,
        lines=[data.get("line1", ""), data.get("line2", "")],
        postcode=data.get("postcode", ""),
        city=data.get("city", ""),
        country=data.get("country") or warehouse.country,
    )


def tracking_page_url(return_request: Return) -> str:
    return f"{settings.PUBLIC_URL}/returns/{return_request.store.slug}/track/{return_request.rma}"


def _checkpoint(shipment_id: int):
    """Records the carrier's id on the pending shipment as soon as the carrier made something:
    a try cut off after that point is resumed, not repeated (`ShipmentRequest.resume_id`)."""

    def record(carrier_id: str) -> None:
        Shipment.objects.filter(pk=shipment_id, status=ShipmentStatus.PENDING).update(
            carrier_shipment_id=carrier_id[:100], updated_at=timezone.now()
        )

    return record


def _shipment_request(shipment: Shipment, return_request: Return, service: str) -> ShipmentRequest:
    items = sum(line.quantity for line in return_request.lines.all())
    customer = return_request.customer
    return ShipmentRequest(
        idempotency_key=shipment.idempotency_key,
        reference=return_request.rma,
        sender=shopper_address(return_request),
        recipient=warehouse_address(shipment.warehouse),
        item_count=items,
        weight_grams=items * DEFAULT_ITEM_GRAMS,
        sender_email=return_request.order.email,
        sender_phone=customer.phone if customer else "",
        service=service,
        attempt=int(shipment.idempotency_key.rsplit("-", 1)[-1]),
        tracking_url=tracking_page_url(return_request),
        created=timezone.localdate(),
        language=return_request.locale[:2] or "en",
        resume_id=shipment.carrier_shipment_id,
        checkpoint=_checkpoint(shipment.pk),
    )


# ---- labels -------------------------------------------------------------------------------------


def live_shipment(return_request: Return) -> Shipment | None:
    return (
        Shipment.objects.filter(return_request=return_request, status__in=LIVE)
        .select_related("account", "warehouse")
        .first()
    )


def _claim(return_request: Return, route: routing.Route) -> tuple[Shipment, bool]:
    """Step 1: lock the return and write (or take over) the pending shipment. Returns the
    shipment and whether a carrier call is still needed (False: the label already exists)."""
    with transaction.atomic():
        locked = Return.objects.select_for_update().get(pk=return_request.pk)
        live = live_shipment(locked)
        if live is not None and live.status == ShipmentStatus.CREATED:
            return live, False
        if not lifecycle.can_transition(locked.status, S.LABEL_ISSUED):
            raise lifecycle.IllegalTransition(
                _("A label cannot be made for a return that is “%(status)s”.")
                % {"status": S(locked.status).label},
                current=locked.status,
            )
        now = timezone.now()
        if live is not None:
            if live.updated_at > now - PENDING_LEASE:
                raise LabelInProgress(_("A label is being made for this return; try again soon."))
            # Left by a crash: the same attempt again, with the same key (and the same carrier,
            # whose side may already hold the shipment under that key).
            Shipment.objects.filter(pk=live.pk).update(updated_at=now)
            return live, True
        return _next_attempt(locked, route), True


def _next_attempt(locked: Return, route: routing.Route) -> Shipment:
    """The pending shipment of the next try. After a retryable failure (timeout, carrier down)
    it is the same attempt: same key, same account, and the carrier's object made so far (a
    shipment not bought, a return not announced) to resume. After a void or a final failure
    (the carrier refused), a new attempt with a new key: the carrier may keep the old key."""
    previous = Shipment.objects.filter(return_request=locked).order_by("-id").first()
    if previous is not None and previous.status == ShipmentStatus.FAILED and previous.resumable:
        return Shipment.objects.create(
            store_id=locked.store_id,
            return_request=locked,
            account_id=previous.account_id,
            warehouse_id=previous.warehouse_id,
            idempotency_key=previous.idempotency_key,
            carrier_shipment_id=previous.carrier_shipment_id,
        )
    attempts = (
        Shipment.objects.filter(return_request=locked).values("idempotency_key").distinct().count()
    )
    return Shipment.objects.create(
        store_id=locked.store_id,
        return_request=locked,
        account=route.account,
        warehouse=route.warehouse,
        idempotency_key=f"retour-{locked.pk}-label-{attempts + 1}",
    )


def _choose_service(adapter, request: ShipmentRequest, route: routing.Route) -> str:
    if route.strategy == RoutingStrategy.FIXED or request.resume_id:
        return route.service  # resuming: the carrier's object already has its service
    try:
        rates = adapter.rates(request)
    except NotSupported:
        return route.service
    if not rates:
        return route.service
    if route.strategy == RoutingStrategy.FASTEST:
        best = min(rates, key=lambda r: (r.days if r.days is not None else 99, r.amount))
    else:
        best = min(rates, key=lambda r: r.amount)
    return best.rate_id if adapter.kind == "sendcloud" else best.service


def _record_failure(
    shipment: Shipment, error: Exception, actor: Actor, kind: str, *, resumable: bool = True
) -> None:
    message = getattr(error, "message", "") or _("Unexpected error while calling the carrier.")
    retryable = getattr(error, "retryable", False)
    with transaction.atomic():
        Shipment.objects.filter(pk=shipment.pk).update(
            status=ShipmentStatus.FAILED,
            last_error=message,
            resumable=resumable and retryable,
            updated_at=timezone.now(),
        )
        locked = Return.objects.select_for_update().get(pk=shipment.return_request_id)
        lifecycle.record_event(
            locked,
            kind,
            actor=actor,
            data={
                "carrier": shipment.account.kind,
                "account": shipment.account.name,
                "error": message,
                "reason": getattr(error, "reason", "unexpected"),
                "retryable": retryable,
            },
        )


def issue_label(
    *, return_request: Return, actor: Actor, account: CarrierAccount | None = None
) -> Shipment:
    """Make the return's label with the routed carrier (or `account`). Safe to retry: an
    existing label is returned as is; a failed attempt is tried again with the same key."""
    current = Return.objects.filter(pk=return_request.pk).values_list("status", flat=True).first()
    if current != S.LABEL_ISSUED and not lifecycle.can_transition(current, S.LABEL_ISSUED):
        raise lifecycle.IllegalTransition(
            _("A label cannot be made for a return that is “%(status)s”.")
            % {"status": S(current).label},
            current=current,
        )
    route = routing.route_return(return_request)
    if account is not None:
        route = routing.Route(account=account, warehouse=route.warehouse)
    shipment, needed = _claim(return_request, route)
    if not needed:
        return shipment
    shipment = Shipment.objects.select_related("account", "warehouse").get(pk=shipment.pk)
    return_request = Return.objects.select_related("order", "customer", "store").get(
        pk=return_request.pk
    )
    adapter = get_adapter(shipment.account)
    try:
        request = _shipment_request(shipment, return_request, route.service)
        service = _choose_service(adapter, request, route)
        if service != request.service:
            request = _shipment_request(shipment, return_request, service)
        result = adapter.create_return_shipment(request)
    except Exception as error:
        _record_failure(shipment, error, actor, "label_failed")
        raise
    try:
        with transaction.atomic():
            updated = Shipment.objects.filter(pk=shipment.pk, status=ShipmentStatus.PENDING).update(
                status=ShipmentStatus.CREATED,
                carrier_shipment_id=result.carrier_shipment_id,
                carrier_name=result.carrier_name,
                service=result.service,
                tracking_number=result.tracking_number,
                tracking_url=result.tracking_url,
                qr_code_url=result.qr_code_url,
                rate=result.rate,
                currency=result.currency,
                label_pdf=result.label_pdf,
                label_zpl=result.label_zpl,
                tracking_status=TrackingStatus.PRE_TRANSIT,
                last_error="",
                updated_at=timezone.now(),
            )
            if not updated:
                raise LabelInProgress(_("A label is being made for this return; try again soon."))
            returns_services.record_label(
                return_request=return_request,
                carrier=result.carrier_name or shipment.account.get_kind_display(),
                tracking_number=result.tracking_number,
                actor=actor,
            )
    except DomainError as error:
        # The return changed meanwhile (cancelled, say): the bought label is of no use.
        _record_failure(shipment, error, actor, "label_failed", resumable=False)
        _void_quietly(adapter, result.carrier_shipment_id)
        raise
    shipment.refresh_from_db()
    return shipment


def _void_quietly(adapter, carrier_shipment_id: str) -> None:
    try:
        adapter.void(carrier_shipment_id)
    except CarrierError:
        logger.warning("could not void carrier shipment %s", carrier_shipment_id, exc_info=True)


def void_label(*, return_request: Return, actor: Actor, reason: str = "") -> Shipment:
    """Void the return's label at the carrier, then retire it; a `label_issued` return goes back
    to `approved` (a new label can be made). A parcel already scanned cannot be voided."""
    shipment = live_shipment(return_request)
    if shipment is None or shipment.status != ShipmentStatus.CREATED:
        raise NoLabel(_("This return has no label."))
    if shipment.first_scan_at is not None:
        raise Conflict(_("The parcel is already on its way: its label cannot be voided."))
    adapter = get_adapter(shipment.account)
    try:
        adapter.void(shipment.carrier_shipment_id)
    except CarrierError as error:
        with transaction.atomic():
            locked = Return.objects.select_for_update().get(pk=return_request.pk)
            lifecycle.record_event(
                locked, "label_void_failed", actor=actor, data={"error": error.message}
            )
        raise
    with transaction.atomic():
        locked = Return.objects.select_for_update().get(pk=return_request.pk)
        now = timezone.now()
        Shipment.objects.filter(pk=shipment.pk).update(
            status=ShipmentStatus.VOIDED, voided_at=now, updated_at=now
        )
        data = {"tracking_number": shipment.tracking_number, "reason": reason}
        if locked.status == S.LABEL_ISSUED:
            lifecycle.transition(locked, S.APPROVED, actor=actor, data=data, kind="label_voided")
        else:
            lifecycle.record_event(locked, "label_voided", actor=actor, data=data)
    shipment.refresh_from_db()
    return shipment


# ---- tracking -----------------------------------------------------------------------------------


def receive_webhook(*, kind: str, account_id: int, body: bytes, headers: Mapping[str, str]) -> int:
    """A carrier's webhook: authenticated by its signature (the account's secret), then ingested.
    An unknown account and a bad signature get the same answer. Returns how many events were
    new."""
    account = CarrierAccount.objects.filter(pk=account_id, kind=kind, active=True).first()
    if account is None:
        raise WebhookRejected(_("Invalid signature."))
    adapter = get_adapter(account)
    if not adapter.verify_webhook(body, headers):
        raise WebhookRejected(_("Invalid signature."))
    try:
        updates = adapter.parse_webhook(body)
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidRequest(_("The webhook's body cannot be read.")) from error
    return len(ingest_tracking(account=account, updates=updates))


def poll_tracking(*, shipment: Shipment) -> int:
    """Ask the carrier for the parcel's history (for carriers or setups without webhooks)."""
    adapter = get_adapter(shipment.account)
    updates = adapter.poll(
        carrier_shipment_id=shipment.carrier_shipment_id,
        tracking_number=shipment.tracking_number,
    )
    return len(ingest_tracking(account=shipment.account, updates=updates))


def drop_off_points(
    *, store_id: int, account_id: int, country: str, postcode: str
) -> list[DropOffPoint]:
    """The carrier account's drop-off points (service points, lockers, post offices) near a
    postcode, as the carrier lists them. The account must be one of the store's, and active."""
    account = CarrierAccount.objects.filter(store_id=store_id, pk=account_id, active=True).first()
    if account is None:
        raise NotFound(_("Not found."))
    country, postcode = country.strip().upper(), postcode.strip()
    if len(country) != 2 or not country.isalpha():
        raise InvalidRequest(_("The country must be a two-letter ISO code."))
    if not postcode:
        raise InvalidRequest(_("A postcode is required."))
    return get_adapter(account).drop_off_points(country=country, postcode=postcode)


@dataclass(frozen=True)
class PollOutcome:
    polled: int
    events: int
    failed: int


# Tracking statuses after which a parcel's history no longer changes: not polled.
_FINAL_TRACKING = (
    TrackingStatus.DELIVERED,
    TrackingStatus.RETURN_TO_SENDER,
    TrackingStatus.CANCELLED,
)


def poll_stale_tracking(now: dt.datetime | None = None, batch: int | None = None) -> PollOutcome:
    """Poll the carrier (`poll_tracking`) for the labels whose carrier sent no tracking event
    (webhook or earlier poll) for `RETOUR_LOGISTICS["TRACKING_STALE_HOURS"]`: a lost or
    unconfigured webhook must not leave a return unscanned until it expires. Own labels have no
    carrier and parcels in a final status are skipped. A carrier error is logged and counted,
    and the next run tries again."""
    now = now or timezone.now()
    conf = settings.RETOUR_LOGISTICS
    since = now - dt.timedelta(hours=conf.get("TRACKING_STALE_HOURS", 6))
    batch = batch or conf.get("TRACKING_POLL_BATCH", 200)
    due = (
        Shipment.objects.filter(status=ShipmentStatus.CREATED, account__active=True)
        .exclude(account__kind=CarrierKind.OWN_LABEL)
        .exclude(carrier_shipment_id="")
        .exclude(tracking_status__in=_FINAL_TRACKING)
        .filter(created_at__lte=since)
        .annotate(last_event=Max("events__received_at"))
        .filter(Q(last_event__isnull=True) | Q(last_event__lte=since))
        .select_related("account")
        .order_by("last_event", "created_at")[:batch]
    )
    polled = events = failed = 0
    for shipment in due:
        try:
            events += poll_tracking(shipment=shipment)
        except CarrierError as error:
            failed += 1
            logger.warning("tracking poll of shipment %s failed: %s", shipment.pk, error.message)
            continue
        polled += 1
    return PollOutcome(polled, events, failed)


def _find_shipment(account: CarrierAccount, update: TrackingUpdate) -> Shipment | None:
    shipments = Shipment.objects.filter(account=account).exclude(status=ShipmentStatus.FAILED)
    if update.carrier_shipment_id:
        found = shipments.filter(carrier_shipment_id=update.carrier_shipment_id).first()
        if found is not None:
            return found
    if update.tracking_number:
        return shipments.filter(tracking_number=update.tracking_number).first()
    return None


def ingest_tracking(
    *, account: CarrierAccount, updates: Sequence[TrackingUpdate]
) -> list[TrackingEvent]:
    """Record each update once (unique per account and provider event id) and apply it if it
    is newer than what was applied and does not move the parcel backwards. Returns the events
    that were new. Oldest first, so a batch out of order is applied in the carrier's order."""
    created = []
    for update in sorted(updates, key=lambda u: u.occurred_at):
        with transaction.atomic():
            shipment = _find_shipment(account, update)
            event, new = TrackingEvent.objects.get_or_create(
                account=account,
                provider_event_id=update.provider_event_id[:150],
                defaults={
                    "shipment": shipment,
                    "tracking_number": update.tracking_number,
                    "status": update.status,
                    "carrier_status": update.carrier_status[:200],
                    "message": update.message,
                    "occurred_at": update.occurred_at,
                },
            )
            if not new:
                continue  # the same event again: it changed everything it could the first time
            created.append(event)
            if shipment is not None:
                _apply(event, shipment, account)
    return created


_RETURN_TARGET = {
    TrackingStatus.IN_TRANSIT: S.IN_TRANSIT,
    TrackingStatus.OUT_FOR_DELIVERY: S.IN_TRANSIT,
    TrackingStatus.AVAILABLE_FOR_PICKUP: S.IN_TRANSIT,
    TrackingStatus.FAILURE: S.IN_TRANSIT,
    TrackingStatus.RETURN_TO_SENDER: S.IN_TRANSIT,
    TrackingStatus.DELIVERED: S.DELIVERED,
}


def _apply(event: TrackingEvent, shipment: Shipment, account: CarrierAccount) -> None:
    """Inside the ingesting transaction: move the shipment and, where the lifecycle allows it,
    the return. The return row is locked first (as every return write does), then the
    shipment, so two events of one parcel at once are applied one after the other."""
    return_request = Return.objects.select_for_update().get(pk=shipment.return_request_id)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    status = event.status
    if status in (TrackingStatus.UNKNOWN, TrackingStatus.CANCELLED):
        return
    last = shipment.tracking_updated_at
    if last is not None and event.occurred_at <= last:
        return  # older than what we know: kept in the history, applied to nothing
    if TRACKING_RANK[status] < TRACKING_RANK.get(shipment.tracking_status, 0):
        return  # would move the parcel backwards (a late "in transit" after "delivered")
    fields = {"tracking_status": status, "tracking_updated_at": event.occurred_at}
    if shipment.first_scan_at is None and TRACKING_RANK[status] >= 2:
        fields["first_scan_at"] = event.occurred_at
    Shipment.objects.filter(pk=shipment.pk).update(**fields)
    TrackingEvent.objects.filter(pk=event.pk).update(applied=True)
    target = _RETURN_TARGET.get(status)
    if target is None or not lifecycle.can_transition(return_request.status, target):
        return
    actor = Actor.carrier(shipment.carrier_name or account.name)
    data = {
        "tracking_number": shipment.tracking_number,
        "carrier_status": event.carrier_status,
        "message": event.message,
        "occurred_at": event.occurred_at.isoformat(),
        "event": event.provider_event_id,
    }
    if target == S.IN_TRANSIT:
        returns_services.mark_in_transit(return_request=return_request, actor=actor, data=data)
    else:
        returns_services.mark_delivered(return_request=return_request, actor=actor, data=data)


# ---- pickups ------------------------------------------------------------------------------------


PICKUP_DAYS = 14  # how far ahead a pickup can be asked for


def pickup_dates(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and the last day a pickup can be asked for: from tomorrow, for two weeks."""
    today = today or timezone.localdate()
    return today + dt.timedelta(days=1), today + dt.timedelta(days=PICKUP_DAYS)


def _check_pickup(date: dt.date, window: str) -> None:
    first, last = pickup_dates()
    if not first <= date <= last:
        raise InvalidRequest(_("A pickup can be booked from tomorrow on, for two weeks."))
    if window not in PickupWindow.values:
        raise InvalidRequest(_("Choose when the driver may come."))


def _address_data(address: Address) -> dict[str, Any]:
    return {
        "name": address.name,
        "lines": list(address.lines),
        "postcode": address.postcode,
        "city": address.city,
        "country": address.country,
    }


def request_pickup(
    *,
    return_request: Return,
    date: dt.date,
    window: str,
    address: Address,
    actor: Actor,
    phone: str = "",
) -> PickupBooking:
    """The pickup the shopper asks for with their return (date, time window, address). No label
    exists yet: the carrier is asked once it does (`book_requested_pickup`, from the label job).
    Runs in the caller's transaction, which holds the new return."""
    _check_pickup(date, window)
    if not (address.lines and address.lines[0].strip() and address.postcode and address.city):
        raise InvalidRequest(_("Enter the pickup address: street, postcode and city."))
    booking = PickupBooking.objects.create(
        store_id=return_request.store_id,
        return_request=return_request,
        date=date,
        window=window,
        address=_address_data(address),
        phone=phone[:40],
    )
    lifecycle.record_event(
        return_request,
        "pickup_requested",
        actor=actor,
        data={"date": date.isoformat(), "window": window},
    )
    return booking


def book_pickup(
    *,
    return_request: Return,
    date: dt.date,
    actor: Actor,
    address: Address | None = None,
    phone: str = "",
    window: str = PickupWindow.DAY,
) -> PickupBooking:
    """Ask the carrier to collect the parcel at the shopper's address (or `address`) on `date`."""
    _check_pickup(date, window)
    shipment = _labelled_shipment(return_request)
    booking = PickupBooking.objects.create(
        store_id=return_request.store_id,
        return_request=return_request,
        shipment=shipment,
        warehouse=shipment.warehouse,
        date=date,
        window=window,
        address=_address_data(address or shopper_address(return_request)),
        phone=phone[:40],
    )
    return _book_with_carrier(booking, shipment, return_request, actor)


def book_requested_pickup(*, return_request: Return, actor: Actor) -> PickupBooking | None:
    """Book the pickup the shopper asked for, now that the label exists (None: none asked).
    A day that has passed meanwhile (the shop took time to approve) moves to tomorrow."""
    booking = (
        PickupBooking.objects.filter(
            return_request=return_request, status=PickupStatus.REQUESTED, shipment__isnull=True
        )
        .order_by("-id")
        .first()
    )
    if booking is None:
        return None
    shipment = _labelled_shipment(return_request)
    booking.shipment, booking.warehouse = shipment, shipment.warehouse
    booking.date = max(booking.date, pickup_dates()[0])
    booking.save(update_fields=["shipment", "warehouse", "date"])
    return _book_with_carrier(booking, shipment, return_request, actor)


def _labelled_shipment(return_request: Return) -> Shipment:
    shipment = live_shipment(return_request)
    if shipment is None or shipment.status != ShipmentStatus.CREATED:
        raise NoLabel(_("A pickup needs the return's label first."))
    return shipment


def _book_with_carrier(
    booking: PickupBooking, shipment: Shipment, return_request: Return, actor: Actor
) -> PickupBooking:
    """The carrier's call, outside any transaction; then its outcome and the return's event."""
    start, end = PICKUP_HOURS[booking.window]
    data = booking.address
    try:
        result = get_adapter(shipment.account).book_pickup(
            PickupRequest(
                carrier_shipment_id=shipment.carrier_shipment_id,
                address=Address(
                    data["name"], data["lines"], data["postcode"], data["city"], data["country"]
                ),
                date=booking.date,
                reference=return_request.rma,
                phone=booking.phone,
                email=return_request.order.email,
                start=start,
                end=end,
                timezone=return_request.store.timezone,
            )
        )
    except CarrierError as error:
        PickupBooking.objects.filter(pk=booking.pk).update(
            status=PickupStatus.FAILED, last_error=error.message
        )
        with transaction.atomic():
            locked = Return.objects.select_for_update().get(pk=return_request.pk)
            lifecycle.record_event(
                locked, "pickup_failed", actor=actor, data={"error": error.message}
            )
        raise
    with transaction.atomic():
        PickupBooking.objects.filter(pk=booking.pk).update(
            status=PickupStatus.BOOKED, confirmation=result.confirmation
        )
        locked = Return.objects.select_for_update().get(pk=return_request.pk)
        lifecycle.record_event(
            locked,
            "pickup_booked",
            actor=actor,
            data={
                "date": booking.date.isoformat(),
                "window": booking.window,
                "confirmation": result.confirmation,
            },
        )
    booking.refresh_from_db()
    return booking


def pickup_manifest(*, warehouse: Warehouse, date: dt.date) -> ManifestData:
    """The parcels the carriers collect on `date` for `warehouse`, for the driver to sign."""
    bookings = (
        PickupBooking.objects.filter(warehouse=warehouse, date=date, status=PickupStatus.BOOKED)
        .select_related("shipment__return_request", "shipment__account")
        .prefetch_related("shipment__return_request__lines")
        .order_by("id")
    )
    parcels = [
        ManifestParcel(
            tracking_number=booking.shipment.tracking_number,
            rma=booking.shipment.return_request.rma,
            carrier=booking.shipment.carrier_name or booking.shipment.account.name,
            sender=booking.address.get("name", ""),
            place=" ".join(
                filter(None, (booking.address.get(k, "") for k in ("postcode", "city")))
            ),
            item_count=sum(line.quantity for line in booking.shipment.return_request.lines.all()),
            confirmation=booking.confirmation,
        )
        for booking in bookings
    ]
    return ManifestData(warehouse=warehouse_address(warehouse), date=date, parcels=tuple(parcels))


# ---- packing slip -------------------------------------------------------------------------------


def packing_slip(return_request: Return) -> PackingSlipData:
    lines = return_request.lines.select_related("order_line", "reason")
    language = return_request.locale[:2] or "en"
    return PackingSlipData(
        rma=return_request.rma,
        order_number=return_request.order.number,
        store_name=return_request.store.name,
        shopper=shopper_address(return_request),
        created=timezone.localdate(),
        items=tuple(
            PackingSlipItem(
                sku=line.order_line.sku,
                title=line.order_line.title,
                quantity=line.quantity,
                reason=line.reason.label(language) if line.reason else "",
            )
            for line in lines
        ),
    )


# ---- expiry -------------------------------------------------------------------------------------

EXPIRY_ACTOR = Actor.system("return expiry")


@dataclass(frozen=True)
class ExpiryOutcome:
    expired: int
    voided: int


def expire_unsent_returns(now: dt.datetime | None = None, batch: int = 500) -> ExpiryOutcome:
    """Approved returns, with or without a label, that no carrier has scanned within
    `RETURN_SHIP_DAYS`: expired, and their label voided where the carrier allows. The reminder
    before that is sent by `notifications.jobs.send_expiry_reminders`. Idempotent."""
    now = now or timezone.now()
    window = dt.timedelta(days=settings.RETOUR_NOTIFICATIONS["RETURN_SHIP_DAYS"])
    due = list(
        Return.objects.filter(
            status__in=(S.APPROVED, S.LABEL_ISSUED), status_changed_at__lte=now - window
        ).values_list("pk", flat=True)[:batch]
    )
    expired = voided = 0
    for return_id in due:
        with transaction.atomic():
            locked = Return.objects.select_for_update().get(pk=return_id)
            if locked.status not in (S.APPROVED, S.LABEL_ISSUED):
                continue
            returns_services.expire_return(return_request=locked, actor=EXPIRY_ACTOR)
        expired += 1
        voided += _void_after_expiry(locked)
    return ExpiryOutcome(expired, voided)


def _void_after_expiry(return_request: Return) -> int:
    shipment = live_shipment(return_request)
    if shipment is None or shipment.status != ShipmentStatus.CREATED:
        return 0
    adapter = get_adapter(shipment.account)
    if not adapter.can_void:
        return 0
    try:
        void_label(return_request=return_request, actor=EXPIRY_ACTOR, reason="expired")
    except CarrierError:
        return 0  # recorded on the return as `label_void_failed`
    return 1


# The secrets each adapter reads from `CarrierAccount.credentials`, as staff enter them.
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    CarrierKind.OWN_LABEL: (),
    CarrierKind.EASYPOST: ("api_key", "webhook_secret"),
    CarrierKind.SENDCLOUD: ("public_key", "secret_key", "webhook_key"),
}
ROUTING_CONDITIONS = ("country", "reason", "category", "method")


@transaction.atomic
def save_carrier_account(
    *,
    store: Store,
    kind: str,
    name: str,
    active: bool,
    secrets: Mapping[str, str],
    actor: Actor,
    account: CarrierAccount | None = None,
) -> CarrierAccount:
    """Create or change a carrier account. Only the secrets given (non-empty) replace the stored
    ones, encrypted at rest; the audit entry names them, never their values."""
    if kind not in CREDENTIAL_FIELDS:
        raise InvalidRequest(_("Unknown carrier: %s") % kind, field="kind")
    name = name.strip()
    if not name:
        raise InvalidRequest(_("Give the account a name."), field="name")
    taken = CarrierAccount.objects.filter(store=store, name=name)
    if account is not None:
        taken = taken.exclude(pk=account.pk)
    if taken.exists():
        raise InvalidRequest(_("Another account is called “%s”.") % name, field="name")
    replaced = {key: value.strip() for key, value in secrets.items() if value.strip()}
    unknown = set(replaced) - set(CREDENTIAL_FIELDS[kind])
    if unknown:
        raise InvalidRequest(_("Unknown credential: %s") % ", ".join(sorted(unknown)))
    creating = account is None
    if creating:
        account = CarrierAccount(store=store, kind=kind)
        required = CREDENTIAL_FIELDS[kind][:1]
        if required and required[0] not in replaced:
            raise InvalidRequest(_("Enter the account's API key."), field=required[0])
    elif account.kind != kind:
        raise InvalidRequest(_("The carrier of an account cannot change."), field="kind")
    account.name = name
    account.active = active
    if replaced:
        account.set_credentials({**account.credentials, **replaced})
    account.save()
    record_audit(
        store=store,
        actor=actor,
        verb="carrier.created" if creating else "carrier.updated",
        obj=account,
        data={"name": name, "kind": kind, "active": active, "credentials": sorted(replaced)},
    )
    return account


@dataclass(frozen=True)
class RoutingRuleInput:
    name: str
    position: int
    conditions: dict[str, list[str]]
    account_id: int | None
    warehouse_id: int | None
    strategy: str
    service: str = ""
    active: bool = True


def _routing_targets(store: Store, data: RoutingRuleInput) -> tuple:
    account = warehouse = None
    if data.account_id is not None:
        account = CarrierAccount.objects.filter(store=store, pk=data.account_id).first()
        if account is None:
            raise InvalidRequest(_("Choose one of the store's carrier accounts."), field="account")
    if data.warehouse_id is not None:
        warehouse = Warehouse.objects.filter(store=store, pk=data.warehouse_id).first()
        if warehouse is None:
            raise InvalidRequest(_("Choose one of the store's warehouses."), field="warehouse")
    return account, warehouse


@transaction.atomic
def save_routing_rule(
    *, store: Store, data: RoutingRuleInput, actor: Actor, rule: RoutingRule | None = None
) -> RoutingRule:
    """Create or change a routing rule; conditions are lists of values per known fact."""
    if not data.name.strip():
        raise InvalidRequest(_("Give the rule a name."), field="name")
    if data.strategy not in RoutingStrategy.values:
        raise InvalidRequest(_("Unknown strategy: %s") % data.strategy, field="strategy")
    unknown = set(data.conditions) - set(ROUTING_CONDITIONS)
    if unknown:
        raise InvalidRequest(_("Unknown condition: %s") % ", ".join(sorted(unknown)))
    conditions = {
        key: [value.upper() if key == "country" else value for value in values]
        for key, values in data.conditions.items()
        if values
    }
    account, warehouse = _routing_targets(store, data)
    creating = rule is None
    rule = rule or RoutingRule(store=store)
    rule.name = data.name.strip()
    rule.position = data.position
    rule.conditions = conditions
    rule.account = account
    rule.warehouse = warehouse
    rule.strategy = data.strategy
    rule.service = data.service.strip()
    rule.active = data.active
    rule.save()
    record_audit(
        store=store,
        actor=actor,
        verb="routing_rule.created" if creating else "routing_rule.updated",
        obj=rule,
        data={"name": rule.name, "conditions": conditions, "active": rule.active},
    )
    return rule
