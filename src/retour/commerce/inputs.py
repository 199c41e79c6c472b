"""Validated input for orders pushed by a shop platform, the API or an import file.

Pydantic models: the API uses them as its request schemas, the services as their arguments, so
the rules are written once.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from retour.core.money import is_valid_currency

Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomerIn(_Input):
    email: EmailStr
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    phone: str = Field("", max_length=40)
    external_id: str = Field("", max_length=100)


class OrderLineIn(_Input):
    external_id: str = Field(..., min_length=1, max_length=100)
    sku: str = Field(..., min_length=1, max_length=100)
    title: str = Field(..., min_length=1, max_length=300)
    quantity: int = Field(..., ge=1, le=100_000)
    unit_price: Amount
    discount: Amount = Decimal("0")
    tax: Amount = Decimal("0")
    options: dict[str, str] = Field(default_factory=dict)
    category: str = Field("", max_length=120)
    product_external_id: str = Field("", max_length=100)


class PaymentIn(_Input):
    gateway: str = Field(..., min_length=1, max_length=50)
    method: str = Field("card", max_length=30)
    reference: str = Field(..., min_length=1, max_length=200)
    captured: Amount
    refunded: Amount = Decimal("0")
    created_at: datetime

    @model_validator(mode="after")
    def refund_within_capture(self) -> "PaymentIn":
        if self.refunded > self.captured:
            raise ValueError("refunded cannot exceed captured")
        return self


class FulfillmentLineIn(_Input):
    line_external_id: str = Field(..., min_length=1, max_length=100)
    quantity: int = Field(..., ge=1)


class FulfillmentIn(_Input):
    external_id: str = Field(..., min_length=1, max_length=100)
    carrier: str = Field("", max_length=60)
    tracking_number: str = Field("", max_length=100)
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    lines: list[FulfillmentLineIn] = Field(..., min_length=1)


class OrderIn(_Input):
    number: str = Field(..., min_length=1, max_length=64)
    email: EmailStr
    currency: str = Field(..., min_length=3, max_length=3)
    locale: str = Field("", max_length=10)
    placed_at: datetime
    paid_at: datetime | None = None
    updated_at: datetime | None = Field(
        None, description="The platform's update time: an older update never overwrites a newer"
    )
    taxes_included: bool = True
    subtotal: Amount
    discount_total: Amount = Decimal("0")
    shipping_total: Amount = Decimal("0")
    tax_total: Amount = Decimal("0")
    total: Amount
    shipping_address: dict[str, str] = Field(default_factory=dict)
    customer: CustomerIn | None = None
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=1000)
    payments: list[PaymentIn] = Field(default_factory=list)
    fulfillments: list[FulfillmentIn] = Field(default_factory=list)

    @field_validator("currency")
    @classmethod
    def known_currency(cls, value: str) -> str:
        if not is_valid_currency(value):
            raise ValueError("not an ISO 4217 currency code")
        return value.upper()

    @model_validator(mode="after")
    def consistent(self) -> "OrderIn":
        line_ids = [line.external_id for line in self.lines]
        if len(set(line_ids)) != len(line_ids):
            raise ValueError("line external_id values must be unique")
        ordered = {line.external_id: line.quantity for line in self.lines}
        shipped: dict[str, int] = {}
        for fulfillment in self.fulfillments:
            for item in fulfillment.lines:
                if item.line_external_id not in ordered:
                    raise ValueError(
                        f"fulfillment line {item.line_external_id!r} is not an order line"
                    )
                shipped[item.line_external_id] = (
                    shipped.get(item.line_external_id, 0) + item.quantity
                )
        for line_id, quantity in shipped.items():
            if quantity > ordered[line_id]:
                raise ValueError(f"line {line_id!r} is fulfilled more times than ordered")
        return self
