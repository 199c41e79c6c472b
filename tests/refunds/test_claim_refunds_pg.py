"""On PostgreSQL, with real row locks between connections: two staff approving a claim at once
make one decision and one refund."""

import pytest

from retour.refunds import claims
from retour.refunds.models import Refund
from retour.returns.services import LineRequest, create_claim
from tests.refunds.helpers import SYSTEM, make_order
from tests.refunds.test_refund_races_pg import _at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_approvals_of_a_claim_at_once_make_one_refund(store_a):
    order = make_order(store_a)
    claim = create_claim(
        order=order,
        kind="missing",
        lines=[LineRequest(order.lines.order_by("id").first().pk, 2)],
        actor=SYSTEM,
    )

    def approve():
        return claims.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")

    results = _at_once(approve, approve)

    assert sorted(type(result).__name__ for result in results) == ["Claim", "IllegalTransition"]
    assert Refund.objects.get(claim=claim).amount == 60
