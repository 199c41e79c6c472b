"""The rules engine: each condition, each outcome, and the order rules are applied in."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from retour.policy.document import PolicyDocument
from tests.policy.helpers import at, choose, decide, line, order, policy

D = Decimal
APPROVE = {"decision": "approve"}


def _with_rule(when: dict, then: dict | None = None, **document) -> PolicyDocument:
    return policy(rules=[{"id": "r", "when": when, "then": then or APPROVE}], **document)


BASE_CHOICE = choose(method="mail", resolution="refund", l1={"reason": "too_small"})
RICH = order(
    line(price="40", quantity=2, tags=["sale", "cotton"], category="apparel/shirts"),
    country="US",
    past_returns=3,
    return_rate=D("0.4"),
    risk_score=55,
)

# (condition, holds for RICH + BASE_CHOICE at 2026-03-10, does not hold)
CONDITIONS = [
    ("order_total", {"order_total": {"min": "80"}}, {"order_total": {"min": "80.01"}}),
    ("line_price", {"line_price": {"max": "40"}}, {"line_price": {"max": "39.99"}}),
    ("line_value", {"line_value": {"min": "40", "max": "40"}}, {"line_value": {"min": "41"}}),
    ("quantity", {"quantity": {"min": "1", "max": "1"}}, {"quantity": {"min": "2"}}),
    ("reason", {"reasons": ["too_small"]}, {"reasons": ["defective"]}),
    ("reason parent", {"reasons": ["size"]}, {"reasons": ["colour"]}),
    ("category prefix", {"categories": ["apparel"]}, {"categories": ["shoes"]}),
    ("tags", {"tags": ["cotton", "wool"]}, {"tags": ["wool"]}),
    (
        "days since delivery",
        {"days_since_delivery": {"max": "8"}},
        {"days_since_delivery": {"max": "7"}},
    ),
    ("country", {"countries": ["us", "CA"]}, {"countries": ["FR"]}),
    ("past returns", {"past_returns": {"min": "3"}}, {"past_returns": {"min": "4"}}),
    ("return rate", {"return_rate": {"min": "0.4"}}, {"return_rate": {"min": "0.41"}}),
    ("risk score", {"risk_score": {"min": "50"}}, {"risk_score": {"max": "50"}}),
    ("method", {"methods": ["mail"]}, {"methods": ["pickup"]}),
    ("resolution", {"resolutions": ["refund"]}, {"resolutions": ["exchange"]}),
    ("value below label cost", {"value_below_label_cost": True}, {"value_below_label_cost": False}),
]


@pytest.mark.parametrize(
    ("holds", "fails"), [c[1:] for c in CONDITIONS], ids=[c[0] for c in CONDITIONS]
)
def test_each_condition(holds, fails):
    choice = choose(
        method="mail", resolution="refund", l1={"reason": "too_small", "reason_parent": "size"}
    )
    extra = {"label_costs": {"mail": "45"}}

    matched = decide(_with_rule(holds, **extra), RICH, choice=choice)
    missed = decide(_with_rule(fails, **extra), RICH, choice=choice)

    assert (matched.fired_rules, matched.outcome) == (("r",), "approve")
    assert (missed.fired_rules, missed.outcome) == ((), "")


@pytest.mark.parametrize(
    "when", [{"reasons": ["too_small"]}, {"methods": ["mail"]}, {"value_below_label_cost": True}]
)
def test_a_condition_on_a_fact_not_chosen_yet_does_not_hold(when):
    decision = decide(_with_rule(when, label_costs={"mail": "45"}), RICH)

    assert decision.fired_rules == ()


def test_all_conditions_of_a_rule_must_hold():
    when = {"countries": ["US"], "tags": ["wool"]}

    assert decide(_with_rule(when), RICH).fired_rules == ()


@pytest.mark.parametrize(
    ("then", "check"),
    [
        ({"decision": "approve"}, lambda d: d.outcome == "approve"),
        ({"decision": "review"}, lambda d: d.outcome == "review"),
        (
            {"decision": "reject", "message": {"en": "Worn items", "fr": "Articles portés"}},
            lambda d: d.outcome == "reject" and d.messages[-1].params["message"]["fr"],
        ),
        (
            {"decision": "returnless"},
            lambda d: d.outcome == "returnless" and d.methods == ("keep",) and not d.shipping_fee,
        ),
        ({"require_photos": True}, lambda d: d.requires_photos),
        ({"force_method": "pickup"}, lambda d: d.methods == ("pickup",)),
        ({"forbid_methods": ["mail"]}, lambda d: d.methods == ("drop_off",)),
        ({"add_fee": "2.50"}, lambda d: d.restocking_fee == D("6.50")),
        ({"waive_fees": ["restocking"]}, lambda d: d.restocking_fee == 0),
        ({"waive_fees": ["shipping"]}, lambda d: d.shipping_fee == 0),
        ({"bonus_percent": "15"}, lambda d: d.bonus_percent == 15),
    ],
    ids=[
        "approve",
        "review",
        "reject",
        "returnless",
        "photos",
        "force method",
        "forbid method",
        "add fee",
        "waive restocking",
        "waive shipping",
        "bonus",
    ],
)
def test_each_outcome(then, check):
    document = policy(
        rules=[{"id": "r", "then": then}],
        restocking_fee={"percent": "10"},
        shipping_fees={"drop_off": {"flat": "4"}, "mail": {"flat": "6"}},
        store_credit_bonus_percent="10",
    )
    choice = choose(method="", l1={"reason": "too_small"})

    decision = decide(document, order(line(price="40")), choice=choice)

    assert check(decision)
    assert decision.fired_rules == ("r",)


def test_without_rules_staff_decide():
    decision = decide(policy(), RICH)

    assert decision.eligible
    assert decision.outcome == ""
    assert decision.fired_rules == ()


def test_the_first_decision_wins_and_later_rules_still_fire():
    document = policy(
        rules=[
            {"id": "a", "when": {"countries": ["US"]}, "then": {"decision": "review"}},
            {"id": "b", "then": {"decision": "approve", "require_photos": True}},
        ]
    )

    decision = decide(document, RICH)

    assert decision.outcome == "review"
    assert decision.fired_rules == ("a", "b")
    assert decision.requires_photos  # modifiers of later rules still apply


def test_rule_order_matters():
    first = {"id": "a", "then": {"decision": "approve"}}
    second = {"id": "b", "then": {"decision": "review"}}

    assert decide(policy(rules=[first, second]), RICH).outcome == "approve"
    assert decide(policy(rules=[second, first]), RICH).outcome == "review"


def test_modifiers_accumulate():
    document = policy(
        methods=["drop_off", "mail", "pickup"],
        rules=[
            {"id": "a", "then": {"forbid_methods": ["mail"], "add_fee": "1", "bonus_percent": "5"}},
            {
                "id": "b",
                "then": {"forbid_methods": ["pickup"], "add_fee": "2", "bonus_percent": "9"},
            },
        ],
    )

    decision = decide(document, RICH)

    assert decision.methods == ("drop_off",)
    assert decision.restocking_fee == D("3.00")
    assert decision.bonus_percent == 5  # the first rule that sets a bonus wins


def test_stop_ends_the_evaluation():
    document = policy(
        rules=[
            {"id": "a", "then": {"add_fee": "1"}, "stop": True},
            {"id": "b", "then": {"decision": "approve"}},
        ]
    )

    decision = decide(document, RICH)

    assert decision.fired_rules == ("a",)
    assert decision.outcome == ""


def test_a_disabled_rule_never_fires():
    document = policy(rules=[{"id": "a", "enabled": False, "then": {"decision": "approve"}}])

    assert decide(document, RICH).fired_rules == ()


def test_keep_the_item_when_it_is_worth_less_than_the_label():
    document = policy(
        label_costs={"mail": "8"},
        rules=[
            {
                "id": "keep",
                "when": {"value_below_label_cost": True},
                "then": {"decision": "returnless"},
            }
        ],
    )
    cheap = order(line(1, price="5"), line(2, price="50"), country="US")
    choice = choose(method="mail", l1={}, l2={})

    assert decide(document, cheap, choice=choice, line_id=1).outcome == "returnless"
    assert decide(document, cheap, choice=choice, line_id=2).outcome == ""


@pytest.mark.parametrize(
    "rules",
    [
        [{"id": "Bad Id", "then": {}}],
        [{"id": "a", "then": {"decision": "explode"}}],
        [{"id": "a", "then": {"decision": "reject"}}],  # a rejection must say why
        [{"id": "a", "when": {"colour": ["red"]}, "then": {}}],  # unknown condition
        [{"id": "a", "when": {"order_total": {"min": "5", "max": "1"}}, "then": {}}],
        [{"id": "a", "then": {}}, {"id": "a", "then": {}}],  # duplicate ids
        [{"id": "a", "then": {"force_method": "teleport"}}],
    ],
)
def test_invalid_rules_are_refused(rules):
    with pytest.raises(ValidationError):
        PolicyDocument.model_validate({"rules": rules})


def test_the_return_takes_the_most_cautious_outcome_of_its_lines():
    from retour.policy.engine import evaluate

    document = policy(
        rules=[
            {"id": "cheap", "when": {"line_price": {"max": "10"}}, "then": {"decision": "approve"}},
            {"id": "dear", "when": {"line_price": {"min": "100"}}, "then": {"decision": "review"}},
        ]
    )
    facts = order(line(1, price="5"), line(2, price="200"), line(3, price="50"), country="US")

    def outcome(*line_ids):
        choice = choose(**{f"l{i}": {} for i in line_ids})
        return evaluate(document, facts, at("2026-03-10 12:00"), choice).outcome

    assert outcome(1) == "approve"
    assert outcome(1, 2) == "review"
    assert outcome(1, 3) == ""  # line 3 matched no rule: staff decide
