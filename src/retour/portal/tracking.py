"""After submission: the confirmation, the tracking page (signed link or look-up), feedback, and
claims (a problem reported instead of a return)."""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from retour.core.errors import DomainError
from retour.logistics.choices import PickupWindow
from retour.logistics.selectors import return_label, return_pickup
from retour.portal import selectors, services, state
from retour.portal.journey import (
    _line_view,
    _load,
    _redirect,
    _session,
    _url,
    breakdown_view,
    packing_instructions,
)
from retour.portal.models import Feedback
from retour.portal.pages import Page, portal_view, show
from retour.portal.photos import PhotoError, check_and_store
from retour.refunds.selectors import payments_due, refunds_for_shopper
from retour.refunds.services import compute_refund
from retour.returns.choices import ClaimKind, ReturnMethod
from retour.returns.choices import ReturnStatus as S
from retour.returns.links import check_tracking_token, tracking_path
from retour.returns.models import Claim, Return

TIMELINE = [
    (S.REQUESTED, gettext_lazy("Requested")),
    (S.PENDING_REVIEW, gettext_lazy("Being reviewed by the shop")),
    (S.APPROVED, gettext_lazy("Approved")),
    (S.LABEL_ISSUED, gettext_lazy("Label created")),
    (S.IN_TRANSIT, gettext_lazy("In transit")),
    (S.DELIVERED, gettext_lazy("Delivered to the warehouse")),
    (S.RECEIVED, gettext_lazy("Received")),
    (S.INSPECTED, gettext_lazy("Inspected")),
    (S.RESOLVED, gettext_lazy("Refunded or credited")),
]
PARCEL_STEPS = {S.LABEL_ISSUED, S.IN_TRANSIT, S.DELIVERED, S.RECEIVED, S.INSPECTED}
ENDED = {
    S.REJECTED: gettext_lazy("Rejected"),
    S.CANCELLED: gettext_lazy("Cancelled"),
    S.EXPIRED: gettext_lazy("Expired"),
}
SETTLED = {S.RESOLVED, S.CLOSED}


def shopper_return(request: HttpRequest, page: Page, rma: str) -> Return | None:
    found = selectors.return_for_shopper(page.store.pk, rma)
    if found is None or not state.may_track(request, page.store, rma, found.order_id):
        return None
    return found


def _forbidden(request: HttpRequest, page: Page) -> HttpResponse:
    """A return that does not exist and one the shopper may not see look the same."""
    message = _(
        "Open the link from your confirmation e-mail, or look up your order to follow your return."
    )
    return show(
        request,
        page,
        "portal/journey/lookup.html",
        {"errors": {"__all__": message}, "number": "", "contact": ""},
        status=404,
    )


def _timeline(page: Page, return_request: Return) -> list[dict[str, Any]]:
    reached: dict[str, Any] = {S.REQUESTED: return_request.created_at}
    for event in return_request.events.all():
        if event.to_status and event.to_status != event.from_status:
            reached.setdefault(event.to_status, event.created_at)
    if S.CLOSED in reached:
        reached.setdefault(S.RESOLVED, reached[S.CLOSED])
    current = return_request.status
    steps = []
    for status, label in TIMELINE:
        if status == S.PENDING_REVIEW and status not in reached:
            continue
        if return_request.method == ReturnMethod.KEEP and status in PARCEL_STEPS:
            continue
        if current in ENDED and status not in reached:
            continue
        steps.append(
            {
                "label": label,
                "date": page.date(reached.get(status)),
                "done": status in reached,
                "current": status == current or (status == S.RESOLVED and current == S.CLOSED),
            }
        )
    if current in ENDED:
        steps.append(
            {
                "label": ENDED[current],
                "date": page.date(reached.get(current)),
                "done": True,
                "current": True,
                "reason": return_request.status_reason,
            }
        )
    return steps


PARCEL_METHODS = (ReturnMethod.DROP_OFF, ReturnMethod.PICKUP, ReturnMethod.MAIL)


def _label(page: Page, return_request: Return) -> dict[str, Any]:
    """The label's state: ready (carrier and tracking number known, with the PDF to download
    and the carrier's QR code when logistics made them) or being prepared. One query at most,
    whatever the size of the return; the label's bytes are not loaded."""
    parcel = return_request.method in PARCEL_METHODS
    needed = parcel and return_request.status not in ENDED
    shipment = return_label(return_request, with_files=False) if needed else None
    carrier = return_request.carrier or (shipment.carrier_name if shipment else "")
    number = return_request.tracking_number or (shipment.tracking_number if shipment else "")
    waiting = return_request.status in (S.REQUESTED, S.PENDING_REVIEW, S.APPROVED)
    return {
        "needed": needed,
        "ready": bool(number),
        "preparing": parcel and waiting and not number and shipment is None,
        "carrier": carrier,
        "tracking_number": number,
        "pdf_url": _url(page, "label-pdf", rma=return_request.rma)
        if shipment is not None and shipment.has_pdf
        else "",
        "qr_code_url": shipment.qr_code_url if shipment is not None else "",
    }


def _pickup(page: Page, return_request: Return) -> dict[str, str] | None:
    """The carrier pickup the shopper asked for: its state, day, window, address and the
    carrier's confirmation number for the driver. One query, for pickup returns only."""
    if return_request.method != ReturnMethod.PICKUP:
        return None
    booking = return_pickup(return_request)
    if booking is None:
        return None
    address = booking.address
    place = " ".join(filter(None, (address.get("postcode"), address.get("city"))))
    return {
        "status": booking.status,
        "date": page.date(booking.date),
        "window": PickupWindow(booking.window).label,
        "address": ", ".join(filter(None, [*address.get("lines", []), place])),
        "confirmation": booking.confirmation,
    }


def _lines(page: Page, return_request: Return) -> list[dict[str, Any]]:
    return [
        {
            "title": line.order_line.title,
            "quantity": line.quantity,
            "reason": line.reason.label(page.language) if line.reason else "",
        }
        for line in return_request.lines.all()
    ]


@require_GET
@portal_view
def confirmation(request: HttpRequest, page: Page, rma: str) -> HttpResponse:
    return_request = shopper_return(request, page, rma)
    if return_request is None:
        return _forbidden(request, page)
    estimate = compute_refund(return_request, estimate=True).breakdown
    titles = {line.order_line_id: line.order_line.title for line in return_request.lines.all()}
    context = {
        "return": return_request,
        "lines": _lines(page, return_request),
        "label": _label(page, return_request),
        "pickup": _pickup(page, return_request),
        "packing": packing_instructions(return_request.decision, page.language),
        "estimate": breakdown_view(page, estimate, titles),
        "tracking_url": request.build_absolute_uri(
            tracking_path(page.store.slug, return_request.rma)
        ),
        "track_url": _url(page, "track", rma=return_request.rma),
    }
    return show(request, page, "portal/journey/confirmation.html", context)


@require_GET
@portal_view
def signed_link(
    request: HttpRequest, page: Page, rma: str, token: str, rest: str = ""
) -> HttpResponse:
    """The e-mail's link: checks the signature, lets this session follow this return, then
    goes on to the clean address (the token stays out of the history and referrers)."""
    if not check_tracking_token(page.store.slug, rma, token):
        return _forbidden(request, page)
    state.grant(request, page.store, rma)
    target = {"feedback/": "feedback", "label/": "label"}.get(rest, "track")
    return _redirect(page, target, rma=rma)


@require_GET
@portal_view
def track(request: HttpRequest, page: Page, rma: str) -> HttpResponse:
    return_request = shopper_return(request, page, rma)
    if return_request is None:
        return _forbidden(request, page)
    refunds = [
        {
            **refund,
            "amount_text": page.money(refund["amount"], refund["currency"]),
            "bonus_text": page.money(refund["bonus"], refund["currency"])
            if refund["bonus"]
            else "",
            "expected_text": page.date(refund["expected_by"]),
        }
        for refund in refunds_for_shopper(return_request)
    ]
    settled = return_request.status in SETTLED
    feedback = Feedback.objects.filter(return_request=return_request).first() if settled else None
    context = {
        "return": return_request,
        "lines": _lines(page, return_request),
        "timeline": _timeline(page, return_request),
        "label": _label(page, return_request),
        "pickup": _pickup(page, return_request),
        "refunds": refunds,
        "payments_due": [
            {**due, "amount_text": page.money(due["amount"], due["currency"])}
            for due in payments_due(return_request)
        ],
        "recommendations": [
            {**pick, "price_text": page.money(pick["price"]) if pick["price"] else ""}
            for pick in selectors.recommendations(return_request)
        ],
        "feedback_open": settled,
        "feedback": feedback,
        "thanks": request.GET.get("thanks") == "1",
    }
    return show(request, page, "portal/journey/track.html", context)


@require_GET
@portal_view
def label(request: HttpRequest, page: Page, rma: str) -> HttpResponse:
    """The e-mail's "label" link: the tracking page's label section."""
    return HttpResponseRedirect(_url(page, "track", rma=rma) + "#label")


@require_GET
@portal_view
def label_pdf(request: HttpRequest, page: Page, rma: str) -> HttpResponse:
    """The label to print, for a session that may follow this return; any other request (no
    access, no such return, no label yet) gets the same 404."""
    return_request = shopper_return(request, page, rma)
    if return_request is None or return_request.status in ENDED:
        return _forbidden(request, page)
    shipment = return_label(return_request)
    if shipment is None or not shipment.label_pdf:
        return _forbidden(request, page)
    response = HttpResponse(bytes(shipment.label_pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="return-label-{return_request.rma}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@portal_view
def feedback(request: HttpRequest, page: Page, rma: str) -> HttpResponse:
    return_request = shopper_return(request, page, rma)
    if return_request is None:
        return _forbidden(request, page)
    if return_request.status not in SETTLED:
        return _redirect(page, "track", rma=rma)
    errors: dict[str, str] = {}
    rating, comment = "", ""
    if request.method == "POST":
        rating = request.POST.get("rating", "")
        comment = request.POST.get("comment", "").strip()
        if rating not in {"1", "2", "3", "4", "5"}:
            errors["rating"] = _("Choose a rating from 1 to 5.")
        else:
            services.leave_feedback(
                return_request=return_request,
                rating=int(rating),
                comment=comment,
                language=page.language,
            )
            return HttpResponseRedirect(_url(page, "track", rma=rma) + "?thanks=1#feedback")
    existing = Feedback.objects.filter(return_request=return_request).first()
    context = {
        "return": return_request,
        "rating": rating or (str(existing.rating) if existing else ""),
        "comment": comment or (existing.comment if existing else ""),
        "errors": errors,
        "ratings": ["1", "2", "3", "4", "5"],
    }
    return show(
        request, page, "portal/journey/feedback.html", context, status=422 if errors else 200
    )


# --- Claims -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@portal_view
def claim(request: HttpRequest, page: Page) -> HttpResponse:
    draft = _session(request, page)
    if draft is None:
        return _redirect(page, "lookup")
    loaded = _load(draft["order"])
    lines = [_line_view(page, loaded, line) for line in loaded.lines]
    for line in lines:
        source = next(x for x in loaded.lines if x.pk == line["id"])
        line["claimable"] = source.returnable_qty
        line["choices"] = range(source.returnable_qty + 1)
        line["chosen"] = 0
    errors: dict[str, str] = {}
    kind, description = "", ""
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        description = request.POST.get("description", "").strip()[:4000]
        picked = []
        for line in lines:
            try:
                quantity = int(request.POST.get(f"qty-{line['id']}", "0"))
            except ValueError:
                quantity = -1
            line["chosen"] = max(quantity, 0)
            if quantity and not 0 < quantity <= line["claimable"]:
                errors[f"qty-{line['id']}"] = _("Choose between 0 and %(count)d.") % {
                    "count": line["claimable"]
                }
            elif quantity:
                picked.append((line["id"], quantity))
        if kind not in ClaimKind.values:
            errors["kind"] = _("Choose what happened.")
        if not picked and not errors:
            errors["__all__"] = _("Choose at least one item.")
        if not description:
            errors["description"] = _("Describe the problem.")
        uploads = request.FILES.getlist("photos")
        photos = []
        if kind in (ClaimKind.DAMAGED, ClaimKind.WRONG_ITEM) and not uploads:
            errors["photos"] = _("Add at least one photo of the item.")
        elif uploads and not errors:
            try:
                photos = check_and_store(uploads, store_slug=page.store.slug)
            except PhotoError as error:
                errors["photos"] = str(error)
        if not errors:
            try:
                created = services.submit_claim(
                    order=loaded.order,
                    kind=kind,
                    lines=picked,
                    description=description,
                    photos=photos,
                    email=draft["email"],
                )
            except DomainError as error:
                errors["__all__"] = error.message
            else:
                claims = list(draft.get("claims", []))
                draft["claims"] = [*claims[-9:], created.number]
                state.save(request, page.store, draft)
                return _redirect(page, "claim-done", number=created.number)
    context = {
        "lines": lines,
        "kinds": [
            {"code": code, "label": label, "checked": code == kind}
            for code, label in ClaimKind.choices
        ],
        "description": description,
        "errors": errors,
    }
    return show(request, page, "portal/journey/claim.html", context, status=422 if errors else 200)


@require_GET
@portal_view
def claim_done(request: HttpRequest, page: Page, number: str) -> HttpResponse:
    draft = _session(request, page)
    if draft is None or number not in draft.get("claims", []):
        return _forbidden(request, page)
    found = Claim.objects.filter(store_id=page.store.pk, number=number).first()
    if found is None:
        return _forbidden(request, page)
    return show(request, page, "portal/journey/claim_done.html", {"claim": found})


def items_url(page: Page) -> str:
    return reverse("portal:items", kwargs={"slug": page.store.slug})
