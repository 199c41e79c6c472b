"""The receiving station: a page made for a barcode scanner (or a keyboard) and a tablet.

Everything is a scan typed in one field and sent with Enter: a parcel's RMA, packing slip or
tracking number opens the return; an item's barcode (EAN) or SKU ticks its line; `RECEIVE`
(printed as a command barcode at the station, or the button) records the receipt. The page works
as plain forms (POST, then redirect); its script sends the same forms with fetch, replaces the
panel, keeps the focus in the field, announces the result in a live region and beeps.

The station's state between scans (the open return, the units counted, the unknown items) lives
in the session: nothing is written until the parcel is received. The station is for the roles
that may receive (`returns:receive`; others get 403), and shows only the returns of the stores
where theirs may. Where a store has several warehouses, the operator picks the one they receive
in (kept in the session, per store); its receipts, and so the restocks of their units, go there.
"""

from dataclasses import astuple

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from retour.accounts.access import staff_access
from retour.accounts.scopes import Scope
from retour.core.errors import DomainError
from retour.dashboard.views.common import staff_page, store_ids_with
from retour.returns.models import Return
from retour.warehouse import services
from retour.warehouse.choices import DiscrepancyKind
from retour.warehouse.selectors import (
    ExpectedItem,
    expected_items,
    match_item,
    return_at_station,
    return_for_scan,
    warehouse_in,
    warehouses_of,
)

RECEIVE_COMMANDS = frozenset({"RECEIVE", "#RECEIVE", "RECEVOIR"})
MAX_SCANS = 500
SESSION_KEY = "receiving_station"
WAREHOUSE_KEY = "receiving_warehouses"  # store id → the warehouse id picked


def _receiving_store_ids(request: HttpRequest) -> list[int]:
    return store_ids_with(request, Scope.RETURNS_RECEIVE)


def _state(request: HttpRequest) -> dict:
    return request.session.get(SESSION_KEY) or {}


def _save(request: HttpRequest, state: dict) -> None:
    request.session[SESSION_KEY] = state


def _panel_context(
    request: HttpRequest, store_ids: list[int], loaded: Return | None = None
) -> dict:
    """The station's panel; `loaded` is the return the scan already read, if it is the one the
    station has open (read again otherwise)."""
    state = _state(request)
    return_request = None
    lines = []
    if loaded is not None and loaded.pk == state.get("return_id"):
        return_request = loaded
    elif state.get("return_id"):
        return_request = return_at_station(store_ids=store_ids, return_id=state["return_id"])
    if return_request is not None:
        counts = state.get("counts", {})
        for line in return_request.lines.all():
            line.counted = counts.get(str(line.pk), 0)
            line.complete = line.counted >= line.quantity
            lines.append(line)
    return {
        "return_request": return_request,
        "lines": lines,
        "extras": state.get("extras", []) if return_request else [],
        "status": state.get("status", ""),
        "message": state.get("message", ""),
        "counted": sum(line.counted for line in lines),
        "expected": sum(line.quantity for line in lines),
    }


def _answer(
    request: HttpRequest, store_ids: list[int], loaded: Return | None = None
) -> HttpResponse:
    """After a POST: the panel as JSON for the script, else a redirect to the page."""
    if request.headers.get("X-Station") == "fetch":
        context = _panel_context(request, store_ids, loaded)
        panel = render_to_string("dashboard/_station_panel.html", context, request=request)
        return JsonResponse(
            {"status": context["status"], "message": context["message"], "panel": panel}
        )
    return redirect("dashboard:receiving")


@staff_page(Scope.RETURNS_RECEIVE)
@require_GET
def station(request: HttpRequest) -> HttpResponse:
    store_ids = _receiving_store_ids(request)
    context = _panel_context(request, store_ids)
    context["warehouses"] = _picker(request, store_ids)
    return render(request, "dashboard/receiving.html", context)


def _picker(request: HttpRequest, store_ids: list[int]) -> list:
    """The warehouses to choose from, marked `chosen`; empty when no store has several."""
    warehouses = warehouses_of(store_ids)
    picked = request.session.get(WAREHOUSE_KEY, {})
    per_store: dict[int, list] = {}
    for warehouse in warehouses:
        per_store.setdefault(warehouse.store_id, []).append(warehouse)
    for store_warehouses in per_store.values():
        ids = {warehouse.pk for warehouse in store_warehouses}
        chosen = picked.get(str(store_warehouses[0].store_id))
        chosen = chosen if chosen in ids else store_warehouses[0].pk  # the default comes first
        for warehouse in store_warehouses:
            warehouse.chosen = warehouse.pk == chosen
    return warehouses if any(len(ws) > 1 for ws in per_store.values()) else []


def _chosen_warehouse(request: HttpRequest, store_id: int):
    """The warehouse picked for `store_id`, or None for the store's default one."""
    return warehouse_in([store_id], request.session.get(WAREHOUSE_KEY, {}).get(str(store_id)))


@staff_page(Scope.RETURNS_RECEIVE)
@require_POST
def choose_warehouse(request: HttpRequest) -> HttpResponse:
    try:
        warehouse_id = int(request.POST.get("warehouse", ""))
    except ValueError:
        raise Http404 from None
    warehouse = warehouse_in(_receiving_store_ids(request), warehouse_id)
    if warehouse is None:
        raise Http404
    picked = request.session.get(WAREHOUSE_KEY, {})
    picked[str(warehouse.store_id)] = warehouse.pk
    request.session[WAREHOUSE_KEY] = picked
    messages.success(request, _("Receiving in %(warehouse)s.") % {"warehouse": warehouse.name})
    return redirect("dashboard:receiving")


def _kept(items: list[ExpectedItem]) -> list[list]:
    """Items as the session's JSON keeps them."""
    return [list(astuple(item)) for item in items]


def _open(request: HttpRequest, return_request) -> None:
    lines = return_request.lines.all()
    state = {
        "return_id": return_request.pk,
        # What the next scans are matched against, without reading the return again.
        "items": _kept(expected_items(lines)),
        "counts": {},
        "extras": [],
        "scanned": [],
        "status": "match",
        "message": _("Return %(rma)s opened: %(count)d items expected.")
        % {"rma": return_request.rma, "count": sum(line.quantity for line in lines)},
    }
    if hasattr(return_request, "receipt"):
        state["status"] = "mismatch"
        state["message"] = _("Return %(rma)s has already been received.") % {
            "rma": return_request.rma
        }
    _save(request, state)


@staff_page(Scope.RETURNS_RECEIVE)
@require_POST
def scan(request: HttpRequest) -> HttpResponse:
    """One read of a return at most per scan: an item of the open parcel is matched against the
    session; anything else is looked up as a parcel first, and the open one is read only for a
    code that names neither (a wrong or extra item)."""
    store_ids = _receiving_store_ids(request)
    code = request.POST.get("code", "").strip()[:100]
    state = _state(request)
    if not code:
        return _answer(request, store_ids)
    if code.upper() in RECEIVE_COMMANDS:
        return _receive(request, store_ids)
    if state.get("return_id"):
        return _scan_at_open_parcel(request, store_ids, state, code)
    return _open_scanned(request, store_ids, code)


def _open_scanned(request: HttpRequest, store_ids: list[int], code: str) -> HttpResponse:
    found = return_for_scan(store_ids=store_ids, code=code)
    if found is None:
        _save(
            request,
            {"status": "mismatch", "message": _("No return matches %(code)s.") % {"code": code}},
        )
    else:
        _open(request, found)
    return _answer(request, store_ids, found)


def _scan_at_open_parcel(
    request: HttpRequest, store_ids: list[int], state: dict, code: str
) -> HttpResponse:
    counts = state.setdefault("counts", {})
    if "items" not in state:  # a parcel opened before the session kept its items
        opened = return_at_station(store_ids=store_ids, return_id=state["return_id"])
        state["items"] = _kept(expected_items(opened.lines.all()) if opened else [])
    items = [ExpectedItem(line_id, tuple(codes), qty) for line_id, codes, qty in state["items"]]
    item = match_item(items, code, {int(k): v for k, v in counts.items()})
    current = None
    if item is None:
        current = return_for_scan(store_ids=store_ids, code=code)
        if current is not None and current.pk != state["return_id"]:
            _open(request, current)  # the next parcel
            return _answer(request, store_ids, current)
    if current is None:
        current = return_at_station(store_ids=store_ids, return_id=state["return_id"])
        if current is None:  # no longer the caller's to receive
            return _open_scanned(request, store_ids, code)
    elif item is None:  # the open parcel's own label, scanned again
        state["status"] = "match"
        state["message"] = _("Return %(rma)s is open.") % {"rma": current.rma}
        _save(request, state)
        return _answer(request, store_ids, current)
    state["scanned"] = [*state.get("scanned", []), code][-MAX_SCANS:]
    key = str(item.line_id) if item else ""
    if item is not None and counts.get(key, 0) < item.quantity:
        counts[key] = counts.get(key, 0) + 1
        title = next(
            line.order_line.title for line in current.lines.all() if line.pk == item.line_id
        )
        state["status"] = "match"
        state["message"] = _("%(title)s: %(count)d of %(quantity)d.") % {
            "title": title,
            "count": counts[key],
            "quantity": item.quantity,
        }
    else:
        kind = DiscrepancyKind.EXTRA if item is not None else DiscrepancyKind.WRONG_ITEM
        state.setdefault("extras", []).append({"kind": kind, "code": code})
        state["status"] = "mismatch"
        state["message"] = (
            _("%(code)s: one more than announced, recorded as extra.") % {"code": code}
            if item is not None
            else _("%(code)s is not part of this return: recorded as a wrong item.")
            % {"code": code}
        )
    _save(request, state)
    return _answer(request, store_ids, current)


def _receive(request: HttpRequest, store_ids: list[int]) -> HttpResponse:
    state = _state(request)
    return_request = None
    if state.get("return_id"):
        return_request = return_at_station(store_ids=store_ids, return_id=state["return_id"])
    if return_request is None:
        _save(request, {"status": "mismatch", "message": _("Scan a parcel first.")})
        return _answer(request, store_ids)
    extras: dict[tuple[str, str], int] = {}
    for extra in state.get("extras", []):
        extras[(extra["kind"], extra["code"])] = extras.get((extra["kind"], extra["code"]), 0) + 1
    try:
        receipt = services.receive_parcel(
            return_request=return_request,
            warehouse=_chosen_warehouse(request, return_request.store_id),
            quantities={int(k): v for k, v in state.get("counts", {}).items()},
            extras=[
                services.ExtraItem(kind=kind, code=code, quantity=quantity)
                for (kind, code), quantity in extras.items()
            ],
            scanned=state.get("scanned", []),
            actor=staff_access(request.user).actor,
        )
    except DomainError as error:
        state["status"] = "mismatch"
        state["message"] = error.message
        _save(request, state)
        return _answer(request, store_ids)
    missing = receipt.expected_units - receipt.received_units
    message = _("Return %(rma)s received: %(received)d of %(expected)d items.") % {
        "rma": return_request.rma,
        "received": receipt.received_units,
        "expected": receipt.expected_units,
    }
    if missing > 0:
        message += " " + _("%(missing)d missing.") % {"missing": missing}
    _save(request, {"status": "received", "message": message + " " + _("Scan the next parcel.")})
    return _answer(request, store_ids)


@staff_page(Scope.RETURNS_RECEIVE)
@require_POST
def receive(request: HttpRequest) -> HttpResponse:
    return _receive(request, _receiving_store_ids(request))


@staff_page(Scope.RETURNS_RECEIVE)
@require_POST
def clear(request: HttpRequest) -> HttpResponse:
    _save(request, {"status": "", "message": _("Station cleared.")})
    return _answer(request, _receiving_store_ids(request))
