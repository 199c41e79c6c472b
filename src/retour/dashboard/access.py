"""Which dashboard pages a staff member may open, beyond the scopes of `accounts.access`."""

from django.http import HttpRequest

from retour.accounts.models import Membership
from retour.accounts.scopes import Role

_CACHE = "_retour_owned_store_ids"


def owned_store_ids(request: HttpRequest) -> list[int]:
    """The stores the signed-in user owns (role owner); one query per request at most."""
    if not request.user.is_authenticated:
        return []
    cached = getattr(request, _CACHE, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=request.user, role=Role.OWNER)
            .order_by("store_id")
            .values_list("store_id", flat=True)
        )
        setattr(request, _CACHE, cached)
    return cached
