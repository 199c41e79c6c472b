"""The law built in: the EU/EEA withdrawal floor and its exceptions, the guarantee of
conformity, and France's increases for late refunds (L242-4)."""

from datetime import date
from decimal import Decimal

import pytest

from retour.policy.law import EU_DEFAULT, FRANCE, fr_late_refund_increase, law_for
from tests.policy.helpers import at, choose, decide, line, order, policy

D = Decimal
SHORT = policy(window_days=7)  # a shop outside the EU may set 7 days; its EU shoppers get 14


@pytest.mark.parametrize(
    ("country", "now", "eligible", "case"),
    [
        ("FR", "2026-03-09 12:00", True, "withdrawal"),  # day 7: both windows open
        ("FR", "2026-03-16 22:59:59", True, "withdrawal"),  # day 14, 23:59:59 in Paris
        ("FR", "2026-03-16 23:00:00", False, ""),  # day 15
        ("DE", "2026-03-16 22:59:59", True, "withdrawal"),  # any EU country
        ("NO", "2026-03-16 22:59:59", True, "withdrawal"),  # and the EEA
        ("US", "2026-03-10 12:00", False, ""),  # no statutory right: the shop's 7 days
        ("CH", "2026-03-10 12:00", False, ""),  # not in the EEA
    ],
)
def test_an_eu_shopper_inside_the_legal_period_is_never_refused_for_time(
    country, now, eligible, case
):
    decision = decide(SHORT, order(country=country), now=now)

    assert (decision.eligible, decision.case) == (eligible, case)


def test_the_legal_period_runs_from_receipt_of_the_last_item():
    facts = order(
        line(1, delivered_at=at("2026-03-02 10:00")),
        line(2, delivered_at=at("2026-03-10 10:00")),
        country="FR",
    )

    decision = decide(SHORT, facts, now="2026-03-20 12:00", line_id=1)

    assert decision.case == "withdrawal"
    assert decision.legal_deadline.date() == date(2026, 3, 24)


def test_the_withdrawal_message_cites_the_rule_and_the_deadline():
    decision = decide(SHORT, order(country="FR"), now="2026-03-12 12:00")

    assert decision.messages[0].id == "withdrawal"
    assert decision.messages[0].params["deadline"] == {"date": "2026-03-16"}
    assert "2011/83/EU" in decision.messages[0].params["citation"]


# (exclusion given by, EU shopper inside 14 days, US shopper)
EXCLUSIONS = [
    ("final sale flag", {"final_sale": True}, True, False),
    ("final-sale tag", {"tags": ["final-sale"]}, True, False),
    ("gift card", {"category": "gift-cards"}, True, False),  # not an art. 16 exception
    ("personalised", {"tags": ["personalised"]}, False, False),  # art. 16(c)
    ("perishable", {"category": "food/cheese"}, False, False),  # art. 16(d)
]


@pytest.mark.parametrize(
    ("facts", "eu", "us"), [e[1:] for e in EXCLUSIONS], ids=[e[0] for e in EXCLUSIONS]
)
def test_exclusions_and_the_legal_exceptions(facts, eu, us):
    in_eu = decide(facts=order(line(**facts), country="FR"), now="2026-03-10 12:00")
    elsewhere = decide(facts=order(line(**facts), country="US"), now="2026-03-10 12:00")

    assert in_eu.eligible is eu
    assert elsewhere.eligible is us
    if not eu:
        assert in_eu.messages[0].id == "legal_exception"
    assert elsewhere.messages[0].id == "excluded"


def test_a_final_sale_item_is_excluded_again_once_the_legal_period_is_over():
    decision = decide(facts=order(line(final_sale=True), country="FR"), now="2026-03-20 12:00")

    assert not decision.eligible
    assert decision.messages[0].id == "excluded"


def test_hygiene_goods_are_returnable_sealed():
    decision = decide(facts=order(line(tags=["hygiene"]), country="US"))

    assert decision.eligible
    assert "sealed" in decision.conditions
    assert any(m.id == "sealed_required" for m in decision.messages)


def test_a_rule_cannot_reject_a_withdrawal_it_sends_it_to_review():
    document = policy(
        rules=[{"id": "no", "then": {"decision": "reject", "message": {"en": "No."}}}]
    )

    withdrawal = decide(document, order(country="FR"), now="2026-03-10 12:00")
    commercial = decide(document, order(country="US"), now="2026-03-10 12:00")

    assert withdrawal.outcome == "review"
    assert any(m.id == "withdrawal_overrides" for m in withdrawal.messages)
    assert commercial.outcome == "reject"


def test_a_withdrawal_carries_no_restocking_fee_and_is_refundable():
    document = policy(
        resolutions=["store_credit"],
        restocking_fee={"percent": "10"},
        rules=[{"id": "fee", "then": {"add_fee": "5"}}],
    )

    withdrawal = decide(document, order(country="FR"), now="2026-03-10 12:00")
    commercial = decide(document, order(country="US"), now="2026-03-10 12:00")

    assert withdrawal.restocking_fee == 0
    assert "refund" in withdrawal.resolutions
    assert commercial.restocking_fee == D("9.00")  # 10 % of 40 + 5
    assert commercial.resolutions == ("store_credit",)


def test_a_defect_is_covered_by_the_guarantee_of_conformity_for_two_years():
    choice = choose(method="mail", l1={"reason": "defective", "merchant_fault": True})
    document = policy(shipping_fees={"mail": {"flat": "6"}})

    decision = decide(document, order(country="FR"), now="2027-06-01 12:00", choice=choice)

    assert (decision.eligible, decision.case) == (True, "conformity")
    assert decision.deadline.date() == date(2028, 3, 2)
    assert decision.shipping_fee == 0
    assert not decide(document, order(country="FR"), now="2028-03-03 12:00", choice=choice).eligible


def test_a_change_of_mind_after_the_windows_is_not_a_conformity_case():
    choice = choose(l1={"reason": "changed_mind"})

    decision = decide(policy(), order(country="FR"), now="2027-06-01 12:00", choice=choice)

    assert not decision.eligible


def test_the_law_of_each_country_is_data():
    assert law_for("fr") is FRANCE
    assert law_for("IT") is EU_DEFAULT
    assert law_for("US").withdrawal_days == 0
    assert FRANCE.withdrawal_days == 14
    assert FRANCE.refund_due_days == 14


# L242-4 on a 100 € refund of a 100 € product, due 1 March 2026 (legal rate 6.67 %).
@pytest.mark.parametrize(
    ("days_late", "increase"),
    [
        (0, D("0")),
        (10, D("100") * D("6.67") / 100 * 10 / 365),  # legal interest, pro rata
        (11, D("5")),
        (20, D("5")),
        (21, D("10")),
        (30, D("10")),
        (31, D("20")),
        (60, D("20")),
        (61, D("50")),
        (90, D("50")),
        (91, D("55")),  # a month begun: +5 points
        (120, D("55")),
        (121, D("60")),
        (999, D("100")),  # up to the price of the product
    ],
)
def test_france_late_refund_increase(days_late, increase):
    assert (
        fr_late_refund_increase(
            amount=D("100"), product_price=D("100"), days_late=days_late, due=date(2026, 3, 1)
        )
        == increase
    )
