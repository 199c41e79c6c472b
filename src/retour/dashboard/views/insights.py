"""The insights pages: return rates and why (`rates`), products to fix (`products`), shoppers to
watch (`shoppers`). Each reads `retour.insights` for the filtered slice (dates, store,
category) and shows every table as HTML, CSV and XLSX (`?export=<table>&format=csv|xlsx`)."""

from collections.abc import Callable
from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from retour.accounts.scopes import Scope
from retour.commerce.models import Store
from retour.dashboard.charts import bars, line, polyline
from retour.dashboard.views.common import staff_page, store_ids_with, store_with
from retour.insights import metrics, products, rollups, shoppers
from retour.insights.metrics import Slice
from retour.insights.tables import Table, to_csv, to_xlsx

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366
FORMATS = {
    "csv": ("text/csv; charset=utf-8", to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
}


def _date(request: HttpRequest, name: str, default: date) -> date:
    value = request.GET.get(name, "")
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        messages.error(request, _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value})
        return default


def _slice(request: HttpRequest) -> tuple[Slice, dict]:
    """The slice the filters ask for (dates, store, category) and the filters' context. A
    store the user is not on the staff of answers 404; an unreadable date falls back, said."""
    today = timezone.localdate()
    end = _date(request, "to", today)
    start = _date(request, "from", end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end or (end - start).days > MAX_DAYS:
        messages.error(request, _("The period must start before it ends and last 3 years at most."))
        start, end = end - timedelta(days=DEFAULT_DAYS - 1), end
    slug = request.GET.get("store", "")
    store = store_with(request, slug, Scope.INSIGHTS_READ) if slug else None
    readable = store_ids_with(request, Scope.INSIGHTS_READ)
    store_ids = (store.pk,) if store else tuple(readable)
    category = request.GET.get("category", "").strip()[:120]
    context = {
        "start": start,
        "end": end,
        "store": store,
        "category": category,
        "stores": Store.objects.filter(pk__in=readable).order_by("name"),
        "fresh_until": rollups.freshness(list(store_ids)),
        "query": request.GET.urlencode(),
    }
    return Slice(store_ids, start, end, category), context


def _page(
    request: HttpRequest, template: str, build: Callable[[Slice], tuple[list[Table], dict]]
) -> HttpResponse:
    scope, context = _slice(request)
    tables, extra = build(scope)
    wanted = request.GET.get("export")
    if wanted:
        return _export(request, tables, wanted)
    return render(request, template, {**context, **extra, "tables": tables})


def _export(request: HttpRequest, tables: list[Table], name: str) -> HttpResponse:
    table = next((t for t in tables if t.name == name), None)
    kind = request.GET.get("format", "csv")
    if table is None or kind not in FORMATS:
        return HttpResponseBadRequest(_("Unknown table or format."))
    content_type, write = FORMATS[kind]
    response = HttpResponse(write(table), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{table.name}.{kind}"'
    return response


def _days(value) -> str:
    """A duration in days, one decimal ("" when there is none)."""
    if value is None:
        return ""
    return formats.number_format(value.total_seconds() / 86400, 1)


def _rate_table(name: str, title: str, key: str, rates: list[metrics.Rate]) -> Table:
    return Table(
        name,
        title,
        [key, _("Units sold"), _("Units returned"), _("Rate by units (%)"), _("Sold value"),
         _("Returned value"), _("Rate by value (%)")],
        [
            [r.label, r.sold_units, r.returned_units, r.units_percent, r.sold_value,
             r.returned_value, r.value_percent]
            for r in rates
        ],
    )  # fmt: skip


def _rates(scope: Slice) -> tuple[list[Table], dict]:
    cohort = metrics.cohort_overview(scope, limit=50)
    total, weeks, reasons = cohort.total, cohort.weeks, cohort.reasons
    lines = metrics.returned_lines(scope)
    carried = metrics.carriers(scope)
    resolutions = lines.resolutions
    durations = metrics.time_to_refund(scope)
    satisfaction = metrics.satisfaction(scope)
    tables = [
        _rate_table("trend", _("Return rate per week of orders"), _("Week"), weeks),
        _rate_table("categories", _("Return rate per category"), _("Category"),
                    cohort.categories),
        _rate_table("sizes", _("Return rate per size"), _("Size"),
                    cohort.sizes),
        Table("reasons", _("Reasons"), [_("Reason"), _("Sub-reason of"), _("Units returned"),
              _("Returned value"), _("Share (%)")],
              [[r.label, r.parent if r.parent != r.code else "", r.units, r.value, r.share]
               for r in reasons]),
        Table("resolutions", _("Resolutions"), [_("Resolution"), _("Currency"), _("Units"),
              _("Value")], [[r.key, r.currency, r.count, r.amount] for r in resolutions]),
        Table("costs", _("Costs of returns"), [_("Cost"), _("Currency"), _("Count"), _("Amount")],
              [[r.key, r.currency, r.count, r.amount] for r in metrics.costs(scope, carried)]),
        Table("stages", _("Time per stage"), [_("Status"), _("Moves"), _("Average (days)")],
              [[s.status, s.count, _days(s.average)] for s in metrics.time_per_stage(scope)]),
        Table("inspection", _("Inspection"), [_("Grade or disposition"), _("Units")],
              [[row.key, row.units] for row in [*lines.grades, *lines.dispositions]]),
        Table("carriers", _("Carriers"), [_("Carrier"), _("Labels"), _("Scanned (%)"),
              _("Label to first scan (days)"), _("Currency"), _("Postage")],
              [[c.carrier, c.shipments, c.scanned_percent, _days(c.to_first_scan), c.currency,
                c.postage] for c in carried]),
        Table("satisfaction", _("Shopper satisfaction"), [_("Rating"), _("Answers")],
              [[rating, n] for rating, n in satisfaction.ratings.items()]),
    ]  # fmt: skip
    trend = line([(formats.date_format(r.key, "SHORT_DATE_FORMAT"), r.units_percent or 0)
                  for r in weeks])  # fmt: skip
    return tables, {
        "total": total,
        "trend": trend,
        "trend_line": polyline(trend),
        "reason_bars": bars([(r.label, r.units) for r in reasons[:10]]),
        "durations": durations,
        "refund_p50": _days(durations.p50),
        "refund_p90": _days(durations.p90),
        "kept": metrics.revenue_kept(resolutions),
        "satisfaction": satisfaction,
    }


def _products(scope: Slice) -> tuple[list[Table], dict]:
    findings = products.products_to_fix(scope)
    verdicts = {"runs_small": _("Runs small"), "runs_large": _("Runs large"), "": ""}
    table = Table(
        "products",
        _("Products to fix"),
        [_("Product"), _("Category"), _("Sold"), _("Returned"), _("Rate (%)"),
         _("At least (%)"), _("Category rate (%)"), _("Main reasons"), _("Fit"),
         _("Words (EN)"), _("Words (FR)")],
        [
            [f.title, f.category, f.sold, f.returned, f.rate_percent, f.lower_percent,
             f.category_percent, ", ".join(f"{r.label} ({r.units})" for r in f.reasons),
             verdicts[f.fit.verdict],
             ", ".join(word for word, _n in f.words.get("en", [])),
             ", ".join(word for word, _n in f.words.get("fr", []))]
            for f in findings
        ],
    )  # fmt: skip
    return [table], {"findings": findings}


def _shoppers(scope: Slice) -> tuple[list[Table], dict]:
    watched = shoppers.watch_list(scope)
    table = Table(
        "shoppers",
        _("Shoppers to watch"),
        [_("E-mail"), _("Store"), _("Returns"), _("Orders"), _("Return rate (%)"),
         _("Risk score"), _("Signals")],
        [
            [s.email, s.store_slug, s.returns, s.orders, s.rate_percent, s.risk,
             ", ".join(f"{sig['name']}={sig['value']}" for sig in s.signals)]
            for s in watched
        ],
    )  # fmt: skip
    return [table], {"shoppers": watched, "serial": shoppers.SERIAL_RETURNS,
                     "suspect": shoppers.SUSPECT_SCORE}  # fmt: skip


@staff_page(Scope.INSIGHTS_READ)
@require_GET
def rates(request: HttpRequest) -> HttpResponse:
    return _page(request, "dashboard/insights/rates.html", _rates)


@staff_page(Scope.INSIGHTS_READ)
@require_GET
def products_page(request: HttpRequest) -> HttpResponse:
    return _page(request, "dashboard/insights/products.html", _products)


@staff_page(Scope.INSIGHTS_READ)
@require_GET
def shoppers_page(request: HttpRequest) -> HttpResponse:
    return _page(request, "dashboard/insights/shoppers.html", _shoppers)
