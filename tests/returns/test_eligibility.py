"""The policy on the server: evaluating an order from the database, and every check run again
when a return is submitted, so that a tampered request cannot get past the policy."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retour.core.actors import Actor
from retour.policy.services import publish_policy
from retour.returns import services
from retour.returns.choices import LineStatus, ReturnStatus
from retour.returns.eligibility import evaluate_order, shopper_risk
from retour.returns.models import Return, ReturnEvent
from retour.returns.services import LineRequest, NotEligible
from tests.factories import SYSTEM, OrderFactory, ReturnFactory

pytestmark = pytest.mark.django_db


def _shopper(order) -> Actor:
    return Actor.shopper(order.email)


def _publish(store, **document):
    return publish_policy(store=store, document=document, actor=SYSTEM)


def _submit(order, actor=None, method="drop_off", resolution="refund", reason="size", **kw):
    line = order.lines.order_by("id").first()
    return services.create_return(
        order=order,
        lines=[LineRequest(line.pk, 1, reason, resolution=kw.pop("line_resolution", ""))],
        method=method,
        resolution=resolution,
        actor=actor or _shopper(order),
        **kw,
    )


@pytest.fixture
def old_order(store_a):
    """Delivered 60 days ago: outside the default 30 days and the legal 14."""
    return OrderFactory(
        store=store_a, lines=[1], fulfillment__delivered_at=timezone.now() - timedelta(days=60)
    )


# --- Evaluating an order ----------------------------------------------------------------------


def test_an_order_is_evaluated_under_the_default_policy_when_none_is_published(order_a):
    evaluation = evaluate_order(order_a)

    assert evaluation.version is None
    assert [line.eligible for line in evaluation.decision.lines] == [True, True]
    assert evaluation.decision.lines[0].case == "withdrawal"  # a French shopper, day 2


def test_evaluating_an_order_takes_two_queries_whatever_its_size(store_a):
    _publish(store_a, rules=[{"id": f"r{i}", "then": {"add_fee": "1"}} for i in range(20)])
    small = OrderFactory(store=store_a, lines=[1])
    large = OrderFactory(store=store_a, lines=[1] * 50)

    with CaptureQueriesContext(connection) as for_small:
        evaluate_order(small)
    with CaptureQueriesContext(connection) as for_large:
        evaluate_order(large)

    assert len(for_small) == len(for_large) == 2


def test_the_evaluation_uses_product_data(store_a):
    order = OrderFactory(store=store_a, lines=[1])
    product = order.lines.get().variant.product
    product.final_sale = True
    product.save()

    decision = evaluate_order(order, now=timezone.now() + timedelta(days=20)).decision

    assert not decision.lines[0].eligible
    assert decision.lines[0].messages[0].id == "excluded"


# --- Submitting a return ----------------------------------------------------------------------


def test_a_shopper_cannot_return_a_line_outside_the_window(old_order):
    with pytest.raises(NotEligible) as refused:
        _submit(old_order)

    assert refused.value.code == "not_eligible"
    assert refused.value.details["lines"][0]["messages"][0]["id"] == "window_closed"
    assert "ended on" in refused.value.message
    assert not Return.objects.exists()


def test_the_refusal_is_told_in_the_shopper_language(old_order):
    with pytest.raises(NotEligible) as refused:
        _submit(old_order, locale="fr")

    assert "a pris fin le" in refused.value.message


@pytest.mark.parametrize(
    ("document", "request_kw", "problem"),
    [
        ({"resolutions": ["store_credit"]}, {"resolution": "refund"}, "resolution_not_allowed"),
        (
            {"resolutions": ["refund", "store_credit"]},
            {"resolution": "refund", "line_resolution": "exchange"},
            "resolution_not_allowed",
        ),
        ({"methods": ["drop_off"]}, {"method": "pickup"}, "method_not_allowed"),
        ({"methods_by_country": {"US": ["mail"]}}, {"method": "drop_off"}, "method_not_allowed"),
        (
            {"rules": [{"id": "no-pickup", "then": {"forbid_methods": ["pickup"]}}]},
            {"method": "pickup"},
            "method_not_allowed",
        ),
    ],
    ids=["resolution", "line resolution", "method", "method per country", "rule forbids"],
)
def test_a_tampered_submission_is_refused(store_a, document, request_kw, problem):
    """The portal only offers what the policy allows; a request changed by hand is refused."""
    order = OrderFactory(store=store_a, lines=[1], shipping_country="US")
    _publish(store_a, **document)

    with pytest.raises(NotEligible) as refused:
        _submit(order, actor=Actor.api_client("headless shop"), **request_kw)

    assert refused.value.details["lines"][0]["messages"][0]["id"] == problem
    assert not Return.objects.exists()


def test_staff_may_accept_a_return_outside_the_policy(old_order, owner_a):
    return_request = _submit(old_order, actor=Actor.staff(owner_a))

    assert return_request.status == ReturnStatus.REQUESTED
    assert return_request.decision["enforced"] is False
    assert return_request.decision["lines"][0]["eligible"] is False


def test_the_return_keeps_the_policy_version_and_the_decision(store_a):
    order = OrderFactory(store=store_a, lines=[1])
    first = _publish(store_a, rules=[{"id": "auto", "then": {"decision": "approve"}}])

    return_request = _submit(order)
    _publish(store_a, window_days=60, rules=[])  # editing the policy publishes version 2

    stored = Return.objects.get(pk=return_request.pk)
    assert stored.policy_version == first
    assert stored.decision["policy_version"] == 1
    assert stored.decision["fired_rules"] == ["auto"]
    assert stored.decision["lines"][0]["fired_rules"] == ["auto"]
    first.refresh_from_db()
    assert first.document["rules"][0]["id"] == "auto"


@pytest.mark.parametrize(
    ("then", "status"),
    [
        ({"decision": "approve"}, ReturnStatus.APPROVED),
        ({"decision": "review"}, ReturnStatus.PENDING_REVIEW),
        ({"decision": "reject", "message": {"en": "No.", "fr": "Non."}}, ReturnStatus.REJECTED),
        ({"decision": "returnless"}, ReturnStatus.APPROVED),
        ({"add_fee": "1"}, ReturnStatus.REQUESTED),
    ],
)
def test_the_rules_outcome_moves_the_new_return(store_a, then, status):
    order = OrderFactory(store=store_a, lines=[1], shipping_country="US")
    _publish(store_a, rules=[{"id": "r", "then": then}])

    return_request = _submit(order, locale="fr")

    assert Return.objects.get(pk=return_request.pk).status == status
    if status != ReturnStatus.REQUESTED:
        event = ReturnEvent.objects.filter(return_request=return_request).last()
        assert (event.to_status, event.actor_label) == (status, "return policy")
        assert event.data["rules"] == ["r"]


def test_a_rejection_tells_the_shopper_why_in_their_language(store_a):
    order = OrderFactory(store=store_a, lines=[1], shipping_country="US")
    message = {"en": "Worn items cannot be returned.", "fr": "Les articles portés sont exclus."}
    _publish(store_a, rules=[{"id": "r", "then": {"decision": "reject", "message": message}}])

    return_request = _submit(order, locale="fr")

    assert return_request.status_reason == "Les articles portés sont exclus."


def test_a_returnless_refund_keeps_the_item(store_a):
    order = OrderFactory(store=store_a, lines=[1], shipping_country="US")
    _publish(store_a, rules=[{"id": "keep", "then": {"decision": "returnless"}}])

    return_request = _submit(order, method="drop_off")

    assert return_request.method == "keep"


def test_risk_signals_feed_the_rules(store_a):
    """A shopper whose past returns came back short is sent to review."""
    order = OrderFactory(store=store_a, lines=[1], shipping_country="US")
    earlier = OrderFactory(
        store=store_a, customer=order.customer, email=order.email, lines=[2], shipping_country="US"
    )
    past = ReturnFactory(order=earlier, status=ReturnStatus.CLOSED)
    past.lines.update(status=LineStatus.INSPECTED, received_qty=2, accepted_qty=0)
    _publish(
        store_a,
        rules=[
            {"id": "risky", "when": {"risk_score": {"min": "25"}}, "then": {"decision": "review"}}
        ],
    )

    evaluation = evaluate_order(order)
    return_request = _submit(order)

    assert [s.name for s in evaluation.risk.signals] == ["inspection_mismatches"]
    assert evaluation.risk.score == 25
    assert return_request.status == ReturnStatus.PENDING_REVIEW
    assert return_request.decision["risk"]["signals"][0]["name"] == "inspection_mismatches"
    assert return_request.risk_score == 25  # the queue filters on this column


def test_many_returns_to_one_address_under_different_emails_is_a_signal(store_a):
    address = {"line1": "9 rue du Four", "postcode": "75006", "city": "Paris", "country": "FR"}
    for index in range(2):
        other = OrderFactory(
            store=store_a, shipping_address=address, shipping_postcode="75006", lines=[1]
        )
        ReturnFactory(order=other, rma=f"R-ADDR-000{index}")
    order = OrderFactory(store=store_a, shipping_address=address, shipping_postcode="75006")

    risk = shopper_risk(order)

    assert [(s.name, s.value) for s in risk.signals] == [("address_many_emails", 2)]


def test_the_return_rate_is_measured_over_the_shopper_last_orders(store_a):
    now = timezone.now()
    customer_orders = [
        OrderFactory(store=store_a, lines=[1], placed_at=now - timedelta(days=40 - i))
        for i in range(4)
    ]
    email = customer_orders[0].email
    for order in customer_orders[1:]:
        order.email = email
        order.save()
    for index, order in enumerate(customer_orders[:3]):
        ReturnFactory(order=order, rma=f"R-RATE-000{index}")
    ReturnFactory(order=customer_orders[0], rma="R-RATE-0009", status=ReturnStatus.CANCELLED)
    current = OrderFactory(store=store_a, lines=[1], email=email, placed_at=now)

    risk = shopper_risk(current)

    assert (risk.past_orders, risk.past_returns) == (4, 3)
    assert str(risk.return_rate) == "0.75"
    assert [s.name for s in risk.signals] == ["return_rate"]


def test_the_shopper_history_is_read_only_when_a_rule_needs_it(store_a):
    order = OrderFactory(store=store_a)
    with CaptureQueriesContext(connection) as without_rules:
        evaluation = evaluate_order(order)
    assert evaluation.risk is None

    document = {"rules": [{"id": "r", "when": {"past_returns": {"min": 3}}, "then": {}}]}
    publish_policy(store=store_a, document=document, actor=SYSTEM)
    with CaptureQueriesContext(connection) as with_rule:
        evaluation = evaluate_order(order)
    assert evaluation.risk is not None
    assert len(with_rule.captured_queries) == len(without_rules.captured_queries) + 1
