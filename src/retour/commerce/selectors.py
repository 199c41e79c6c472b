"""Reads of the shop's data."""

import hmac
from collections.abc import Iterable

from django.db.models import Q

from retour.commerce.models import AuditEvent, Order
from retour.core.prepared import PreparedQuery


def number_forms(number: str) -> list[str]:
    """The order numbers `number` may stand for: with and without the "#" some platforms put
    before them (Shopify names its orders "#1001"; a shopper types "1001" or "#1001")."""
    bare = number.strip().lstrip("#")
    return [bare, f"#{bare}"] if bare else []


# The portal's look-up, at every shopper's first step: compiled (and on PostgreSQL planned) once.
_ORDER_BY_NUMBER = PreparedQuery(
    lambda store_id, bare, marked: (
        Order.objects.filter(store_id=store_id, number__in=[bare, marked])
        .only("id", "store_id", "number", "email", "shipping_postcode", "locale", "customer_id")
        .order_by("pk")[:1]
    ),
    kinds=(int, str, str),
)


def find_order_for_shopper(
    *, store_id: int, number: str, email: str = "", postcode: str = ""
) -> Order | None:
    """The order matching its number and the shopper's e-mail or postcode, else None.

    One query. A wrong number and a wrong e-mail give the same answer, and the comparison runs
    in constant time, so the answer tells an attacker nothing about which part was wrong.
    """
    forms = number_forms(number)
    found = _ORDER_BY_NUMBER.run(store_id, *forms) if forms else []
    order = found[0] if found else None
    given = email.strip().lower() if email else postcode.replace(" ", "").upper()
    expected = ""
    if order is not None:
        expected = order.email.lower() if email else order.shipping_postcode
    matches = bool(given) and hmac.compare_digest(given.encode(), expected.encode())
    return order if order is not None and matches else None


def audit_log(store_id: int, verb_prefixes: Iterable[str], limit: int = 30) -> list[AuditEvent]:
    """The store's latest audit events whose verb starts with one of `verb_prefixes` (one query)."""
    matching = Q()
    for prefix in verb_prefixes:
        matching |= Q(verb__startswith=prefix)
    if not matching:
        return []
    return list(
        AuditEvent.objects.filter(matching, store_id=store_id).order_by("-created_at", "-id")[
            :limit
        ]
    )
