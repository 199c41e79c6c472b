"""Weekly sums of a rollup's rows (`CohortWeek`, `StageWeek`): a long period reads its whole
weeks (Monday to Sunday) from them and only its first and last days from the detailed rows."""

from collections.abc import Sequence
from datetime import date, timedelta

from django.db.models import Expression, QuerySet

from retour.insights.writes import insert_select

PREFIX = "week_"


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def whole_weeks(start: date, end: date) -> tuple[date, date] | None:
    """The first Monday and the last Sunday of the days from `start` to `end` (both included),
    None when no whole week lies between."""
    first = start + timedelta(days=-start.weekday() % 7)
    last = end - timedelta(days=(end.weekday() + 1) % 7)
    return (first, last) if first <= last else None


def rewrite(
    model,
    stale: QuerySet,
    source: QuerySet,
    weeks: Sequence[date] | None,
    week: Expression,
    columns: dict,
    sums: dict,
) -> None:
    """Replaces the `stale` weekly rows of `weeks` (all when None) by the `source` rows of the
    same weeks (`week`: the Monday of a row), grouped by `columns` and summed by `sums`, in one
    `INSERT … SELECT`. `source` is the store's rows, narrowed to the weeks' span by the caller
    so that an index serves the read."""
    if weeks is not None and not weeks:
        return
    source = source.annotate(**{PREFIX + "week": week})
    if weeks is not None:
        stale = stale.filter(week__in=weeks)
        source = source.filter(**{PREFIX + "week__in": weeks})
    stale.delete()
    select = (
        source.annotate(**{PREFIX + name: value for name, value in columns.items()})
        .values(PREFIX + "week", *(PREFIX + name for name in columns))
        .annotate(**{PREFIX + name: total for name, total in sums.items()})
        .order_by(PREFIX + "week")  # a period's rows share pages of the table
    )
    insert_select(model, ["week", *columns, *sums], select, PREFIX)
