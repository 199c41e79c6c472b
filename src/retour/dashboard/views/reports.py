"""The daily receiving report (page and CSV) and the owners' operations page."""

from datetime import date

from django.core.exceptions import PermissionDenied as Forbidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from retour.accounts.scopes import Scope
from retour.commerce.models import Store
from retour.dashboard.access import owned_store_ids
from retour.dashboard.views.common import staff_only, staff_page, store_ids_with
from retour.notifications import selectors as notifications
from retour.warehouse import reports


def _report_stores(request: HttpRequest) -> list[Store]:
    return list(
        Store.objects.filter(pk__in=store_ids_with(request, Scope.RETURNS_RECEIVE)).order_by("name")
    )


def _day(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


@staff_page(Scope.RETURNS_RECEIVE)
@require_GET
def daily_report(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    stores = [(store, reports.daily_report(store, day)) for store in _report_stores(request)]
    return render(request, "dashboard/daily_report.html", {"day": day, "stores": stores})


@staff_page(Scope.RETURNS_RECEIVE)
@require_GET
def daily_report_csv(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    store = next((s for s in _report_stores(request) if s.slug == request.GET.get("store")), None)
    if store is None:
        return HttpResponse(status=404)
    response = HttpResponse(reports.daily_csv(store, day), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="receiving-{store.slug}-{day}.csv"'
    return response


@staff_only
@require_GET
def operations(request: HttpRequest) -> HttpResponse:
    """Queue depth, failures and retries, for the owners: the job queue's figures are the whole
    process's (jobs have no store), the notifications' are those of the stores the user owns."""
    store_ids = owned_store_ids(request)
    if not store_ids:
        raise Forbidden
    figures = notifications.operations(store_ids)
    stores = list(
        Store.objects.filter(pk__in=store_ids).order_by("name").values_list("name", flat=True)
    )
    return render(request, "dashboard/operations.html", {**figures, "stores": stores})
