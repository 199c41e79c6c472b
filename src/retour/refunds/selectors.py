"""Reads for refunds: what the tracking page, e-mails, dashboard and reports show."""

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from retour.core.money import ZERO
from retour.refunds.choices import (
    IN_FLIGHT_STATUSES,
    AllocationStatus,
    Destination,
    ExchangeStatus,
    Gateway,
    RefundStatus,
)
from retour.refunds.models import Exchange, Refund, RefundAllocation, RefundLine
from retour.returns.models import Claim, Return


def refunds_for_shopper(return_request: Return) -> list[dict[str, Any]]:
    """What the tracking page and the e-mails show: per refund, its reference, amount, where the
    money goes and when it should arrive (card: the store's delay; store credit: at once)."""
    shown = []
    for refund in return_request.refunds.exclude(status=RefundStatus.CANCELLED).prefetch_related(
        "allocations"
    ):
        methods = sorted({allocation.destination for allocation in refund.allocations.all()})
        shown.append(
            {
                "reference": refund.reference,
                "status": refund.status,
                "status_label": RefundStatus(refund.status).label,
                "amount": refund.amount,
                "bonus": refund.bonus,
                "currency": refund.currency,
                "methods": [Destination(method).label for method in methods],
                "expected_by": refund.expected_by,
                "differences": [item["message"] for item in refund.differences],
            }
        )
    return shown


def refund_totals_by_line(order_id: int) -> dict[int, Decimal]:
    """Money refunded (or held by refunds not cancelled) per order line: for reports and tests."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    rows = (
        RefundLine.objects.filter(refund__order_id=order_id)
        .exclude(refund__status=RefundStatus.CANCELLED)
        .values("order_line_id", "amount")
    )
    for row in rows:
        totals[row["order_line_id"]] += row["amount"]
    return dict(totals)


def refunds_near_deadline(
    *, now: datetime | None = None, within: timedelta = timedelta(days=2)
) -> QuerySet[Refund]:
    """Refunds not yet paid whose legal deadline (14 days after the withdrawal) is near or past:
    for the dashboard and an alert job."""
    now = now or timezone.now()
    return Refund.objects.filter(
        status__in=(*IN_FLIGHT_STATUSES, RefundStatus.FAILED), due_by__lte=now + within
    ).order_by("due_by")


def refunds_of_store(store_id: int) -> QuerySet[Refund]:
    """A store's refunds with what the API shows of each (return or claim, order, units, parts
    and their payments) loaded in a fixed number of queries, newest first."""
    return (
        Refund.objects.filter(store_id=store_id)
        .select_related("return_request", "claim", "order")
        .prefetch_related(
            "lines",
            Prefetch(
                "allocations",
                queryset=RefundAllocation.objects.select_related("payment").order_by("pk"),
            ),
        )
        .order_by("-id")
    )


def payments_due(return_request: Return) -> list[dict[str, Any]]:
    """What the shopper still has to pay for the return's exchanges (a dearer replacement): the
    amount and the gateway's payment page (one query)."""
    return [
        {
            "amount": exchange.price_difference,
            "currency": exchange.currency,
            "link": exchange.payment_link,
        }
        for exchange in Exchange.objects.filter(
            return_request=return_request, status=ExchangeStatus.AWAITING_PAYMENT
        )
        .exclude(payment_link="")
        .order_by("pk")
    ]


def claim_refund(claim: Claim) -> Refund | None:
    """The refund of a claim: the one not cancelled, else the last one cancelled. Reads
    `claim.refunds.all()`, so a list prefetches `refunds` once for every claim."""
    refunds = sorted(claim.refunds.all(), key=lambda refund: refund.pk)
    live = [refund for refund in refunds if refund.status != RefundStatus.CANCELLED]
    return (live or refunds or [None])[-1]


def claim_replacements(claim: Claim) -> list[Exchange]:
    """The replacements sent for a claim's units, with their variant and order (one query)."""
    return list(
        Exchange.objects.filter(claim_line__claim=claim)
        .select_related("variant", "replacement_order")
        .order_by("pk")
    )


def manual_parts_to_record(store_ids: list[int]) -> QuerySet[RefundAllocation]:
    """Parts of refunds waiting for finance to give the money back outside Retour (the manual
    gateway) and record it: the oldest refund first, with what a page shows of each in the same
    query (its refund, return or claim, order, payment)."""
    return (
        RefundAllocation.objects.filter(
            refund__store_id__in=store_ids,
            refund__status=RefundStatus.PROCESSING,
            gateway=Gateway.MANUAL,
            destination=Destination.ORIGINAL_PAYMENT,
            status=AllocationStatus.PENDING,
        )
        .select_related(
            "payment", "refund__store", "refund__order", "refund__return_request", "refund__claim"
        )
        .order_by("refund__created_at", "refund_id", "pk")
    )
