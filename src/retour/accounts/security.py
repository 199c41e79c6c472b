"""Staff sign-in security: two-factor devices (django-otp), backup codes, the stores' rule that
requires them, and the audit of sign-ins.

A staff member's authenticator is a TOTP device (RFC 6238, 30-second codes); their backup codes
are one static device whose tokens are each accepted once. A device is created unconfirmed
when enrolment starts and only counts once a code from the authenticator has confirmed it.

Users are not per store, but the audit log is: a sign-in or a two-factor change is written to the
log of every store the person is on the staff of, so each store's owners see it.
"""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from retour.accounts.models import StaffSecurity
from retour.commerce.audit import record_audit
from retour.commerce.models import Store
from retour.core.actors import Actor
from retour.core.errors import Conflict, InvalidRequest

BACKUP_CODES = 10
# Backup codes: 10 characters from an alphabet without look-alikes, shown as two groups of 5.
BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TOTP_NAME = "authenticator"
BACKUP_NAME = "backup codes"


def audit_staff(*, user, actor: Actor, verb: str, data: dict | None = None) -> None:
    """Write `verb` about `user` to the audit log of each store they are on the staff of."""
    for store in Store.objects.filter(memberships__user=user).order_by("pk"):
        record_audit(store=store, actor=actor, verb=verb, obj=user, data=data)


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@dataclass(frozen=True)
class SecondFactor:
    enabled: bool  # a confirmed authenticator
    required: bool  # a store they work for requires its staff to sign in with two factors


def second_factor(user) -> SecondFactor:
    """Both answers in one query: every dashboard request of someone signed in without a
    second factor asks them."""
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    requiring = StaffSecurity.objects.filter(
        store__memberships__user=OuterRef("pk"), require_two_factor=True
    )
    enabled, required = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(enabled=Exists(confirmed), required=Exists(requiring))
        .values_list("enabled", "required")
        .get()
    )
    return SecondFactor(enabled, required)


def pending_totp(user) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (a new secret when none is)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def _backup_code() -> str:
    return "".join(secrets.choice(BACKUP_ALPHABET) for _n in range(10))


def _new_backup_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [_backup_code() for _n in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def confirm_totp(*, user, code: str, actor: Actor) -> list[str]:
    """Confirm the authenticator being enrolled with a code it shows; returns the new backup
    codes (shown once). A wrong code changes nothing but the device's throttle."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise Conflict(_("Start the set-up again: no authenticator is waiting for its code."))
    if not device.verify_token(normalize_code(code)):
        raise InvalidRequest(_("That code is not the one your authenticator shows. Try again."))
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_backup_codes(user)
    audit_staff(user=user, actor=actor, verb="staff.two_factor_enabled")
    return codes


@transaction.atomic
def renew_backup_codes(*, user, actor: Actor) -> list[str]:
    if not has_two_factor(user):
        raise Conflict(_("Set up an authenticator first."))
    codes = _new_backup_codes(user)
    audit_staff(user=user, actor=actor, verb="staff.backup_codes_renewed")
    return codes


@transaction.atomic
def disable_two_factor(*, user, actor: Actor) -> None:
    if second_factor(user).required:
        raise Conflict(
            _("A store you work for requires two-factor sign-in: it cannot be turned off.")
        )
    removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    if removed:
        audit_staff(user=user, actor=actor, verb="staff.two_factor_disabled")


def normalize_code(code: str) -> str:
    """A code as typed (spaces, dashes, capitals) in the form the devices store it."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def verify_second_factor(user, code: str) -> Device | None:
    """The device that accepts `code`: six digits are the authenticator's, anything else a
    backup code (used up). Only the device the code's form points to counts the failure."""
    code = normalize_code(code)
    devices = (
        TOTPDevice.objects.filter(user=user, confirmed=True)
        if code.isdigit()
        else StaticDevice.objects.filter(user=user, confirmed=True)
    )
    with transaction.atomic():
        device = devices.select_for_update().first()
        if device is not None and device.verify_token(code):
            return device
    return None


def remaining_backup_codes(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def record_sign_in(*, user, ip: str, verb: str, data: dict | None = None) -> None:
    """Audit a sign-in event of `user`: `staff.signed_in`, `staff.sign_in_failed` (password or
    code) or `staff.sign_in_blocked` (rate limited)."""
    audit_staff(user=user, actor=Actor.staff(user), verb=verb, data={"ip": ip, **(data or {})})


@transaction.atomic
def require_two_factor(*, store: Store, required: bool, actor: Actor) -> StaffSecurity:
    security, _created = StaffSecurity.objects.select_for_update().get_or_create(store=store)
    if security.require_two_factor != required:
        security.require_two_factor = required
        security.save(update_fields=["require_two_factor", "updated_at"])
        record_audit(
            store=store,
            actor=actor,
            verb="store.two_factor_required" if required else "store.two_factor_optional",
            obj=security,
        )
    return security
