"""Claims: problems a shopper reported without a parcel to send back (damaged on arrival, missing
or wrong item). The list (filters, search, keyset pages; the reads are `returns.claims`) and a
claim's page: its order and shopper, items with their amounts, photos, history and the decision.

Approving first shows a confirmation with the money involved (what the shopper paid for the
units claimed: refunded, or replaced), as a return's refund does; the POST repeats that amount
and is refused if it changed meanwhile. The decision is `refunds.claims.decide_claim` (the
returns' decision, and in the same transaction the refund requested or the replacement reserved
and ordered), which decides an open claim only, under its row lock: a second submit (a double
click, a colleague meanwhile) decides nothing and says so. The page shows the claim's refund
(status, reference, amount) or its replacements. Reading needs `returns:read`, deciding
`returns:review`; another store's claim answers 404. A refund above the store's threshold gets
its second approval here (`refunds:approve`, another person than the one who asked) through the
return page's confirmation part; a manual refund's part is recorded with `manual_refunds`.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retour.accounts.scopes import Scope
from retour.core.errors import Conflict, DomainError
from retour.dashboard.views.common import access_of, staff_page, store_ids_with, stored_file
from retour.dashboard.views.detail import approval_plan
from retour.dashboard.views.manual_refunds import waiting_parts
from retour.dashboard.views.queue import filter_query, next_page_query, stores_with
from retour.refunds import services as refunds
from retour.refunds.calculation import Breakdown
from retour.refunds.choices import RefundStatus
from retour.refunds.claims import decide_claim
from retour.refunds.models import Refund
from retour.refunds.selectors import claim_refund, claim_replacements
from retour.refunds.services import claim_breakdown
from retour.returns import claims
from retour.returns.choices import ClaimKind, ClaimResolution, ClaimStatus
from retour.returns.lifecycle import IllegalTransition
from retour.returns.models import Claim

FILTER_KEYS = ("status", "kind", "store", "q")


@staff_page(Scope.RETURNS_READ)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    stores = stores_with(request, Scope.RETURNS_READ)
    filters = claims.parse_claim_filters(request.GET)
    page = claims.claim_page(stores=stores, filters=filters, cursor=request.GET.get("cursor", ""))
    filters_only = filter_query(request, FILTER_KEYS)
    next_query = next_page_query(filters_only, page.next_cursor)
    counts = claims.claim_counts(stores=stores, filters=filters)
    store_query = urlencode([("store", slug) for slug in filters.stores])
    context = {
        "page": page,
        "filters": filters,
        "filter_query": filters_only,
        "next_query": next_query,
        "any_status": claims.ANY_STATUS,
        "counts": [(status, label, counts[status]) for status, label in ClaimStatus.choices],
        "store_query": store_query,
        "stores": sorted(stores),
        "statuses": ClaimStatus.choices,
        "kinds": ClaimKind.choices,
    }
    return render(request, "dashboard/claims_list.html", context)


def _claim(request: HttpRequest, number: str, scope: Scope = Scope.RETURNS_READ) -> Claim:
    """The claim if the user may act on it with `scope`: 404 outside their stores (its
    existence not revealed), 403 when their role there lacks the scope."""
    claim = claims.claim_for_staff(
        store_ids=store_ids_with(request, Scope.RETURNS_READ), number=number
    )
    if claim is None:
        raise Http404
    if claim.store_id not in store_ids_with(request, scope):
        raise Forbidden
    return claim


def _items(claim: Claim, breakdown: Breakdown | None) -> list[tuple]:
    """Each claimed line with what the shopper paid for its units."""
    paid = {line.line_id: line for line in breakdown.lines} if breakdown else {}
    return [(line, paid.get(line.order_line_id)) for line in claim.lines.all()]


def _breakdown(request: HttpRequest, claim: Claim) -> Breakdown | None:
    """The claim's amounts, or None (said on the page) when its units are already refunded."""
    try:
        return claim_breakdown(claim)
    except DomainError as error:
        messages.warning(request, error.message)
        return None


def _may_approve(request: HttpRequest, claim: Claim, refund: Refund | None) -> bool:
    """The second approval is offered to a person with `refunds:approve` other than the one who
    asked for the refund (the service refuses them anyway)."""
    return (
        refund is not None
        and refund.status == RefundStatus.AWAITING_APPROVAL
        and claim.store_id in store_ids_with(request, Scope.REFUNDS_APPROVE)
        and request.user.pk not in (refund.actor_user_id, refund.override_author_id)
    )


@staff_page(Scope.RETURNS_READ)
@require_GET
def show(request: HttpRequest, number: str) -> HttpResponse:
    claim = _claim(request, number)
    breakdown = _breakdown(request, claim)
    refund = claim_refund(claim)
    context = {
        "claim": claim,
        "items": _items(claim, breakdown),
        "breakdown": breakdown,
        "refund": refund,
        "approve_url": reverse("dashboard:claim-approve-refund", kwargs={"number": claim.number})
        if _may_approve(request, claim, refund)
        else "",
        "manual_parts": waiting_parts(request, refund__claim=claim),
        "replacements": claim_replacements(claim),
        "history": claims.claim_history(claim),
        "can_decide": claim.status == ClaimStatus.OPEN
        and claim.store_id in store_ids_with(request, Scope.RETURNS_REVIEW),
        "resolutions": ClaimResolution.choices,
    }
    return render(request, "dashboard/claim_detail.html", context)


@staff_page(Scope.RETURNS_READ)
@require_GET
def photo(request: HttpRequest, number: str, photo_id: int) -> HttpResponse:
    claim = _claim(request, number)
    for item in claim.photos.all():
        if item.pk == photo_id:
            return stored_file(item.file.open("rb"), item.file.name)
    raise Http404


def _resolution(request: HttpRequest) -> str:
    params = request.POST if request.method == "POST" else request.GET
    return params.get("resolution", "")


@staff_page(Scope.RETURNS_REVIEW)
@require_GET
def confirm(request: HttpRequest, number: str) -> HttpResponse:
    claim = _claim(request, number, Scope.RETURNS_REVIEW)
    resolution = _resolution(request)
    if claim.status != ClaimStatus.OPEN:
        messages.warning(request, _("This claim is already decided: nothing was done."))
        return redirect("dashboard:claim", number=claim.number)
    if resolution not in ClaimResolution.values:
        messages.error(request, _("Choose a refund or a replacement."))
        return redirect("dashboard:claim", number=claim.number)
    breakdown = _breakdown(request, claim)
    if breakdown is None:
        return redirect("dashboard:claim", number=claim.number)
    context = {
        "claim": claim,
        "items": _items(claim, breakdown),
        "breakdown": breakdown,
        "resolution": resolution,
        "resolution_label": ClaimResolution(resolution).label,
    }
    return render(request, "dashboard/claim_confirm.html", context)


@staff_page(Scope.RETURNS_REVIEW)
@require_POST
def decide(request: HttpRequest, number: str) -> HttpResponse:
    claim = _claim(request, number, Scope.RETURNS_REVIEW)
    approve = request.POST.get("decision") == "approve"
    resolution = _resolution(request)
    try:
        if approve and request.POST.get("amount") != str(claim_breakdown(claim).total):
            raise Conflict(_("The amounts changed since you confirmed them: check them again."))
        decided = decide_claim(
            claim=claim,
            actor=access_of(request).actor,
            approve=approve,
            resolution=resolution,
            reason=request.POST.get("reason", ""),
        )
    except IllegalTransition:
        messages.warning(request, _("This claim is already decided: nothing was done."))
    except DomainError as error:
        messages.error(request, error.message)
        if approve and resolution in ClaimResolution.values:
            url = reverse("dashboard:claim-confirm", kwargs={"number": claim.number})
            return redirect(f"{url}?{urlencode({'resolution': resolution})}")
    else:
        if decided.resolution == ClaimResolution.REFUND:
            messages.success(
                request,
                _("Claim approved: the refund is on its way; the shopper is told by e-mail."),
            )
        elif decided.status == ClaimStatus.APPROVED:
            messages.success(
                request,
                _("Claim approved (%(resolution)s); the shopper is told by e-mail.")
                % {"resolution": decided.get_resolution_display()},
            )
        else:
            messages.success(request, _("Claim rejected; the shopper is told why."))
    return redirect("dashboard:claim", number=claim.number)


def _awaiting(claim: Claim) -> Refund:
    refund = claim.refunds.filter(status=RefundStatus.AWAITING_APPROVAL).order_by("-id").first()
    if refund is None:
        raise Conflict(_("No refund of this claim is waiting for an approval."))
    return refund


@staff_page(Scope.REFUNDS_APPROVE)
@require_http_methods(["GET", "POST"])
def approve_refund(request: HttpRequest, number: str) -> HttpResponse:
    """The second approval of the claim's refund: GET confirms the amounts (the return page's
    confirmation part), POST repeats the total and approves (`refunds.approve_refund`, under
    the refund's row lock: a second submit finds it approved and does nothing)."""
    claim = _claim(request, number, Scope.REFUNDS_APPROVE)
    try:
        refund = _awaiting(claim)
        plan = approval_plan(refund)
        if request.method != "POST":
            context = {"claim": claim, "plan": plan}
            return render(request, "dashboard/claim_approve_refund.html", context)
        if request.POST.get("amount") != str(plan.total):
            raise Conflict(_("The amounts changed since you confirmed them: check them again."))
        with transaction.atomic():
            approved = refunds.approve_refund(refund=refund, actor=access_of(request).actor)
            transaction.on_commit(lambda: refunds.process_refund(approved.pk))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Refund %(reference)s approved.") % {"reference": approved.reference}
        )
    return redirect("dashboard:claim", number=claim.number)
