"""Refunds finance gives back outside Retour (the manual gateway, the default of a store without
Stripe): each part waits until finance records the bank transfer's reference, or that it failed
and why. A return's page and a claim's page show their waiting parts with the form; the list
"Refunds to record" shows every waiting part of the user's stores, the oldest first.

Recording first shows a confirmation repeating the amount, as the other money actions do; the
POST repeats that amount. `refunds.services.record_manual_refund` checks the part is still
waiting under the return's (or claim's) row lock, so a second submit records nothing and says so.
Recording needs `refunds:write`; a part of another store answers 404.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from retour.accounts.scopes import Scope
from retour.core.errors import Conflict, DomainError
from retour.core.money import quantize
from retour.dashboard.views.common import access_of, staff_page, store_ids_with
from retour.refunds.models import RefundAllocation
from retour.refunds.selectors import manual_parts_to_record
from retour.refunds.services import record_manual_refund

OUTCOMES = ("succeeded", "failed")


def waiting_parts(request: HttpRequest, **refund_filter) -> list[RefundAllocation]:
    """The parts of one return's or claim's refunds (`refund__return_request=…` or
    `refund__claim=…`) the user may record: none for a role without `refunds:write`."""
    store_ids = store_ids_with(request, Scope.REFUNDS_WRITE)
    if not store_ids:
        return []
    return list(manual_parts_to_record(store_ids).filter(**refund_filter))


def page_of(part: RefundAllocation) -> str:
    """The page of what the part's refund pays for: its return's or its claim's."""
    refund = part.refund
    if refund.claim_id is not None:
        return reverse("dashboard:claim", kwargs={"number": refund.claim.number})
    return reverse("dashboard:return", kwargs={"rma": refund.return_request.rma})


def _part(request: HttpRequest, part_id: int) -> RefundAllocation:
    """The part if the user may record it: 404 outside their stores (its existence not
    revealed), 403 when their role there lacks `refunds:write`."""
    part = (
        RefundAllocation.objects.filter(
            pk=part_id, refund__store_id__in=store_ids_with(request, Scope.RETURNS_READ)
        )
        .select_related("payment", "refund__return_request", "refund__claim")
        .first()
    )
    if part is None:
        raise Http404
    if part.refund.store_id not in store_ids_with(request, Scope.REFUNDS_WRITE):
        raise Forbidden
    return part


def _amount(part: RefundAllocation) -> str:
    return str(quantize(part.amount, part.refund.currency))


@staff_page(Scope.REFUNDS_WRITE)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    parts = list(manual_parts_to_record(store_ids_with(request, Scope.REFUNDS_WRITE)))
    return render(
        request,
        "dashboard/refunds_to_record.html",
        {"rows": [(part, page_of(part)) for part in parts]},
    )


@staff_page(Scope.REFUNDS_WRITE)
@require_GET
def confirm(request: HttpRequest, part_id: int) -> HttpResponse:
    part = _part(request, part_id)
    outcome = request.GET.get("outcome", "")
    reference = request.GET.get("reference", "").strip()
    if outcome not in OUTCOMES or not reference:
        messages.error(request, _("Give the reference of the refund (e.g. the bank transfer)."))
        return redirect(page_of(part))
    context = {
        "part": part,
        "amount": _amount(part),
        "back": page_of(part),
        "succeeded": outcome == "succeeded",
        "reference": reference,
        "reason": request.GET.get("reason", "").strip(),
    }
    return render(request, "dashboard/refund_record_confirm.html", context)


@staff_page(Scope.REFUNDS_WRITE)
@require_POST
def record(request: HttpRequest, part_id: int) -> HttpResponse:
    part = _part(request, part_id)
    succeeded = request.POST.get("outcome") == "succeeded"
    try:
        if request.POST.get("amount") != _amount(part):
            raise Conflict(_("The amounts changed since you confirmed them: check them again."))
        refund = record_manual_refund(
            allocation=part,
            reference=request.POST.get("reference", ""),
            actor=access_of(request).actor,
            succeeded=succeeded,
            reason=request.POST.get("reason", ""),
        )
    except Conflict as error:
        messages.warning(request, _("Nothing was recorded: %(why)s") % {"why": error.message})
    except DomainError as error:
        messages.error(request, error.message)
    else:
        done = (
            _("Refund %(reference)s: %(amount)s %(currency)s recorded as refunded.")
            if succeeded
            else _("Refund %(reference)s: %(amount)s %(currency)s recorded as failed.")
        )
        messages.success(
            request,
            done
            % {"reference": refund.reference, "amount": _amount(part), "currency": refund.currency},
        )
    return redirect(page_of(part))
