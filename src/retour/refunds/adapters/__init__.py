"""Payment gateways that give money back: one module per provider behind `base.RefundGateway`.

Adding a gateway: write `adapters/<name>.py` with a class implementing `RefundGateway`
(`create_refund` must send our idempotency key so that a retried call never refunds twice, and
raise `TransientGatewayError` only when trying again with the same key is safe), add its name to
`choices.Gateway`, return it from `gateway_for` below, and test it against a local HTTP server
answering the provider's documented objects and errors (see tests/refunds/test_stripe_adapter.py).
A gateway that can also take a payment from the shopper (an exchange's price difference)
implements `create_payment_page` and is returned by `payment_gateway_for`; its webhook tells
`exchanges.record_payment_outcome` when the page is paid or expired (see `refunds/webhooks.py`).
"""

from retour.refunds.adapters.base import (
    GatewayError,
    GatewayRefund,
    GatewayStatus,
    PaymentPage,
    PaymentRequest,
    PermanentGatewayError,
    RefundGateway,
    TransientGatewayError,
)
from retour.refunds.adapters.manual import ManualGateway
from retour.refunds.adapters.stripe import StripeGateway

__all__ = [
    "GatewayError",
    "GatewayRefund",
    "GatewayStatus",
    "ManualGateway",
    "PaymentPage",
    "PaymentRequest",
    "PermanentGatewayError",
    "RefundGateway",
    "StripeGateway",
    "TransientGatewayError",
    "gateway_for",
    "payment_gateway_for",
]


def gateway_for(name: str, settings=None) -> RefundGateway:
    """The gateway a payment is refunded through. `settings` is the store's RefundSettings."""
    if name == "stripe":
        if settings is None or not settings.has_secret("stripe_secret_key"):
            raise PermanentGatewayError("Stripe is not configured for this store")
        return _stripe(settings)
    return ManualGateway()


def payment_gateway_for(settings) -> StripeGateway | None:
    """The gateway that takes a payment from the shopper (an exchange's price difference):
    Stripe when the store refunds through Stripe; None when finance collects it by hand."""
    if settings.gateway != "stripe" or not settings.has_secret("stripe_secret_key"):
        return None
    return _stripe(settings)


def _stripe(settings) -> StripeGateway:
    """The Stripe client of a store: its secret key is decrypted here, for this client only."""
    try:
        secret_key = settings.stripe_secret_key
    except ValueError as error:  # the encryption key changed since the secret was saved
        raise PermanentGatewayError(
            "The Stripe secret key cannot be decrypted: enter it again", code="secret_key"
        ) from error
    return StripeGateway(secret_key=secret_key, base_url=settings.stripe_api_base)
