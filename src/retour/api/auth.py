"""API authentication: a per-store API key (Bearer), or a signed-in staff member's session."""

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from retour.accounts.access import Access, api_key_access, staff_access
from retour.accounts.services import hash_api_key


class ApiKeyAuth(HttpBearer):
    openapi_description = "A store's API key: `Authorization: Bearer rtk_…`"

    def authenticate(self, request: HttpRequest, token: str) -> Access | None:
        return api_key_access(hash_api_key(token))


class StaffSessionAuth(SessionAuth):
    """The dashboard's session cookie (CSRF-checked), for staff calling the API from a browser."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Access | None:
        user = super().authenticate(request, key)
        return staff_access(user) if user else None
