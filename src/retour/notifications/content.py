"""Who an event concerns and what its e-mail shows: read once per delivery, from the database as
it is now (the shopper's address or language may have been corrected) plus the event's payload
(the facts of that moment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from django.conf import settings
from django.utils import timezone

from retour.commerce.models import Customer, Order, Store
from retour.events.models import OutboxEvent
from retour.notifications.emails import babel_locale, pick_language
from retour.returns.links import tracking_path
from retour.returns.models import Claim, Return


@dataclass(frozen=True)
class Shopper:
    email: str
    language: str
    first_name: str = ""
    phone: str = ""


def _return_of(event: OutboxEvent) -> Return | None:
    return_id = (event.payload.get("return") or {}).get("id")
    if not return_id:
        return None
    return (
        Return.objects.select_related("order", "customer")
        .filter(pk=return_id, store_id=event.store_id)
        .first()
    )


def _claim_of(event: OutboxEvent) -> Claim | None:
    claim_id = (event.payload.get("claim") or {}).get("id")
    if not claim_id:
        return None
    return (
        Claim.objects.select_related("order", "customer")
        .filter(pk=claim_id, store_id=event.store_id)
        .first()
    )


def _order_shopper(order: Order, customer: Customer | None, store: Store, locale: str) -> Shopper:
    """The shopper of an order, in the language of `locale` (a return's), else theirs."""
    return Shopper(
        email=order.email or (customer.email if customer else ""),
        language=pick_language(
            locale, customer.locale if customer else "", order.locale, store.default_locale
        ),
        first_name=customer.first_name if customer else "",
        phone=customer.phone if customer else "",
    )


def shopper_for(event: OutboxEvent, store: Store) -> Shopper | None:
    """The shopper to tell about `event`, or None when it concerns no shopper."""
    return_request = _return_of(event)
    if return_request is not None:
        return _order_shopper(
            return_request.order, return_request.customer, store, return_request.locale
        )
    claim = _claim_of(event)
    if claim is not None:
        return _order_shopper(claim.order, claim.customer, store, "")
    withdrawal = event.payload.get("withdrawal")
    if withdrawal:  # the notice itself names the address to acknowledge it to
        language = pick_language(withdrawal.get("locale"), store.default_locale)
        return Shopper(email=withdrawal.get("email", ""), language=language)
    customer_id = ((event.payload.get("store_credit") or {}).get("customer") or {}).get("id")
    if customer_id:
        customer = Customer.objects.filter(pk=customer_id, store_id=event.store_id).first()
        if customer is not None:
            return Shopper(
                email=customer.email,
                language=pick_language(customer.locale, store.default_locale),
                first_name=customer.first_name,
                phone=customer.phone,
            )
    return None


def return_url(store: Store, rma: str) -> str:
    """The shopper's tracking page of a return in the portal, by its signed link (no account);
    `label/` and `feedback/` appended open those parts of it. A store with its own domain
    (dashboard branding; the domain points at this Retour) gets links on that domain."""
    domain = (store.branding or {}).get("domain")
    base = f"https://{domain}" if domain else settings.PUBLIC_URL
    return f"{base}{tracking_path(store.slug, rma)}"


def store_context(store: Store) -> dict[str, Any]:
    branding = store.branding or {}
    return {
        "name": store.name,
        "slug": store.slug,
        "support_email": store.support_email,
        "logo_url": branding.get("logo_url", ""),
        "colour": branding.get("primary_color")
        or branding.get("primary_colour")
        or branding.get("color")
        or "#1f2937",
    }


def email_context(event: OutboxEvent, store: Store, shopper: Shopper) -> dict[str, Any]:
    """The variables every e-mail template may use (see docs/notifications.md)."""
    payload = event.payload
    data = payload.get("data") or {}
    ret = payload.get("return") or {}
    rma = ret.get("rma", "")
    link = return_url(store, rma) if rma else f"{settings.PUBLIC_URL}/returns/{store.slug}/"
    refund = payload.get("refund") or {}
    credit = payload.get("store_credit") or {}
    withdrawal = payload.get("withdrawal") or {}
    claim = payload.get("claim") or {}
    order = (
        payload.get("order")
        or ret.get("order")
        or withdrawal.get("order")
        or claim.get("order")
        or {}
    )
    expires_on = data.get("expires_on", "")
    return {
        "event_id": str(event.id),
        "event_type": event.type,
        "language": shopper.language,
        "store": store_context(store),
        "shopper": {"first_name": shopper.first_name, "email": shopper.email},
        "rma": rma,
        "order_number": order.get("number", ""),
        "return_url": link,
        "label_url": f"{link}label/" if rma else "",
        "feedback_url": f"{link}feedback/" if rma else "",
        "reason": data.get("reason") or ret.get("status_reason", ""),
        "message": data.get("message", ""),
        "carrier": data.get("carrier", ""),
        "tracking_number": data.get("tracking_number", ""),
        "expires_on": expires_on,
        "refund": {
            "reference": refund.get("reference") or data.get("refund", ""),
            "amount": refund.get("amount") or data.get("amount", ""),
            "currency": refund.get("currency") or data.get("currency", "EUR"),
            "expected_by": refund.get("expected_by") or data.get("expected_by") or "",
        },
        "credit": {
            "code": credit.get("code", ""),
            "amount": credit.get("change", ""),
            "balance": credit.get("balance", ""),
            "currency": credit.get("currency", "EUR"),
        },
        "exchange": {
            "order_number": data.get("order", ""),
            # The price difference to pay on the payment page (`return.exchange_payment_requested`).
            "amount": data.get("amount", ""),
            "currency": data.get("currency", "EUR"),
            "payment_link": data.get("payment_link", ""),
            "pay_by": _moment(data.get("pay_by", ""), store, shopper.language),
        },
        "withdrawal": _withdrawal_context(withdrawal, store, shopper.language),
        "claim": {
            "number": claim.get("number", ""),
            "kind": claim.get("kind", ""),  # damaged, missing, wrong_item
            "resolution": claim.get("resolution", ""),  # refund, replacement; "" if rejected
            "lines": [
                {"title": line.get("title", ""), "quantity": line.get("quantity", 0)}
                for line in claim.get("lines", [])
            ],
        },
    }


def _moment(iso: str, store: Store, language: str) -> str:
    """A moment of the payload (ISO 8601) as the shopper reads it: date and time in the store's
    time zone, in their language; "" when there is none."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(store.timezone or "UTC"))
    return format_datetime(moment, format="long", locale=babel_locale(language))


def _withdrawal_context(withdrawal: dict[str, Any], store: Store, language: str) -> dict[str, Any]:
    """The notice as the acknowledgement states it: its number, the date and time it was
    received (in the store's time zone), the goods, and the model form's address."""
    base = f"{settings.PUBLIC_URL}/returns/{store.slug}/"
    return {
        "number": withdrawal.get("number", ""),
        "name": withdrawal.get("name", ""),
        "received_at": _moment(withdrawal.get("notified_at", ""), store, language),
        "ordered_on": (withdrawal.get("order") or {}).get("placed_at", ""),
        "lines": [
            {"title": line.get("title", ""), "quantity": line.get("quantity", 0)}
            for line in withdrawal.get("lines", [])
        ],
        "form_url": f"{base}withdraw/form?lang={language}",
        "return_url": base,
    }


def sample_event(store: Store, event_type: str) -> OutboxEvent:
    """An unsaved event with plausible values, for the template preview."""
    expected = (timezone.now() + timedelta(days=5)).date().isoformat()
    payload = {
        "return": {
            "id": 0,
            "rma": "R-7KQ4-M9XP",
            "status_reason": "",
            "order": {"id": 0, "number": "1042"},
        },
        "data": {
            "reason": "The item was worn.",
            "message": "Your parcel has arrived; we are checking it.",
            "carrier": "Colissimo",
            "tracking_number": "6A12345678901",
            "order": "1042-X1",
            "expires_on": expected,
            "amount": "15.00",
            "currency": store.currency or "EUR",
            "payment_link": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3",
            "pay_by": (timezone.now() + timedelta(hours=23)).isoformat(),
        },
        "refund": {
            "reference": "RF-3H7K-Q2WD",
            "amount": "49.90",
            "currency": store.currency or "EUR",
            "expected_by": expected,
        },
        "withdrawal": {
            "number": "W-4TQ8-ZK2M",
            "notified_at": timezone.now().isoformat(),
            "name": "Ada Lovelace",
            "order": {"number": "1042", "placed_at": expected},
            "lines": [{"title": "Linen shirt", "quantity": 1}],
        },
        "claim": {
            "id": 0,
            "number": "C-8MZK-3QWT",
            "kind": "damaged",
            "resolution": "replacement",
            "order": {"id": 0, "number": "1042"},
            "lines": [{"title": "Linen shirt", "quantity": 1}],
        },
        "store_credit": {
            "code": "SC-ABCD-EFGH",
            "change": "55.00",
            "balance": "55.00",
            "currency": store.currency or "EUR",
        },
    }
    return OutboxEvent(store=store, type=event_type, payload=payload)
