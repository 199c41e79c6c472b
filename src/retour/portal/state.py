"""The shopper's place in the portal, kept in their Django session (database-backed, the cookie
holds only a signed random key).

Per store: the one order they looked up (and nothing else of that store is reachable), the
return being prepared (lines, reasons, photos already checked and stored, resolution, method),
and the returns they may track (opened here, or reached by a signed link). Only ids, codes and
short texts are kept; every step re-reads and re-validates them on the server.
"""

from typing import Any

from django.http import HttpRequest

from retour.commerce.models import Order, Store

KEY = "retour.portal"


def _stores(request: HttpRequest) -> dict[str, Any]:
    return request.session.get(KEY, {})


def current(request: HttpRequest, store: Store) -> dict[str, Any]:
    return dict(_stores(request).get(str(store.pk)) or {})


def save(request: HttpRequest, store: Store, state: dict[str, Any]) -> None:
    stores = dict(_stores(request))
    stores[str(store.pk)] = state
    request.session[KEY] = stores  # reassigned, so the session knows it changed


def begin(request: HttpRequest, store: Store, order: Order, email: str) -> None:
    """After a successful look-up: a new session key (no fixation), this order only. A session
    that has no key yet (none was sent, or the one sent does not exist) gets a new one when it
    is saved: cycling it would write an empty session first, for nothing."""
    tracked = current(request, store).get("tracked", [])
    if request.session.session_key is not None:
        request.session.cycle_key()
    save(request, store, {"order": order.pk, "email": email, "lines": {}, "tracked": tracked})


def clear_draft(state: dict[str, Any]) -> dict[str, Any]:
    kept = {key: state[key] for key in ("order", "email", "tracked") if key in state}
    return {**kept, "lines": {}}


def grant(request: HttpRequest, store: Store, rma: str) -> None:
    state = current(request, store)
    tracked = list(state.get("tracked", []))
    if rma not in tracked:
        tracked = [*tracked[-19:], rma]
    save(request, store, {**state, "tracked": tracked})


def may_track(request: HttpRequest, store: Store, rma: str, order_id: int) -> bool:
    state = current(request, store)
    return rma in state.get("tracked", []) or state.get("order") == order_id
