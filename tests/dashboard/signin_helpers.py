"""Helpers for the sign-in tests: a staff member with a password, an authenticator, its codes."""

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from retour.accounts import security
from tests.factories import SYSTEM

PASSWORD = "correct-horse-battery-42"


def with_password(user, password: str = PASSWORD):
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def current_code(device: TOTPDevice) -> str:
    """The code the authenticator app shows now (RFC 6238, as the device computes it)."""
    return (
        f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    )


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    """`user` with a confirmed authenticator and fresh backup codes, enrolled as on the page.
    The device's last used step is reset so the current code signs in once more."""
    device = security.pending_totp(user)
    codes = security.confirm_totp(user=user, code=current_code(device), actor=SYSTEM)
    device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    return device, codes
