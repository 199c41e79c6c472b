"""What every dashboard page shares: the sign-in requirement and the stores a role may use.

`staff_only` is the door of every page: signed in, not idle for longer than the configured time
(`RETOUR_STAFF_IDLE_MINUTES`), and signed in with the second factor when one is set up (a session
opened with the password alone before the authenticator was added is closed); staff of a store
that requires two factors and have none are sent to set one up. `staff_page(scope)` adds the
scope the page needs: a role without it in any store answers 403.
"""

import mimetypes
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.accounts import security
from retour.accounts.access import Access, staff_access
from retour.accounts.scopes import Scope
from retour.commerce.models import Store
from retour.core import errors

LOGIN = reverse_lazy("dashboard:login")
SEEN_KEY = "staff_seen"
# The last-seen time is written at most this often, not on every request.
SEEN_RESOLUTION_SECONDS = 60

View = Callable[..., HttpResponse]


def mark_seen(request: HttpRequest) -> None:
    request.session[SEEN_KEY] = int(timezone.now().timestamp())


def _idle_too_long(request: HttpRequest) -> bool:
    """Whether the session sat idle past the limit; otherwise note the activity."""
    now = int(timezone.now().timestamp())
    seen = request.session.get(SEEN_KEY)
    if seen is not None and now - seen > settings.RETOUR_DASHBOARD["IDLE_MINUTES"] * 60:
        return True
    if seen is None or now - seen >= SEEN_RESOLUTION_SECONDS:
        request.session[SEEN_KEY] = now
    return False


def _sign_out(request: HttpRequest, message: str) -> HttpResponse:
    path = request.get_full_path()
    logout(request)
    messages.info(request, message)
    return redirect_to_login(path, LOGIN)


def signed_in(view: View) -> View:
    """Signed in and not idle: the pages that set the second factor up stop here."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), LOGIN)
        if _idle_too_long(request):
            minutes = settings.RETOUR_DASHBOARD["IDLE_MINUTES"]
            return _sign_out(
                request,
                _("You were signed out after %(minutes)d minutes without activity.")
                % {"minutes": minutes},
            )
        return view(request, *args, **kwargs)

    return wrapper


def staff_only(view: View) -> View:
    @signed_in
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_verified():
            second_factor = security.second_factor(request.user)
            if second_factor.enabled:
                return _sign_out(request, _("Sign in again with your authenticator's code."))
            if second_factor.required:
                messages.warning(
                    request, _("Your store requires two-factor sign-in: set it up to go on.")
                )
                return redirect("dashboard:two-factor")
        return view(request, *args, **kwargs)

    return wrapper


def access_of(request: HttpRequest) -> Access:
    """The signed-in staff member's stores and scopes (one query, kept for the request)."""
    if not hasattr(request, "_retour_access"):
        request._retour_access = staff_access(request.user)
    return request._retour_access


def store_ids_with(request: HttpRequest, scope: Scope) -> list[int]:
    """The stores where the signed-in staff member's role grants `scope`."""
    return [g.store_id for g in access_of(request).grants.values() if scope in g.scopes]


def staff_page(scope: Scope) -> Callable[[View], View]:
    """A page that needs `scope` in at least one of the user's stores (else 403)."""

    def decorate(view: View) -> View:
        @staff_only
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not store_ids_with(request, scope):
                raise Forbidden
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def store_with(request: HttpRequest, slug: str, scope: Scope) -> Store:
    """The store `slug` if the user's role there grants `scope`: 404 for a store they are not on
    the staff of, 403 for a scope their role lacks."""
    try:
        store_id = access_of(request).store_id(slug, scope)
    except errors.NotFound as error:
        raise Http404 from error
    except errors.PermissionDenied as error:
        raise Forbidden from error
    return Store.objects.get(pk=store_id)


def stored_file(storage_file, name: str) -> FileResponse:
    """A stored photo (the shopper's, of a return line or a claim, or an inspector's) as staff
    pages serve it: its type from its name, kept privately by the browser, never sniffed."""
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(storage_file, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
