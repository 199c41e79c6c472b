"""Stripe's Refunds API over plain HTTPS (no SDK): POST /v1/refunds, form-encoded, with our
idempotency key in the `Idempotency-Key` header, so a request retried after a timeout returns the
refund the first one created instead of a second one (Stripe keeps keys for at least 24 hours).

Amounts in Stripe are integers in Stripe's minor unit, which is ISO 4217's except for a few
currencies (zero-decimal list, and ISK which Stripe treats as two-decimal); conversion is exact or
refused, never rounded.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from retour.refunds.adapters.base import (
    GatewayRefund,
    GatewayStatus,
    PaymentPage,
    PaymentRequest,
    PermanentGatewayError,
    TransientGatewayError,
)

# https://docs.stripe.com/currencies — zero-decimal and three-decimal currencies.
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND"}
    | {"VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])

_STATUSES = {
    "succeeded": GatewayStatus.SUCCEEDED,
    "pending": GatewayStatus.PENDING,
    "requires_action": GatewayStatus.PENDING,
    "failed": GatewayStatus.FAILED,
    "canceled": GatewayStatus.FAILED,
}


def stripe_exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_stripe_amount(amount: Decimal, currency: str) -> int:
    scaled = Decimal(amount).scaleb(stripe_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise PermanentGatewayError(
            f"{amount} {currency.upper()} cannot be expressed in Stripe's minor unit",
            code="amount_precision",
        )
    units = int(scaled)
    if currency.upper() in THREE_DECIMAL and units % 10:
        raise PermanentGatewayError(
            f"Stripe needs {currency.upper()} amounts in multiples of 0.010",
            code="amount_precision",
        )
    return units


def from_stripe_amount(units: int, currency: str) -> Decimal:
    return Decimal(units).scaleb(-stripe_exponent(currency))


def _refund_from_object(data: dict[str, Any]) -> GatewayRefund:
    if data.get("object") != "refund" or not data.get("id"):
        raise TransientGatewayError("Stripe answered something that is not a refund")
    currency = str(data.get("currency") or "")
    amount = data.get("amount")
    return GatewayRefund(
        reference=data["id"],
        status=_STATUSES.get(str(data.get("status")), GatewayStatus.PENDING),
        amount=from_stripe_amount(int(amount), currency) if amount is not None else None,
        currency=currency.upper(),
        failure_reason=str(data.get("failure_reason") or ""),
    )


class StripeGateway:
    name = "stripe"
    automatic = True

    def __init__(
        self,
        *,
        secret_key: str,
        base_url: str = "https://api.stripe.com",
        timeout: float = 20.0,
        api_version: str = "",
    ) -> None:
        self.secret_key = secret_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.api_version = api_version

    def _request(
        self, method: str, path: str, form: dict[str, str] | None = None, idempotency_key: str = ""
    ) -> dict[str, Any]:
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(  # noqa: S310 (the base URL is the store's setting)
            self.base_url + path, data=body, method=method
        )
        request.add_header("Authorization", f"Bearer {self.secret_key}")
        if body is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        if idempotency_key:
            request.add_header("Idempotency-Key", idempotency_key)
        if self.api_version:
            request.add_header("Stripe-Version", self.api_version)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read().decode())
        except urllib.error.HTTPError as error:
            raise self._error(error) from error
        except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
            # We do not know whether Stripe created the refund: only the same key may retry.
            raise TransientGatewayError(f"Stripe unreachable: {error}", code="network") from error
        except ValueError as error:
            raise TransientGatewayError("Stripe answered invalid JSON", code="bad_json") from error

    @staticmethod
    def _error(error: urllib.error.HTTPError) -> Exception:
        try:
            detail = json.loads(error.read().decode()).get("error", {})
        except (ValueError, AttributeError, OSError):
            detail = {}
        message = str(detail.get("message") or f"Stripe answered HTTP {error.code}")
        code = str(detail.get("code") or detail.get("type") or "")
        # 429 (rate limit) and 5xx may have done nothing or everything: retry with the same key.
        # 409 is an idempotency conflict or a concurrent request with the same key: also retry.
        if error.code in (409, 429) or error.code >= 500:
            return TransientGatewayError(message, code=code, http_status=error.code)
        return PermanentGatewayError(message, code=code, http_status=error.code)

    def create_refund(
        self, *, payment_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayRefund:
        """Refund `amount` of a PaymentIntent (`pi_…`) or Charge (`ch_…`)."""
        target = "charge" if payment_reference.startswith(("ch_", "py_")) else "payment_intent"
        form = {
            target: payment_reference,
            "amount": str(to_stripe_amount(amount, currency)),
            "metadata[retour_idempotency_key]": idempotency_key,
        }
        refund = _refund_from_object(
            self._request("POST", "/v1/refunds", form, idempotency_key=idempotency_key)
        )
        if refund.currency and refund.currency != currency.upper():
            raise PermanentGatewayError(
                f"Stripe refunded in {refund.currency}, not {currency.upper()}", code="currency"
            )
        return refund

    def retrieve_refund(self, reference: str) -> GatewayRefund:
        return _refund_from_object(
            self._request("GET", f"/v1/refunds/{urllib.parse.quote(reference)}")
        )

    def create_payment_page(self, request: PaymentRequest) -> PaymentPage:
        """A Checkout Session (`POST /v1/checkout/sessions`, mode `payment`) for one amount,
        described by `price_data` (no Product or Price to create first), valid until
        `request.expires_at` (Stripe allows 30 minutes to 24 hours). Its `client_reference_id`
        and metadata name our record; `checkout.session.completed` / `.expired` say the rest."""
        form = {
            "mode": "payment",
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": request.currency.lower(),
            "line_items[0][price_data][unit_amount]": str(
                to_stripe_amount(request.amount, request.currency)
            ),
            "line_items[0][price_data][product_data][name]": request.description,
            "client_reference_id": request.reference,
            "metadata[retour_reference]": request.reference,
            "success_url": request.return_url,
            "cancel_url": request.return_url,
            "expires_at": str(int(request.expires_at.timestamp())),
        }
        if request.email:
            form["customer_email"] = request.email
        data = self._request(
            "POST", "/v1/checkout/sessions", form, idempotency_key=request.idempotency_key
        )
        if data.get("object") != "checkout.session" or not data.get("url"):
            raise TransientGatewayError("Stripe answered something that is not a Checkout Session")
        return PaymentPage(reference=data["id"], url=data["url"])


def verify_webhook(
    payload: bytes, signature_header: str, secret: str, *, tolerance: int = 300, now: float = 0
) -> dict[str, Any]:
    """Check a webhook's `Stripe-Signature` (HMAC-SHA256 of "timestamp.payload" with the
    endpoint's secret) and return the event. Raises PermanentGatewayError when it does not match
    or is older than `tolerance` seconds (replay)."""
    parts: dict[str, list[str]] = {}
    for item in signature_header.split(","):
        key, _sep, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError) as error:
        raise PermanentGatewayError("webhook signature without a timestamp") from error
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise PermanentGatewayError("webhook signature does not match")
    if abs((now or time.time()) - timestamp) > tolerance:
        raise PermanentGatewayError("webhook signature is too old")
    return json.loads(payload.decode())


def sign_webhook(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header Stripe would send (for tests and local tools)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


@dataclass(frozen=True)
class CheckoutOutcome:
    """What a Checkout Session event says: the page (`cs_…`), "paid" | "expired" | "failed",
    and for a payment the PaymentIntent that took the money (`pi_…`) and its amount."""

    session: str
    outcome: str
    payment_reference: str = ""
    amount: Decimal | None = None
    currency: str = ""


def payment_from_event(event: dict[str, Any]) -> CheckoutOutcome | None:
    """The outcome of a Checkout Session event, or None. `checkout.session.completed` with
    `payment_status` "unpaid" (a delayed method such as a SEPA debit) is not paid yet:
    `async_payment_succeeded` follows."""
    kind = str(event.get("type", ""))
    data = event.get("data", {}).get("object", {})
    if not kind.startswith("checkout.session.") or data.get("object") != "checkout.session":
        return None
    outcome = {
        "checkout.session.completed": "paid" if data.get("payment_status") == "paid" else "",
        "checkout.session.async_payment_succeeded": "paid",
        "checkout.session.async_payment_failed": "failed",
        "checkout.session.expired": "expired",
    }.get(kind, "")
    if not outcome:
        return None
    currency, amount = str(data.get("currency") or "").upper(), data.get("amount_total")
    return CheckoutOutcome(
        session=str(data.get("id", "")),
        outcome=outcome,
        payment_reference=str(data.get("payment_intent") or ""),
        amount=from_stripe_amount(int(amount), currency) if amount is not None else None,
        currency=currency,
    )


def refund_from_event(event: dict[str, Any]) -> GatewayRefund | None:
    """The refund a `refund.*` or `charge.refund.updated` event is about, or None."""
    if not str(event.get("type", "")).startswith(("refund.", "charge.refund.")):
        return None
    data = event.get("data", {}).get("object", {})
    return _refund_from_object(data) if data.get("object") == "refund" else None


__all__ = [
    "CheckoutOutcome",
    "StripeGateway",
    "payment_from_event",
    "refund_from_event",
    "sign_webhook",
    "to_stripe_amount",
    "verify_webhook",
]
