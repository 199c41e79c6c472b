"""The shopper's return, one step per page (POST → redirect → GET), working without JavaScript.

look-up → items → reasons (+ photos) → resolution → method → review → confirmation → tracking.

Every step reads the order again and asks the policy engine (`returns.eligibility`) what it
allows; what the session holds is only the shopper's answers, re-validated at each step, and
`returns.services.create_return` decides everything once more on submission.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from retour.commerce.models import Order, OrderLine, Variant
from retour.commerce.selectors import find_order_for_shopper
from retour.core.errors import DomainError
from retour.logistics import services as logistics
from retour.logistics.choices import PickupWindow
from retour.policy.messages import CONDITION_TEXTS, render
from retour.policy.rules import METHOD_LABELS, RESOLUTION_LABELS
from retour.portal import selectors, services, state, throttle
from retour.portal.pages import Page, portal_view, show
from retour.portal.photos import MAX_PER_LINE, PhotoError, StoredPhoto, check_and_store
from retour.refunds.calculation import Breakdown
from retour.refunds.estimates import EstimatedLine, estimate_refund
from retour.refunds.models import RefundSettings
from retour.returns import eligibility
from retour.returns.choices import Resolution, ReturnMethod
from retour.returns.models import ReturnReason
from retour.returns.services import NotEligible

STEP_ORDER = ["items", "reasons", "resolution", "method", "review"]


def _url(page: Page, name: str, **kwargs: Any) -> str:
    return reverse(f"portal:{name}", kwargs={"slug": page.store.slug, **kwargs})


def _redirect(page: Page, name: str, **kwargs: Any) -> HttpResponseRedirect:
    return HttpResponseRedirect(_url(page, name, **kwargs))


# --- Loading an order with its decision -------------------------------------------------------


@dataclass
class Loaded:
    order: Order
    lines: list[OrderLine]
    evaluation: eligibility.Evaluation

    def decision(self, line_id: int):
        return self.evaluation.decision.line(line_id)


def _load(order_id: int, choice=None) -> Loaded:
    """The order (flagged when it has returns) and its lines with what the pages show of them,
    then the engine's decision: two queries whatever the size (three when a rule of the policy
    reads the shopper's history)."""
    order = eligibility.order_with_facts(order_id, flag_returns=True)
    lines = eligibility.lines_with_facts(order_id, display=True)
    evaluation = eligibility.evaluate_loaded(order, lines, choice=choice)
    return Loaded(order, lines, evaluation)


def _choice(draft: dict[str, Any], reasons: dict[str, ReturnReason], *, upto: str):
    """The shopper's answers so far, in the engine's terms."""
    resolution = draft.get("resolution", "") if upto in ("method", "review") else ""
    method = draft.get("method", "") if upto == "review" else ""
    lines = [
        eligibility.RequestedLine(
            order_line_id=int(line_id),
            quantity=answer["qty"],
            reason=reasons.get(answer.get("reason", "")) if upto != "reasons" else None,
        )
        for line_id, answer in draft.get("lines", {}).items()
    ]
    return eligibility.make_choice(method=method, resolution=resolution, lines=lines)


def _needs(draft: dict[str, Any], step: str) -> str | None:
    """The first earlier step the shopper has not completed, if any."""
    lines = draft.get("lines", {})
    missing = []
    if not lines:
        missing.append("items")
    if any(not answer.get("reason") for answer in lines.values()):
        missing.append("reasons")
    if not draft.get("resolution"):
        missing.append("resolution")
    if not draft.get("method"):
        missing.append("method")
    for earlier in STEP_ORDER[: STEP_ORDER.index(step)]:
        if earlier in missing:
            return earlier
    return None


def _session(request: HttpRequest, page: Page) -> dict[str, Any] | None:
    draft = state.current(request, page.store)
    return draft if draft.get("order") else None


@dataclass
class Step:
    """A step's draft with the store's reasons its answers name."""

    draft: dict[str, Any]
    reasons: dict[str, ReturnReason]
    upto: str

    def load(self) -> Loaded:
        """The order and the engine's decision on the answers as they are now."""
        return _load(self.draft["order"], _choice(self.draft, self.reasons, upto=self.upto))


def _wizard_step(
    name: str,
    *,
    upto: str | None = None,
    reasons: Callable[[int], dict[str, ReturnReason]] | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Declare the view `view(request, page, step)` of the step `name` (GET and POST): it gets
    the shopper's draft, or they are sent elsewhere: to the look-up without a looked-up order,
    to the first earlier step they have not completed."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @require_http_methods(["GET", "POST"])
        @portal_view
        @wraps(view)
        def wrapper(request: HttpRequest, page: Page) -> HttpResponse:
            draft = _session(request, page)
            if draft is None:
                return _redirect(page, "lookup")
            if (missing := _needs(draft, name)) is not None:
                return _redirect(page, missing)
            by_code = (reasons or selectors.reasons_by_code)(page.store.pk)
            return view(request, page, Step(draft, by_code, upto or name))

        return wrapper

    return decorate


def _chosen(loaded: Loaded, draft: dict[str, Any]) -> Iterator[tuple[OrderLine, dict[str, Any]]]:
    """The lines the shopper chose, in the order's order, with their answers."""
    for line in loaded.lines:
        answer = draft["lines"].get(str(line.pk))
        if answer is not None:
            yield line, answer


def _line_view(page: Page, loaded: Loaded, line: OrderLine) -> dict[str, Any]:
    variant = line.variant if line.variant_id else None
    options = line.options or (variant.options if variant else None) or {}
    decision = loaded.decision(line.pk)
    return {
        "id": line.pk,
        "title": line.title,
        "options": ", ".join(f"{key}: {value}" for key, value in options.items()),
        "image_url": (variant.product.image_url if variant else "") or "",
        "quantity": line.quantity,
        "returnable": decision.returnable_qty if decision.eligible else 0,
        "eligible": decision.eligible,
        "messages": [render(message, page.language) for message in decision.messages],
        "problems": [render(message, page.language) for message in decision.problems],
        "requires_photos": decision.requires_photos,
        "requires_comment": decision.requires_comment,
    }


def _bought(page: Page, order: Order, line: OrderLine) -> str:
    """What the shopper bought of a line and what is already back, in one sentence."""
    price = page.money(line.unit_price, order.currency)
    text = ngettext(
        "%(count)s item at %(price)s", "%(count)s items at %(price)s each", line.quantity
    ) % {"count": line.quantity, "price": price}
    if already := line.returned_qty + line.claimed_qty:
        text += " · " + ngettext(
            "%(count)s already returned or claimed",
            "%(count)s already returned or claimed",
            already,
        ) % {"count": already}
    return text


# --- Look-up ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@portal_view
def lookup(request: HttpRequest, page: Page) -> HttpResponse:
    """Order number + e-mail or postcode. Same answer for a wrong number and a wrong contact;
    attempts limited per IP and per order number."""
    context: dict[str, Any] = {"number": "", "contact": ""}
    if request.method == "GET":
        return show(request, page, "portal/journey/lookup.html", context)
    number = request.POST.get("number", "").strip()[:64]
    contact = request.POST.get("contact", "").strip()[:254]
    context.update(number=number, contact=contact)
    errors = {}
    if not number:
        errors["number"] = _("Enter your order number.")
    if not contact:
        errors["contact"] = _("Enter the e-mail address or the postcode of the order.")
    if errors:
        return show(
            request, page, "portal/journey/lookup.html", {**context, "errors": errors}, status=422
        )
    per_ip, per_order = throttle.lookup_limits()
    ip = request.META.get("REMOTE_ADDR", "")
    order_key = f"{page.store.pk}:{number.lstrip('#').upper()}"
    wait = throttle.blocked([(per_ip, ip), (per_order, order_key)])
    if wait is not None:
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        message = _("Too many attempts. For your security, try again in %(minutes)d minutes.") % {
            "minutes": minutes
        }
        response = show(
            request,
            page,
            "portal/journey/lookup.html",
            {**context, "errors": {"__all__": message}},
            status=429,
        )
        response["Retry-After"] = str(int(wait.total_seconds()) + 1)
        return response
    by_email = "@" in contact
    order = find_order_for_shopper(
        store_id=page.store.pk,
        number=number,
        email=contact if by_email else "",
        postcode="" if by_email else contact,
    )
    throttle.record(per_ip, ip)
    if order is None:
        throttle.record(per_order, order_key)
        message = _(
            "We could not find an order with these details. Check the order number and the "
            "e-mail address or postcode you used when ordering."
        )
        return show(
            request,
            page,
            "portal/journey/lookup.html",
            {**context, "errors": {"__all__": message}},
            status=422,
        )
    state.begin(request, page.store, order, order.email)
    return _redirect(page, "items")


# --- Items ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@portal_view
def items(request: HttpRequest, page: Page) -> HttpResponse:
    draft = _session(request, page)
    if draft is None:
        return _redirect(page, "lookup")
    loaded = _load(draft["order"])
    lines = [_line_view(page, loaded, line) for line in loaded.lines]
    chosen = {int(k): v["qty"] for k, v in draft.get("lines", {}).items()}
    errors: dict[str, str] = {}
    if request.method == "POST":
        picked: dict[int, int] = {}
        for line in lines:
            raw = request.POST.get(f"qty-{line['id']}", "0")
            try:
                quantity = int(raw)
            except ValueError:
                quantity = -1
            if quantity == 0:
                continue
            if not line["eligible"] or not 0 < quantity <= line["returnable"]:
                errors[f"qty-{line['id']}"] = _("Choose between 0 and %(count)d.") % {
                    "count": line["returnable"]
                }
            else:
                picked[line["id"]] = quantity
        if not picked and not errors:
            errors["__all__"] = _("Choose at least one item to return.")
        if not errors:
            old = draft.get("lines", {})
            draft["lines"] = {
                str(line_id): {**old.get(str(line_id), {}), "qty": quantity}
                for line_id, quantity in picked.items()
            }
            state.save(request, page.store, draft)
            return _redirect(page, "reasons")
        chosen = picked
    for line, source in zip(lines, loaded.lines, strict=True):
        # Strings, so that the template does not format each number for the locale.
        line["key"] = str(line["id"])
        line["chosen"] = str(chosen.get(line["id"], 0))
        line["choices"] = [str(n) for n in range(line["returnable"] + 1)]
        line["error"] = errors.get(f"qty-{line['id']}", "")
        line["bought"] = _bought(page, loaded.order, source)
        line["label"] = _("Quantity to return of “%(title)s”") % {"title": line["title"]}
    context = {
        "order": loaded.order,
        "lines": lines,
        "errors": errors,
        "returns": [
            {"rma": r.rma, "status": r.get_status_display(), "url": _url(page, "track", rma=r.rma)}
            for r in selectors.returns_of_order(loaded.order.pk)
        ]
        if loaded.order.has_returns
        else [],
    }
    return show(
        request,
        page,
        "portal/journey/items.html",
        context,
        step="items",
        status=422 if errors else 200,
    )


# --- Reasons and photos -----------------------------------------------------------------------


def _catalogue_by_code(store_id: int) -> dict[str, ReturnReason]:
    """The store's reason catalogue by code, each parent followed by its children (one query)."""
    catalogue = selectors.reason_catalogue(store_id)
    by_code = {r.code: r for parent in catalogue for r in [parent, *parent.listed_children]}
    for reason in by_code.values():
        if reason.parent_id:
            reason.parent = next(p for p in catalogue if p.pk == reason.parent_id)
    return by_code


# The reasons being chosen count: the engine says what they require (comment, photos).
@_wizard_step("reasons", upto="resolution", reasons=_catalogue_by_code)
def reasons(request: HttpRequest, page: Page, step: Step) -> HttpResponse:
    draft, by_code = step.draft, step.reasons
    catalogue = [reason for reason in by_code.values() if not reason.parent_id]
    errors: dict[str, str] = {}
    if request.method == "POST":
        answers = draft["lines"]
        for line_id, answer in answers.items():
            code = request.POST.get(f"reason-{line_id}", "")
            reason = by_code.get(code)
            selectable = reason is not None and not getattr(reason, "listed_children", [])
            answer["reason"] = code if selectable else ""
            answer["comment"] = request.POST.get(f"comment-{line_id}", "").strip()[:2000]
            if not selectable:
                errors[f"reason-{line_id}"] = _("Choose a reason.")
            uploads = request.FILES.getlist(f"photos-{line_id}")
            kept = answer.get("photos", [])
            if uploads and len(kept) + len(uploads) > MAX_PER_LINE:
                errors[f"photos-{line_id}"] = _("At most %(count)d photos per item.") % {
                    "count": MAX_PER_LINE
                }
            elif uploads:
                try:
                    stored = check_and_store(uploads, store_slug=page.store.slug)
                except PhotoError as error:
                    errors[f"photos-{line_id}"] = str(error)
                else:
                    answer["photos"] = kept + [[p.name, p.width, p.height] for p in stored]
        # What the chosen reasons require (the catalogue and the store's rules).
        loaded = step.load()
        for line_id, answer in answers.items():
            if not answer.get("reason"):
                continue
            decision = loaded.decision(int(line_id))
            if decision.requires_comment and not answer["comment"]:
                errors[f"comment-{line_id}"] = _("Tell us more about this reason.")
            if decision.requires_photos and not answer.get("photos"):
                errors.setdefault(f"photos-{line_id}", _("Add at least one photo of the item."))
        state.save(request, page.store, draft)
        if not errors:
            return _redirect(page, "resolution")
    else:
        loaded = step.load()
    lines = []
    for line, answer in _chosen(loaded, draft):
        view = _line_view(page, loaded, line)
        view.update(
            qty=answer["qty"],
            reason=answer.get("reason", ""),
            comment=answer.get("comment", ""),
            photo_count=len(answer.get("photos", [])),
            reason_error=errors.get(f"reason-{line.pk}", ""),
            comment_error=errors.get(f"comment-{line.pk}", ""),
            photos_error=errors.get(f"photos-{line.pk}", ""),
        )
        lines.append(view)
    context = {
        "lines": lines,
        "catalogue": catalogue,
        "errors": errors,
        "max_photos": MAX_PER_LINE,
    }
    return show(
        request,
        page,
        "portal/journey/reasons.html",
        context,
        step="reasons",
        status=422 if errors else 200,
    )


# --- Resolution -------------------------------------------------------------------------------


def _estimate(loaded: Loaded, draft: dict[str, Any], reasons, resolution: str, settings_):
    lines = []
    for line_id, answer in draft["lines"].items():
        reason = reasons.get(answer.get("reason", ""))
        lines.append(
            EstimatedLine(
                order_line_id=int(line_id),
                quantity=answer["qty"],
                merchant_fault=bool(reason and reason.merchant_fault),
            )
        )
    return estimate_refund(
        order=loaded.order,
        order_lines=loaded.lines,
        lines=lines,
        resolution=resolution,
        decision=loaded.evaluation.decision.as_json(),
        settings=settings_,
    )


def _allowed(loaded: Loaded, draft: dict[str, Any], attribute: str) -> list[str]:
    """What every chosen line allows (resolutions or methods), in the policy's order."""
    allowed: list[str] | None = None
    for line_id in draft["lines"]:
        values = list(getattr(loaded.decision(int(line_id)), attribute))
        allowed = values if allowed is None else [v for v in allowed if v in values]
    return allowed or []


@_wizard_step("resolution")
def resolution(request: HttpRequest, page: Page, step: Step) -> HttpResponse:
    draft, reasons = step.draft, step.reasons
    loaded = step.load()
    allowed = _allowed(loaded, draft, "resolutions")
    bonus = min((loaded.decision(int(i)).bonus_percent for i in draft["lines"]), default=Decimal(0))
    refund_settings = RefundSettings.for_store(page.store.pk)
    paid = _estimate(loaded, draft, reasons, Resolution.REFUND, refund_settings)
    paid_by_line = {line.line_id: line.paid for line in paid.lines}
    product_of = {
        line.pk: line.variant.product_id if line.variant_id else None for line in loaded.lines
    }
    stock = (
        selectors.in_stock_variants(page.store.pk, product_of.values())
        if Resolution.EXCHANGE in allowed
        else {}
    )
    own_variant = {line.pk: line.variant_id for line in loaded.lines}
    exchange_lines = []
    for line, answer in _chosen(loaded, draft):
        options = [
            {
                "id": variant.pk,
                "title": variant.title or variant.sku,
                "difference": variant.price * answer["qty"] - paid_by_line[line.pk],
            }
            for variant in stock.get(product_of[line.pk], [])
            if variant.pk != own_variant[line.pk]
        ]
        for option in options:
            difference = option["difference"]
            option["difference_text"] = (
                _("you pay %(amount)s more") % {"amount": page.money(difference)}
                if difference > 0
                else _("%(amount)s refunded") % {"amount": page.money(-difference)}
                if difference < 0
                else _("same price")
            )
        exchange_lines.append(
            {
                "id": line.pk,
                "title": line.title,
                "options": options,
                "chosen": answer.get("variant"),
            }
        )
    if Resolution.EXCHANGE in allowed and any(not line["options"] for line in exchange_lines):
        allowed = [r for r in allowed if r != Resolution.EXCHANGE]
    errors: dict[str, str] = {}
    chosen = draft.get("resolution", "")
    if request.method == "POST":
        chosen = request.POST.get("resolution", "")
        if chosen not in allowed:
            errors["resolution"] = _("Choose what you would like.")
        variants: dict[str, int] = {}
        if chosen == Resolution.EXCHANGE:
            for line in exchange_lines:
                raw = request.POST.get(f"variant-{line['id']}", "")
                valid = {str(option["id"]) for option in line["options"]}
                if raw not in valid:
                    errors[f"variant-{line['id']}"] = _("Choose the size or colour you want.")
                else:
                    variants[str(line["id"])] = int(raw)
                    line["chosen"] = int(raw)
        for line in exchange_lines:
            line["error"] = errors.get(f"variant-{line['id']}", "")
        if not errors:
            draft["resolution"] = chosen
            for line_id, answer in draft["lines"].items():
                answer.pop("variant", None)
                if line_id in variants:
                    answer["variant"] = variants[line_id]
            state.save(request, page.store, draft)
            return _redirect(page, "method")
    context = {
        "options": [
            {"code": code, "label": _(RESOLUTION_LABELS[code]), "checked": code == chosen}
            for code in allowed
        ],
        "bonus": f"{bonus.normalize():f}" if bonus else "",
        "exchange_lines": exchange_lines,
        "errors": errors,
    }
    return show(
        request,
        page,
        "portal/journey/resolution.html",
        context,
        step="resolution",
        status=422 if errors else 200,
    )


# --- Method -----------------------------------------------------------------------------------


def _shops(page: Page) -> list[dict[str, str]]:
    shops = (page.store.branding or {}).get("shops") or []
    return [
        {
            "id": str(shop.get("id") or index),
            "name": str(shop.get("name", "")),
            "address": str(shop.get("address", "")),
        }
        for index, shop in enumerate(shops)
        if isinstance(shop, dict) and shop.get("name")
    ]


PICKUP_FIELDS = ("name", "line1", "line2", "postcode", "city", "phone")


def _pickup_defaults(order: Order) -> dict[str, str]:
    """The pickup form prefilled from the order's shipping address."""
    address = order.shipping_address or {}
    return {
        "pickup_name": str(address.get("name", "")),
        "pickup_line1": str(address.get("line1", "")),
        "pickup_line2": str(address.get("line2", "")),
        "pickup_postcode": str(address.get("postcode", "") or order.shipping_postcode),
        "pickup_city": str(address.get("city", "")),
        "pickup_phone": "",
        "pickup_window": PickupWindow.DAY,
    }


def _pickup_answer(data) -> tuple[dict[str, str], dict[str, str]]:
    """The shopper's pickup (date, time window, address) and what is wrong with it."""
    details = {
        f"pickup_{key}": data.get(f"pickup_{key}", "").strip()[:200] for key in PICKUP_FIELDS
    }
    details["pickup_date"] = data.get("pickup_date", "").strip()[:10]
    details["pickup_window"] = data.get("pickup_window", "")
    errors = {}
    for key, message in (
        ("pickup_line1", _("Enter the street and number.")),
        ("pickup_postcode", _("Enter the postcode.")),
        ("pickup_city", _("Enter the city.")),
    ):
        if not details[key]:
            errors[key] = message
    first, last = logistics.pickup_dates()
    try:
        day = date.fromisoformat(details["pickup_date"])
    except ValueError:
        day = None
    if day is None or not first <= day <= last:
        errors["pickup_date"] = _("Choose a date between %(first)s and %(last)s.") % {
            "first": first.isoformat(),
            "last": last.isoformat(),
        }
    if details["pickup_window"] not in PickupWindow.values:
        errors["pickup_window"] = _("Choose when the driver may come.")
    return details, errors


@_wizard_step("method")
def method(request: HttpRequest, page: Page, step: Step) -> HttpResponse:
    draft = step.draft
    loaded = step.load()
    allowed = _allowed(loaded, draft, "methods")
    shops = _shops(page)
    if not shops:
        allowed = [m for m in allowed if m != ReturnMethod.IN_STORE]
    details = draft.get("details", {})
    errors: dict[str, str] = {}
    chosen = draft.get("method", "")
    if request.method == "POST":
        chosen = request.POST.get("method", "")
        details = {}
        if chosen not in allowed:
            errors["method"] = _("Choose how to send the items back.")
        if chosen == ReturnMethod.PICKUP:
            details, pickup_errors = _pickup_answer(request.POST)
            errors.update(pickup_errors)
        if chosen == ReturnMethod.IN_STORE:
            shop = request.POST.get("shop", "")
            details["shop"] = shop
            if shop not in {s["id"] for s in shops}:
                errors["shop"] = _("Choose a shop.")
        if not errors:
            draft["method"] = chosen
            draft["details"] = details
            state.save(request, page.store, draft)
            return _redirect(page, "review")
    first, last = logistics.pickup_dates()
    context = {
        "options": [
            {"code": code, "label": _(METHOD_LABELS[code]), "checked": code == chosen}
            for code in allowed
        ],
        "pickup": {**_pickup_defaults(loaded.order), **details},
        "windows": PickupWindow.choices,
        "min_date": first.isoformat(),
        "max_date": last.isoformat(),
        "shops": shops,
        "shop": details.get("shop", ""),
        "errors": errors,
    }
    return show(
        request,
        page,
        "portal/journey/method.html",
        context,
        step="method",
        status=422 if errors else 200,
    )


def pickup_view(page: Page, details: dict[str, Any]) -> dict[str, str]:
    """What the review shows of the shopper's pickup."""
    lines = [details.get(f"pickup_{key}", "") for key in ("line1", "line2")]
    place = " ".join(filter(None, (details.get("pickup_postcode"), details.get("pickup_city"))))
    return {
        "date": page.date(date.fromisoformat(details["pickup_date"])),
        "window": PickupWindow(details["pickup_window"]).label,
        "address": ", ".join(filter(None, [details.get("pickup_name", ""), *lines, place])),
    }


# --- Review and submission --------------------------------------------------------------------

FEE_LABELS = {
    "restocking": _("Restocking fee"),
    "return_shipping": _("Return shipping"),
}


def breakdown_view(page: Page, breakdown: Breakdown, titles: dict[int, str]) -> dict[str, Any]:
    currency = breakdown.currency
    return {
        "lines": [
            {
                "title": titles.get(line.line_id, ""),
                "quantity": line.quantity,
                "amount": page.money(line.amount, currency),
            }
            for line in breakdown.lines
        ],
        "shipping": page.money(breakdown.shipping, currency) if breakdown.shipping else "",
        "fees": [
            {
                "label": FEE_LABELS.get(fee.code, fee.code),
                "amount": page.money(fee.amount, currency),
            }
            for fee in breakdown.fees
        ],
        "bonus": page.money(breakdown.bonus, currency) if breakdown.bonus else "",
        "total": page.money(breakdown.total + breakdown.bonus, currency),
    }


def _destination(resolution_code: str) -> str:
    return {
        Resolution.REFUND: _("To your original payment method."),
        Resolution.STORE_CREDIT: _("As store credit, available instantly once approved."),
        Resolution.EXCHANGE: _("As the item you chose in exchange; any difference is settled."),
    }.get(resolution_code, "")


@_wizard_step("review")
def review(request: HttpRequest, page: Page, step: Step) -> HttpResponse:
    draft, reasons = step.draft, step.reasons
    errors: dict[str, str] = {}
    refused: dict[int, list[str]] = {}
    if request.method == "POST":
        submission = services.Submission(
            lines=[
                services.ShopperLine(
                    order_line_id=int(line_id),
                    quantity=answer["qty"],
                    reason_code=answer["reason"],
                    comment=answer.get("comment", ""),
                    photos=[StoredPhoto(*photo) for photo in answer.get("photos", [])],
                    exchange_variant_id=answer.get("variant"),
                )
                for line_id, answer in draft["lines"].items()
            ],
            resolution=draft["resolution"],
            method=draft["method"],
            details=draft.get("details", {}),
        )
        try:
            created = services.submit_return(
                order=Order(pk=draft["order"], store_id=page.store.pk),
                submission=submission,
                email=draft["email"],
                locale=page.language,
            )
        except NotEligible as error:
            errors["__all__"] = _(
                "Something changed since you started: the shop's policy no longer allows this "
                "return as chosen. Here is why:"
            )
            for line in error.details.get("lines", []):
                refused[line["line"]] = [m["text"] for m in line["messages"]]
        except DomainError as error:
            errors["__all__"] = error.message
        else:
            draft = state.clear_draft(draft)
            state.save(request, page.store, draft)
            state.grant(request, page.store, created.rma)
            return _redirect(page, "confirmation", rma=created.rma)
    loaded = step.load()
    refund_settings = RefundSettings.for_store(page.store.pk)
    estimate = _estimate(loaded, draft, reasons, draft["resolution"], refund_settings)
    titles = {line.pk: line.title for line in loaded.lines}
    variants = Variant.objects.in_bulk(
        [a["variant"] for a in draft["lines"].values() if a.get("variant")]
    )
    lines = []
    for line, answer in _chosen(loaded, draft):
        view = _line_view(page, loaded, line)
        reason = reasons.get(answer["reason"])
        exchange = variants.get(answer.get("variant") or 0)
        view.update(
            qty=answer["qty"],
            reason=reason.label(page.language) if reason else "",
            comment=answer.get("comment", ""),
            photo_count=len(answer.get("photos", [])),
            exchange=(exchange.title or exchange.sku) if exchange else "",
            refused=refused.get(line.pk, []),
        )
        lines.append(view)
    details = draft.get("details", {})
    shop = next((s for s in _shops(page) if s["id"] == details.get("shop")), None)
    context = {
        "lines": lines,
        "estimate": breakdown_view(page, estimate, titles),
        "destination": _destination(draft["resolution"]),
        "resolution_label": _(RESOLUTION_LABELS[draft["resolution"]]),
        "method_label": _(METHOD_LABELS[draft["method"]]),
        "pickup": pickup_view(page, details) if draft["method"] == ReturnMethod.PICKUP else None,
        "shop": shop,
        "outcome": loaded.evaluation.decision.outcome,
        "errors": errors,
    }
    return show(
        request,
        page,
        "portal/journey/review.html",
        context,
        step="review",
        status=422 if errors else 200,
    )


def packing_instructions(decision: dict[str, Any], language: str) -> list[str]:
    """The conditions the policy set on the returned lines, in the shopper's words."""
    from django.utils import translation

    codes: list[str] = []
    for line in decision.get("lines", []):
        for code in line.get("conditions", []):
            if code not in codes and code in CONDITION_TEXTS:
                codes.append(code)
    with translation.override(language):
        return [translation.gettext(CONDITION_TEXTS[code]) for code in codes]
