"""Stripe's webhooks for a store: refunds settling (`refund.*`) and the price difference of an
exchange paid or given up (`checkout.session.*`). Each store has its own endpoint and secret."""

from django.utils.translation import gettext as _

from retour.core.errors import DomainError
from retour.refunds import exchanges, services
from retour.refunds.adapters import PermanentGatewayError
from retour.refunds.adapters.stripe import payment_from_event, refund_from_event, verify_webhook
from retour.refunds.models import RefundSettings


class WebhookRejected(DomainError):
    code = "unauthenticated"
    http_status = 401


def handle_stripe_webhook(*, store_id: int, payload: bytes, signature: str) -> str:
    """Check the `Stripe-Signature` with the store's endpoint secret, then record what the event
    says; replayed or repeated events change nothing. Returns what the event was about
    ("refund", "payment" or "ignored"). A store without a secret and a bad or stale signature
    get the same refusal."""
    secret = RefundSettings.for_store(store_id).stripe_webhook_secret
    try:
        if not secret:
            raise PermanentGatewayError("no webhook secret")
        event = verify_webhook(payload, signature, secret)
    except (PermanentGatewayError, ValueError) as error:
        raise WebhookRejected(_("Invalid signature.")) from error
    refund = refund_from_event(event)
    if refund is not None:
        services.record_gateway_event(
            gateway_reference=refund.reference, outcome=refund, store_id=store_id
        )
        return "refund"
    payment = payment_from_event(event)
    if payment is not None:
        exchanges.record_payment_outcome(store_id=store_id, checkout=payment)
        return "payment"
    return "ignored"
