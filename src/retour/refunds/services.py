"""Every write to refunds. Money moves in three steps, so that no gateway call ever runs inside a
database transaction and no refund is ever made twice:

1. `request_refund` — one transaction. It locks the order, the return and the order's payments
   (in that order, payments by primary key, the same order everywhere so two workers cannot
   deadlock), computes the amount from the units received and accepted, checks each payment's
   headroom (captured − refunded − pending − turned into credit) and records the refund with its
   parts as *pending*: the headroom is reserved before any money moves. The return's row lock makes
   a double click wait for the first click and then find its refund; the partial unique
   constraints make the database refuse a second in-flight refund of the return or a second
   refund of the order's shipping even if a bug skipped the checks.
2. `process_refund` — claims the refund (a short transaction that marks it processing and leases
   it), then calls each gateway *after* commit, outside any transaction, with the part's
   idempotency key (derived from the return's RMA, the refund's sequence and the attempt).
3. `record_outcome` — a second transaction records what the gateway said, adds the money to
   `Payment.refunded` with `F()` (never read-modify-write), updates the order's financial status,
   writes the return's events and resolves the return when its state allows.

Retries: a timeout, a 429 or a 5xx keeps the part pending with the *same* key (Stripe answers a
repeated key with the refund it already made), and `retry_due_refunds` — the plain function the
job layer runs every minute — tries again with exponential backoff; after
`RefundSettings.max_tries` the refund is marked failed and an alert is logged and recorded.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.commerce.audit import record_audit
from retour.commerce.models import Customer, Order, OrderLine, Payment
from retour.core.actors import Actor
from retour.core.codes import random_code
from retour.core.errors import Conflict, InvalidRequest, PermissionDenied
from retour.core.money import ZERO, quantize
from retour.events.outbox import emit
from retour.refunds import credit
from retour.refunds.adapters import (
    GatewayError,
    GatewayRefund,
    GatewayStatus,
    PermanentGatewayError,
    RefundGateway,
    TransientGatewayError,
    gateway_for,
)
from retour.refunds.allocation import PaymentBalance, split_over_payments
from retour.refunds.calculation import (
    Breakdown,
    CalculationError,
    LineInput,
    OrderInput,
    RefundInput,
    UnitsInput,
    calculate,
    explain_difference,
)
from retour.refunds.choices import (
    IN_FLIGHT_STATUSES,
    WAITING_GATEWAYS,
    AllocationStatus,
    Destination,
    ExchangeStatus,
    Gateway,
    RefundStatus,
    RefundTrigger,
)
from retour.refunds.models import (
    Exchange,
    Refund,
    RefundAllocation,
    RefundLine,
    RefundSettings,
    money_plus,
)
from retour.refunds.terms import Units, policy_terms
from retour.returns import lifecycle
from retour.returns.choices import (
    ClaimResolution,
    ClaimStatus,
    LineStatus,
    Resolution,
    ReturnMethod,
)
from retour.returns.choices import ReturnStatus as S
from retour.returns.deadlines import legal_refund_deadline
from retour.returns.models import Claim, Return, ReturnLine
from retour.returns.services import claim_payload, resolve_claim, resolve_return

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a worker's claim on a refund while it talks to the gateway


class NothingToRefund(Conflict):
    code = "nothing_to_refund"


class RefundNotDue(Conflict):
    code = "refund_not_due"


_AFTER_APPROVAL = frozenset(
    {
        S.APPROVED,
        S.LABEL_ISSUED,
        S.IN_TRANSIT,
        S.DELIVERED,
        S.RECEIVED,
        S.INSPECTED,
        S.RESOLVED,
        S.CLOSED,
    }
)
# Return states at or after each trigger: the refund may start once the return is in one.
_TRIGGER_STATES: dict[str, frozenset[str]] = {
    RefundTrigger.INSPECTION: frozenset({S.INSPECTED, S.RESOLVED, S.CLOSED}),
    RefundTrigger.WAREHOUSE_DELIVERY: frozenset(
        {S.DELIVERED, S.RECEIVED, S.INSPECTED, S.RESOLVED, S.CLOSED}
    ),
    RefundTrigger.FIRST_SCAN: frozenset(
        {S.IN_TRANSIT, S.DELIVERED, S.RECEIVED, S.INSPECTED, S.RESOLVED, S.CLOSED}
    ),
    RefundTrigger.APPROVAL: _AFTER_APPROVAL,
    # Finance starts the refund when it decides, from the approval on (no automatic start).
    RefundTrigger.MANUAL: _AFTER_APPROVAL,
}


def refund_trigger(method: str, settings: RefundSettings) -> str:
    """When the refund of a return sent back by `method` starts: at approval for a returnless
    return (nothing comes back to wait for), else at the store's setting."""
    if method == ReturnMethod.KEEP:
        return RefundTrigger.APPROVAL
    return settings.refund_trigger


def trigger_reached(trigger: str, *, from_status: str, to_status: str) -> bool:
    """Does a return's move from `from_status` to `to_status` reach `trigger` for the first time?
    The refund job starts the refund then, once. Never for a manual trigger."""
    states = _TRIGGER_STATES[trigger]
    return trigger != RefundTrigger.MANUAL and to_status in states and from_status not in states


def trigger_passed(return_request: Return, settings: RefundSettings) -> bool:
    """Is the return at or past its refund trigger (not a manual one)?"""
    trigger = refund_trigger(return_request.method, settings)
    return trigger != RefundTrigger.MANUAL and return_request.status in _TRIGGER_STATES[trigger]


def retry_delay(tries: int) -> timedelta:
    """Exponential backoff: 30 s, 1 min, 2 min, 4 min … at most one hour."""
    return min(timedelta(seconds=30) * (2 ** max(tries - 1, 0)), timedelta(hours=1))


@dataclass(frozen=True)
class Deduction:
    """What inspection takes off one return line's refund, and why (told to the shopper)."""

    amount: Decimal
    reason: str


# --- reading what a return can still get --------------------------------------------------------


def order_input(order: Order, lines: Sequence[OrderLine] | None = None) -> OrderInput:
    """The calculation's view of an order.

    `Order.discount_total` is every discount of the order (as platforms report it); the part not
    already on a line is the order-level discount spread over the lines. When prices exclude tax,
    the order's tax beyond the lines' is the shipping's tax and is refunded with the shipping.
    """
    lines = list(lines if lines is not None else order.lines.all())
    on_lines = sum((line.discount for line in lines), ZERO)
    line_tax = sum((line.tax for line in lines), ZERO)
    shipping = order.shipping_total
    if not order.taxes_included:
        shipping += max(order.tax_total - line_tax, ZERO)
    return OrderInput(
        currency=order.currency,
        taxes_included=order.taxes_included,
        lines=[
            LineInput(
                line_id=line.pk,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                tax=line.tax,
            )
            for line in lines
        ],
        order_discount=max(order.discount_total - on_lines, ZERO),
        shipping=shipping,
    )


def claim_breakdown(claim: Claim) -> Breakdown:
    """What the shopper paid for a claim's units (discounts spread as for a return's refund; no
    shipping, no fees): the money an approved claim gives back or replaces. Reads the claim's
    lines and its order's lines (prefetched by `returns.claims.claim_for_staff`), and in one
    query the units other refunds (returns' or claims') already paid on the order's lines: the
    claim's units take the next slices of each line, so that everything refunded on a line adds
    up to at most what was paid for it. Raises `InvalidRequest` when more units would be paid
    back than were bought."""
    units = [
        UnitsInput(line_id=line.order_line_id, quantity=line.quantity) for line in claim.lines.all()
    ]
    done = _refunded_units_by_order_line(claim.order_id, exclude=Q(refund__claim_id=claim.pk))
    try:
        return calculate(order_input(claim.order), RefundInput(units=units, already_refunded=done))
    except CalculationError as error:
        raise InvalidRequest(_("These items are already refunded.")) from error


def _live_refund_lines(**filters: Any):
    return RefundLine.objects.filter(**filters).exclude(refund__status=RefundStatus.CANCELLED)


def _refunded_units_by_order_line(order_id: int, exclude: Q | None = None) -> dict[int, int]:
    """Units of each order line in refunds not cancelled: returns' and claims' alike."""
    lines = _live_refund_lines(refund__order_id=order_id)
    if exclude is not None:
        lines = lines.exclude(exclude)
    rows = lines.values("order_line_id").annotate(units=Sum("quantity"))
    return {row["order_line_id"]: row["units"] for row in rows}


def _refunded_units_by_return_line(return_id: int) -> dict[int, int]:
    rows = (
        _live_refund_lines(refund__return_request_id=return_id)
        .values("return_line_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["return_line_id"]: row["units"] for row in rows}


def _basis_quantity(line: ReturnLine, *, estimate: bool) -> int:
    """Units of a line the refund follows. The estimate (what the portal promised) uses the
    announced quantity; the refund uses the units accepted at inspection once inspected, the
    units received once received (an early refund by the store's trigger), else the announced
    ones (a refund at approval or first scan, for trusted shoppers)."""
    if estimate:
        return line.quantity
    if line.status == LineStatus.INSPECTED:
        return line.accepted_qty
    if line.status == LineStatus.RECEIVED:
        return line.received_qty
    return line.quantity


@dataclass(frozen=True)
class Computation:
    breakdown: Breakdown
    bonus_rate: Decimal  # the store-credit bonus the policy decision set (a share)
    units: dict[int, int]  # return line id → units refunded now
    order_lines: dict[int, int]  # return line id → order line id


def compute_refund(
    return_request: Return,
    *,
    estimate: bool = False,
    quantities: Mapping[int, int] | None = None,
    deductions: Mapping[int, Deduction] | None = None,
    to_store_credit: bool | None = None,
    settings: RefundSettings | None = None,
) -> Computation:
    """The refund of a return, itemised: the portal's estimate (`estimate=True`, the announced
    quantities, no deductions) and the final amount come from this same function.

    `quantities` (return line id → units) is a staff override of the units; the caller records
    its author. Units already in a refund that was not cancelled are never counted again.
    """
    settings = settings or RefundSettings.for_store(return_request.store_id)
    order = return_request.order
    lines = list(return_request.lines.select_related("reason").order_by("id"))
    done_here = {} if estimate else _refunded_units_by_return_line(return_request.pk)
    units: dict[int, int] = {}
    for line in lines:
        wanted = (
            quantities.get(line.pk, 0)
            if quantities is not None
            else _basis_quantity(line, estimate=estimate)
        )
        if quantities is not None and not 0 <= wanted <= line.quantity:
            raise InvalidRequest(
                _("Between 0 and %(max)d units of this line can be refunded.")
                % {"max": line.quantity},
                line_id=line.pk,
            )
        left = wanted - done_here.get(line.pk, 0)
        if left > 0:
            units[line.pk] = left
    if quantities is not None and set(quantities) - {line.pk for line in lines}:
        raise InvalidRequest(_("These lines are not part of the return."))
    by_id = {line.pk: line for line in lines}
    deductions = deductions or {}
    merchant_fault = any(line.reason is not None and line.reason.merchant_fault for line in lines)
    credit_wanted = (
        return_request.resolution == Resolution.STORE_CREDIT
        if to_store_credit is None
        else to_store_credit
    )
    # Fees and bonus: the policy decision the return was decided under (`terms`).
    terms = policy_terms(
        return_request.decision,
        {
            by_id[line_id].order_line_id: Units(count, by_id[line_id].quantity)
            for line_id, count in units.items()
        },
    )
    shipping_done = (
        not estimate
        and Refund.objects.filter(order_id=order.pk, includes_shipping=True)
        .exclude(status=RefundStatus.CANCELLED)
        .exists()
    )
    request = RefundInput(
        units=[
            UnitsInput(
                line_id=by_id[line_id].order_line_id,
                quantity=count,
                deduction=deductions[line_id].amount if line_id in deductions else ZERO,
                deduction_reason=deductions[line_id].reason if line_id in deductions else "",
            )
            for line_id, count in units.items()
        ],
        already_refunded={} if estimate else _refunded_units_by_order_line(order.pk),
        fees=terms.fees,
        shipping_rule=settings.shipping_rule,
        merchant_fault=merchant_fault,
        shipping_already_refunded=shipping_done,
        to_store_credit=credit_wanted,
        store_credit_bonus_rate=terms.bonus_rate,
    )
    try:
        breakdown = calculate(order_input(order), request)
    except CalculationError as error:
        raise InvalidRequest(_("This order's amounts do not add up: %s") % error) from error
    return Computation(
        breakdown=breakdown,
        bonus_rate=terms.bonus_rate,
        units=units,
        order_lines={line_id: by_id[line_id].order_line_id for line_id in units},
    )


def _pending_and_converted(payment_ids: Sequence[int]) -> dict[int, Decimal]:
    """Per payment: what refunds still hold (pending parts) plus what was turned into store
    credit or an exchange. Read under the payments' row locks."""
    rows = (
        RefundAllocation.objects.filter(payment_id__in=payment_ids)
        .filter(
            Q(status=AllocationStatus.PENDING)
            | (Q(status=AllocationStatus.SUCCEEDED) & ~Q(destination=Destination.ORIGINAL_PAYMENT))
        )
        .values("payment_id")
        .annotate(total=Sum("amount"))
    )
    return {row["payment_id"]: row["total"] or ZERO for row in rows}


def payment_balances(payments: Sequence[Payment]) -> list[PaymentBalance]:
    held = _pending_and_converted([payment.pk for payment in payments])
    return [
        PaymentBalance(
            payment_id=payment.pk,
            method=payment.method,
            captured=payment.captured,
            refunded=payment.refunded,
            pending=held.get(payment.pk, ZERO),
        )
        for payment in payments
    ]


# --- requesting -----------------------------------------------------------------------------------


def _legal_due_at(return_request: Return) -> datetime | None:
    """When the law wants the money back (withdrawals only; `returns.deadlines` decides)."""
    deadline = legal_refund_deadline(return_request)
    return deadline.due_at if deadline is not None else None


def _insert_refund(**fields: Any) -> Refund:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Refund.objects.create(reference=random_code("RF"), **fields)
        except IntegrityError as error:
            if "reference" not in str(error).lower():
                raise
    raise RuntimeError("could not draw a unique refund reference")


@transaction.atomic
def request_refund(
    *,
    return_request: Return,
    actor: Actor,
    quantities: Mapping[int, int] | None = None,
    override_reason: str = "",
    deductions: Mapping[int, Deduction] | None = None,
    store_credit_amount: Decimal | None = None,
    trigger: str | None = None,
    request_key: str = "",
) -> Refund:
    """Record a refund of a return's received and accepted units, reserving its amount on the
    payments. Calling it again while that refund is in flight returns the same refund (a double
    click makes one refund). Nothing is sent to a gateway here: run `process_refund` after
    commit.

    `quantities` overrides the units (staff only, with a reason: the author is recorded).
    `store_credit_amount` sends that much of the refund to store credit and the rest to the
    payments; by default the return's resolution decides (store credit: all of it).
    `trigger` is the rule's decision for this return; by default `refund_trigger`'s.
    `request_key` is the caller's idempotency key: repeated, it gives back the refund it made.
    The value of the return's live exchanges goes to the exchange, not back to the payments.
    """
    if quantities is not None and (actor.user_id is None or not override_reason.strip()):
        raise PermissionDenied(_("Only a staff member can override the units, and must say why."))
    settings = RefundSettings.for_store(return_request.store_id)
    # Lock order: Order → Return → Payments (by pk). Every refund path takes them in this order.
    order = Order.objects.select_for_update().get(pk=return_request.order_id)
    return_request = (
        Return.objects.select_for_update().select_related("order").get(pk=return_request.pk)
    )
    replayed = _replayed(return_request, request_key)
    if replayed is not None:
        return replayed
    in_flight = return_request.refunds.filter(status__in=IN_FLIGHT_STATUSES).first()
    if in_flight is not None:
        return in_flight
    trigger = trigger or refund_trigger(return_request.method, settings)
    if return_request.status not in _TRIGGER_STATES[trigger]:
        raise RefundNotDue(
            _("The refund of this return starts %(trigger)s; the return is “%(status)s”.")
            % {"trigger": RefundTrigger(trigger).label, "status": S(return_request.status).label},
            trigger=trigger,
        )
    payments = list(Payment.objects.select_for_update().filter(order=order).order_by("pk"))
    credit_share = store_credit_amount
    computation = compute_refund(
        return_request,
        quantities=quantities,
        deductions=deductions,
        to_store_credit=(
            credit_share is None and return_request.resolution == Resolution.STORE_CREDIT
        ),
        settings=settings,
    )
    breakdown = computation.breakdown
    if not computation.units:
        raise NothingToRefund(_("Every accepted item of this return is already refunded."))
    currency = order.currency
    total = breakdown.total
    if credit_share is None:
        credit_share = total if return_request.resolution == Resolution.STORE_CREDIT else ZERO
    credit_share = quantize(credit_share, currency)
    if not ZERO <= credit_share <= total:
        raise InvalidRequest(_("The store-credit part must be between 0 and the refund."))
    # The bonus is on the part paid as store credit only (the calculation gives it on the whole
    # refund when all of it goes to credit: the same formula).
    breakdown = replace(breakdown, bonus=quantize(credit_share * computation.bonus_rate, currency))
    if credit_share and return_request.customer_id is None and not order.email:
        raise InvalidRequest(_("Store credit needs the shopper's e-mail address."))
    exchange_share = min(_exchange_value_left(return_request), total - credit_share)
    parts = split_over_payments(
        total, payment_balances(payments), currency, gift_card_first=settings.gift_card_first
    )
    estimate = compute_refund(return_request, estimate=True, settings=settings).breakdown
    differences = [
        {"code": d.code, "message": d.message} for d in explain_difference(estimate, breakdown)
    ]
    needs_approval = (
        settings.four_eyes_threshold is not None and total > settings.four_eyes_threshold
    )
    sequence = return_request.refunds.count() + 1
    key = f"retour-{return_request.rma}-{sequence}"
    now = timezone.now()
    refund = _insert_refund(
        store_id=return_request.store_id,
        return_request=return_request,
        order=order,
        sequence=sequence,
        idempotency_key=key,
        request_key=request_key,
        status=RefundStatus.AWAITING_APPROVAL if needs_approval else RefundStatus.REQUESTED,
        currency=currency,
        amount=total,
        bonus=breakdown.bonus,
        includes_shipping=breakdown.refunds_shipping,
        breakdown=breakdown.as_json(),
        estimate=estimate.as_json(),
        differences=differences,
        override_author_id=actor.user_id if quantities is not None else None,
        override_reason=override_reason if quantities is not None else "",
        due_by=_legal_due_at(return_request),
        expected_by=_arrival(total > credit_share + exchange_share, settings, now),
        next_try_at=now,
        **actor.audit_fields(),
    )
    amounts = {line.line_id: line.amount for line in breakdown.lines}
    RefundLine.objects.bulk_create(
        RefundLine(
            refund=refund,
            return_line_id=line_id,
            order_line_id=computation.order_lines[line_id],
            quantity=count,
            amount=amounts.get(computation.order_lines[line_id], ZERO),
        )
        for line_id, count in computation.units.items()
    )
    RefundAllocation.objects.bulk_create(
        _allocations(
            refund,
            parts,
            {Destination.STORE_CREDIT: credit_share, Destination.EXCHANGE: exchange_share},
        )
    )
    data = {
        "refund": refund.reference,
        "amount": str(total),
        "currency": currency,
        "awaiting_approval": needs_approval,
        "override": bool(quantities is not None),
    }
    lifecycle.record_event(return_request, "refund_requested", actor=actor, data=data)
    record_audit(store=order.store, actor=actor, verb="refund.requested", obj=refund, data=data)
    return refund


def _replayed(return_request: Return, request_key: str) -> Refund | None:
    """The refund an earlier call with this idempotency key made, if any (read under the
    return's lock, so two calls with one key cannot both miss it)."""
    if not request_key:
        return None
    found = Refund.objects.filter(store_id=return_request.store_id, request_key=request_key).first()
    if found is not None and found.return_request_id != return_request.pk:
        raise Conflict(_("This idempotency key was used for another return."), code="key_reused")
    return found


@transaction.atomic
def request_claim_refund(*, claim: Claim, actor: Actor) -> Refund:
    """Record the refund of a claim approved with a refund: what the shopper paid for its units
    (`claim_breakdown`), back to the order's payments. It is the same refund as a return's from
    here on: its parts reserve the payments' headroom in this transaction, `process_refund`
    sends them after commit (enqueued by the `claim.refund_requested` event, else swept), four
    eyes above the store's threshold. Once per claim: called again, it gives back the refund it
    made — checked under the claim's row lock, and the `refund_once_per_claim` constraint backs
    it up. `refunds.claims.decide_claim` calls it in the approval's transaction."""
    settings = RefundSettings.for_store(claim.store_id)
    # Lock order: Order → Claim → Payments (by pk), as a return's refund takes Order → Return.
    order = Order.objects.select_for_update().get(pk=claim.order_id)
    claim = Claim.objects.select_for_update().select_related("store", "order").get(pk=claim.pk)
    made = claim.refunds.exclude(status=RefundStatus.CANCELLED).first()
    if made is not None:
        return made
    if claim.status != ClaimStatus.APPROVED or claim.resolution != ClaimResolution.REFUND:
        raise RefundNotDue(_("Only a claim approved with a refund is refunded."))
    payments = list(Payment.objects.select_for_update().filter(order=order).order_by("pk"))
    breakdown = claim_breakdown(claim)
    total = breakdown.total
    if total <= 0:
        raise NothingToRefund(_("Nothing was paid for these items: send a replacement instead."))
    parts = split_over_payments(
        total, payment_balances(payments), order.currency, gift_card_first=settings.gift_card_first
    )
    needs_approval = (
        settings.four_eyes_threshold is not None and total > settings.four_eyes_threshold
    )
    sequence = claim.refunds.count() + 1  # a cancelled refund keeps its key: the next is new
    now = timezone.now()
    refund = _insert_refund(
        store_id=claim.store_id,
        claim=claim,
        order=order,
        sequence=sequence,
        idempotency_key=f"retour-{claim.number}-{sequence}",
        status=RefundStatus.AWAITING_APPROVAL if needs_approval else RefundStatus.REQUESTED,
        currency=order.currency,
        amount=total,
        breakdown=breakdown.as_json(),
        expected_by=_arrival(True, settings, now),
        next_try_at=now,
        **actor.audit_fields(),
    )
    RefundLine.objects.bulk_create(
        RefundLine(
            refund=refund, order_line_id=line.line_id, quantity=line.quantity, amount=line.amount
        )
        for line in breakdown.lines
    )
    RefundAllocation.objects.bulk_create(_allocations(refund, parts, {}))
    data = {
        "refund": refund.reference,
        "amount": str(total),
        "currency": order.currency,
        "awaiting_approval": needs_approval,
    }
    _record(refund, "refund_requested", actor=actor, data=data)
    record_audit(store=claim.store, actor=actor, verb="refund.requested", obj=refund, data=data)
    return refund


def _record(refund: Refund, kind: str, *, actor: Actor, data: dict[str, Any]) -> None:
    """Write a step of a refund to what it refunds: the return's events (which emit
    `return.<kind>`), or the claim's audit trail and the outbox event `claim.<kind>`. The refund
    jobs send a requested, approved or retried refund on either event."""
    if refund.claim_id is None:
        lifecycle.record_event(refund.return_request, kind, actor=actor, data=data)
        return
    claim = refund.claim
    record_audit(store=claim.store, actor=actor, verb=f"claim.{kind}", obj=claim, data=data)
    emit(f"claim.{kind}", store_id=refund.store_id, payload={**claim_payload(claim), "data": data})


def _lock_refunded(refund: Refund) -> Return | Claim:
    """Lock the return or claim a refund pays for (before the payments, as `request_refund` and
    `request_claim_refund` do)."""
    if refund.claim_id is None:
        return Return.objects.select_for_update().get(pk=refund.return_request_id)
    return (
        Claim.objects.select_for_update().select_related("store", "order").get(pk=refund.claim_id)
    )


def _exchange_value_left(return_request: Return) -> Decimal:
    """What the shopper paid for the units of the return's live exchanges and that no refund
    has given to the exchange yet: it pays for the replacement, it does not go back to the card
    (a cheaper replacement's difference does)."""
    exchanged = sum(
        (
            min(exchange.returned_value, exchange.new_value)
            for exchange in Exchange.objects.filter(return_request=return_request).exclude(
                status=ExchangeStatus.RELEASED
            )
        ),
        ZERO,
    )
    given = (
        RefundAllocation.objects.filter(
            refund__return_request=return_request, destination=Destination.EXCHANGE
        )
        .exclude(status=AllocationStatus.FAILED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return max(exchanged - (given or ZERO), ZERO)


def _allocations(
    refund: Refund, parts: Sequence[tuple[int, Decimal]], shares: Mapping[str, Decimal]
) -> list[RefundAllocation]:
    """The refund's parts: each payment's amount goes first to the `shares` (store credit, then
    the exchange) while they last, in the payments' refund order, and the rest back to it."""
    left = dict(shares)
    allocations = []
    for index, (payment_id, amount) in enumerate(parts, start=1):
        remaining = amount
        for destination in (*shares, Destination.ORIGINAL_PAYMENT):
            value = (
                remaining
                if destination == Destination.ORIGINAL_PAYMENT
                else min(left[destination], remaining)
            )
            if destination in left:
                left[destination] -= value
            remaining -= value
            if value > 0:
                allocations.append(
                    RefundAllocation(
                        refund=refund,
                        payment_id=payment_id,
                        destination=destination,
                        amount=value,
                        idempotency_key=f"{refund.idempotency_key}-{index}-{destination[:2]}-a1",
                    )
                )
    return allocations


@transaction.atomic
def approve_refund(*, refund: Refund, actor: Actor) -> Refund:
    """The second finance approval of a refund above the store's threshold (four eyes): by a
    staff member other than the one who asked for it."""
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != RefundStatus.AWAITING_APPROVAL:
        raise Conflict(_("This refund is not waiting for an approval."))
    if actor.user_id is None:
        raise PermissionDenied(_("A refund is approved by a staff member."))
    if actor.user_id in (refund.actor_user_id, refund.override_author_id):
        raise PermissionDenied(_("Another person must approve a refund you asked for."))
    now = timezone.now()
    Refund.objects.filter(pk=refund.pk).update(
        status=RefundStatus.REQUESTED,
        approved_by_id=actor.user_id,
        approved_at=now,
        next_try_at=now,
    )
    refund.refresh_from_db()
    _record(refund, "refund_approved", actor=actor, data={"refund": refund.reference})
    return refund


@transaction.atomic
def cancel_refund(*, refund: Refund, actor: Actor, reason: str = "") -> Refund:
    """Withdraw a refund before any money moved: its units and its headroom are free again."""
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if (
        refund.status
        not in (
            RefundStatus.AWAITING_APPROVAL,
            RefundStatus.REQUESTED,
            RefundStatus.FAILED,
        )
        or refund.allocations.exclude(status=AllocationStatus.FAILED)
        .exclude(status=AllocationStatus.PENDING)
        .exists()
    ):
        raise Conflict(_("Money of this refund has already moved; it cannot be cancelled."))
    if (
        refund.allocations.filter(status=AllocationStatus.PENDING)
        .exclude(gateway_reference="")
        .exists()
    ):
        raise Conflict(_("A gateway is still processing this refund."))
    refund.allocations.filter(status=AllocationStatus.PENDING).update(
        status=AllocationStatus.FAILED, last_error="cancelled"
    )
    Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.CANCELLED, next_try_at=None)
    refund.refresh_from_db()
    _record(
        refund, "refund_cancelled", actor=actor, data={"refund": refund.reference, "reason": reason}
    )
    return refund


# --- processing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Work:
    allocation_id: int
    destination: str
    gateway: str
    payment_reference: str
    amount: Decimal
    currency: str
    idempotency_key: str


def _gateway_name(payment: Payment, settings: RefundSettings) -> str:
    """Stripe when the payment was taken by Stripe and the store refunds through Stripe; the
    platform when the store lets its shop platform refund its payments; else manual (finance
    records the refund by hand)."""
    if settings.gateway == Gateway.PLATFORM:
        return Gateway.PLATFORM
    if settings.gateway == Gateway.STRIPE and payment.gateway.lower() == "stripe":
        return Gateway.STRIPE
    return Gateway.MANUAL


def _keep_gateways(refund: Refund, work: Sequence["_Work"]) -> None:
    """Write down which gateway each part goes through (the platform's connector reads it), and
    tell the platform when parts wait for it: `refund.awaiting_platform`, in the claim's
    transaction. Its write-back is keyed by the parts' attempt, so a repeated claim plans no
    second refund on the platform."""
    for name in {item.gateway for item in work if item.gateway}:
        RefundAllocation.objects.filter(
            pk__in=[item.allocation_id for item in work if item.gateway == name]
        ).exclude(gateway=name).update(gateway=name)
    if any(item.gateway == Gateway.PLATFORM for item in work):
        emit("refund.awaiting_platform", store_id=refund.store_id, payload=refund_payload(refund))


def _claim(refund_id: int, now: datetime) -> tuple[Refund, list[_Work]] | None:
    """Mark the refund processing and lease it to this worker (short transaction). None when
    another worker holds the lease, or the refund is not ready (awaiting approval, finished)."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status not in (RefundStatus.REQUESTED, RefundStatus.PROCESSING):
            return None
        if refund.next_try_at is not None and refund.next_try_at > now:
            return None  # leased by another worker, or waiting for its backoff
        settings = RefundSettings.for_store(refund.store_id)
        Refund.objects.filter(pk=refund.pk).update(
            status=RefundStatus.PROCESSING, tries=F("tries") + 1, next_try_at=now + LEASE
        )
        refund.refresh_from_db()
        work = [
            _Work(
                allocation_id=allocation.pk,
                destination=allocation.destination,
                gateway=(
                    _gateway_name(allocation.payment, settings)
                    if allocation.destination == Destination.ORIGINAL_PAYMENT
                    else ""
                ),
                payment_reference=allocation.payment.reference,
                amount=allocation.amount,
                currency=refund.currency,
                idempotency_key=allocation.idempotency_key,
            )
            for allocation in refund.allocations.select_related("payment").filter(
                status=AllocationStatus.PENDING
            )
        ]
        _keep_gateways(refund, work)
        return refund, work


def process_refund(
    refund_id: int,
    *,
    gateways: Mapping[str, RefundGateway] | None = None,
    now: datetime | None = None,
) -> Refund:
    """Send a refund's pending parts to their gateways and record what they said.

    Call it after the transaction that requested the refund has committed, never inside one:
    the gateway call must not hold row locks, and must not be rolled back after the money moved.
    Safe to call any number of times and from several workers at once: the lease lets one worker
    at a time talk to the gateway, every call carries the part's idempotency key, and the outcome
    is recorded once. `gateways` replaces the configured adapters (tests, tools).
    """
    now = now or timezone.now()
    claimed = _claim(refund_id, now)
    if claimed is None:
        return Refund.objects.get(pk=refund_id)
    refund, work = claimed
    settings = RefundSettings.for_store(refund.store_id)
    outcomes: dict[int, GatewayRefund | GatewayError] = {}
    for item in work:
        if item.destination != Destination.ORIGINAL_PAYMENT:
            continue  # store credit is booked in the outcome transaction: nothing to call
        if item.gateway in WAITING_GATEWAYS and item.gateway not in (gateways or {}):
            continue  # waits for finance, or the platform's connector, to record the outcome
        try:
            gateway = (gateways or {}).get(item.gateway) or gateway_for(item.gateway, settings)
            outcomes[item.allocation_id] = gateway.create_refund(
                payment_reference=item.payment_reference,
                amount=item.amount,
                currency=item.currency,
                idempotency_key=item.idempotency_key,
            )
        except GatewayError as error:
            outcomes[item.allocation_id] = error
        except Exception as error:  # an adapter bug: treat as unknown outcome, keep the key
            logger.exception("refund gateway crashed", extra={"refund": refund.reference})
            outcomes[item.allocation_id] = TransientGatewayError(str(error), code="crash")
    return record_outcome(refund_id=refund.pk, outcomes=outcomes, now=now, settings=settings)


def refund_payload(refund: Refund) -> dict[str, Any]:
    """The outbox payload of a refund event (platform sync, e-mails, webhooks): self-contained.
    `return` is None for a claim's refund, and `claim` for a return's."""
    return_request = refund.return_request
    claim = refund.claim
    return {
        "refund": {
            "id": refund.pk,
            "reference": refund.reference,
            "status": refund.status,
            "amount": str(quantize(refund.amount, refund.currency)),
            "bonus": str(quantize(refund.bonus, refund.currency)),
            "currency": refund.currency,
            "includes_shipping": refund.includes_shipping,
            "expected_by": refund.expected_by.isoformat() if refund.expected_by else None,
            "parts": [
                {
                    "destination": allocation.destination,
                    "payment_reference": allocation.payment.reference,
                    "amount": str(quantize(allocation.amount, refund.currency)),
                    "status": allocation.status,
                    "gateway_reference": allocation.gateway_reference,
                }
                for allocation in refund.allocations.select_related("payment").order_by("pk")
            ],
            "differences": refund.differences,
            "last_error": refund.last_error,
        },
        "return": {"id": return_request.pk, "rma": return_request.rma} if return_request else None,
        "claim": {"id": claim.pk, "number": claim.number, "kind": claim.kind} if claim else None,
        "order": {
            "id": refund.order_id,
            "number": refund.order.number,
            "email": refund.order.email,
        },
        "locale": return_request.locale if return_request else "",
    }


def _alert(refund: Refund, message: str) -> None:
    logger.error(
        "refund needs attention",
        extra={"refund": refund.reference, "store": refund.store_id, "error": message},
    )
    _record(
        refund,
        "refund_alert",
        actor=Actor.system("refunds"),
        data={"refund": refund.reference, "error": message},
    )
    emit("refund.failed", store_id=refund.store_id, payload=refund_payload(refund))


def _update_financial_status(order_id: int) -> None:
    payments = Payment.objects.filter(order_id=order_id).aggregate(
        captured=Sum("captured"), refunded=Sum("refunded")
    )
    converted = (
        RefundAllocation.objects.filter(
            payment__order_id=order_id, status=AllocationStatus.SUCCEEDED
        )
        .exclude(destination=Destination.ORIGINAL_PAYMENT)
        .aggregate(total=Sum("amount"))["total"]
    )
    captured = payments["captured"] or ZERO
    given_back = (payments["refunded"] or ZERO) + (converted or ZERO)
    if given_back <= 0:
        return
    status = (
        Order.FinancialStatus.REFUNDED
        if given_back >= captured
        else Order.FinancialStatus.PARTIALLY_REFUNDED
    )
    Order.objects.filter(pk=order_id).update(financial_status=status, updated_at=timezone.now())


def _issue_store_credit(refund: Refund, amount: Decimal, settings: RefundSettings) -> None:
    order = refund.order
    customer = (
        order.customer
        or Customer.objects.get_or_create(store_id=order.store_id, email=order.email.lower())[0]
    )
    expires_at = (
        timezone.now() + timedelta(days=settings.store_credit_expiry_days)
        if settings.store_credit_expiry_days
        else None
    )
    credit.issue_credit(
        store=order.store,
        customer=customer,
        currency=refund.currency,
        amount=amount,
        bonus=refund.bonus,
        refund=refund,
        expires_at=expires_at,
        actor=Actor.system("refunds"),
        reason=_("Refund %(reference)s of return %(rma)s")
        % {"reference": refund.reference, "rma": refund.return_request.rma},
    )


@transaction.atomic
def record_outcome(
    *,
    refund_id: int,
    outcomes: Mapping[int, GatewayRefund | GatewayError],
    now: datetime | None = None,
    settings: RefundSettings | None = None,
    actor: Actor | None = None,
) -> Refund:
    """Record what the gateways said about some parts of a refund (also used by webhooks and by
    finance for manual refunds), and settle the refund when every part is settled."""
    now = now or timezone.now()
    actor = actor or Actor.system("refunds")
    found = Refund.objects.get(pk=refund_id)
    settings = settings or RefundSettings.for_store(found.store_id)
    # Lock order: Return (or Claim) → Payments (by pk) → Refund, as in `request_refund`.
    refunded = _lock_refunded(found)
    list(Payment.objects.select_for_update().filter(order_id=found.order_id).order_by("pk"))
    refund = Refund.objects.select_for_update().select_related("order__store").get(pk=refund_id)
    if isinstance(refunded, Claim):
        refund.claim = refunded
    else:
        refund.return_request = refunded
    if refund.status == RefundStatus.CANCELLED:
        return refund
    errors: list[str] = []
    transient = False
    allocations = list(refund.allocations.select_for_update().order_by("pk"))
    to_credit = [
        allocation
        for allocation in allocations
        if allocation.destination == Destination.STORE_CREDIT
        and allocation.status == AllocationStatus.PENDING
    ]
    if to_credit and refund.status == RefundStatus.PROCESSING:
        # One credit (and one bonus) per refund, whatever the number of payments it came from.
        _issue_store_credit(refund, sum((a.amount for a in to_credit), ZERO), settings)
        RefundAllocation.objects.filter(pk__in=[a.pk for a in to_credit]).update(
            status=AllocationStatus.SUCCEEDED, updated_at=now
        )
    if refund.status == RefundStatus.PROCESSING:
        # The exchange's part pays for the replacement order: no money to send anywhere.
        refund.allocations.filter(
            destination=Destination.EXCHANGE, status=AllocationStatus.PENDING
        ).update(status=AllocationStatus.SUCCEEDED, updated_at=now)
    for allocation in allocations:
        if allocation.status != AllocationStatus.PENDING:
            continue  # settled before: a repeated webhook or retry changes nothing
        if allocation.destination != Destination.ORIGINAL_PAYMENT:
            continue
        outcome = outcomes.get(allocation.pk)
        if outcome is None:
            continue
        if isinstance(outcome, TransientGatewayError):
            transient = True
            allocation.last_error = outcome.message
            allocation.save(update_fields=["last_error", "updated_at"])
            errors.append(outcome.message)
            continue
        if isinstance(outcome, GatewayError):
            allocation.status = AllocationStatus.FAILED
            allocation.last_error = outcome.message
            allocation.save(update_fields=["status", "last_error", "updated_at"])
            errors.append(outcome.message)
            continue
        if outcome.reference:
            allocation.gateway_reference = outcome.reference
        if outcome.status == GatewayStatus.SUCCEEDED:
            allocation.status = AllocationStatus.SUCCEEDED
            # The check constraint on Payment refuses refunded > captured even if a bug got here.
            Payment.objects.filter(pk=allocation.payment_id).update(
                refunded=money_plus("refunded", allocation.amount)
            )
        elif outcome.status == GatewayStatus.FAILED:
            allocation.status = AllocationStatus.FAILED
            allocation.last_error = outcome.failure_reason or "failed"
            errors.append(allocation.last_error)
        allocation.save(update_fields=["status", "gateway_reference", "last_error", "updated_at"])
    statuses = set(refund.allocations.values_list("status", flat=True))
    fields: dict[str, Any] = {"last_error": "; ".join(errors)[:2000]}
    if statuses <= {AllocationStatus.SUCCEEDED}:  # every part settled (or nothing to pay)
        fields.update(status=RefundStatus.SUCCEEDED, completed_at=now, next_try_at=None)
        fields["expected_by"] = _expected_by(refund, settings, now)
    elif AllocationStatus.PENDING not in statuses or (
        transient and refund.tries >= settings.max_tries
    ):
        fields.update(status=RefundStatus.FAILED, next_try_at=None)
    elif transient:
        fields["next_try_at"] = now + retry_delay(refund.tries)
    elif refund.status == RefundStatus.PROCESSING:
        # Waiting for the gateway's webhook or finance: no automatic try until then.
        fields["next_try_at"] = None
    Refund.objects.filter(pk=refund.pk).update(**fields)
    previous = refund.status
    refund.refresh_from_db()
    if refund.status != previous and refund.status == RefundStatus.SUCCEEDED:
        _on_success(refund, actor)
    elif refund.status != previous and refund.status == RefundStatus.FAILED:
        _alert(refund, refund.last_error or _("The refund failed."))
    return refund


def _expected_by(refund: Refund, settings: RefundSettings, now: datetime) -> date:
    card = refund.allocations.filter(destination=Destination.ORIGINAL_PAYMENT).exists()
    return _arrival(card, settings, now)


def _arrival(card: bool, settings: RefundSettings, now: datetime) -> date:
    """When the shopper should see the money: card refunds after the store's delay for its
    gateway; store credit and exchanges at once. Set at request, updated when it succeeds."""
    return (now + timedelta(days=settings.card_delay_days if card else 0)).date()


def _on_success(refund: Refund, actor: Actor) -> None:
    _update_financial_status(refund.order_id)
    data = {
        "refund": refund.reference,
        "amount": str(quantize(refund.amount, refund.currency)),
        "bonus": str(quantize(refund.bonus, refund.currency)),
        "currency": refund.currency,
        "expected_by": refund.expected_by.isoformat() if refund.expected_by else "",
        "methods": sorted(set(refund.allocations.values_list("destination", flat=True))),
    }
    _record(refund, "refund_succeeded", actor=actor, data=data)
    record_audit(
        store=refund.order.store, actor=actor, verb="refund.succeeded", obj=refund, data=data
    )
    # The shopper's e-mail (reference, expected arrival) and the platform's write-back.
    emit("refund.succeeded", store_id=refund.store_id, payload=refund_payload(refund))
    if refund.claim_id is not None:
        resolve_claim(claim=refund.claim, actor=actor, reference=refund.reference)
        return
    return_request = refund.return_request
    if lifecycle.can_transition(return_request.status, S.RESOLVED):
        resolve_return(
            return_request=return_request,
            actor=actor,
            outcome=return_request.resolution,
            reference=refund.reference,
        )


def record_manual_refund(
    *,
    allocation: RefundAllocation,
    reference: str,
    actor: Actor,
    succeeded: bool = True,
    reason: str = "",
) -> Refund:
    """Finance gave the money back outside Retour: record its reference (e.g. the bank
    transfer's) and settle that part; or record that it failed, with a reason."""
    if not reference.strip():
        raise InvalidRequest(_("Give the reference of the refund (e.g. the bank transfer)."))
    outcome = GatewayRefund(
        reference=reference.strip(),
        status=GatewayStatus.SUCCEEDED if succeeded else GatewayStatus.FAILED,
        failure_reason="" if succeeded else (reason.strip() or _("Recorded as failed by finance")),
    )
    with transaction.atomic():
        refund = Refund.objects.get(pk=allocation.refund_id)
        # The return's (or claim's) lock comes first everywhere (`record_outcome` takes it too):
        # two submits at once are serialised here, and the second finds the part settled.
        _lock_refunded(refund)
        refund.refresh_from_db(fields=["status"])
        part = RefundAllocation.objects.get(pk=allocation.pk)
        # A pending manual part, or one left to the shop's platform (ADR 0008: its write-back
        # then refuses to pay again). Never a part a gateway of Retour's is sending: its outcome
        # is on its way (a crashed worker's retry finds it), and a bank transfer too pays twice.
        if (
            refund.status not in (RefundStatus.PROCESSING, RefundStatus.FAILED)
            or part.status != AllocationStatus.PENDING
            or part.gateway not in (Gateway.MANUAL, Gateway.PLATFORM)
        ):
            raise Conflict(_("This part of the refund is not waiting for a manual refund."))
        if actor.user_id is None:
            raise PermissionDenied(_("A manual refund is recorded by a staff member."))
        return record_outcome(refund_id=refund.pk, outcomes={part.pk: outcome}, actor=actor)


def record_platform_refund(
    *, refund: Refund, reference: str, error: str = "", actor: Actor
) -> Refund:
    """The shop's platform refunded (or refused to refund) the parts waiting for it: record its
    refund's id as their reference and settle them. Called by the platform connector after its
    write-back; a repeated call changes nothing (settled parts are skipped)."""
    waiting = RefundAllocation.objects.filter(
        refund_id=refund.pk, gateway=Gateway.PLATFORM, status=AllocationStatus.PENDING
    ).values_list("pk", flat=True)
    outcome: GatewayRefund | GatewayError = (
        GatewayRefund(reference=reference, status=GatewayStatus.SUCCEEDED)
        if not error
        else PermanentGatewayError(error, code="platform")
    )
    return record_outcome(
        refund_id=refund.pk, outcomes=dict.fromkeys(waiting, outcome), actor=actor
    )


def record_gateway_event(
    *, gateway_reference: str, outcome: GatewayRefund, store_id: int | None = None
) -> Refund | None:
    """A gateway's webhook says a refund changed (Stripe `refund.updated`, `refund.failed`):
    record it for the part with that reference. Unknown references are ignored (None)."""
    allocations = RefundAllocation.objects.filter(gateway_reference=gateway_reference)
    if store_id is not None:
        allocations = allocations.filter(refund__store_id=store_id)
    allocation = allocations.first()
    if allocation is None:
        return None
    return record_outcome(refund_id=allocation.refund_id, outcomes={allocation.pk: outcome})


@transaction.atomic
def retry_refund(*, refund: Refund, actor: Actor) -> Refund:
    """Finance tries a failed refund again. Parts whose outcome is unknown keep their key (the
    gateway may have made them); parts the gateway refused get a new attempt and key, after
    their payment's headroom is checked again under the lock."""
    found = Refund.objects.get(pk=refund.pk)
    _lock_refunded(found)
    payments = list(
        Payment.objects.select_for_update().filter(order_id=found.order_id).order_by("pk")
    )
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != RefundStatus.FAILED:
        raise Conflict(_("Only a failed refund can be tried again."))
    balances = {balance.payment_id: balance for balance in payment_balances(payments)}
    for allocation in refund.allocations.filter(status=AllocationStatus.FAILED).order_by("pk"):
        if balances[allocation.payment_id].available < allocation.amount:
            raise Conflict(_("The payment cannot give this amount back any more."))
        attempt = allocation.attempt + 1
        base = allocation.idempotency_key.rsplit("-a", 1)[0]
        RefundAllocation.objects.filter(pk=allocation.pk).update(
            status=AllocationStatus.PENDING,
            attempt=attempt,
            idempotency_key=f"{base}-a{attempt}",
            gateway_reference="",
            last_error="",
        )
    Refund.objects.filter(pk=refund.pk).update(
        status=RefundStatus.PROCESSING, tries=0, next_try_at=timezone.now(), last_error=""
    )
    refund.refresh_from_db()
    _record(refund, "refund_retried", actor=actor, data={"refund": refund.reference})
    return refund


def retry_due_refunds(
    *, now: datetime | None = None, gateways: Mapping[str, RefundGateway] | None = None
) -> int:
    """The job: process every refund that is requested or waiting for its next try. Run it every
    minute (the job layer's periodic task calls this plain function). Returns how many refunds
    it looked at."""
    now = now or timezone.now()
    due = Refund.objects.filter(
        status__in=(RefundStatus.REQUESTED, RefundStatus.PROCESSING), next_try_at__lte=now
    ).values_list("pk", flat=True)[:100]
    count = 0
    for refund_id in list(due):
        process_refund(refund_id, gateways=gateways, now=now)
        count += 1
    return count


# Gateway secrets: written when replaced, never read back to a page or an API answer.
SECRET_SETTINGS = ("stripe_secret_key", "stripe_webhook_secret")


@transaction.atomic
def update_refund_settings(
    *, store_id: int, values: Mapping[str, Any], secrets: Mapping[str, str], actor: Actor
) -> RefundSettings:
    """Change a store's refund settings. `values` are the plain fields; `secrets` only the
    secrets being replaced (an empty one keeps the stored value). The audit entry names the
    changed fields, never a secret's value."""
    settings = RefundSettings.objects.select_for_update().filter(
        store_id=store_id
    ).first() or RefundSettings(store_id=store_id)
    changed = []
    for name, value in [*values.items(), *((k, v) for k, v in secrets.items() if v)]:
        if name in ("id", "store", "store_id") or (name in SECRET_SETTINGS) != (name in secrets):
            raise InvalidRequest(_("Unknown refund setting: %s") % name)
        # A secret given is a replacement (encrypted by the model; the old one is not read).
        if name in SECRET_SETTINGS or getattr(settings, name) != value:
            setattr(settings, name, value)
            changed.append(name)
    if settings.gateway == Gateway.STRIPE and not settings.has_secret("stripe_secret_key"):
        raise InvalidRequest(
            _("Enter the Stripe secret key to refund through Stripe."), field="stripe_secret_key"
        )
    try:
        settings.full_clean(exclude=["store"])
    except ValidationError as error:
        field, problems = next(iter(error.message_dict.items()))
        raise InvalidRequest(problems[0], field=field) from None
    settings.save()
    record_audit(
        store=settings.store,
        actor=actor,
        verb="refund_settings.updated",
        obj=settings,
        data={"changed": sorted(changed)},
    )
    return settings


# --- started by the return's lifecycle -----------------------------------------------------------

AUTOMATIC = Actor.system("refunds")


def deductions_from_event(data: Mapping[str, Any] | None) -> dict[int, Deduction]:
    """The `deductions` of a `return.inspected` event ({"<return line id>": {"amount": "5.00",
    "reason": "…"}}, written by the warehouse, which this app may not import)."""
    try:
        return {
            int(line_id): Deduction(Decimal(str(found["amount"])), str(found.get("reason", "")))
            for line_id, found in (data or {}).items()
        }
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise InvalidRequest(_("The inspection's deductions cannot be read.")) from error


def start_automatic_refund(
    *, return_id: int, trigger: str, deductions: Mapping[int, Deduction] | None = None
) -> Refund | None:
    """The refund job: the return reached its refund trigger, so its refund is requested (and
    then processed in the background, unless it needs a second approval). Once per return: a
    return that already has a refund (finance's, or this job's on an earlier run) is left alone,
    and `request_refund` never counts a unit twice even if two runs race. A refund that cannot
    start (e.g. the payments cannot give the amount back) is written to the return's events
    for finance; None then, and when there is nothing to do."""
    return_request = Return.objects.filter(pk=return_id).first()
    if (
        return_request is None
        or return_request.refunds.exclude(status=RefundStatus.CANCELLED).exists()
    ):
        return None
    try:
        if return_request.resolution == Resolution.EXCHANGE and not _exchange_value_left(
            return_request
        ):
            # Without its exchange the refund would go back to the card, not to a replacement.
            raise InvalidRequest(_("The shopper asked for an exchange: choose the replacement."))
        return request_refund(
            return_request=return_request, actor=AUTOMATIC, deductions=deductions, trigger=trigger
        )
    except (NothingToRefund, RefundNotDue):
        return None  # the return moved on, or nothing is refundable
    except (Conflict, InvalidRequest) as error:
        with transaction.atomic():
            lifecycle.record_event(
                return_request, "refund_alert", actor=AUTOMATIC, data={"error": error.message}
            )
        logger.warning("automatic refund not started", extra={"return": return_id})
        return None
