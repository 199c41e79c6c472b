"""Refunds, store credit and Stripe's webhooks (issue 7); the rules live in
`retour.refunds.services`, `credit` and `webhooks`.

POSTs that move money are safe to repeat: a refund request with the same `Idempotency-Key`
header (or while the return's refund is in flight) gives back the same refund; a redemption with
the same `reference` gives back the same debit; approving, retrying or cancelling twice is refused
by the refund's state (409)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from retour.accounts.scopes import Scope
from retour.api.lookups import return_of_store
from retour.api.schemas import ErrorOut
from retour.commerce.models import Store
from retour.core.codes import normalize_code
from retour.core.errors import NotFound
from retour.core.money import quantize
from retour.refunds import credit, exchanges, services
from retour.refunds.models import Refund, StoreCreditAccount
from retour.refunds.selectors import refunds_of_store
from retour.refunds.webhooks import WebhookRejected, handle_stripe_webhook
from retour.warehouse.selectors import inspection_deductions

router = Router(tags=["refunds"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
S = "/stores/{store}"
R = f"{S}/refunds/{{reference}}"
LIST_LIMIT = 200


class RefundLineOut(Schema):
    return_line_id: int | None  # None in a claim's refund
    order_line_id: int
    quantity: int
    amount: Decimal


class RefundPartOut(Schema):
    id: int
    destination: str
    payment_reference: str = Field(..., alias="payment.reference")
    amount: Decimal
    status: str
    attempt: int
    gateway_reference: str
    last_error: str


class RefundOut(Schema):
    reference: str
    rma: str | None = Field(None, description="The return refunded; None for a claim's refund")
    claim_number: str | None = Field(None, description="The claim refunded, if it is one")
    order_number: str = Field(..., alias="order.number")
    status: str
    currency: str
    amount: Decimal
    bonus: Decimal
    includes_shipping: bool
    breakdown: dict
    estimate: dict
    differences: list[dict]
    override_reason: str
    expected_by: dt.date | None
    due_by: dt.datetime | None
    tries: int
    next_try_at: dt.datetime | None
    last_error: str
    created_at: dt.datetime
    completed_at: dt.datetime | None
    lines: list[RefundLineOut]
    parts: list[RefundPartOut] = Field(..., alias="allocations")

    @staticmethod
    def resolve_rma(obj: Refund) -> str | None:
        return obj.return_request.rma if obj.return_request else None

    @staticmethod
    def resolve_claim_number(obj: Refund) -> str | None:
        return obj.claim.number if obj.claim else None

    @staticmethod
    def resolve_lines(obj: Refund) -> list:
        return list(obj.lines.all())

    @staticmethod
    def resolve_allocations(obj: Refund) -> list:
        return list(obj.allocations.all())


class RefundRequestIn(Schema):
    quantities: dict[int, int] | None = Field(
        None, description="Return line id → units: a staff override of the units (needs a reason)"
    )
    override_reason: str = Field("", max_length=2000)
    store_credit_amount: Decimal | None = Field(
        None,
        description="This much to store credit, the rest to the payments; empty: by the "
        "return's resolution",
    )


class CancelIn(Schema):
    reason: str = Field("", max_length=2000)


class RecordIn(Schema):
    reference: str = Field(
        ...,
        min_length=1,
        max_length=200,
        description="The refund's own id, e.g. the bank transfer's",
    )
    succeeded: bool = Field(True, description="False: the refund failed (say why in `reason`)")
    reason: str = Field("", max_length=2000)


class CreditOut(Schema):
    code: str
    currency: str
    balance: Decimal


class RedeemIn(Schema):
    amount: Decimal = Field(..., gt=0)
    reference: str = Field(
        ..., min_length=1, max_length=100, description="The shop's order: redeems once"
    )


class RedemptionOut(Schema):
    code: str
    reference: str
    amount: Decimal
    balance: Decimal


class ExchangeLineIn(Schema):
    return_line_id: int
    variant_id: int = Field(..., description="The replacement: a variant of the same product")


class ExchangeIn(Schema):
    lines: list[ExchangeLineIn] = Field(..., min_length=1, max_length=200)


class ExchangeOut(Schema):
    id: int
    return_line_id: int
    variant_id: int
    sku: str = Field(..., alias="variant.sku")
    quantity: int
    status: str
    currency: str
    returned_value: Decimal
    new_value: Decimal
    price_difference: Decimal = Field(
        ..., description="Positive: the shopper pays it (payment link); negative: refunded"
    )
    payment_link: str
    payment_expires_at: dt.datetime | None
    instant: bool
    return_due_by: dt.datetime | None
    replacement_order: str | None = Field(None, alias="replacement_order.number")


class WebhookOut(Schema):
    handled: str


def _refund(store_id: int, reference: str) -> Refund:
    found = refunds_of_store(store_id).filter(reference=reference.upper()).first()
    if found is None:
        raise NotFound("Not found.")
    return found


def _account(store_id: int, code: str) -> StoreCreditAccount:
    found = StoreCreditAccount.objects.filter(store_id=store_id, code=normalize_code(code)).first()
    if found is None:
        raise NotFound("Not found.")
    return found


@router.get(
    f"{S}/refunds",
    response={200: list[RefundOut], **ERRORS},
    summary="The store's refunds, newest first, itemised",
)
def list_refunds(request: HttpRequest, store: str, rma: str = "", status: str = ""):
    refunds = refunds_of_store(request.auth.store_id(store, Scope.RETURNS_READ))
    if rma:
        refunds = refunds.filter(return_request__rma=rma.upper())
    if status:
        refunds = refunds.filter(status=status)
    return list(refunds[:LIST_LIMIT])


@router.get(R, response={200: RefundOut, **ERRORS}, summary="A refund, itemised")
def read_refund(request: HttpRequest, store: str, reference: str):
    return _refund(request.auth.store_id(store, Scope.RETURNS_READ), reference)


@router.post(
    f"{S}/returns/{{rma}}/refunds",
    response={201: RefundOut, **ERRORS},
    summary="Refund a return's received and accepted units, less the inspection's deductions",
)
def request_refund(request: HttpRequest, store: str, rma: str, payload: RefundRequestIn):
    """Send an `Idempotency-Key` header: a repeated request gives back the refund the first
    made. The refund is sent to its gateways in the background (after a second approval when
    it is above the store's threshold)."""
    store_id = request.auth.store_id(store, Scope.REFUNDS_WRITE)
    return_request = return_of_store(store_id, rma)
    deductions = {
        line_id: services.Deduction(found.amount, found.reason)
        for line_id, found in inspection_deductions(return_request.pk).items()
    }
    refund = services.request_refund(
        return_request=return_request,
        actor=request.auth.actor,
        quantities=payload.quantities,
        override_reason=payload.override_reason,
        deductions=deductions,
        store_credit_amount=payload.store_credit_amount,
        request_key=request.headers.get("Idempotency-Key", "")[:100],
    )
    return Status(201, _refund(store_id, refund.reference))


@router.post(
    f"{S}/returns/{{rma}}/exchange",
    response={201: list[ExchangeOut], **ERRORS},
    summary="Exchange returned lines for other variants: stock reserved, price difference set",
)
def request_exchange(request: HttpRequest, store: str, rma: str, payload: ExchangeIn):
    """Each line swapped for a variant of its product, every unit of the line; all lines or
    none: a replacement out of stock answers 409 `out_of_stock` (with its `variant_id`) and
    reserves nothing. A dearer replacement gets a payment page for the
    difference (`payment_link`, until `payment_expires_at`; the shopper is e-mailed it); a
    cheaper one's difference is refunded with the return. Send an `Idempotency-Key` header: a
    repeated request gives back the exchanges the first made."""
    store_id = request.auth.store_id(store, Scope.REFUNDS_WRITE)
    made = exchanges.request_exchanges(
        return_request=return_of_store(store_id, rma),
        choices={line.return_line_id: line.variant_id for line in payload.lines},
        actor=request.auth.actor,
        request_key=request.headers.get("Idempotency-Key", "")[:100],
    )
    return Status(201, made)


@router.post(
    f"{R}/approve",
    response={200: RefundOut, **ERRORS},
    summary="The second approval of a refund above the store's threshold (another person)",
)
def approve_refund(request: HttpRequest, store: str, reference: str):
    store_id = request.auth.store_id(store, Scope.REFUNDS_APPROVE)
    services.approve_refund(refund=_refund(store_id, reference), actor=request.auth.actor)
    return _refund(store_id, reference)


@router.post(f"{R}/retry", response={200: RefundOut, **ERRORS}, summary="Try a failed refund again")
def retry_refund(request: HttpRequest, store: str, reference: str):
    store_id = request.auth.store_id(store, Scope.REFUNDS_WRITE)
    services.retry_refund(refund=_refund(store_id, reference), actor=request.auth.actor)
    return _refund(store_id, reference)


@router.post(
    f"{R}/cancel",
    response={200: RefundOut, **ERRORS},
    summary="Withdraw a refund before any money moved",
)
def cancel_refund(request: HttpRequest, store: str, reference: str, payload: CancelIn):
    store_id = request.auth.store_id(store, Scope.REFUNDS_WRITE)
    services.cancel_refund(
        refund=_refund(store_id, reference), actor=request.auth.actor, reason=payload.reason
    )
    return _refund(store_id, reference)


@router.post(
    f"{R}/parts/{{part_id}}/record",
    response={200: RefundOut, **ERRORS},
    summary="Record a part finance refunded outside Retour (manual gateway), or that it failed",
)
def record_manual_refund(
    request: HttpRequest, store: str, reference: str, part_id: int, payload: RecordIn
):
    """For a part waiting for a manual refund (`gateway_reference` empty, status `pending`):
    the money was given back outside Retour (a bank transfer): record its reference; when
    every part is settled the refund succeeds, the return or claim is resolved and the shopper
    e-mailed. 404: no such refund or part in the store; 403: the scope is missing, or the caller
    is not a staff member (an API key: a person records a manual refund); 409: the part is not
    waiting (already recorded, or not a manual part); 422: no reference."""
    store_id = request.auth.store_id(store, Scope.REFUNDS_WRITE)
    part = _refund(store_id, reference).allocations.filter(pk=part_id).first()
    if part is None:
        raise NotFound("Not found.")
    services.record_manual_refund(
        allocation=part,
        reference=payload.reference,
        actor=request.auth.actor,
        succeeded=payload.succeeded,
        reason=payload.reason,
    )
    return _refund(store_id, reference)


@router.get(
    f"{S}/store-credit/{{code}}",
    response={200: CreditOut, **ERRORS},
    summary="A store-credit code's balance",
)
def read_credit(request: HttpRequest, store: str, code: str):
    return _account(request.auth.store_id(store, Scope.STORE_CREDIT), code)


@router.post(
    f"{S}/store-credit/{{code}}/redeem",
    response={201: RedemptionOut, **ERRORS},
    summary="Spend store credit at the shop (once per reference)",
)
def redeem_credit(request: HttpRequest, store: str, code: str, payload: RedeemIn):
    account = _account(request.auth.store_id(store, Scope.STORE_CREDIT), code)
    entry = credit.redeem_credit(
        store=account.store,
        code=account.code,
        amount=payload.amount,
        reference=payload.reference,
        actor=request.auth.actor,
    )
    account.refresh_from_db(fields=["balance"])
    return Status(
        201,
        {
            "code": account.code,
            "reference": entry.reference,
            "amount": quantize(-entry.amount, account.currency),
            "balance": quantize(account.balance, account.currency),
        },
    )


@router.post(
    "/webhooks/stripe/{slug}",
    auth=None,
    response={200: WebhookOut, 401: ErrorOut, 422: ErrorOut},
    summary="Stripe's webhook for a store (authenticated by the `Stripe-Signature`)",
)
def stripe_webhook(request: HttpRequest, slug: str):
    """Set it up in Stripe for `refund.updated`, `refund.failed`, `checkout.session.completed`,
    `checkout.session.async_payment_succeeded`, `…_failed` and `checkout.session.expired`."""
    store_id = Store.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if store_id is None:
        raise WebhookRejected("Invalid signature.")
    handled = handle_stripe_webhook(
        store_id=store_id,
        payload=request.body,
        signature=request.headers.get("Stripe-Signature", ""),
    )
    return {"handled": handled}
