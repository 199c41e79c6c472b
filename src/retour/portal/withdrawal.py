"""The "withdraw from the contract here" function (Directive 2011/83/EU art. 11a, added by
Directive (EU) 2023/2673): reachable without an account, with the order number and e-mail.

withdraw/ (find the order) → withdraw/confirm (the goods, name and e-mail, "Confirm withdrawal")
→ withdraw/done/<number> (the acknowledgement, also e-mailed). withdraw/form shows the model
withdrawal form (Annex I(B)) in the shopper's language; withdraw/form.txt downloads it.

The look-up shares the portal's throttles (one count for every form that finds an order) and
answers the same for a wrong number and a wrong address. The confirmation form carries a token
kept in the session: submitting it twice records one withdrawal (`returns.withdrawals`).
"""

import secrets
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from retour.commerce.models import Order
from retour.commerce.selectors import find_order_for_shopper
from retour.core.actors import Actor
from retour.core.errors import DomainError
from retour.portal import state, throttle
from retour.portal.pages import Page, portal_view, show
from retour.returns.models import Withdrawal
from retour.returns.withdrawals import WithdrawnLine, record_withdrawal, withdrawable_lines

SESSION_KEY = "retour.portal.withdrawal"


def _url(page: Page, name: str, **kwargs: Any) -> str:
    return reverse(f"portal:{name}", kwargs={"slug": page.store.slug, **kwargs})


def _mine(request: HttpRequest, page: Page) -> dict[str, Any]:
    return dict(request.session.get(SESSION_KEY, {}).get(str(page.store.pk)) or {})


def _keep(request: HttpRequest, page: Page, data: dict[str, Any]) -> None:
    stores = dict(request.session.get(SESSION_KEY, {}))
    stores[str(page.store.pk)] = data
    request.session[SESSION_KEY] = stores


def _throttled(request: HttpRequest, page: Page, number: str, context: dict) -> HttpResponse | None:
    per_ip, per_order = throttle.lookup_limits()
    wait = throttle.blocked(
        [(per_ip, request.META.get("REMOTE_ADDR", "")), (per_order, _order_key(page, number))]
    )
    if wait is None:
        return None
    minutes = max(1, -(-int(wait.total_seconds()) // 60))
    message = _("Too many attempts. For your security, try again in %(minutes)d minutes.") % {
        "minutes": minutes
    }
    response = show(
        request,
        page,
        "portal/withdrawal_start.html",
        {**context, "errors": {"__all__": message}},
        status=429,
    )
    response["Retry-After"] = str(int(wait.total_seconds()) + 1)
    return response


def _order_key(page: Page, number: str) -> str:
    return f"{page.store.pk}:{number.lstrip('#').upper()}"


@require_http_methods(["GET", "POST"])
@portal_view
def start(request: HttpRequest, page: Page) -> HttpResponse:
    """Step 1: the order number and the e-mail address it was placed with."""
    number = request.POST.get("number", "").strip()[:64]
    email = request.POST.get("email", "").strip()[:254]
    context: dict[str, Any] = {"number": number, "email": email}
    if request.method == "GET":
        return show(request, page, "portal/withdrawal_start.html", context)
    errors = {}
    if not number:
        errors["number"] = _("Enter your order number.")
    if "@" not in email:
        errors["email"] = _("Enter the e-mail address you ordered with.")
    if errors:
        return show(
            request, page, "portal/withdrawal_start.html", {**context, "errors": errors}, status=422
        )
    if (response := _throttled(request, page, number, context)) is not None:
        return response
    order = find_order_for_shopper(store_id=page.store.pk, number=number, email=email)
    per_ip, per_order = throttle.lookup_limits()
    throttle.record(per_ip, request.META.get("REMOTE_ADDR", ""))
    if order is None:
        throttle.record(per_order, _order_key(page, number))
        message = _(
            "We could not find an order with these details. Check the order number and the "
            "e-mail address you used when ordering."
        )
        return show(
            request,
            page,
            "portal/withdrawal_start.html",
            {**context, "errors": {"__all__": message}},
            status=422,
        )
    state.begin(request, page.store, order, order.email)
    _keep(
        request,
        page,
        {"token": secrets.token_urlsafe(24), "done": _mine(request, page).get("done", [])},
    )
    return HttpResponseRedirect(_url(page, "withdraw-confirm"))


def _chosen(request: HttpRequest, options) -> tuple[list[WithdrawnLine], dict[str, str]]:
    """The ticked lines with their quantities (all units by default). The service checks them
    against what is withdrawable; a form sent again after it was recorded lists lines that no
    longer are, and is answered by its first withdrawal."""
    units = {option.line.pk: option.units for option in options}
    lines, errors = [], {}
    for key in request.POST:
        if not (key.startswith("line-") and key[5:].isdigit()):
            continue
        line_id = int(key[5:])
        try:
            quantity = int(request.POST.get(f"qty-{line_id}", units.get(line_id, 1)))
        except ValueError:
            errors[f"qty-{line_id}"] = _("Enter a number.")
            continue
        lines.append(WithdrawnLine(order_line_id=line_id, quantity=quantity))
    return lines, errors


@require_http_methods(["GET", "POST"])
@portal_view
def confirm(request: HttpRequest, page: Page) -> HttpResponse:
    """Step 2: which goods, the shopper's name and address; the "Confirm withdrawal" button."""
    journey, mine = state.current(request, page.store), _mine(request, page)
    if not journey.get("order") or not mine.get("token"):
        return HttpResponseRedirect(_url(page, "withdraw"))
    order = Order.objects.select_related("customer").get(pk=journey["order"])
    options = withdrawable_lines(order)
    customer = order.customer
    name = " ".join(filter(None, [customer.first_name, customer.last_name])) if customer else ""
    context: dict[str, Any] = {
        "order": order,
        "options": [
            {
                "id": o.line.pk,
                "title": o.line.title,
                "units": o.units,
                "deadline": page.date(o.deadline),
            }
            for o in options
        ],
        "name": request.POST.get("name", name).strip()[:200],
        "email": request.POST.get("email", journey.get("email", "")).strip()[:254],
        "token": mine["token"],
        "ordered_on": page.date(order.placed_at),
    }
    if request.method == "GET":
        return show(request, page, "portal/withdrawal_confirm.html", context)
    if request.POST.get("token") != mine["token"]:
        context["errors"] = {"__all__": _("This form has expired: start again.")}
        return show(request, page, "portal/withdrawal_confirm.html", context, status=422)
    lines, errors = _chosen(request, options)
    if not errors:
        try:
            recorded = record_withdrawal(
                order=order,
                lines=lines,
                name=context["name"],
                email=context["email"],
                idempotency_key=mine["token"],
                actor=Actor.shopper(context["email"]),
                locale=page.language,
            )
        except DomainError as exc:
            errors = {exc.details.get("field", "__all__"): exc.message}
    if errors:
        for option in context["options"]:
            option["error"] = errors.get(f"qty-{option['id']}", "")
        context["errors"] = errors
        return show(request, page, "portal/withdrawal_confirm.html", context, status=422)
    number = recorded.withdrawal.number
    if number not in mine.get("done", []):
        _keep(request, page, {**mine, "done": [*mine.get("done", [])[-9:], number]})
    return HttpResponseRedirect(_url(page, "withdraw-done", number=number))


@require_GET
@portal_view
def done(request: HttpRequest, page: Page, number: str) -> HttpResponse:
    """The acknowledgement: what was withdrawn from and when (only to the session that sent it)."""
    if number not in _mine(request, page).get("done", []):
        raise Http404
    withdrawal = (
        Withdrawal.objects.select_related("order")
        .prefetch_related("lines__order_line")
        .get(store=page.store, number=number)
    )
    received = format_datetime(
        withdrawal.notified_at,
        format="long",
        tzinfo=ZoneInfo(page.store.timezone or "UTC"),
        locale=page.language,
    )
    context = {"withdrawal": withdrawal, "received": received}
    return show(request, page, "portal/withdrawal_done.html", context)


def _form_context(page: Page) -> dict[str, Any]:
    return {"store": page.store}


@require_GET
@portal_view
def model_form(request: HttpRequest, page: Page) -> HttpResponse:
    """The model withdrawal form (Annex I(B)), to print or to download."""
    return show(request, page, "portal/withdrawal_form.html", _form_context(page))


@require_GET
@portal_view
def model_form_text(request: HttpRequest, page: Page) -> HttpResponse:
    text = render_to_string("portal/withdrawal_form.txt", _form_context(page), request=request)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    filename = _("withdrawal-form")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{page.language}.txt"'
    return response
