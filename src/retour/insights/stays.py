"""Keeps `StageStay`, `StageWeek` and `ResolutionTime` up to date: the returns with a status
event newer than the last one read are rewritten from all their status events, and the weeks
of their requests summed again.

A move's stay is the time until the return's next move, the first status event strictly later;
a move without one (the current status) has no stay yet. This is what `metrics.time_per_stage`
averaged live, by a correlated subquery per event of the period: a second or more per page on a
large shop, a grouped read of an index range now. A move to "resolved" also gives the time from
the request to it (what `returns.insights.time_to_refund` computes live).
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, F, Max, Sum
from django.db.models.functions import TruncDate, TruncWeek

from retour.insights.models import ResolutionTime, StageStay, StageWeek
from retour.insights.weeks import rewrite, week_of
from retour.insights.writes import insert_rows
from retour.returns.choices import ReturnStatus
from retour.returns.models import ReturnEvent

COLUMNS = ("store_id", "return_request_id", "requested_at", "status", "stay")
RESOLUTION_COLUMNS = ("store_id", "return_request_id", "resolved_at", "waited")
CHUNK = 2000  # returns read per query
DURATION = StageStay._meta.get_field("stay")


def _stays(store_id: int, events: Iterable[tuple]) -> list[tuple]:
    """The stay rows of events ordered by return, time and id: (return, requested, status, at)."""
    rows: list[tuple] = []
    moves: list[tuple] = []

    def flush() -> None:
        for index, (return_id, requested_at, status, at) in enumerate(moves):
            left_at = next((later[3] for later in moves[index + 1 :] if later[3] > at), None)
            if left_at is not None:
                rows.append((store_id, return_id, requested_at, status, left_at - at))
        moves.clear()

    for event in events:
        if moves and moves[0][0] != event[0]:
            flush()
        moves.append(event)
    flush()
    return rows


def _resolutions(store_id: int, events: Iterable[tuple]) -> list[tuple]:
    """A row per move to "resolved": (store, return, its time, the time since the request)."""
    return [
        (store_id, return_id, at, at - requested_at)
        for return_id, requested_at, status, at in events
        if status == ReturnStatus.RESOLVED
    ]


def _prepared(row: tuple) -> tuple:
    """The row's values as the database takes them (durations and times differ per backend):
    (store, return, a time, maybe a status, a duration)."""
    store_id, return_id, at, *status, duration = row
    return (store_id, return_id, connection.ops.adapt_datetimefield_value(at), *status,
            DURATION.get_db_prep_value(duration, connection))  # fmt: skip


def _events(return_ids: list[int]) -> Iterable[tuple]:
    return (
        ReturnEvent.objects.filter(return_request_id__in=return_ids)
        .exclude(to_status="")
        .order_by("return_request_id", "created_at", "pk")
        .values_list("return_request_id", "return_request__created_at", "to_status", "created_at")
    )


# `StageWeek`: the week's stays grouped by these columns, summed by those.
WEEK_COLUMNS = {"store_id": F("store_id"), "status": F("status")}
WEEK_SUMS = {"moves": Count("pk"), "stayed": Sum("stay")}


def _refresh_weeks(store_id: int, weeks: list[date] | None) -> None:
    """Rewrites the weekly sums of the stays of these weeks of request (all when None)."""
    source = StageStay.objects.filter(store_id=store_id)
    if weeks:
        source = source.filter(
            requested_at__gte=datetime.combine(weeks[0], time.min, tzinfo=UTC),
            requested_at__lt=datetime.combine(weeks[-1] + timedelta(days=7), time.min, tzinfo=UTC),
        )
    week = TruncDate(TruncWeek("requested_at", tzinfo=UTC), tzinfo=UTC)
    rewrite(
        StageWeek,
        StageWeek.objects.filter(store_id=store_id),
        source,
        weeks,
        week,
        WEEK_COLUMNS,
        WEEK_SUMS,
    )


def refresh(store_id: int, since_event: int) -> tuple[int, int]:
    """Rewrite the stays and resolution times of the store's returns with a status event after
    `since_event` (all on the first run, when it is 0), and the weeks of their requests. Returns
    the last event id read and the rows written."""
    events = ReturnEvent.objects.filter(return_request__store_id=store_id, pk__gt=since_event)
    last = events.aggregate(last=Max("pk"))["last"]
    if last is None:
        return since_event, 0
    return_ids = sorted(
        set(events.filter(pk__lte=last).values_list("return_request_id", flat=True))
    )
    written, weeks = 0, set()
    for start in range(0, len(return_ids), CHUNK):
        chunk = return_ids[start : start + CHUNK]
        StageStay.objects.filter(return_request_id__in=chunk).delete()
        ResolutionTime.objects.filter(return_request_id__in=chunk).delete()
        moves = list(_events(chunk))
        weeks |= {week_of(requested_at.astimezone(UTC).date()) for _, requested_at, _, _ in moves}
        stays = [_prepared(row) for row in _stays(store_id, moves)]
        resolutions = [_prepared(row) for row in _resolutions(store_id, moves)]
        insert_rows(StageStay, COLUMNS, stays)
        insert_rows(ResolutionTime, RESOLUTION_COLUMNS, resolutions)
        written += len(stays) + len(resolutions)
    _refresh_weeks(store_id, None if since_event == 0 else sorted(weeks))
    return last, written
