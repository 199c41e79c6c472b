"""Keeps `ReturnLineFact` and `ReturnFact` up to date: the lines of the returns changed since the
last refresh (`Return.updated_at`) or with an event since then, and those returns, are
rewritten by the database itself: one `INSERT … SELECT` of the lines joined to their return,
order and product, one of the returns joined to their order.

Events count because some changes of a return's lines write an event without saving the return
(e.g. a receipt corrected).
"""

from datetime import datetime

from django.db.models import BooleanField, DecimalField, ExpressionWrapper, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from retour.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from retour.insights.models import ReturnFact, ReturnLineFact
from retour.insights.writes import insert_select
from retour.returns.choices import VOID_STATUSES
from retour.returns.models import Return, ReturnEvent, ReturnLine

CHUNK = 2000  # returns rewritten per statement
MONEY = DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
# The fact's column → what a `ReturnLine` gives for it.
COLUMNS = {
    "line_id": F("pk"),
    "store_id": F("return_request__store_id"),
    "return_request_id": F("return_request_id"),
    "requested_at": F("return_request__created_at"),
    "placed_at": F("order_line__order__placed_at"),
    "live": ExpressionWrapper(
        ~Q(return_request__status__in=VOID_STATUSES), output_field=BooleanField()
    ),
    "locale": F("return_request__locale"),
    "product_id": F("order_line__variant__product_id"),
    "category": Coalesce(F("order_line__variant__product__category"), Value("")),
    "resolution": F("resolution"),
    "currency": F("order_line__order__currency"),
    "units": F("quantity"),
    "value": ExpressionWrapper(F("quantity") * F("order_line__unit_price"), output_field=MONEY),
    "commented": ExpressionWrapper(~Q(comment=""), output_field=BooleanField()),
    "grade": F("grade"),
    "disposition": F("disposition"),
    "received": F("received_qty"),
}
# The return's fact column → what a `Return` gives for it.
RETURN_COLUMNS = {
    "return_request_id": F("pk"),
    "store_id": F("store_id"),
    "requested_at": F("created_at"),
    "live": ExpressionWrapper(~Q(status__in=VOID_STATUSES), output_field=BooleanField()),
    "email": F("order__email"),
    "risk": F("risk_score"),
}
ALIAS = "fact_"  # the select's names, apart from the line's own fields


def _insert(lines: QuerySet[ReturnLine]) -> int:
    """Writes the facts of these lines in one statement; how many."""
    select = (
        lines.annotate(**{ALIAS + name: value for name, value in COLUMNS.items()})
        .order_by("return_request_id", "pk")  # a period's rows share pages of the table
        .values(*(ALIAS + name for name in COLUMNS))
    )
    return insert_select(ReturnLineFact, list(COLUMNS), select, ALIAS)


def _insert_returns(returns: QuerySet[Return]) -> None:
    """Writes the facts of these returns in one statement."""
    select = (
        returns.annotate(**{ALIAS + name: value for name, value in RETURN_COLUMNS.items()})
        .order_by("pk")
        .values(*(ALIAS + name for name in RETURN_COLUMNS))
    )
    insert_select(ReturnFact, list(RETURN_COLUMNS), select, ALIAS)


def _changed(store_id: int, since: datetime, since_event: int) -> list[int]:
    """The store's returns saved after `since` or with an event after `since_event`."""
    saved = Return.objects.filter(store_id=store_id, updated_at__gt=since).values_list(
        "pk", flat=True
    )
    evented = ReturnEvent.objects.filter(
        return_request__store_id=store_id, pk__gt=since_event
    ).values_list("return_request_id", flat=True)
    return sorted(set(saved) | set(evented))


def refresh(store_id: int, since: datetime | None, since_event: int) -> int:
    """Rewrite the facts of the store's returns that changed (all of them when `since` is
    None, the first run); how many lines were written."""
    if since is None:
        ReturnLineFact.objects.filter(store_id=store_id).delete()
        ReturnFact.objects.filter(store_id=store_id).delete()
        _insert_returns(Return.objects.filter(store_id=store_id))
        return _insert(ReturnLine.objects.filter(return_request__store_id=store_id))
    written = 0
    changed = _changed(store_id, since, since_event)
    for start in range(0, len(changed), CHUNK):
        chunk = changed[start : start + CHUNK]
        ReturnLineFact.objects.filter(return_request_id__in=chunk).delete()
        ReturnFact.objects.filter(return_request_id__in=chunk).delete()
        _insert_returns(Return.objects.filter(pk__in=chunk))
        written += _insert(ReturnLine.objects.filter(return_request_id__in=chunk))
    return written
