"""The signed-in staff member's own security: two-factor set-up (QR code, secret, confirming
code), backup codes, turning it off, and the password.

Backup codes are shown once, right after they are made: they travel to the next page in the
session and are removed from it as soon as the page is shown.
"""

from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from retour.accounts import security
from retour.core.actors import Actor
from retour.core.errors import DomainError
from retour.dashboard.views.common import signed_in, staff_only

CODES_KEY = "backup_codes_once"


def _show_codes_once(request: HttpRequest, codes: list[str]) -> None:
    request.session[CODES_KEY] = [f"{code[:5]}-{code[5:]}" for code in codes]


@signed_in
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Without an authenticator: the set-up (QR code, secret, a code to confirm). With one: its
    state, the backup codes left, and the buttons to renew them or turn two factors off."""
    user = request.user
    if request.method == "POST":
        try:
            codes = security.confirm_totp(
                user=user, code=request.POST.get("code", "")[:20], actor=Actor.staff(user)
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            otp_login(request, security.confirmed_totp(user))
            _show_codes_once(request, codes)
            messages.success(request, _("Two-factor sign-in is on."))
        return redirect("dashboard:two-factor")
    second_factor = security.second_factor(user)
    context = {
        "enabled": second_factor.enabled,
        "required": second_factor.required,
        "codes": request.session.pop(CODES_KEY, None),
    }
    if context["enabled"]:
        context["remaining"] = security.remaining_backup_codes(user)
    else:
        device = security.pending_totp(user)
        context["secret"] = b32encode(device.bin_key).decode()
        context["qr"] = segno.make(device.config_url, error="m").svg_inline(
            scale=5, title=_("QR code to scan with your authenticator app")
        )
    return render(request, "dashboard/two_factor.html", context)


@staff_only
@require_POST
def renew_backup_codes(request: HttpRequest) -> HttpResponse:
    try:
        codes = security.renew_backup_codes(user=request.user, actor=Actor.staff(request.user))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        _show_codes_once(request, codes)
        messages.success(request, _("New backup codes made: the old ones no longer work."))
    return redirect("dashboard:two-factor")


@staff_only
@require_POST
def disable_two_factor(request: HttpRequest) -> HttpResponse:
    try:
        security.disable_two_factor(user=request.user, actor=Actor.staff(request.user))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("dashboard:two-factor")


@method_decorator(staff_only, name="dispatch")
class PasswordChange(auth_views.PasswordChangeView):
    """Django's password change (old password, new one twice, the password validators), kept
    signed in afterwards; the change is audited."""

    template_name = "dashboard/password_change.html"
    success_url = reverse_lazy("dashboard:two-factor")

    @transaction.atomic
    def form_valid(self, form):
        answer = super().form_valid(form)
        security.audit_staff(
            user=self.request.user,
            actor=Actor.staff(self.request.user),
            verb="staff.password_changed",
        )
        messages.success(self.request, _("Your password was changed."))
        return answer
