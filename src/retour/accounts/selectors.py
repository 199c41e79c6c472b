"""Reads for the staff and API key pages, each one query."""

from django.db.models import Exists, F, OuterRef, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from retour.accounts.models import ApiKey, Membership, StaffSecurity
from retour.commerce.models import Store


def staff_of(store: Store) -> QuerySet[Membership]:
    """The store's staff with their user, each marked `has_two_factor`, owners first."""
    confirmed = TOTPDevice.objects.filter(user=OuterRef("user_id"), confirmed=True)
    return (
        Membership.objects.filter(store=store)
        .select_related("user")
        .annotate(has_two_factor=Exists(confirmed))
        .order_by("role", "user__username")
    )


def api_keys_of(store: Store) -> QuerySet[ApiKey]:
    """The store's keys, live ones first, newest first; with who created them."""
    return (
        ApiKey.objects.filter(store=store)
        .select_related("created_by")
        .order_by(F("revoked_at").asc(nulls_first=True), "-created_at")
    )


def requires_two_factor(store: Store) -> bool:
    return StaffSecurity.objects.filter(store=store, require_two_factor=True).exists()
