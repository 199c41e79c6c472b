"""The interface every refund gateway implements."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


class GatewayStatus:
    PENDING = "pending"  # accepted; the money has not moved yet (webhook or poll will tell)
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class GatewayRefund:
    reference: str  # the gateway's id of the refund (Stripe `re_…`); empty for a manual refund
    status: str  # a GatewayStatus value
    amount: Decimal | None = None
    currency: str = ""
    failure_reason: str = ""


@dataclass(frozen=True)
class PaymentRequest:
    """Money the shopper owes (an exchange's price difference), to pay on the gateway's page."""

    amount: Decimal
    currency: str
    description: str
    reference: str  # our record, echoed in the gateway's events
    idempotency_key: str
    return_url: str  # where the shopper lands after paying or giving up
    expires_at: datetime
    email: str = ""


@dataclass(frozen=True)
class PaymentPage:
    reference: str  # the gateway's id (Stripe `cs_…`)
    url: str


class GatewayError(Exception):
    def __init__(self, message: str, *, code: str = "", http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status


class TransientGatewayError(GatewayError):
    """Timeout, rate limit, server error, connection lost: the refund may or may not exist at
    the gateway. Try again later with the *same* idempotency key, never a new one."""


class PermanentGatewayError(GatewayError):
    """The gateway refused (bad key, card error, already refunded): trying again the same way
    will fail the same way. Finance has to act."""


class RefundGateway(Protocol):
    name: str
    # True when money moves as soon as the gateway answers (cards), False when a person
    # confirms it later (manual transfers).
    automatic: bool

    def create_refund(
        self, *, payment_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayRefund: ...

    def retrieve_refund(self, reference: str) -> GatewayRefund: ...
