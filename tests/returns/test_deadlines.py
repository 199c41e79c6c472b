"""The legal refund deadline of a withdrawal: 14 days from the notice (the withdrawal button, else
the return request), end of day in the store's time zone, pushed back while the goods are not
back; what a late refund costs in France; and the dashboard page that lists them."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from retour.accounts.scopes import Role
from retour.core.actors import Actor
from retour.policy.law import EU_DEFAULT, FRANCE, NO_STATUTORY_RIGHT, withdrawal_refund_due
from retour.returns import services
from retour.returns.choices import Resolution, ReturnMethod
from retour.returns.deadlines import legal_refund_deadline, open_refund_deadlines
from retour.returns.models import Return
from retour.returns.withdrawals import WithdrawnLine, record_withdrawal
from tests.factories import SYSTEM, OrderFactory, staff_user

SHOPPER = Actor.shopper("ada@example.com")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("law", "notice", "goods_back", "zone", "due"),
    [
        # 14 days from the day after the notice, 23:59:59 local (Paris: UTC+1 in winter).
        (FRANCE, "2026-03-02 10:00", None, "Europe/Paris", "2026-03-16 22:59:59"),
        # A notice at 23:30 UTC is already the next day in Paris.
        (FRANCE, "2026-03-02 23:30", None, "Europe/Paris", "2026-03-17 22:59:59"),
        # Across the change to summer time (29 March 2026): still 23:59:59 local.
        (EU_DEFAULT, "2026-03-20 12:00", None, "Europe/Paris", "2026-04-03 21:59:59"),
        # Goods back before the 14 days: the deadline stands.
        (FRANCE, "2026-03-02 10:00", "2026-03-05 09:00", "UTC", "2026-03-16 23:59:59"),
        # Goods back after: due on their arrival (art. 13(3)).
        (FRANCE, "2026-03-02 10:00", "2026-03-20 09:00", "UTC", "2026-03-20 09:00:00"),
    ],
)
def test_the_refund_is_due_14_days_after_the_notice_unless_the_goods_come_later(
    law, notice, goods_back, zone, due
):
    found = withdrawal_refund_due(
        law, notice_at=at(notice), goods_back_at=goods_back and at(goods_back), zone=zone
    )

    assert found == at(due)


def test_no_statutory_right_no_deadline():
    assert (
        withdrawal_refund_due(
            NO_STATUTORY_RIGHT, notice_at=at("2026-03-02 10:00"), goods_back_at=None, zone="UTC"
        )
        is None
    )


def _return(order, actor=SHOPPER):
    lines = [services.LineRequest(line.pk, line.quantity) for line in order.lines.order_by("id")]
    return services.create_return(
        order=order,
        lines=lines,
        method=ReturnMethod.DROP_OFF,
        resolution=Resolution.REFUND,
        actor=actor,
    )


def _send(return_request):
    services.approve_return(return_request=return_request, actor=SYSTEM)
    services.mark_in_transit(return_request=return_request, actor=SYSTEM)


def test_a_return_inside_the_legal_period_is_a_withdrawal_noticed_when_requested(order_a):
    return_request = _return(order_a)

    deadline = legal_refund_deadline(return_request)

    assert deadline.notice_at == return_request.created_at
    assert deadline.due_at.date() == (return_request.created_at + timedelta(days=14)).date()
    assert deadline.withheld
    assert deadline.amount == Decimal("75.00")  # 2 × 25 + 1 × 25


def test_the_withdrawal_button_starts_the_clock_before_the_return(order_a):
    earlier = timezone.now() - timedelta(days=1)
    line = order_a.lines.first()
    record_withdrawal(
        order=order_a,
        lines=[WithdrawnLine(line.pk, 1)],
        name="Ada",
        email=order_a.email,
        idempotency_key="w" * 32,
        actor=SHOPPER,
        now=earlier,
    )
    return_request = _return(order_a)

    assert legal_refund_deadline(return_request).notice_at == earlier


def test_the_first_carrier_scan_is_proof_of_sending(order_a):
    return_request = _return(order_a)
    _send(return_request)

    deadline = legal_refund_deadline(return_request)

    assert not deadline.withheld
    assert deadline.goods_back_at is not None


def test_a_return_under_the_shops_policy_only_has_no_legal_deadline(store_a):
    order = OrderFactory(store=store_a, shipping_country="US")

    assert legal_refund_deadline(_return(order)) is None


def test_a_late_french_refund_costs_the_l242_4_increase(order_a):
    return_request = _return(order_a)
    _send(return_request)
    deadline = legal_refund_deadline(return_request)

    in_time = deadline.due_at - timedelta(hours=1)
    late_25_days = deadline.due_at + timedelta(days=25)

    assert deadline.state(in_time) == "due_soon"
    assert deadline.state(late_25_days) == "overdue"
    assert deadline.days_late(late_25_days) == 25
    assert deadline.cost_now(late_25_days) == Decimal("7.50")  # 10 % of 75.00


def _staff_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_dashboard_lists_deadlines_of_its_own_stores_only(store_a, store_b, order_a):
    mine = _return(order_a)
    theirs = _return(OrderFactory(store=store_b))
    finance_a = staff_user(store_a, Role.FINANCE, username="finance-a")

    page = _staff_client(finance_a).get("/dashboard/refunds/deadlines")

    html = page.content.decode()
    assert page.status_code == 200
    assert mine.rma in html
    assert theirs.rma not in html


def test_roles_without_the_refund_scope_cannot_open_it(store_a, warehouse_a):
    assert _staff_client(warehouse_a).get("/dashboard/refunds/deadlines").status_code == 403


def test_an_overdue_refund_is_flagged_with_its_cost(store_a, order_a, owner_a):
    return_request = _return(order_a)
    _send(return_request)
    Return.objects.filter(pk=return_request.pk).update(
        created_at=timezone.now() - timedelta(days=40)
    )

    html = _staff_client(owner_a).get("/dashboard/refunds/deadlines?lang=en").content.decode()

    assert "1 refund is overdue." in html
    assert "L242-4" in html


def test_the_listing_costs_the_same_queries_for_1_and_20_returns(
    store_a, django_assert_max_num_queries
):
    for _ in range(20):
        _return(OrderFactory(store=store_a))

    with django_assert_max_num_queries(2):
        deadlines = open_refund_deadlines([store_a.pk])
    assert len(deadlines) == 20
