"""Routing: which carrier account, service and warehouse a return's parcel goes with and to.

Rules (`RoutingRule`) are tried by position; the first active one whose conditions all match
decides what it names (carrier, warehouse, or both; what it leaves empty falls back to the store's
defaults). With no rule the store's first active carrier account is used (the built-in "own
label" carrier if it has none) and its default warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from retour.commerce.models import Warehouse
from retour.core.errors import InvalidRequest
from retour.logistics.choices import CarrierKind, RoutingStrategy
from retour.logistics.models import CarrierAccount, RoutingRule
from retour.returns.models import Return


@dataclass(frozen=True)
class Route:
    account: CarrierAccount
    warehouse: Warehouse
    strategy: str = RoutingStrategy.FIXED
    service: str = ""
    rule: str = ""


@dataclass(frozen=True)
class Facts:
    """What rules may look at, read once per return."""

    country: str
    method: str
    reasons: frozenset[str]
    categories: frozenset[str]

    @classmethod
    def of(cls, return_request: Return) -> Facts:
        lines = return_request.lines.select_related(
            "reason__parent", "order_line__variant__product"
        )
        reasons: set[str] = set()
        categories: set[str] = set()
        for line in lines:
            if line.reason is not None:
                reasons.add(line.reason.code)
                if line.reason.parent is not None:
                    reasons.add(line.reason.parent.code)
            variant = line.order_line.variant
            if variant is not None and variant.product.category:
                categories.add(variant.product.category)
        order = return_request.order
        country = order.shipping_country or (order.shipping_address or {}).get("country", "")
        return cls(
            country.upper(), return_request.method, frozenset(reasons), frozenset(categories)
        )


def matches(conditions: dict, facts: Facts) -> bool:
    def wanted(key: str) -> list[str]:
        value = conditions.get(key) or []
        return [value] if isinstance(value, str) else list(value)

    if (countries := wanted("country")) and facts.country not in {c.upper() for c in countries}:
        return False
    if (methods := wanted("method")) and facts.method not in methods:
        return False
    if (reasons := wanted("reason")) and not facts.reasons & set(reasons):
        return False
    categories = wanted("category")
    return not categories or any(
        category.startswith(prefix) for category in facts.categories for prefix in categories
    )


def own_label_account(store_id: int) -> CarrierAccount:
    account, _created = CarrierAccount.objects.get_or_create(
        store_id=store_id,
        kind=CarrierKind.OWN_LABEL,
        defaults={"name": "Own label"},
    )
    return account


def default_warehouse(store_id: int) -> Warehouse:
    warehouse = Warehouse.objects.filter(store_id=store_id).order_by("-is_default", "id").first()
    if warehouse is None:
        raise InvalidRequest(
            _("The store has no warehouse to send returns to."), code="no_warehouse"
        )
    return warehouse


def route_return(return_request: Return) -> Route:
    facts = Facts.of(return_request)
    store_id = return_request.store_id
    for rule in RoutingRule.objects.filter(store_id=store_id, active=True).select_related(
        "account", "warehouse"
    ):
        if not matches(rule.conditions or {}, facts):
            continue
        account = rule.account if rule.account and rule.account.active else None
        return Route(
            account=account or _default_account(store_id),
            warehouse=rule.warehouse or default_warehouse(store_id),
            strategy=rule.strategy if account else RoutingStrategy.FIXED,
            service=rule.service if account else "",
            rule=rule.name,
        )
    return Route(account=_default_account(store_id), warehouse=default_warehouse(store_id))


def _default_account(store_id: int) -> CarrierAccount:
    account = (
        CarrierAccount.objects.filter(store_id=store_id, active=True)
        .exclude(kind=CarrierKind.OWN_LABEL)
        .order_by("id")
        .first()
    )
    return account or own_label_account(store_id)
