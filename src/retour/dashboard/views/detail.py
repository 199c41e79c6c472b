"""A return's staff page: items with the shopper's photos, the policy's explanation and risk, the
timeline, messages and notes, and the actions its state allows.

Every action is a POST answered by a redirect. The form carries the id of the return's latest
event (`version`): a second submit of the same form (a double click, a reload) finds a newer event,
does nothing and says so. The check and the action run under the return's row lock, so two
submits at once are serialised. Actions that move money (refund, store credit, the second
approval, an exchange) first show a confirmation page with the amounts the refund calculation
gives (for an exchange: each replacement's price difference, what the shopper will be asked to
pay and what is refunded); the POST repeats the amount it confirmed and is refused if the
amounts changed meanwhile.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from retour.accounts.scopes import Scope
from retour.core.actors import Actor
from retour.core.errors import Conflict, DomainError, InvalidRequest
from retour.dashboard.views.common import access_of, staff_page, store_ids_with, stored_file
from retour.dashboard.views.manual_refunds import waiting_parts
from retour.logistics import services as logistics
from retour.logistics.selectors import return_label
from retour.refunds import services as refunds
from retour.refunds.calculation import Breakdown
from retour.refunds.choices import RefundStatus
from retour.refunds.exchange_offers import (
    EXCHANGEABLE,
    chosen_replacements,
    exchange_lines,
    exchange_offers,
)
from retour.refunds.models import Exchange, Refund
from retour.returns import lifecycle, services
from retour.returns.choices import MessageKind, ReturnMethod
from retour.returns.choices import ReturnStatus as S
from retour.returns.explain import explain
from retour.returns.models import Return, ReturnEvent
from retour.returns.selectors import return_for_staff
from retour.warehouse.selectors import inspection_deductions

MONEY_ACTIONS = ("refund", "store_credit", "approve_refund")


def _visible(request: HttpRequest, rma: str, scope: Scope = Scope.RETURNS_READ) -> Return:
    """The return if the user may act on it with `scope`: 404 when it is not in one of their
    stores (existence not revealed), 403 when their role there lacks the scope."""
    found = Return.objects.filter(rma=rma, store_id__in=store_ids_with(request, Scope.RETURNS_READ))
    return_request = found.select_related("order", "store").first()
    if return_request is None:
        raise Http404
    if return_request.store_id not in store_ids_with(request, scope):
        raise Forbidden
    return return_request


def _version(return_id: int) -> str:
    latest = ReturnEvent.objects.filter(return_request_id=return_id).order_by("-id")
    return str(latest.values_list("id", flat=True).first() or 0)


def _can(request: HttpRequest, return_request: Return, scope: Scope) -> bool:
    return return_request.store_id in store_ids_with(request, scope)


def _available(request: HttpRequest, return_request: Return, label, refunds_list) -> set[str]:
    """The actions the return's state allows and the user's role grants."""
    status = return_request.status
    allowed = lifecycle.allowed_transitions(status)
    checks = {
        "approve": (Scope.RETURNS_REVIEW, S.APPROVED in allowed and status != S.LABEL_ISSUED),
        "reject": (Scope.RETURNS_REVIEW, S.REJECTED in allowed),
        "cancel": (Scope.RETURNS_WRITE, S.CANCELLED in allowed),
        "change_method": (
            Scope.RETURNS_LOGISTICS,
            status in (S.REQUESTED, S.PENDING_REVIEW, S.APPROVED),
        ),
        "issue_label": (
            Scope.RETURNS_LOGISTICS,
            status == S.APPROVED and return_request.method != ReturnMethod.KEEP,
        ),
        "void_label": (Scope.RETURNS_LOGISTICS, status == S.LABEL_ISSUED and label is not None),
        "receive": (Scope.RETURNS_RECEIVE, S.RECEIVED in allowed),
        "refund": (Scope.REFUNDS_WRITE, status in (S.APPROVED, S.INSPECTED, S.RECEIVED)),
        "store_credit": (Scope.REFUNDS_WRITE, status in (S.APPROVED, S.INSPECTED, S.RECEIVED)),
        "approve_refund": (
            Scope.REFUNDS_APPROVE,
            any(r.status == "awaiting_approval" for r in refunds_list),
        ),
        "exchange": (
            Scope.REFUNDS_WRITE,
            status in EXCHANGEABLE
            and all(r.status == RefundStatus.CANCELLED for r in refunds_list),
        ),
        "message": (Scope.RETURNS_WRITE, True),
        "note": (Scope.RETURNS_READ, True),
    }
    return {
        name for name, (scope, ok) in checks.items() if ok and _can(request, return_request, scope)
    }


@staff_page(Scope.RETURNS_READ)
@require_GET
def show(request: HttpRequest, rma: str) -> HttpResponse:
    return_request = return_for_staff(
        store_ids=store_ids_with(request, Scope.RETURNS_READ), rma=rma
    )
    if return_request is None:
        raise Http404
    events = list(return_request.events.all())
    label = return_label(return_request, with_files=False)
    sees_money = _can(request, return_request, Scope.RETURNS_RESOLVE) or _can(
        request, return_request, Scope.RETURNS_REVIEW
    )
    refunds_list = list(Refund.objects.filter(return_request=return_request).order_by("sequence"))
    actions = _available(request, return_request, label, refunds_list)
    context = {
        "return": return_request,
        "lines": return_request.lines.all(),
        "events": events,
        "version": str(events[-1].pk) if events else "0",
        "conversation": return_request.messages.all(),
        "explanation": explain(return_request, get_language() or "en"),
        "label": label,
        "refunds": refunds_list if sees_money else [],
        "manual_parts": waiting_parts(request, refund__return_request=return_request),
        "exchanges": _exchanges(return_request) if sees_money else [],
        "offers": exchange_offers(return_request) if "exchange" in actions else [],
        "actions": actions,
        "methods": ReturnMethod.choices,
        "message_kinds": MessageKind,
    }
    return render(request, "dashboard/returns_detail.html", context)


def _exchanges(return_request: Return) -> list[Exchange]:
    found = Exchange.objects.filter(return_request=return_request).select_related("variant")
    return list(found.order_by("id"))


@staff_page(Scope.RETURNS_READ)
@require_GET
def photo(request: HttpRequest, rma: str, photo_id: int) -> HttpResponse:
    return_request = _visible(request, rma)
    for line in return_request.lines.prefetch_related("photos"):
        for item in line.photos.all():
            if item.pk == photo_id:
                return stored_file(item.file.open("rb"), item.file.name)
    raise Http404


# --- money: the confirmation page -------------------------------------------------------------


@dataclass(frozen=True)
class MoneyPlan:
    """What a money action will do: the refund calculation's breakdown, or the refund to approve."""

    action: str
    title: str
    currency: str
    total: Decimal
    bonus: Decimal
    lines: list
    fees: list
    shipping: Decimal


def _deductions(return_request: Return) -> dict[int, refunds.Deduction]:
    return {
        line_id: refunds.Deduction(amount=found.amount, reason=found.reason)
        for line_id, found in inspection_deductions(return_request.pk).items()
    }


TITLES = {
    "refund": gettext_lazy("Refund to the original payment"),
    "store_credit": gettext_lazy("Refund as store credit"),
    "approve_refund": gettext_lazy("Approve the refund (second approval)"),
    "exchange": gettext_lazy("Exchange for other variants"),
}


def approval_plan(refund: Refund) -> MoneyPlan:
    """The second approval's confirmation: the amounts the refund was asked for (a return's or
    a claim's)."""
    return _money_plan("approve_refund", Breakdown.from_json(refund.breakdown))


def _plan(return_request: Return, action: str) -> MoneyPlan:
    if action == "approve_refund":
        return approval_plan(_awaiting(return_request))
    breakdown = refunds.compute_refund(
        return_request,
        deductions=_deductions(return_request),
        to_store_credit=action == "store_credit",
    ).breakdown
    return _money_plan(action, breakdown)


def _money_plan(action: str, breakdown: Breakdown) -> MoneyPlan:
    return MoneyPlan(
        action=action,
        title=str(TITLES[action]),
        currency=breakdown.currency,
        total=breakdown.total,
        bonus=breakdown.bonus,
        lines=list(breakdown.lines),
        fees=list(breakdown.fees),
        shipping=breakdown.shipping,
    )


def _awaiting(return_request: Return) -> Refund:
    refund = return_request.refunds.filter(status="awaiting_approval").order_by("-id").first()
    if refund is None:
        raise Conflict(_("No refund of this return is waiting for an approval."))
    return refund


@dataclass(frozen=True)
class ExchangeRow:
    title: str
    quantity: int
    returned_value: Decimal
    sku: str
    new_value: Decimal
    difference: Decimal


@dataclass(frozen=True)
class ExchangePlan:
    """What an exchange will do with money: per line the price difference; the sum the shopper
    is asked to pay (a payment link) and the sum refunded with the return's refund.
    `signature` is what the confirmation repeats: the lines, replacements and differences."""

    action: str
    title: str
    currency: str
    rows: list[ExchangeRow]
    to_pay: Decimal
    to_refund: Decimal
    choices: dict[int, int]
    signature: str


def _choices(data) -> dict[int, int]:
    """The form's `line-<return line id>` = variant id (empty: the line is not exchanged)."""
    try:
        return {
            int(name.removeprefix("line-")): int(value)
            for name, value in data.items()
            if name.startswith("line-") and value
        }
    except ValueError as error:
        raise InvalidRequest(_("Choose a replacement from the list.")) from error


def _exchange_plan(return_request: Return, data) -> ExchangePlan:
    chosen = chosen_replacements(return_request, _choices(data))
    return ExchangePlan(
        action="exchange",
        title=str(TITLES["exchange"]),
        currency=return_request.order.currency,
        rows=[
            ExchangeRow(
                title=offer.line.order_line.title,
                quantity=offer.line.quantity,
                returned_value=offer.returned_value,
                sku=replacement.variant.sku,
                new_value=replacement.new_value,
                difference=replacement.difference,
            )
            for offer, replacement in chosen
        ],
        to_pay=sum((replacement.to_pay for _offer, replacement in chosen), Decimal(0)),
        to_refund=sum((replacement.refunded for _offer, replacement in chosen), Decimal(0)),
        choices={offer.line.pk: replacement.variant.pk for offer, replacement in chosen},
        signature=";".join(
            f"{offer.line.pk}:{replacement.variant.pk}:{replacement.difference}"
            for offer, replacement in chosen
        ),
    )


@staff_page(Scope.REFUNDS_WRITE)
@require_GET
def confirm(request: HttpRequest, rma: str, action: str) -> HttpResponse:
    if action not in (*MONEY_ACTIONS, "exchange"):
        raise Http404
    return_request = _visible(request, rma, ACTIONS[action][0])
    try:
        plan = (
            _exchange_plan(return_request, request.GET)
            if action == "exchange"
            else _plan(return_request, action)
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("dashboard:return", rma=rma)
    context = {"return": return_request, "plan": plan, "version": _version(return_request.pk)}
    return render(request, "dashboard/returns_confirm.html", context)


# --- the actions -------------------------------------------------------------------------------

Handler = Callable[[Return, Actor, HttpRequest], str]


def _approve(r: Return, actor: Actor, request: HttpRequest) -> str:
    services.approve_return(return_request=r, actor=actor, note=request.POST.get("note", ""))
    return _("Return approved.")


def _reject(r: Return, actor: Actor, request: HttpRequest) -> str:
    services.reject_return(return_request=r, actor=actor, reason=request.POST.get("reason", ""))
    return _("Return rejected; the shopper is told why.")


def _cancel(r: Return, actor: Actor, request: HttpRequest) -> str:
    services.cancel_return(return_request=r, actor=actor, reason=request.POST.get("reason", ""))
    return _("Return cancelled.")


def _change_method(r: Return, actor: Actor, request: HttpRequest) -> str:
    services.change_method(
        return_request=r,
        actor=actor,
        method=request.POST.get("method", ""),
        reason=request.POST.get("reason", ""),
    )
    return _("Method changed.")


def _issue_label(r: Return, actor: Actor, request: HttpRequest) -> str:
    shipment = logistics.issue_label(return_request=r, actor=actor)
    return _("Label: %(status)s.") % {"status": shipment.get_status_display()}


def _void_label(r: Return, actor: Actor, request: HttpRequest) -> str:
    logistics.void_label(return_request=r, actor=actor, reason=request.POST.get("reason", ""))
    return _("Label voided.")


def _message(kind: str, done: str) -> Handler:
    def handler(r: Return, actor: Actor, request: HttpRequest) -> str:
        services.post_message(
            return_request=r, actor=actor, body=request.POST.get("body", ""), kind=kind
        )
        return done

    return handler


def _confirmed(r: Return, request: HttpRequest, action: str) -> None:
    """The amount the user confirmed must still be what the calculation gives."""
    if request.POST.get("amount") != str(_plan(r, action).total):
        raise Conflict(_("The amounts changed since you confirmed them: check them again."))


def _refund(action: str) -> Handler:
    def handler(r: Return, actor: Actor, request: HttpRequest) -> str:
        _confirmed(r, request, action)
        total = _plan(r, action).total
        refund = refunds.request_refund(
            return_request=r,
            actor=actor,
            deductions=_deductions(r),
            store_credit_amount=total if action == "store_credit" else None,
        )
        transaction.on_commit(lambda: refunds.process_refund(refund.pk))
        return _("Refund %(reference)s: %(status)s.") % {
            "reference": refund.reference,
            "status": refund.get_status_display(),
        }

    return handler


def _approve_refund(r: Return, actor: Actor, request: HttpRequest) -> str:
    _confirmed(r, request, "approve_refund")
    refund = refunds.approve_refund(refund=_awaiting(r), actor=actor)
    transaction.on_commit(lambda: refunds.process_refund(refund.pk))
    return _("Refund %(reference)s approved.") % {"reference": refund.reference}


def _exchange(r: Return, actor: Actor, request: HttpRequest) -> str:
    plan = _exchange_plan(r, request.POST)
    if request.POST.get("amount") != plan.signature:
        raise Conflict(_("The amounts changed since you confirmed them: check them again."))
    exchange_lines(return_request=r, choices=plan.choices, actor=actor)
    done = [_("Exchange requested: the replacements are reserved.")]
    if plan.to_pay:
        done.append(
            _("The shopper is sent a link to pay %(amount)s %(currency)s.")
            % {"amount": plan.to_pay, "currency": plan.currency}
        )
    if plan.to_refund:
        done.append(
            _("%(amount)s %(currency)s will be refunded with the return's refund.")
            % {"amount": plan.to_refund, "currency": plan.currency}
        )
    return " ".join(done)


# name → (scope, handler, runs under the return's lock). Label actions call the carrier: they
# run outside any transaction and rely on the shipment's own claim (logistics.services).
ACTIONS: dict[str, tuple[Scope, Handler, bool]] = {
    "approve": (Scope.RETURNS_REVIEW, _approve, True),
    "reject": (Scope.RETURNS_REVIEW, _reject, True),
    "cancel": (Scope.RETURNS_WRITE, _cancel, True),
    "change_method": (Scope.RETURNS_LOGISTICS, _change_method, True),
    "issue_label": (Scope.RETURNS_LOGISTICS, _issue_label, False),
    "void_label": (Scope.RETURNS_LOGISTICS, _void_label, False),
    "message": (
        Scope.RETURNS_WRITE,
        _message(MessageKind.TO_SHOPPER, gettext_lazy("Message sent to the shopper.")),
        True,
    ),
    "note": (Scope.RETURNS_READ, _message(MessageKind.NOTE, gettext_lazy("Note added.")), True),
    # The same scopes as the API's refund routes: asking for a refund, and the second approval.
    "refund": (Scope.REFUNDS_WRITE, _refund("refund"), True),
    "store_credit": (Scope.REFUNDS_WRITE, _refund("store_credit"), True),
    "approve_refund": (Scope.REFUNDS_APPROVE, _approve_refund, True),
    "exchange": (Scope.REFUNDS_WRITE, _exchange, True),
}


def _run(request: HttpRequest, return_request: Return, handler: Handler, locked: bool) -> str:
    """Check the form's version, then act; under the return's row lock when `locked`."""
    actor = access_of(request).actor
    if not locked:
        if request.POST.get("version") != _version(return_request.pk):
            raise _Stale
        return str(handler(return_request, actor, request))
    with transaction.atomic():
        Return.objects.select_for_update().filter(pk=return_request.pk).first()
        if request.POST.get("version") != _version(return_request.pk):
            raise _Stale
        return_request.refresh_from_db()
        return str(handler(return_request, actor, request))


class _Stale(Exception):
    """The form was made for an older state of the return (a second submit)."""


@staff_page(Scope.RETURNS_READ)
@require_POST
def act(request: HttpRequest, rma: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    scope, handler, locked = ACTIONS[action]
    return_request = _visible(request, rma, scope)
    try:
        messages.success(request, _run(request, return_request, handler, locked))
    except _Stale:
        messages.warning(
            request,
            _("This return changed since the page was shown (already done?): nothing was done."),
        )
    except DomainError as error:
        messages.error(request, error.message)
        if action in MONEY_ACTIONS and isinstance(error, Conflict):
            return redirect("dashboard:return-confirm", rma=rma, action=action)
    return redirect(reverse("dashboard:return", kwargs={"rma": rma}))
