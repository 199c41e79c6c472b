"""Time per stage (the stays written by the rollup's refresh, `StageStay`) and inspection."""

from datetime import UTC, date, datetime, timedelta

import pytest

from retour.core.actors import ActorKind
from retour.insights import rollups
from retour.insights.metrics import Slice, grades_and_dispositions, time_per_stage
from retour.insights.models import RollupState, StageStay
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


def test_units_received_per_grade_and_per_disposition(store_a):
    graded = [("A", "restock", 3), ("A", "", 2), ("", "scrap", 4), ("B", "scrap", 1), ("", "", 9)]
    for grade, disposition, units in graded:
        made = returned(store_a, at(4, 10))
        made.lines.update(grade=grade, disposition=disposition, received_qty=units)
    outside = returned(store_a, at(4, 10, month=4))
    outside.lines.update(grade="A", disposition="restock", received_qty=7)

    grades, dispositions = grades_and_dispositions(Slice((store_a.pk,), *MARCH))

    assert [(row.key, row.units) for row in grades] == [("A", 5), ("B", 1)]
    assert [(row.key, row.units) for row in dispositions] == [("restock", 3), ("scrap", 5)]
