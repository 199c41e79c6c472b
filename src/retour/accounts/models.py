from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from retour.accounts.scopes import Role
from retour.commerce.models import Store


class Membership(models.Model):
    """A staff user's role in one store. A user may belong to several stores."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "store"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.store} · {self.role}"


class ApiKey(models.Model):
    """A per-store API key. Only its SHA-256 is stored; the key is shown once, at creation.

    SHA-256 (not a slow password hash) is right here: the key has 256 random bits, so it cannot
    be guessed, and a fast hash keeps authentication at one indexed query per request.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, help_text=_("Shown to recognise the key"))
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class StaffSecurity(models.Model):
    """A store's rules for its staff's sign-in, set by an owner (absent: the defaults)."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="staff_security")
    require_two_factor = models.BooleanField(
        _("require two-factor sign-in"),
        default=False,
        help_text=_("Staff without a confirmed authenticator must set one up before going on."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.store} · 2FA {'required' if self.require_two_factor else 'optional'}"


class Throttle(models.Model):
    """A counter of attempts for one key (an IP address, a username, an order number) in a window.

    Kept in the database so every process and host shares it (the default cache is per process).
    The key is a SHA-256 digest: no address or name is stored in clear. See `throttle.py`.
    """

    key = models.CharField(max_length=64, unique=True)
    count = models.PositiveIntegerField(default=0)
    window_ends = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.count}"
