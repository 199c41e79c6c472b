"""Building engine input by hand: the engine needs no database."""

from datetime import UTC, datetime
from decimal import Decimal

from retour.policy.document import PolicyDocument
from retour.policy.engine import (
    Choice,
    LineChoice,
    LineFacts,
    OrderFacts,
    ShopperFacts,
    evaluate,
)

D = Decimal


def at(text: str) -> datetime:
    """An aware UTC datetime from 'YYYY-MM-DD HH:MM[:SS]'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def line(line_id: int = 1, price: str = "40", **facts) -> LineFacts:
    facts.setdefault("delivered_at", at("2026-03-02 10:00"))
    facts.setdefault("quantity", 1)
    facts.setdefault("returnable_qty", facts["quantity"])
    facts.setdefault("category", "apparel/shirts")
    if "tags" in facts:
        facts["tags"] = frozenset(facts["tags"])
    return LineFacts(line_id=line_id, unit_price=D(price), **facts)


def order(
    *lines: LineFacts, country: str = "US", tz: str = "Europe/Paris", **shopper
) -> OrderFacts:
    lines = lines or (line(),)
    return OrderFacts(
        placed_at=at("2026-02-27 09:00"),
        total=sum((item.unit_price * item.quantity for item in lines), D("0")),
        currency="EUR",
        lines=tuple(lines),
        shopper=ShopperFacts(country=country, **shopper),
        timezone=tz,
    )


def policy(**document) -> PolicyDocument:
    return PolicyDocument.model_validate(document)


def choose(method: str = "", resolution: str = "refund", **per_line) -> Choice:
    """`choose(method="mail", l1={"reason": "too_small"})`; every line given by `l<id>`."""
    lines = {
        int(key[1:]): LineChoice(**{"quantity": 1, **values}) for key, values in per_line.items()
    }
    return Choice(method=method, resolution=resolution, lines=lines)


def decide(document=None, facts=None, now="2026-03-10 12:00", choice=None, line_id=1):
    document = document if document is not None else policy()
    facts = facts if facts is not None else order()
    decision = evaluate(document, facts, at(now) if isinstance(now, str) else now, choice)
    return decision.line(line_id)
