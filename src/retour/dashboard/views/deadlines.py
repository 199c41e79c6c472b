"""The legal refund deadlines of withdrawals (issue 3): every unpaid one, the earliest first,
with a warning before it passes and what paying late costs (France: L242-4). For the roles that
refund (`returns:resolve`), in their stores only."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from retour.accounts.scopes import Scope
from retour.dashboard.views.common import staff_page, store_ids_with
from retour.returns.deadlines import DUE_SOON, FIRST_STEP_DAYS, open_refund_deadlines


def _row(deadline, now) -> dict:
    days_late = deadline.days_late(now)
    return {
        "deadline": deadline,
        "return": deadline.return_request,
        "state": deadline.state(now),
        "days_late": days_late,
        "cost_now": deadline.cost_now(now),
        "cost_first_step": deadline.late_cost(FIRST_STEP_DAYS),
        "citation": deadline.law.late_refund_citation,
    }


@staff_page(Scope.RETURNS_RESOLVE)
@require_GET
def refund_deadlines(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        _row(d, now) for d in open_refund_deadlines(store_ids_with(request, Scope.RETURNS_RESOLVE))
    ]
    counts = {
        state: sum(1 for row in rows if row["state"] == state) for state in ("overdue", "due_soon")
    }
    context = {
        "rows": rows,
        "counts": counts,
        "warn_days": DUE_SOON.days,
        "step_days": FIRST_STEP_DAYS,
    }
    return render(request, "dashboard/refund_deadlines.html", context)
