"""The overview, the landing page after sign-in: today's work, and the last 30 days' return
rate, top reasons, time to refund and shopper feedback, over the stores the user may read (or
the one chosen with `?store=`)."""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from retour.accounts.scopes import Scope
from retour.commerce.models import Store
from retour.dashboard.charts import bars
from retour.dashboard.views.common import staff_page, store_ids_with, store_with
from retour.returns import claims, insights

PERIOD_DAYS = 30


def _queue_links(work: dict[str, int], store: Store | None) -> list[dict]:
    stores = [("store", store.slug)] if store else []
    queue = reverse("dashboard:returns")
    return [
        {
            "bucket": bucket,
            "count": work[bucket],
            "url": f"{queue}?{urlencode([*(('status', s) for s in statuses), *stores])}",
        }
        for bucket, statuses in insights.WORK.items()
    ]


def _duration(value: timedelta | None) -> str:
    """A wait as staff read it: hours under two days, else days to one decimal."""
    if value is None:
        return ""
    hours = value.total_seconds() / 3600
    if hours < 48:
        return _("%(hours)s h") % {"hours": formats.number_format(hours, 1)}
    return _("%(days)s days") % {"days": formats.number_format(hours / 24, 1)}


@staff_page(Scope.RETURNS_READ)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    slug = request.GET.get("store", "")
    store = store_with(request, slug, Scope.RETURNS_READ) if slug else None
    readable = list(
        Store.objects.filter(pk__in=store_ids_with(request, Scope.RETURNS_READ)).order_by("name")
    )
    store_ids = [store.pk] if store else [s.pk for s in readable]
    managed = set(store_ids_with(request, Scope.STAFF_MANAGE))
    today = timezone.localdate()
    since = timezone.make_aware(datetime.combine(today - timedelta(days=PERIOD_DAYS - 1), time.min))
    per_day = insights.returns_per_day(store_ids, since=since, days=PERIOD_DAYS)
    refund_time = insights.time_to_refund(store_ids, since=since)
    context = {
        "store": store,
        "stores": readable,
        "managed": [s for s in readable if s.pk in managed],
        "work": _queue_links(insights.todays_work(store_ids), store),
        "open_claims": claims.open_claims(store_ids),
        "claims_url": reverse("dashboard:claims")
        + (f"?{urlencode([('store', store.slug)])}" if store else ""),
        "days": PERIOD_DAYS,
        "per_day": bars([(formats.date_format(day, "SHORT_DATE_FORMAT"), n) for day, n in per_day]),
        "per_day_total": sum(n for _day, n in per_day),
        "reasons": bars(
            [(r.reason.label(), r.units) for r in insights.top_reasons(store_ids, since=since)]
        ),
        "rate": insights.return_rate(store_ids, since=since),
        "refund_time": refund_time,
        "refund_p50": _duration(refund_time.p50),
        "refund_p90": _duration(refund_time.p90),
        "feedback": insights.feedback_score(store_ids, since=since),
    }
    return render(request, "dashboard/overview.html", context)
