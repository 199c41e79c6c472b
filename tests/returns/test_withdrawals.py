"""The EU withdrawal notice (art. 11a): recorded once per form, audited, refused outside the legal
period, and the goods stay returnable for 14 days after it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from retour.commerce.models import AuditEvent
from retour.core.actors import Actor
from retour.core.errors import InvalidRequest
from retour.events.models import OutboxEvent
from retour.returns import eligibility
from retour.returns.models import Withdrawal
from retour.returns.withdrawals import (
    NotWithdrawable,
    WithdrawnLine,
    record_withdrawal,
    withdrawable_lines,
)
from tests.factories import OrderFactory

KEY = "k" * 32


def _withdraw(order, lines=None, *, key=KEY, now=None):
    lines = lines or [WithdrawnLine(line.pk, line.quantity) for line in order.lines.order_by("id")]
    return record_withdrawal(
        order=order,
        lines=lines,
        name="Ada Lovelace",
        email=order.email,
        idempotency_key=key,
        actor=Actor.shopper(order.email),
        locale="fr",
        now=now,
    )


def test_a_withdrawal_is_recorded_with_its_lines_an_audit_event_and_an_email_event(order_a):
    recorded = _withdraw(order_a)

    withdrawal = recorded.withdrawal
    assert recorded.created
    assert withdrawal.number.startswith("W-")
    assert [(line.order_line_id, line.quantity) for line in withdrawal.lines.all()] == [
        (line.pk, line.quantity) for line in order_a.lines.order_by("id")
    ]
    audit = AuditEvent.objects.get(verb="withdrawal.recorded")
    assert audit.object_id == str(withdrawal.pk)
    assert audit.actor_kind == "shopper"
    event = OutboxEvent.objects.get(type="withdrawal.recorded")
    assert event.payload["withdrawal"]["number"] == withdrawal.number
    assert event.payload["withdrawal"]["notified_at"] == withdrawal.notified_at.isoformat()
    assert [line["quantity"] for line in event.payload["withdrawal"]["lines"]] == [2, 1]


def test_submitting_the_same_form_twice_records_one_withdrawal(order_a):
    first = _withdraw(order_a)
    second = _withdraw(order_a)

    assert not second.created
    assert second.withdrawal.pk == first.withdrawal.pk
    assert Withdrawal.objects.count() == 1
    assert OutboxEvent.objects.filter(type="withdrawal.recorded").count() == 1
    assert AuditEvent.objects.filter(verb="withdrawal.recorded").count() == 1


def test_units_already_withdrawn_cannot_be_withdrawn_again(order_a):
    first_line = order_a.lines.order_by("id").first()
    _withdraw(order_a, [WithdrawnLine(first_line.pk, 1)])

    with pytest.raises(NotWithdrawable):
        _withdraw(order_a, [WithdrawnLine(first_line.pk, 2)], key="x" * 32)
    recorded = _withdraw(order_a, [WithdrawnLine(first_line.pk, 1)], key="y" * 32)

    assert recorded.created
    assert Withdrawal.objects.count() == 2


def test_after_the_legal_period_nothing_can_be_withdrawn_and_nothing_is_written(order_a):
    later = timezone.now() + timedelta(days=30)

    assert withdrawable_lines(order_a, now=later) == []
    with pytest.raises(NotWithdrawable):
        _withdraw(order_a, now=later)
    assert not Withdrawal.objects.exists()
    assert not OutboxEvent.objects.filter(type="withdrawal.recorded").exists()


def test_a_shopper_outside_the_eea_has_no_withdrawal_to_make(store_a):
    order = OrderFactory(store=store_a, shipping_country="US")

    assert withdrawable_lines(order) == []


@pytest.mark.parametrize(
    ("name", "email", "key"),
    [("", "ada@example.com", KEY), ("Ada", "not-an-address", KEY), ("Ada", "a@example.com", "")],
)
def test_a_notice_without_a_name_an_address_or_a_form_token_is_refused(order_a, name, email, key):
    line = order_a.lines.first()
    with pytest.raises(InvalidRequest):
        record_withdrawal(
            order=order_a,
            lines=[WithdrawnLine(line.pk, 1)],
            name=name,
            email=email,
            idempotency_key=key,
            actor=Actor.shopper(email),
        )
    assert not Withdrawal.objects.exists()


def test_withdrawn_goods_stay_returnable_for_14_days_after_the_notice(order_a):
    # Notice on day 13 after delivery; on day 20 the legal period is over but the goods may
    # still be sent back (art. 14(1)): the line stays in the withdrawal case until day 27.
    delivered = order_a.fulfillments.get().delivered_at
    _withdraw(order_a, now=delivered + timedelta(days=13))

    on_day_20 = eligibility.evaluate_order(order_a, now=delivered + timedelta(days=20))
    on_day_28 = eligibility.evaluate_order(order_a, now=delivered + timedelta(days=28))

    line = order_a.lines.order_by("id").first().pk
    assert on_day_20.decision.line(line).case == "withdrawal"
    notice_day = (delivered + timedelta(days=13)).date()
    assert on_day_20.decision.line(line).legal_deadline.date() == notice_day + timedelta(days=14)
    assert (
        on_day_28.decision.line(line).case == "commercial"
    )  # the shop's 30 days, no longer the law
