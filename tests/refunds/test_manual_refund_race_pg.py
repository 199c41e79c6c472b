"""Two finance people recording the same manual refund at once, on PostgreSQL (real row locks
between connections): one record, the other refused."""

import time
from decimal import Decimal

import pytest

from retour.commerce.models import Payment
from retour.core.actors import Actor
from retour.core.errors import Conflict
from retour.refunds import services
from retour.refunds.choices import RefundStatus
from retour.refunds.models import Refund
from tests.factories import UserFactory
from tests.refunds.helpers import SYSTEM, inspect_return, make_order, open_return
from tests.refunds.test_refund_races_pg import _at_once

D = Decimal
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_record(monkeypatch):
    """Pause after the part was found waiting, before its outcome is written."""
    original = services.record_outcome

    def slow(**kwargs):
        time.sleep(0.3)
        return original(**kwargs)

    monkeypatch.setattr(services, "record_outcome", slow)


def test_two_records_of_one_part_at_once_record_it_once(store_a, slow_record):
    order = make_order(store_a)
    refund = services.request_refund(
        return_request=inspect_return(open_return(order)), actor=SYSTEM
    )
    part = services.process_refund(refund.pk).allocations.get()
    first, second = Actor.staff(UserFactory()), Actor.staff(UserFactory())

    results = _at_once(
        lambda: services.record_manual_refund(allocation=part, reference="VIR-1", actor=first),
        lambda: services.record_manual_refund(allocation=part, reference="VIR-2", actor=second),
    )

    assert sorted(type(result).__name__ for result in results) == ["Conflict", "Refund"], results
    winner = "VIR-1" if isinstance(results[0], Refund) else "VIR-2"
    assert isinstance(results[0 if winner == "VIR-2" else 1], Conflict)
    part.refresh_from_db()
    assert part.gateway_reference == winner
    assert Payment.objects.get(order=order).refunded == D("100.00")
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
