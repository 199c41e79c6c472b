"""The returns queue: filters, search, sort, keyset pages, counts per status, saved views and bulk
actions. The query logic is `returns.queue`; this module reads the request and renders.

A bulk action runs the domain service once per return, each in its own transaction: one failing
leaves the others done, and the page lists every return with what happened to it.
"""

import contextlib
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from retour.accounts.scopes import Scope
from retour.core.actors import Actor
from retour.core.errors import DomainError
from retour.dashboard.views.common import access_of, staff_page
from retour.logistics.documents.bundle import bundle_labels
from retour.logistics.selectors import labels_for_returns
from retour.returns import queue, services
from retour.returns.choices import Resolution, ReturnMethod, ReturnStatus
from retour.returns.models import Return, ReturnReason, SavedQueueView

MAX_BULK = 100
RESULTS_KEY = "queue_results"
FILTER_KEYS = ("status", "reason", "method", "resolution", "from", "to", "store", "risk")
FILTER_KEYS += ("value_min", "value_max", "q", "sort")


def stores_with(request: HttpRequest, scope: Scope) -> dict[str, int]:
    """Slug → id of the stores where the user's role grants `scope`."""
    return {
        slug: grant.store_id
        for slug, grant in access_of(request).grants.items()
        if scope in grant.scopes
    }


def _limit(request: HttpRequest) -> int:
    value = request.GET.get("limit", "")
    return int(value) if value.isdigit() and int(value) in queue.PAGE_SIZES else 25


def filter_query(request: HttpRequest, keys: tuple[str, ...] = FILTER_KEYS) -> str:
    """The query string of the filters alone (no cursor): saved views and page links keep it."""
    pairs = [(key, value) for key in keys for value in request.GET.getlist(key) if value]
    return urlencode(pairs)


def next_page_query(filters: str, cursor: str, *extra: tuple[str, object]) -> str | None:
    """The next page's query string (the filters, then the cursor), None on the last page."""
    if not cursor:
        return None
    page = urlencode([("cursor", cursor), *extra])
    return f"{filters}&{page}" if filters else page


def _reasons(store_ids) -> list[tuple[str, str]]:
    """The top-level reasons of the user's stores, by code, for the filter (one query)."""
    seen: dict[str, str] = {}
    for reason in ReturnReason.objects.filter(store_id__in=store_ids, parent__isnull=True):
        seen.setdefault(reason.code, reason.label())
    return sorted(seen.items(), key=lambda item: item[1])


def _label_rows(rows: list[Return]) -> None:
    """Each row's status, method and resolution labels, translated once per page: Django's
    `get_FOO_display` hashes every lazy label of the choices on each call, which took a fifth
    of the page's CPU for 25 rows."""
    labels = [
        (name, {value: str(label) for value, label in choices.choices})
        for name, choices in (
            ("status", ReturnStatus),
            ("method", ReturnMethod),
            ("resolution", Resolution),
        )
    ]
    for row in rows:
        for name, by_value in labels:
            value = getattr(row, name)
            setattr(row, f"{name}_label", by_value.get(value, value))


@staff_page(Scope.RETURNS_READ)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    stores = stores_with(request, Scope.RETURNS_READ)
    filters = queue.parse_filters(request.GET)
    limit = _limit(request)
    page = queue.queue_page(
        stores=stores, filters=filters, cursor=request.GET.get("cursor", ""), limit=limit
    )
    _label_rows(page.rows)
    filters_only = filter_query(request)
    next_query = next_page_query(filters_only, page.next_cursor, ("limit", limit))
    counts = queue.status_counts(stores=stores, filters=filters)
    store_query = urlencode([("store", slug) for slug in filters.stores])
    context = {
        "page": page,
        "filters": filters,
        "filter_query": filters_only,
        "next_query": next_query,
        "limit": limit,
        "page_sizes": queue.PAGE_SIZES,
        "counts": [(status, label, counts[status]) for status, label in ReturnStatus.choices],
        "store_query": store_query,
        "count_cap": queue.COUNT_CAP,
        "stores": sorted(stores),
        "reasons": _reasons(stores.values()),
        "statuses": ReturnStatus.choices,
        "methods": ReturnMethod.choices,
        "resolutions": Resolution.choices,
        "saved_views": SavedQueueView.objects.filter(user=request.user),
        "results": request.session.pop(RESULTS_KEY, None),
        "can_review": bool(stores_with(request, Scope.RETURNS_REVIEW)),
        "can_print": bool(stores_with(request, Scope.RETURNS_LOGISTICS)),
    }
    return render(request, "dashboard/returns_queue.html", context)


@staff_page(Scope.RETURNS_READ)
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()[:80]
    query = request.POST.get("query", "")[:1000]
    if not name:
        messages.error(request, _("Give the view a name."))
    else:
        # The same name saved twice at once: the first one stays.
        with contextlib.suppress(IntegrityError):
            SavedQueueView.objects.update_or_create(
                user=request.user, name=name, defaults={"query": query}
            )
        messages.success(request, _("View “%(name)s” saved.") % {"name": name})
    return redirect(f"{reverse('dashboard:returns')}?{query}")


@staff_page(Scope.RETURNS_READ)
@require_POST
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    get_object_or_404(SavedQueueView, pk=view_id, user=request.user).delete()
    return redirect("dashboard:returns")


Handler = Callable[[Return, Actor, HttpRequest], object]


def _approve(return_request: Return, actor: Actor, request: HttpRequest) -> object:
    return services.approve_return(return_request=return_request, actor=actor)


def _reject(return_request: Return, actor: Actor, request: HttpRequest) -> object:
    return services.reject_return(
        return_request=return_request, actor=actor, reason=request.POST.get("message", "")
    )


BULK_ACTIONS: dict[str, tuple[Scope, Handler]] = {
    "approve": (Scope.RETURNS_REVIEW, _approve),
    "reject": (Scope.RETURNS_REVIEW, _reject),
}


def _posted_rmas(request: HttpRequest) -> list[str]:
    return list(dict.fromkeys(r for r in request.POST.getlist("rma") if r))


def _selected(request: HttpRequest, scope: Scope) -> tuple[list[Return], list[dict]]:
    """The chosen returns the user may act on with `scope`, and a result line for each RMA
    that is not one of them (unknown, another store, or a role without the right)."""
    rmas = _posted_rmas(request)
    found = {
        r.rma: r
        for r in Return.objects.filter(
            rma__in=rmas, store_id__in=stores_with(request, scope).values()
        ).select_related("order")
    }
    refused = [
        {"rma": rma, "ok": False, "message": _("Not found, or not yours to change.")}
        for rma in rmas
        if rma not in found
    ]
    return [found[rma] for rma in rmas if rma in found], refused


@staff_page(Scope.RETURNS_READ)
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    count = len(_posted_rmas(request))
    if count > MAX_BULK:
        # The work is done in the request: more is refused as a whole rather than done in part.
        messages.error(
            request,
            _(
                "At most %(max)s returns at a time; you chose %(count)s. Nothing was done: "
                "choose fewer returns and act on them in several goes."
            )
            % {"max": MAX_BULK, "count": count},
        )
        return redirect(_back(request))
    if action == "labels":
        return _labels(request)
    if action not in BULK_ACTIONS:
        messages.error(request, _("Choose an action."))
        return redirect(request.POST.get("next") or "dashboard:returns")
    scope, handler = BULK_ACTIONS[action]
    chosen, results = _selected(request, scope)
    actor = access_of(request).actor
    for return_request in chosen:
        try:
            handler(return_request, actor, request)
        except DomainError as error:
            results.append({"rma": return_request.rma, "ok": False, "message": error.message})
        else:
            results.append({"rma": return_request.rma, "ok": True, "message": _("Done.")})
    request.session[RESULTS_KEY] = sorted(results, key=lambda r: r["ok"])
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/dashboard/returns/") else reverse("dashboard:returns")


def _labels(request: HttpRequest) -> HttpResponse:
    """The labels of the chosen returns as one PDF; a first page lists those without one.
    Only the returns of the stores where the user handles logistics are looked up: another
    store's RMA is listed as not found."""
    chosen, refused = _selected(request, Scope.RETURNS_LOGISTICS)
    labels = labels_for_returns([r.pk for r in chosen])
    missing = [(r["rma"], r["message"]) for r in refused] + [
        (r.rma, _("No label yet.")) for r in chosen if r.pk not in labels
    ]
    if not labels:
        request.session[RESULTS_KEY] = [
            {"rma": rma, "ok": False, "message": message} for rma, message in missing
        ]
        return redirect(_back(request))
    pdf = bundle_labels(
        [labels[r.pk] for r in chosen if r.pk in labels],
        missing=missing,
        title=_("Returns without a label"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="labels.pdf"'
    return response
