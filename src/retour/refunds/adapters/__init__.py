"""Payment gateways that give money back: one module per provider behind `base.RefundGateway`.

Adding a gateway: write `adapters/<name>.py` with a class implementing `RefundGateway`
(`create_refund` must send our idempotency key so that a retried call never refunds twice, and
raise `TransientGatewayError` only when trying again with the same key is safe), add its name to
`choices.Gateway`, return it from `gateway_for` below, and test it against a local HTTP server
answering the provider's documented objects and errors (see tests/refunds/test_stripe_adapter.py).
"""

from retour.refunds.adapters.base import (
    GatewayError,
    GatewayRefund,
    GatewayStatus,
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
    "PermanentGatewayError",
    "RefundGateway",
    "StripeGateway",
    "TransientGatewayError",
    "gateway_for",
]


def gateway_for(name: str, settings=None) -> RefundGateway:
    """The gateway a payment is refunded through. `settings` is the store's RefundSettings."""
    if name == "stripe":
        if settings is None or not settings.stripe_secret_key:
            raise PermanentGatewayError("Stripe is not configured for this store")
        return StripeGateway(
            secret_key=settings.stripe_secret_key, base_url=settings.stripe_api_base
        )
    return ManualGateway()
