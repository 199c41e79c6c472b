"""Response and request bodies of the API (order input lives in `commerce.inputs`)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema

from retour.refunds.selectors import claim_refund, claim_replacements
from retour.returns.lifecycle import allowed_transitions


class ErrorOut(Schema):
    code: str
    message: str
    details: dict = {}


class StoreOut(Schema):
    slug: str
    name: str
    currency: str
    country: str
    default_locale: str
    locales: list[str]
    timezone: str


class OrderLineOut(Schema):
    id: int
    external_id: str
    sku: str
    title: str
    options: dict
    quantity: int
    unit_price: Decimal
    discount: Decimal
    tax: Decimal
    delivered_qty: int
    returnable_qty: int


class PaymentOut(Schema):
    gateway: str
    method: str
    reference: str
    captured: Decimal
    refunded: Decimal


class FulfillmentLineOut(Schema):
    order_line_id: int
    quantity: int


class FulfillmentOut(Schema):
    external_id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime | None
    delivered_at: datetime | None
    lines: list[FulfillmentLineOut] = Field(..., alias="shipped_lines")


class OrderOut(Schema):
    number: str
    external_id: str
    email: str
    currency: str
    placed_at: datetime
    financial_status: str
    taxes_included: bool
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    lines: list[OrderLineOut] = Field(..., alias="annotated_lines")
    payments: list[PaymentOut] = Field(..., alias="listed_payments")
    fulfillments: list[FulfillmentOut] = Field(..., alias="listed_fulfillments")


class OrderUpsertOut(Schema):
    created: bool
    changed: bool
    order: OrderOut


PhotoUrl = Annotated[str, Field(pattern=r"^https://\S+$", max_length=500)]


class LineIn(Schema):
    order_line_id: int
    quantity: int = Field(..., ge=1)
    reason: str = ""
    comment: str = Field("", max_length=2000)
    resolution: str = ""
    photos: list[PhotoUrl] = Field(
        [],
        max_length=5,
        description="https addresses of the shopper's photos of the item, where the reason or "
        "a rule of the policy asks for photos (`requires_photos` in the order's eligibility)",
    )


class ReturnIn(Schema):
    order_number: str
    lines: list[LineIn] = Field(..., min_length=1, max_length=1000)
    method: str
    resolution: str
    locale: str = ""


class ReturnLineOut(Schema):
    id: int
    order_line_id: int
    sku: str = Field(..., alias="order_line.sku")
    title: str = Field(..., alias="order_line.title")
    quantity: int
    reason: str | None = Field(None, alias="reason.code")
    comment: str
    resolution: str
    status: str
    received_qty: int
    accepted_qty: int
    damaged_qty: int
    grade: str
    disposition: str


class ReturnEventOut(Schema):
    kind: str
    from_status: str
    to_status: str
    actor_kind: str
    actor_label: str
    data: dict
    created_at: datetime


class ReturnSummaryOut(Schema):
    rma: str
    status: str
    order_number: str = Field(..., alias="order.number")
    method: str
    resolution: str
    created_at: datetime
    status_changed_at: datetime


class ReturnOut(ReturnSummaryOut):
    locale: str
    status_reason: str
    carrier: str
    tracking_number: str
    allowed_transitions: list[str]
    lines: list[ReturnLineOut] = Field(..., alias="listed_lines")
    events: list[ReturnEventOut] = Field(..., alias="listed_events")

    @staticmethod
    def resolve_allowed_transitions(obj) -> list[str]:
        return sorted(allowed_transitions(obj.status))


class ReturnPage(Schema):
    items: list[ReturnSummaryOut]
    next_cursor: int | None


class ReasonIn(Schema):
    reason: str = Field("", max_length=2000)


class RejectIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


class LabelIn(Schema):
    carrier: str = Field(..., min_length=1, max_length=60)
    tracking_number: str = Field(..., min_length=1, max_length=100)


class ReceiptIn(Schema):
    line_id: int
    received_qty: int = Field(..., ge=0)


class ReceiveIn(Schema):
    lines: list[ReceiptIn] = Field(..., min_length=1)


class InspectionIn(Schema):
    line_id: int
    accepted_qty: int = Field(..., ge=0)
    damaged_qty: int = Field(0, ge=0)
    grade: str = Field("", max_length=10)
    disposition: str = Field("", max_length=30)


class InspectIn(Schema):
    lines: list[InspectionIn] = Field(..., min_length=1)


class ResolveIn(Schema):
    outcome: str
    reference: str = Field("", max_length=200)


class ClaimIn(Schema):
    order_number: str
    kind: str
    description: str = Field("", max_length=4000)
    lines: list[LineIn] = Field(..., min_length=1, max_length=1000)


class ClaimLineOut(Schema):
    order_line_id: int
    quantity: int


class ClaimRefundOut(Schema):
    """The refund an approved claim gets (requested with the approval, then sent by the jobs)."""

    reference: str
    status: str
    amount: Decimal
    currency: str
    expected_by: date | None


class ClaimReplacementOut(Schema):
    """A replacement an approved claim gets: the same variant, reserved and ordered."""

    sku: str = Field(..., alias="variant.sku")
    quantity: int
    status: str
    order_number: str | None = Field(None, alias="replacement_order.number")


class ClaimOut(Schema):
    number: str
    order_number: str = Field(..., alias="order.number")
    kind: str
    status: str
    resolution: str
    description: str
    created_at: datetime
    lines: list[ClaimLineOut]
    refund: ClaimRefundOut | None = None
    replacements: list[ClaimReplacementOut] = []

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.all())

    @staticmethod
    def resolve_refund(obj):
        return claim_refund(obj)

    @staticmethod
    def resolve_replacements(obj) -> list:
        return claim_replacements(obj)


class ClaimDecisionIn(Schema):
    approve: bool
    resolution: str = ""
    reason: str = Field("", max_length=1000, description="Told to the shopper when rejected")
