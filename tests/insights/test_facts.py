"""Resolutions and time to refund, read from the rows the rollup's refresh writes per returned line
(`ReturnLineFact`) and per move to "resolved" (`ResolutionTime`): hand-computed figures, the same
as the live queries, refreshed incrementally, one store's rows apart from another's."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retour.core.actors import ActorKind
from retour.insights import rollups
from retour.insights.metrics import Slice, resolutions, revenue_kept, time_to_refund
from retour.insights.models import ResolutionTime, ReturnLineFact, RollupState
from retour.returns import insights as overview
from retour.returns.choices import ReturnStatus
from retour.returns.models import Return, ReturnEvent, ReturnLine
from tests.factories import OrderFactory, ReturnFactory
from tests.insights.shop import make_product, place_order

pytestmark = pytest.mark.django_db

MARCH = (date(2025, 3, 1), date(2025, 3, 31))


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def requested(store, when: datetime, *lines, status=ReturnStatus.REQUESTED) -> Return:
    """A return requested at `when` of `lines`: (variant, units, unit price, resolution)."""
    ordered = place_order(store, date(2025, 2, 1), *((v, n, p) for v, n, p, _r in lines))
    made = ReturnFactory(order=ordered[0].order, lines=False, status=status)
    for line, (_v, units, _p, resolution) in zip(ordered, lines, strict=True):
        ReturnLine.objects.create(
            return_request=made, order_line=line, quantity=units, resolution=resolution
        )
    Return.objects.filter(pk=made.pk).update(created_at=when)
    return made


def resolved(made: Return, when: datetime) -> None:
    event = ReturnEvent.objects.create(
        return_request=made,
        kind="status_changed",
        actor_kind=ActorKind.SYSTEM,
        to_status=ReturnStatus.RESOLVED,
    )
    ReturnEvent.objects.filter(pk=event.pk).update(created_at=when)


@pytest.fixture
def catalogue(store_a):
    _shirt, (shirt,) = make_product(store_a, "Shirt", "apparel/shirts")
    _shoe, (shoe,) = make_product(store_a, "Shoe", "apparel/shoes")
    return shirt, shoe


def money_rows(scope: Slice) -> list[tuple]:
    return [(r.key, r.currency, r.count, r.amount) for r in resolutions(scope)]


def test_resolutions_of_the_live_returns_requested_in_the_period(store_a, catalogue):
    shirt, shoe = catalogue
    requested(store_a, at(3), (shirt, 2, "40", "refund"), (shoe, 1, "10", "store_credit"))
    requested(store_a, at(5), (shirt, 3, "5", "exchange"))
    requested(store_a, at(6), (shirt, 9, "40", "refund"), status=ReturnStatus.CANCELLED)
    requested(store_a, at(2, month=4), (shirt, 9, "40", "refund"))
    rollups.refresh(store_a)

    # Refund 2 × 40; store credit 1 × 10; exchange 3 × 5. The cancelled return and April's
    # are not counted.
    scope = Slice((store_a.pk,), *MARCH)
    assert money_rows(scope) == [
        ("exchange", "EUR", 3, Decimal("15")),
        ("refund", "EUR", 2, Decimal("80")),
        ("store_credit", "EUR", 1, Decimal("10")),
    ]
    assert revenue_kept(resolutions(scope)) == {"EUR": Decimal("25")}
    # A return with a line in the category counts with all its lines.
    shoes = Slice((store_a.pk,), *MARCH, category="apparel/shoes")
    assert money_rows(shoes) == [
        ("refund", "EUR", 2, Decimal("80")),
        ("store_credit", "EUR", 1, Decimal("10")),
    ]


def test_time_to_refund_p50_and_p90_by_nearest_rank(store_a, store_b, catalogue):
    shirt, _shoe = catalogue
    for days in (1, 2, 3, 4, 10):
        resolved(requested(store_a, at(1), (shirt, 1, "40", "refund")), at(1 + days))
    resolved(requested(store_a, at(25), (shirt, 1, "40", "refund")), at(2, month=4))
    other = ReturnFactory(order=OrderFactory(store=store_b, lines=[1]))
    Return.objects.filter(pk=other.pk).update(created_at=at(1))
    resolved(other, at(30))
    rollups.refresh(store_a)
    rollups.refresh(store_b)

    # Five resolutions in March: 1, 2, 3, 4 and 10 days. p50: the 3rd (⌈2.5⌉), p90: the 5th
    # (⌈4.5⌉). April's resolution and store B's are not counted.
    with CaptureQueriesContext(connection) as queries:
        figures = time_to_refund(Slice((store_a.pk,), *MARCH))
    assert figures == overview.Durations(5, timedelta(days=3), timedelta(days=10))
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)
    live = overview.time_to_refund([store_a.pk], since=at(1, 0), until=at(1, 0, month=4))
    assert figures == live
    assert time_to_refund(Slice((store_a.pk,), date(2020, 1, 1), date(2020, 1, 2))) == (
        overview.Durations(0, None, None)
    )


def test_a_return_resolved_after_a_refresh_counts_after_the_next(store_a, catalogue):
    shirt, _shoe = catalogue
    made = requested(store_a, at(3), (shirt, 2, "40", "refund"))
    rollups.refresh(store_a)
    scope = Slice((store_a.pk,), *MARCH)
    assert time_to_refund(scope).count == 0

    resolved(made, at(7))
    made.lines.update(resolution="store_credit")  # no save of the return: its event says it
    assert (time_to_refund(scope).count, money_rows(scope)[0][0]) == (0, "refund")

    rollups.refresh(store_a)
    assert time_to_refund(scope) == overview.Durations(1, timedelta(days=4), timedelta(days=4))
    assert money_rows(scope) == [("store_credit", "EUR", 2, Decimal("80"))]


def test_a_void_return_leaves_the_figures_at_the_next_refresh(store_a, catalogue):
    shirt, _shoe = catalogue
    made = requested(store_a, at(3), (shirt, 2, "40", "refund"))
    rollups.refresh(store_a)

    Return.objects.filter(pk=made.pk).update(
        status=ReturnStatus.REJECTED, updated_at=timezone.now()
    )
    rollups.refresh(store_a)

    assert money_rows(Slice((store_a.pk,), *MARCH)) == []
    assert ReturnLineFact.objects.get(return_request=made).live is False


def test_a_stores_rows_never_mix_with_anothers(store_a, store_b, catalogue):
    shirt, _shoe = catalogue
    resolved(requested(store_a, at(3), (shirt, 2, "40", "refund")), at(4))
    _b_product, (b_shirt,) = make_product(store_b, "B shirt", "apparel/shirts")
    resolved(requested(store_b, at(3), (b_shirt, 5, "7", "exchange")), at(9))
    rollups.refresh(store_a)
    rollups.refresh(store_b)
    b_rows = set(ReturnLineFact.objects.filter(store=store_b).values_list("pk", "units"))

    RollupState.objects.filter(store=store_a).delete()  # A rebuilds everything of its own
    rollups.refresh(store_a)

    assert set(ReturnLineFact.objects.filter(store=store_b).values_list("pk", "units")) == b_rows
    for fact in ReturnLineFact.objects.select_related("return_request"):
        assert fact.store_id == fact.return_request.store_id
    for row in ResolutionTime.objects.select_related("return_request"):
        assert row.store_id == row.return_request.store_id
    assert money_rows(Slice((store_a.pk,), *MARCH)) == [("refund", "EUR", 2, Decimal("80"))]
    assert money_rows(Slice((store_b.pk,), *MARCH)) == [("exchange", "EUR", 5, Decimal("35"))]
    both = time_to_refund(Slice((store_a.pk, store_b.pk), *MARCH))
    assert (both.count, both.p50, both.p90) == (2, timedelta(days=1), timedelta(days=6))
