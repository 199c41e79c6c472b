"""What every dashboard page shares: the sign-in requirement and the stores a role may use."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.urls import reverse_lazy

from retour.accounts.access import staff_access
from retour.accounts.scopes import Scope

LOGIN = reverse_lazy("dashboard:login")

staff_only = login_required(login_url=LOGIN)


def store_ids_with(request: HttpRequest, scope: Scope) -> list[int]:
    """The stores where the signed-in staff member's role grants `scope`."""
    access = staff_access(request.user)
    return [g.store_id for g in access.grants.values() if scope in g.scopes]
