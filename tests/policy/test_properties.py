"""Properties of the engine over generated orders, policies and dates (hypothesis)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from retour.policy.engine import Choice, LineChoice, LineFacts, OrderFacts, ShopperFacts, evaluate
from tests.policy.helpers import policy

START = datetime(2025, 1, 1, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=800 * 24 * 3600).map(
    lambda s: START + timedelta(seconds=s)
)
optional_moments = st.none() | moments
prices = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("900"), places=2)

lines = st.builds(
    LineFacts,
    line_id=st.integers(1, 10_000),
    unit_price=prices,
    quantity=st.integers(1, 4),
    returnable_qty=st.integers(0, 4),
    category=st.sampled_from(["", "apparel/shirts", "food/cheese", "gift-cards", "shoes"]),
    tags=st.frozensets(st.sampled_from(["final-sale", "hygiene", "personalised", "sale"])),
    final_sale=st.booleans(),
    delivered_at=optional_moments,
    shipped_at=optional_moments,
)

orders = st.builds(
    lambda lines, placed, country, tz, score: OrderFacts(
        placed_at=placed,
        total=sum((line.unit_price for line in lines), Decimal("0")),
        currency="EUR",
        lines=tuple({line.line_id: line for line in lines}.values()),
        shopper=ShopperFacts(country=country, risk_score=score),
        timezone=tz,
    ),
    st.lists(lines, min_size=1, max_size=5),
    moments,
    st.sampled_from(["FR", "DE", "US", "GB", ""]),
    st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"]),
    st.integers(0, 100),
)

RULES = [
    {"id": "risky", "when": {"risk_score": {"min": "70"}}, "then": {"decision": "review"}},
    {
        "id": "worn",
        "when": {"days_since_delivery": {"min": "20"}},
        "then": {"decision": "reject", "message": {"en": "Too late to check"}},
    },
    {"id": "cheap", "when": {"line_price": {"max": "15"}}, "then": {"decision": "returnless"}},
    {"id": "fee", "when": {"categories": ["shoes"]}, "then": {"add_fee": "3"}},
    {"id": "ok", "then": {"decision": "approve"}},
]
documents = st.builds(
    lambda window, transit, rules: policy(
        window_days=window, transit_allowance_days=transit, rules=RULES[:rules]
    ),
    st.integers(0, 60),
    st.integers(0, 10),
    st.integers(0, len(RULES)),
)
reasons = st.sampled_from(["", "too_small", "defective", "changed_mind"])


def _choice(facts: OrderFacts, reason: str) -> Choice:
    lines = {
        line.line_id: LineChoice(quantity=1, reason=reason, merchant_fault=reason == "defective")
        for line in facts.lines
    }
    return Choice(method="mail", resolution="refund", lines=lines)


@settings(max_examples=150, deadline=None)
@given(documents, orders, moments, reasons)
def test_evaluation_is_deterministic(document, facts, now, reason):
    choice = _choice(facts, reason)

    assert evaluate(document, facts, now, choice) == evaluate(document, facts, now, choice)


@settings(max_examples=300, deadline=None)
@given(documents, orders, moments, st.integers(0, 900), reasons)
def test_a_line_eligible_on_a_day_stays_eligible_on_any_earlier_day(
    document, facts, now, days_earlier, reason
):
    choice = _choice(facts, reason) if reason else None
    later = evaluate(document, facts, now, choice)
    earlier = evaluate(document, facts, now - timedelta(days=days_earlier), choice)

    for late, early in zip(later.lines, earlier.lines, strict=True):
        if late.eligible:
            assert early.eligible, (late, early)
