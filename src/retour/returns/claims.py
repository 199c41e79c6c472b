"""The staff's reads of claims: the list (filters, search, keyset pages, counts per status) and
one claim with what its page shows.

As in `queue` for returns, every read is a fixed number of queries whatever the number of claims
or lines: a page is one query (claims with their store, order and customer, the units claimed as
a subquery), plus one look-up of orders when searching by order number or e-mail; the counts per
status are one grouped query on the index (store, status, …). Pages go by keyset on
(created_at, id), newest first, on the indexes `claim_store_status_id` and
`claim_store_created_id`, with the queue's cursors.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils.translation import gettext as _

from retour.commerce.models import AuditEvent
from retour.core.codes import normalize_code
from retour.returns.choices import ClaimKind, ClaimStatus
from retour.returns.models import Claim, ClaimLine
from retour.returns.queue import (
    chosen_store_ids,
    decode_cursor,
    encode_cursor,
    keyset_after,
    matching_orders,
)

PAGE_SIZE = 25
ANY_STATUS = "any"
SORT = "newest"  # the queue's sort on created_at, newest first


@dataclass(frozen=True)
class ClaimFilters:
    # The open claims by default: they are the work; `?status=any` (or a search without a
    # status) lists every claim.
    statuses: tuple[str, ...] = (ClaimStatus.OPEN,)
    kind: str = ""
    stores: tuple[str, ...] = ()  # store slugs, among those the caller may see
    search: str = ""  # claim number, order number (with or without "#") or e-mail
    errors: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class ClaimPage:
    rows: list[Claim]
    next_cursor: str | None


def parse_claim_filters(params) -> ClaimFilters:
    """The filters of a query string; an unknown value is left out and said in `errors`."""
    errors: list[str] = []
    status = params.get("status", "")
    search = params.get("q", "").strip()[:200]
    # A search looks for one claim, decided or not, unless a status is chosen too.
    statuses: tuple[str, ...] = () if search else (ClaimStatus.OPEN,)
    if status == ANY_STATUS:
        statuses = ()
    elif status in ClaimStatus.values:
        statuses = (status,)
    elif status:
        errors.append(_("%(field)s: unknown value.") % {"field": _("Status")})
    kind = params.get("kind", "")
    if kind and kind not in ClaimKind.values:
        errors.append(_("%(field)s: unknown value.") % {"field": _("Kind")})
        kind = ""
    return ClaimFilters(
        statuses=statuses,
        kind=kind,
        stores=tuple(s for s in params.getlist("store") if s),
        search=search,
        errors=tuple(errors),
    )


def _units_subquery() -> Subquery:
    units = (
        ClaimLine.objects.filter(claim=OuterRef("pk"))
        .order_by()
        .values("claim")
        .annotate(units=Sum("quantity"))
        .values("units")
    )
    return Subquery(units)


def filtered_claims(*, stores: Mapping[str, int], filters: ClaimFilters) -> QuerySet[Claim]:
    """The claims of the chosen stores (slug → id, those the caller may see) passing the
    filters, unordered."""
    store_ids = chosen_store_ids(stores, filters.stores)
    queryset = Claim.objects.filter(store_id__in=store_ids)
    if filters.statuses:
        queryset = queryset.filter(status__in=filters.statuses)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.search:
        orders = matching_orders(store_ids, filters.search)
        queryset = queryset.filter(
            Q(number=normalize_code(filters.search)) | Q(order_id__in=orders)
        )
    return queryset


def claim_page(
    *, stores: Mapping[str, int], filters: ClaimFilters, cursor: str = "", limit: int = PAGE_SIZE
) -> ClaimPage:
    """One page of claims, newest first, each with its store, order, customer and `units`
    (the units claimed), and the cursor of the next page."""
    queryset = (
        filtered_claims(stores=stores, filters=filters)
        .select_related("store", "order", "customer")
        .defer("order__shipping_address", "store__branding")
        .annotate(units=_units_subquery())
        .order_by("-created_at", "-pk")
    )
    key = decode_cursor(cursor) if cursor else None
    if key is not None:
        queryset = queryset.filter(keyset_after(SORT, key))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return ClaimPage(rows=rows, next_cursor=encode_cursor(rows[-1], SORT) if more else None)


def claim_counts(*, stores: Mapping[str, int], filters: ClaimFilters) -> dict[str, int]:
    """How many claims of the chosen stores are in each status, whatever the other filters (one
    grouped query, read from the index on (store, status, …))."""
    rows = (
        Claim.objects.filter(store_id__in=chosen_store_ids(stores, filters.stores))
        .order_by()
        .values("status")
        .annotate(count=Count("pk"))
    )
    counts = dict.fromkeys(ClaimStatus.values, 0)
    counts.update({row["status"]: row["count"] for row in rows})
    return counts


def open_claims(store_ids: list[int]) -> int:
    """How many claims of these stores wait for a decision (the overview's work; one query)."""
    return Claim.objects.filter(store_id__in=store_ids, status=ClaimStatus.OPEN).count()


def claim_for_staff(*, store_ids: list[int], number: str) -> Claim | None:
    """A claim of one of `store_ids` with what its staff page shows, or None: its store, order
    and customer; its lines (order line, variant, product), the order's lines (the amounts are
    computed on the whole order) and the shopper's photos. Four queries whatever its size.

    `photos` is the portal's reverse relation on a claim: named here, not imported (the portal
    sits above returns)."""
    return (
        Claim.objects.filter(store_id__in=store_ids, number=normalize_code(number))
        .select_related("store", "order", "customer")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ClaimLine.objects.select_related("order_line__variant__product").order_by(
                    "id"
                ),
            ),
            "order__lines",
            "photos",
        )
        .first()
    )


def claim_history(claim: Claim) -> list[AuditEvent]:
    """The claim's audit events, oldest first, with their author (one query on the audit log's
    index on (store, object))."""
    return list(
        AuditEvent.objects.filter(
            store_id=claim.store_id,
            object_type=Claim._meta.label_lower,
            object_id=str(claim.pk),
        )
        .select_related("actor_user")
        .order_by("created_at", "id")
    )
