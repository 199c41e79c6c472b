"""The staff queue of returns: filters, search, sort, keyset pagination and counts per status.

Shared by the dashboard's queue page (and any API list that wants the same filters). Every read
here is a fixed number of queries whatever the page size:

- the page: one query (returns with their store and order, the returned value as an annotation),
  plus one look-up of orders when searching by order number or e-mail;
- the counts per status: one query, each count capped (`COUNT_CAP`): beyond it the page says
  "1,000+" — counting a million rows exactly on every page view would cost more than the page.
  They count the chosen stores' returns in each status whatever the other filters, as the
  status links do: each is then an index-only scan of at most `COUNT_CAP` entries of
  `return_store_status_id`, so their cost is bounded whatever the filters are.

Pagination is by keyset, never OFFSET: the cursor is the last row's sort key and id, and the next
page asks for rows strictly after it in (sort key, id) order. Each sort has an index ending with
the id, with and without the status (`Return.Meta.indexes`), so a page reads about `limit` index
entries wherever it is, divided by the share of rows the other filters keep. The risk filter
reads the `risk_score` column (indexed; PostgreSQL uses that index when few returns pass).
"""

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connections
from django.db.models import DecimalField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.commerce.models import Order
from retour.commerce.selectors import number_forms
from retour.core.codes import normalize_code
from retour.returns.choices import Resolution, ReturnMethod, ReturnStatus
from retour.returns.models import Return, ReturnLine, ReturnReason

PAGE_SIZES = (25, 50, 100)
COUNT_CAP = 1000
MAX_SEARCH_ORDERS = 200  # an e-mail with more orders than this is searched in its newest ones

# Sort name → (field, descending). Ties are broken by the id in the same direction.
SORTS: dict[str, tuple[str, bool]] = {
    "newest": ("created_at", True),
    "oldest": ("created_at", False),
    "waiting": ("status_changed_at", False),  # longest in its current state first
}


@dataclass(frozen=True)
class QueueFilters:
    statuses: tuple[str, ...] = ()
    reason: str = ""  # a reason code of the catalogue (a parent matches its sub-reasons)
    method: str = ""
    resolution: str = ""
    created_from: date | None = None
    created_to: date | None = None
    stores: tuple[str, ...] = ()  # store slugs, among those the caller may see
    risk_min: int | None = None
    value_min: Decimal | None = None
    value_max: Decimal | None = None
    search: str = ""  # RMA, order number, e-mail or tracking number
    product: int | None = None  # a product id: returns with a line of one of its variants
    sort: str = "newest"
    errors: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class QueuePage:
    rows: list[Return]
    next_cursor: str | None


def _date(value: str, errors: list[str], label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(_("%(field)s: not a date.") % {"field": label})
        return None


def _decimal(value: str, errors: list[str], label: str) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value.replace(",", "."))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        errors.append(_("%(field)s: not an amount.") % {"field": label})
        return None
    return amount


def _risk(value: str, errors: list[str]) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) > 100:
        errors.append(_("Risk: a score from 0 to 100."))
        return None
    return int(value)


def _product(value: str, errors: list[str]) -> int | None:
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) < 19):  # a 64-bit id
        errors.append(_("%(field)s: unknown value.") % {"field": _("Product")})
        return None
    return int(value)


def _choice(value: str, allowed, errors: list[str], label: str) -> str:
    if value and value not in allowed:
        errors.append(_("%(field)s: unknown value.") % {"field": label})
        return ""
    return value


def parse_filters(params) -> QueueFilters:
    """The filters of a query string (a QueryDict); what cannot be read is left out and said in
    `errors`, so a bad value never widens or breaks the page silently."""
    errors: list[str] = []
    statuses = tuple(s for s in params.getlist("status") if s)
    if set(statuses) - set(ReturnStatus.values):
        errors.append(_("%(field)s: unknown value.") % {"field": _("Status")})
        statuses = tuple(s for s in statuses if s in ReturnStatus.values)
    return QueueFilters(
        statuses=statuses,
        reason=params.get("reason", "").strip()[:60],
        method=_choice(params.get("method", ""), ReturnMethod.values, errors, _("Method")),
        resolution=_choice(
            params.get("resolution", ""), Resolution.values, errors, _("Resolution")
        ),
        created_from=_date(params.get("from", ""), errors, _("From")),
        created_to=_date(params.get("to", ""), errors, _("To")),
        stores=tuple(s for s in params.getlist("store") if s),
        risk_min=_risk(params.get("risk", "").strip(), errors),
        value_min=_decimal(params.get("value_min", "").strip(), errors, _("Minimum value")),
        value_max=_decimal(params.get("value_max", "").strip(), errors, _("Maximum value")),
        search=params.get("q", "").strip()[:200],
        product=_product(params.get("product", "").strip(), errors),
        sort=_choice(params.get("sort", ""), SORTS, errors, _("Sort")) or "newest",
        errors=tuple(errors),
    )


def _value_subquery() -> Subquery:
    """What the shopper sends back, at the order's prices: Σ quantity × unit price."""
    total = (
        ReturnLine.objects.filter(return_request=OuterRef("pk"))
        .order_by()
        .values("return_request")
        .annotate(total=Sum(F("quantity") * F("order_line__unit_price")))
        .values("total")
    )
    return Subquery(total, output_field=DecimalField(max_digits=18, decimal_places=4))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def matching_orders(store_ids: list[int], text: str) -> list[int]:
    """The ids of the orders whose number (with or without "#") or e-mail is `text`, newest
    first (one indexed query): the returns' and claims' searches look them up first, so that
    their own query stays an OR of indexes."""
    return list(
        Order.objects.filter(store_id__in=store_ids)
        .filter(Q(number__in=number_forms(text)) | Q(email=text) | Q(email=text.lower()))
        .order_by("-placed_at")
        .values_list("pk", flat=True)[:MAX_SEARCH_ORDERS]
    )


def _search(queryset: QuerySet[Return], store_ids: list[int], text: str) -> QuerySet[Return]:
    """Exact matches only, each on an index: the RMA, the tracking number, or the orders of
    that number or e-mail."""
    orders = matching_orders(store_ids, text)
    return queryset.filter(
        Q(rma=normalize_code(text)) | Q(tracking_number=text) | Q(order_id__in=orders)
    )


def chosen_store_ids(stores: Mapping[str, int], chosen: tuple[str, ...]) -> list[int]:
    """The chosen stores among those the caller may see (slug → id), or all of these."""
    return [stores[slug] for slug in chosen if slug in stores] or list(stores.values())


def _with_reason(store_ids: list[int], code: str) -> Exists:
    """Returns with a line of that reason or one of its sub-reasons. The catalogue's reasons
    are looked up first (a few rows): a code no reason has matches nothing at once, instead of
    testing every return's lines against a join."""
    reason_ids = list(
        ReturnReason.objects.filter(store_id__in=store_ids)
        .filter(Q(code=code) | Q(parent__code=code))
        .values_list("pk", flat=True)
    )
    return Exists(
        ReturnLine.objects.filter(return_request=OuterRef("pk"), reason_id__in=reason_ids)
    )


def filtered_returns(*, stores: Mapping[str, int], filters: QueueFilters) -> QuerySet[Return]:
    """The returns of the stores (slug → id, those the caller may see) that pass the filters,
    annotated with `value`, unordered."""
    store_ids = chosen_store_ids(stores, filters.stores)
    queryset = Return.objects.filter(store_id__in=store_ids).annotate(value=_value_subquery())
    if filters.statuses:
        queryset = queryset.filter(status__in=filters.statuses)
    if filters.method:
        queryset = queryset.filter(method=filters.method)
    if filters.resolution:
        queryset = queryset.filter(resolution=filters.resolution)
    if filters.created_from:
        queryset = queryset.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to:
        queryset = queryset.filter(
            created_at__lt=_day_start(filters.created_to + timedelta(days=1))
        )
    if filters.reason:
        queryset = queryset.filter(_with_reason(store_ids, filters.reason))
    if filters.product is not None:
        queryset = queryset.filter(
            Exists(
                ReturnLine.objects.filter(
                    return_request=OuterRef("pk"), order_line__variant__product_id=filters.product
                )
            )
        )
    if filters.risk_min is not None:
        queryset = queryset.filter(risk_score__gte=filters.risk_min)
    if filters.value_min is not None:
        queryset = queryset.filter(value__gte=filters.value_min)
    if filters.value_max is not None:
        queryset = queryset.filter(value__lte=filters.value_max)
    if filters.search:
        queryset = _search(queryset, store_ids, filters.search)
    return queryset


def encode_cursor(row: Return, sort: str) -> str:
    name, _descending = SORTS[sort]
    raw = f"{getattr(row, name).isoformat()}|{row.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The (sort key, id) a cursor holds, or None for one that cannot be read."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = raw.split("|")
        return datetime.fromisoformat(moment), int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


def keyset_after(sort: str, key: tuple[datetime, int]) -> Q:
    """Rows strictly after `key` in the sort's order. The first condition is a range on the
    index; the second only sorts out the ties (written so on every database: PostgreSQL reads
    the range from the index and filters the few rows that share the sort key)."""
    name, descending = SORTS[sort]
    moment, pk = key
    if descending:
        return Q(**{f"{name}__lte": moment}) & (Q(**{f"{name}__lt": moment}) | Q(pk__lt=pk))
    return Q(**{f"{name}__gte": moment}) & (Q(**{f"{name}__gt": moment}) | Q(pk__gt=pk))


def queue_page(
    *, stores: Mapping[str, int], filters: QueueFilters, cursor: str = "", limit: int = 25
) -> QueuePage:
    """One page of the queue (with each row's store and order) and the cursor of the next."""
    name, descending = SORTS[filters.sort]
    order = (f"-{name}", "-pk") if descending else (name, "pk")
    queryset = (
        filtered_returns(stores=stores, filters=filters)
        .select_related("store", "order")
        .defer("decision", "order__shipping_address", "store__branding")
        .order_by(*order)
    )
    key = decode_cursor(cursor) if cursor else None
    if key is not None:
        queryset = queryset.filter(keyset_after(filters.sort, key))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(rows=rows, next_cursor=encode_cursor(rows[-1], filters.sort) if more else None)


def status_counts(*, stores: Mapping[str, int], filters: QueueFilters) -> dict[str, int]:
    """For each status, how many returns of the chosen stores are in it, up to `COUNT_CAP` (a
    count equal to the cap means "at least"), whatever the other filters: one query of one
    capped subquery per status, each an index-only scan of the index on (store, status, …).

    Written in SQL: Django's compilation of thirteen subqueries took more time than the
    database takes to answer them."""
    store_ids = chosen_store_ids(stores, filters.stores)
    if not store_ids:
        return dict.fromkeys(ReturnStatus.values, 0)
    connection = connections[Return.objects.db]
    quote, meta = connection.ops.quote_name, Return._meta
    table = quote(meta.db_table)
    store, status = (quote(meta.get_field(name).column) for name in ("store", "status"))
    in_stores = ", ".join(["%s"] * len(store_ids))
    # Identifiers quoted from the model's meta; every value is a parameter.
    capped = f"SELECT 1 FROM {table} WHERE {store} IN ({in_stores}) AND {status} = %s"  # noqa: S608
    parts = [
        f"(SELECT COUNT(*) FROM ({capped} LIMIT {COUNT_CAP:d}) AS counted_{index})"  # noqa: S608
        for index in range(len(ReturnStatus.values))
    ]
    params = [value for name in ReturnStatus.values for value in (*store_ids, name)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        counts = cursor.fetchone()
    return dict(zip(ReturnStatus.values, counts, strict=True))
