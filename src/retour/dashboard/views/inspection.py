"""Inspection and disposition at the bench, after the parcel is received.

The "to inspect" list (with a scan field: an RMA, packing slip or tracking number opens the
return) and a page per return: each received unit is graded on the store's scale, its category's
checklist ticked, photos and notes added and its refund set (full, partial with the deduction
the grade allows and the reason told to the shopper, refused with the reason); then what becomes
of it (restock, graded SKU, refurbish, donate, recycle, destroy where the law allows) is carried
out, restocks included. Owners may correct the counts of a received parcel, with the reason.

Plain forms (POST, then redirect), usable without script, from a keyboard, a scanner or a
tablet. Every rule is in `warehouse.services` and `warehouse.selectors`; staff see only the
returns of stores where their role may receive (other stores: 404).
"""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.files.storage import storages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from retour.accounts.scopes import Scope
from retour.core.errors import DomainError, InvalidRequest, PermissionDenied
from retour.dashboard.views.common import access_of, staff_page, store_ids_with, stored_file
from retour.warehouse import selectors, services
from retour.warehouse.choices import Disposition, Outcome

RECEIVE = Scope.RETURNS_RECEIVE


def _store_ids(request: HttpRequest) -> list[int]:
    return store_ids_with(request, RECEIVE)


@staff_page(RECEIVE)
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    store_ids = _store_ids(request)
    code = request.GET.get("code", "").strip()[: selectors.MAX_SCAN_LENGTH]
    error = ""
    if code:
        found = selectors.return_for_scan(store_ids=store_ids, code=code)
        if found is not None:
            return redirect("dashboard:inspection-sheet", return_id=found.pk)
        error = _("No return matches %(code)s.") % {"code": code}
    context = {
        "code": code,
        "error": error,
        "to_inspect": selectors.returns_to_inspect(store_ids),
        "to_dispose": selectors.returns_to_dispose(store_ids),
    }
    return render(request, "dashboard/inspection_list.html", context, status=404 if error else 200)


def _sheet(request: HttpRequest, return_id: int, *, failed: str = "", error: str = "", status=200):
    sheet = selectors.inspection_sheet(
        store_ids=_store_ids(request), return_id=return_id, language=get_language() or "en"
    )
    if sheet is None:
        raise Http404
    correctors = store_ids_with(request, Scope.RECEIPTS_CORRECT)
    context = {
        "sheet": sheet,
        "outcomes": Outcome.choices,
        "dispositions": Disposition.choices,
        "can_correct": sheet.return_request.store_id in correctors,
        "failed": failed,
        "error": error,
        "posted": request.POST if failed else {},
        "posted_checklist": request.POST.getlist("checklist") if failed else [],
    }
    return render(request, "dashboard/inspection.html", context, status=status)


@staff_page(RECEIVE)
@require_GET
def sheet(request: HttpRequest, return_id: int) -> HttpResponse:
    return _sheet(request, return_id)


def _back(return_id: int) -> HttpResponse:
    return redirect(reverse("dashboard:inspection-sheet", args=[return_id]))


def _amount(text: str) -> Decimal | None:
    """An amount typed in either notation (12.50 or 12,50); blank: none."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise InvalidRequest(_("“%(text)s” is not an amount.") % {"text": text})
    return amount


@staff_page(RECEIVE)
@require_POST
def inspect(request: HttpRequest, return_id: int, line_id: int, unit_index: int) -> HttpResponse:
    line = selectors.line_of(store_ids=_store_ids(request), return_id=return_id, line_id=line_id)
    if line is None:
        raise Http404
    post = request.POST
    checked = set(post.getlist("checklist"))
    try:
        unit = services.inspect_unit(
            return_line=line,
            unit_index=unit_index,
            grade=post.get("grade", ""),
            checklist={code: code in checked for code in post.getlist("checklist_items")},
            notes=post.get("notes", "").strip(),
            uploads=request.FILES.getlist("photos"),
            outcome=post.get("outcome", ""),
            deduction=_amount(post.get("deduction", "")),
            reason=post.get("reason", ""),
            actor=access_of(request).actor,
        )
    except DomainError as error:
        key = f"unit-{line_id}-{unit_index}"
        return _sheet(request, return_id, failed=key, error=error.message, status=error.http_status)
    messages.success(
        request,
        _("Unit %(unit)d inspected: grade %(grade)s, %(outcome)s.")
        % {"unit": unit.unit_index, "grade": unit.grade, "outcome": unit.get_outcome_display()},
    )
    return _back(return_id)


@staff_page(RECEIVE)
@require_POST
def dispose(request: HttpRequest, return_id: int, line_id: int, unit_index: int) -> HttpResponse:
    key = f"dispose-{line_id}-{unit_index}"
    unit = selectors.unit_of(
        store_ids=_store_ids(request), return_id=return_id, line_id=line_id, unit_index=unit_index
    )
    if unit is None:
        raise Http404
    post = request.POST
    try:
        unit = services.apply_disposition(
            unit=unit,
            disposition=post.get("disposition", ""),
            override_reason=post.get("override_reason", ""),
            derogations=post.getlist("derogations"),
            note=post.get("note", "").strip(),
            actor=access_of(request).actor,
        )
    except DomainError as error:
        return _sheet(request, return_id, failed=key, error=error.message, status=error.http_status)
    done = _("Unit %(unit)d: %(disposition)s.") % {
        "unit": unit.unit_index,
        "disposition": unit.get_disposition_display(),
    }
    if unit.restocked_variant is not None:
        done += " " + _("Restocked as %(sku)s.") % {"sku": unit.restocked_variant.sku}
    messages.success(request, done)
    return _back(return_id)


def _counts(request: HttpRequest) -> dict[int, int]:
    """The corrected counts the form sends: `count-<line id>` → units."""
    counts = {}
    for name, value in request.POST.items():
        if name.startswith("count-"):
            try:
                counts[int(name.removeprefix("count-"))] = int(value)
            except ValueError:
                raise InvalidRequest(_("Type each count as a whole number.")) from None
    return counts


@staff_page(RECEIVE)
@require_POST
def correct(request: HttpRequest, return_id: int) -> HttpResponse:
    """Owners only (`receipts:correct`): the operator who counted does not correct the count."""
    receipt = selectors.receipt_of(store_ids=_store_ids(request), return_id=return_id)
    if receipt is None:
        raise Http404
    try:
        if receipt.return_request.store_id not in store_ids_with(request, Scope.RECEIPTS_CORRECT):
            raise PermissionDenied(_("Only the store's owner may correct the counts."))
        services.correct_receipt(
            receipt=receipt,
            quantities=_counts(request),
            reason=request.POST.get("reason", ""),
            actor=access_of(request).actor,
        )
    except DomainError as error:
        return _sheet(
            request, return_id, failed="correct", error=error.message, status=error.http_status
        )
    messages.success(request, _("The counts are corrected."))
    return _back(return_id)


@staff_page(Scope.RETURNS_READ)
@require_GET
def shopper_photo(request: HttpRequest, line_id: int, photo_id: int) -> HttpResponse:
    photo = selectors.shopper_photo(
        store_ids=store_ids_with(request, Scope.RETURNS_READ), line_id=line_id, photo_id=photo_id
    )
    if photo is None:
        raise Http404
    return stored_file(photo.file.open("rb"), photo.file.name)


@staff_page(RECEIVE)
@require_GET
def unit_photo(request: HttpRequest, unit_id: int, position: int) -> HttpResponse:
    name = selectors.inspection_photo(
        store_ids=_store_ids(request), unit_id=unit_id, position=position
    )
    if name is None:
        raise Http404
    return stored_file(storages["default"].open(name, "rb"), name)
