"""Staff sign-in: the password, then (when the person has set up an authenticator) a code.

The password step does not open the session: it keeps the user's id in the session as pending
for a few minutes, and only a valid code (from the authenticator, or a backup code) signs in.
So a stolen password alone never yields an authenticated session, not even for the admin site.

Failed attempts (a wrong password or a wrong code) are counted per IP address and per username
in the database (`accounts.throttle`); past the limit every attempt is refused with the time to
wait, before the password is even checked. Each outcome is written to the audit log of the
person's stores (`accounts.security.record_sign_in`).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from retour.accounts import security, throttle

PENDING_KEY = "signin_pending"
PENDING_SECONDS = 300


def _limits() -> tuple[throttle.Limit, throttle.Limit]:
    config = settings.RETOUR_DASHBOARD
    window = timedelta(seconds=config["SIGNIN_WINDOW"])
    return (
        throttle.Limit("signin-ip", config["SIGNIN_FAILURES_PER_IP"], window),
        throttle.Limit("signin-user", config["SIGNIN_FAILURES_PER_USER"], window),
    )


def _ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _wait_message(request: HttpRequest, username: str) -> str | None:
    """The refusal to show when the address or the username is over its limit, else None."""
    per_ip, per_user = _limits()
    wait = throttle.blocked([(per_ip, _ip(request)), (per_user, username.lower())])
    if wait is None:
        return None
    minutes = max(1, int(wait.total_seconds() + 59) // 60)
    return ngettext(
        "Too many failed sign-ins. Try again in %(minutes)d minute.",
        "Too many failed sign-ins. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _failed(request: HttpRequest, username: str, reason: str) -> None:
    per_ip, per_user = _limits()
    throttle.record(per_ip, _ip(request))
    throttle.record(per_user, username.lower())
    user = get_user_model().objects.filter(username__iexact=username).first()
    if user is not None:
        security.record_sign_in(
            user=user, ip=_ip(request), verb="staff.sign_in_failed", data={"reason": reason}
        )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("dashboard:overview")


def _complete(request: HttpRequest, user, *, device=None, backend: str, next_url: str):
    auth_login(request, user, backend=backend)
    data = {}
    if device is not None:
        otp_login(request, device)
        data["second_factor"] = "backup code" if isinstance(device, StaticDevice) else "totp"
    throttle.clear(_limits()[1], user.get_username().lower())
    security.record_sign_in(user=user, ip=_ip(request), verb="staff.signed_in", data=data)
    return redirect(next_url)


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_next(request))
    form = AuthenticationForm(request, data=request.POST or None)
    refusal = None
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        refusal = _wait_message(request, username)
        if refusal is None and form.is_valid():
            user = form.get_user()
            if not security.has_two_factor(user):
                return _complete(request, user, backend=user.backend, next_url=_next(request))
            request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "next": _next(request),
                "until": int(timezone.now().timestamp()) + PENDING_SECONDS,
            }
            return redirect("dashboard:login-verify")
        if refusal is None:
            _failed(request, username, "password")
    return render(
        request,
        "dashboard/login.html",
        {"form": form, "refusal": refusal, "next": _next(request)},
        status=429 if refusal else 200,
    )


def _pending_user(request: HttpRequest):
    pending = request.session.get(PENDING_KEY)
    if not pending or pending["until"] < timezone.now().timestamp():
        return None, pending
    return get_user_model().objects.filter(pk=pending["user"], is_active=True).first(), pending


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("dashboard:login")
    refusal = error = None
    if request.method == "POST":
        refusal = _wait_message(request, user.get_username())
        if refusal is None:
            device = security.verify_second_factor(user, request.POST.get("code", "")[:40])
            if device is not None:
                del request.session[PENDING_KEY]
                return _complete(
                    request,
                    user,
                    device=device,
                    backend=pending["backend"],
                    next_url=pending["next"],
                )
            _failed(request, user.get_username(), "code")
            error = _("That code is not valid. Try again, or use one of your backup codes.")
    return render(
        request,
        "dashboard/login_verify.html",
        {"error": refusal or error},
        status=429 if refusal else 200,
    )
