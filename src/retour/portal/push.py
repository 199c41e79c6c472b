"""Web Push on the tracking page, a progressive enhancement (the page works the same without it):
the service worker (served under `/returns/<store>/` so that its scope is the store's portal),
the installation's VAPID public key, and a browser's subscription to one return's updates, which
only a session that may follow that return can add or remove."""

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from retour.core.errors import InvalidRequest
from retour.notifications import services
from retour.notifications.vapid import installation_key
from retour.portal.pages import Page, portal_view
from retour.portal.tracking import shopper_return

MAX_BODY = 4096  # a PushSubscription's JSON is a few hundred bytes


@require_GET
@portal_view
def service_worker(request: HttpRequest, page: Page) -> HttpResponse:
    response = HttpResponse(
        render_to_string("portal/push/worker.js"), content_type="text/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"  # a new version reaches browsers on their next visit
    return response


@require_GET
@portal_view
def public_key(request: HttpRequest, page: Page) -> HttpResponse:
    """The `applicationServerKey` browsers subscribe with (fetched only when they can)."""
    return JsonResponse({"key": installation_key().public_key})


def _refused(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def _subscription(request: HttpRequest) -> dict:
    """The browser's `PushSubscription.toJSON()`: endpoint and keys, as strings."""
    if len(request.body) > MAX_BODY:
        raise InvalidRequest(_("The request is too large."), code="too_large")
    try:
        data = json.loads(request.body)
        keys = data.get("keys") or {}
        found = {
            "endpoint": data["endpoint"],
            "p256dh": keys.get("p256dh", ""),
            "auth": keys.get("auth", ""),
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidRequest(_("Send the subscription as JSON."), code="json") from exc
    if not all(isinstance(value, str) for value in found.values()):
        raise InvalidRequest(_("Send the subscription as JSON."), code="json")
    return found


@require_POST
@portal_view
def subscribe(request: HttpRequest, page: Page, rma: str) -> HttpResponse:
    return_request = shopper_return(request, page, rma)
    if return_request is None:  # another shopper's return and no return look the same
        return _refused(404, "not_found", _("No such return."))
    try:
        _sub, created = services.subscribe_push(
            return_request=return_request, language=page.language, **_subscription(request)
        )
    except InvalidRequest as error:
        return _refused(400, error.code, error.message)
    return JsonResponse({"subscribed": True}, status=201 if created else 200)


@require_POST
@portal_view
def unsubscribe(request: HttpRequest, page: Page, rma: str) -> HttpResponse:
    return_request = shopper_return(request, page, rma)
    if return_request is None:
        return _refused(404, "not_found", _("No such return."))
    try:
        endpoint = _subscription(request)["endpoint"]
    except InvalidRequest as error:
        return _refused(400, error.code, error.message)
    services.unsubscribe_push(return_request=return_request, endpoint=endpoint)
    return JsonResponse({"subscribed": False})
