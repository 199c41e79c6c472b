"""Time per stage (the stays written by the rollup's refresh, `StageStay`), inspection (the
returned lines' facts, `ReturnLineFact`), costs and carriers (live)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retour.core.actors import ActorKind
from retour.insights import rollups
from retour.insights.metrics import (
    Slice,
    carriers,
    costs,
    grades_and_dispositions,
    time_per_stage,
)
from retour.insights.models import RollupState, StageStay, StageWeek
from retour.logistics.models import CarrierAccount, Shipment
from retour.refunds.models import Refund
from retour.returns.models import Return, ReturnEvent
from tests.factories import OrderFactory, ReturnFactory

pytestmark = pytest.mark.django_db

MARCH = (date(2025, 3, 1), date(2025, 3, 31))


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def returned(store, requested: datetime, *moves: tuple[str, datetime]) -> Return:
    """A return requested at `requested` whose status events are `moves` (status, time)."""
    made = ReturnFactory(order=OrderFactory(store=store, lines=[1]))
    Return.objects.filter(pk=made.pk).update(created_at=requested)
    for status, when in moves:
        event = ReturnEvent.objects.create(
            return_request=made, kind="status_changed", actor_kind=ActorKind.SYSTEM,
            to_status=status,
        )  # fmt: skip
        ReturnEvent.objects.filter(pk=event.pk).update(created_at=when)
    return made


def stages(store) -> dict[str, tuple[int, timedelta]]:
    return {
        row.status: (row.count, row.average) for row in time_per_stage(Slice((store.pk,), *MARCH))
    }


def test_each_status_is_averaged_until_the_next_move(store_a, store_b):
    first = returned(
        store_a, at(2, 10),
        ("requested", at(2, 10)), ("approved", at(3, 10)),
        ("received", at(5, 10)), ("", at(5, 12)),  # no status: not a move
        ("received", at(5, 16)), ("resolved", at(6, 16)),
    )  # fmt: skip
    returned(store_a, at(20, 10), ("requested", at(20, 10)), ("approved", at(22, 10)))
    returned(store_a, at(2, 10, month=4), ("requested", at(2, 10, 4)), ("approved", at(9, 10, 4)))
    returned(store_b, at(2, 10), ("requested", at(2, 10)), ("approved", at(9, 10)))
    rollups.refresh(store_a)
    rollups.refresh(store_b)

    # requested: 1 day and 2 days; approved: 2 days; received: 6 hours then 1 day (the move
    # to "received" again is a move); resolved is current, without a stay yet. April's return
    # and store B's are not counted.
    assert stages(store_a) == {
        "requested": (2, timedelta(days=1.5)),
        "approved": (1, timedelta(days=2)),
        "received": (2, timedelta(hours=15)),
    }

    ReturnEvent.objects.filter(pk=ReturnEvent.objects.create(
        return_request=first, kind="status_changed", actor_kind=ActorKind.SYSTEM,
        to_status="closed",
    ).pk).update(created_at=at(8, 16))  # fmt: skip
    rollups.refresh(store_a)

    assert stages(store_a)["resolved"] == (1, timedelta(days=2))
    assert StageStay.objects.filter(return_request=first).count() == 5
    assert (
        RollupState.objects.get(store=store_a).last_event_id
        == ReturnEvent.objects.filter(return_request__store=store_a).latest("pk").pk
    )


def test_whole_weeks_are_read_from_the_weekly_sums(store_a):
    returned(store_a, at(2, 10), ("requested", at(2, 10)), ("approved", at(3, 10)))  # Sunday
    returned(store_a, at(20, 10), ("requested", at(20, 10)), ("approved", at(22, 10)))
    rollups.refresh(store_a)
    assert stages(store_a) == {"requested": (2, timedelta(days=1.5))}

    StageWeek.objects.filter(store=store_a).delete()

    # March 2nd lies before March's first whole week (3rd to 30th): read from the stays.
    assert stages(store_a) == {"requested": (1, timedelta(days=1))}


def test_events_without_a_status_rewrite_no_week(store_a):
    returned(store_a, at(20, 10), ("requested", at(20, 10)), ("approved", at(21, 10)))
    rollups.refresh(store_a)
    noted = returned(store_a, at(22, 10))  # no status event yet, only a note
    ReturnEvent.objects.create(
        return_request=noted, kind="note", actor_kind=ActorKind.SYSTEM, to_status=""
    )

    rollups.refresh(store_a)

    assert stages(store_a) == {"requested": (1, timedelta(days=1))}


def test_a_category_keeps_the_returns_with_a_line_in_it(store_a):
    shoes = returned(store_a, at(20, 10), ("requested", at(20, 10)), ("approved", at(21, 10)))
    returned(store_a, at(20, 10), ("requested", at(20, 10)), ("approved", at(24, 10)))
    product = shoes.lines.get().order_line.variant.product
    type(product).objects.filter(pk=product.pk).update(category="apparel/shoes")
    rollups.refresh(store_a)

    found = time_per_stage(Slice((store_a.pk,), *MARCH, category="apparel/shoes"))

    assert [(row.status, row.count, row.average) for row in found] == [
        ("requested", 1, timedelta(days=1))
    ]
    assert stages(store_a) == {"requested": (2, timedelta(days=2.5))}


def test_units_received_per_grade_and_per_disposition(store_a):
    graded = [("A", "restock", 3), ("A", "", 2), ("", "scrap", 4), ("B", "scrap", 1), ("", "", 9)]
    for grade, disposition, units in graded:
        made = returned(store_a, at(4, 10))
        made.lines.update(grade=grade, disposition=disposition, received_qty=units)
    outside = returned(store_a, at(4, 10, month=4))
    outside.lines.update(grade="A", disposition="restock", received_qty=7)
    rollups.refresh(store_a)  # inspection is read from the returned lines' facts

    grades, dispositions = grades_and_dispositions(Slice((store_a.pk,), *MARCH))

    assert [(row.key, row.units) for row in grades] == [("A", 5), ("B", 1)]
    assert [(row.key, row.units) for row in dispositions] == [("restock", 3), ("scrap", 5)]


def test_costs_and_carriers_of_the_labels_and_refunds_made_in_the_period(store_a, store_b):
    account = CarrierAccount.objects.create(store=store_a, kind="own", name="Own")
    made = returned(store_a, at(4, 10))
    labels = [  # carrier, rate, status, day made, first scan (hours after)
        ("DHL", "5.90", "created", 4, 24),
        ("DHL", "6.10", "created", 10, None),
        ("Colissimo", "4.00", "created", 12, 48),
        ("Colissimo", "9.99", "voided", 12, None),  # voided: not a cost
        ("DHL", "7.00", "created", 2, None),  # April: another period
    ]
    for n, (carrier, rate, status, day, scan) in enumerate(labels):
        made_at = at(day, 10, month=4 if n == 4 else 3)
        label = Shipment.objects.create(
            store=store_a, return_request=returned(store_a, at(4, 10)), account=account,
            status=status,
            idempotency_key=f"k{n}", carrier_name=carrier, rate=Decimal(rate), currency="EUR",
            first_scan_at=made_at + timedelta(hours=scan) if scan else None,
        )  # fmt: skip
        Shipment.objects.filter(pk=label.pk).update(created_at=made_at)
    for n, (amount, status) in enumerate([("30.00", "succeeded"), ("12.50", "succeeded"),
                                          ("99.00", "failed")]):  # fmt: skip
        refund = Refund.objects.create(
            store=store_a, return_request=made, order=made.order, reference=f"R{n}", sequence=n,
            idempotency_key=f"r{n}", status=status, currency="EUR", amount=Decimal(amount),
            actor_kind=ActorKind.SYSTEM,
        )  # fmt: skip
        Refund.objects.filter(pk=refund.pk).update(created_at=at(5 + n, 10))
    scope = Slice((store_a.pk,), *MARCH)

    shipped = carriers(scope)

    assert [(c.carrier, c.shipments, c.scanned, c.to_first_scan, c.postage) for c in shipped] == [
        ("DHL", 2, 1, timedelta(hours=24), Decimal("12.00")),  # most labels first
        ("Colissimo", 1, 1, timedelta(hours=48), Decimal("4.00")),
    ]
    expected = [
        ("refunds", "EUR", 2, Decimal("42.50")),
        ("postage", "EUR", 3, Decimal("16.00")),
    ]
    assert [(r.key, r.currency, r.count, r.amount) for r in costs(scope)] == expected
    assert [(r.key, r.currency, r.count, r.amount) for r in costs(scope, shipped)] == expected
    assert costs(Slice((store_b.pk,), *MARCH)) == []


def test_the_time_to_first_scan_is_averaged_by_the_database_to_the_microsecond(store_a):
    account = CarrierAccount.objects.create(store=store_a, kind="own", name="Own")
    labels = [  # made, first scanned: fractions SQLite alone would round to the millisecond
        (datetime(2025, 3, 4, 10, 0, 0, 999600, UTC), datetime(2025, 3, 5, 10, 0, 1, 100, UTC)),
        (datetime(2025, 3, 6, 8, 30, tzinfo=UTC), datetime(2025, 3, 6, 20, 30, 0, 500000, UTC)),
        (datetime(2025, 3, 7, 23, 59, 59, 999999, UTC), datetime(2025, 3, 9, 0, 0, 0, 1, UTC)),
        (datetime(2025, 3, 8, 9, 0, 0, 123456, UTC), None),  # not scanned: not averaged
    ]
    for n, (made_at, scanned_at) in enumerate(labels):
        label = Shipment.objects.create(
            store=store_a, return_request=returned(store_a, made_at), account=account,
            idempotency_key=f"k{n}", carrier_name="DHL", rate=Decimal("5.00"), currency="EUR",
            first_scan_at=scanned_at,
        )  # fmt: skip
        Shipment.objects.filter(pk=label.pk).update(created_at=made_at)

    with CaptureQueriesContext(connection) as queries:
        (dhl,) = carriers(Slice((store_a.pk,), *MARCH))

    # (1 day 0.0005 s + 12 h 0.5 s + 1 day 0.000002 s) / 3, exactly as Python subtracts them.
    waits = [scanned - made for made, scanned in labels if scanned]
    assert dhl.to_first_scan == sum(waits, timedelta(0)) / 3 == timedelta(microseconds=72000166834)
    assert (dhl.shipments, dhl.scanned) == (4, 3)
    # No Python function of Django's SQLite backend (`django_timestamp_diff`) called per label.
    assert "django_" not in queries[0]["sql"]
