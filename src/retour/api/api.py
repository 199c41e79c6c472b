"""The REST API, `/api/v1`: routes are thin; the rules live in the domain services."""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from retour import __version__
from retour.api.auth import ApiKeyAuth, StaffSessionAuth
from retour.api.routes import (
    claims,
    eligibility,
    insights,
    logistics,
    orders,
    refunds,
    returns,
    stores,
    warehouse,
)
from retour.core.errors import DomainError

api = NinjaAPI(
    title="Retour API",
    version=__version__,
    description=(
        "Returns and refunds for online shops. Authenticate with a store's API key "
        "(`Authorization: Bearer rtk_…`). Errors are JSON objects with a `code` and a `message`."
    ),
    urls_namespace="api-v1",
    auth=[ApiKeyAuth(), StaffSessionAuth()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/stores", stores.router)
api.add_router("/stores", orders.router)
api.add_router("/stores", eligibility.router)
api.add_router("/stores", returns.router)
api.add_router("/stores", claims.router)
api.add_router("/stores", warehouse.router)
api.add_router("", logistics.router)  # /stores/{store}/… and /webhooks/carriers/…
api.add_router("", refunds.router)  # /stores/{store}/… and /webhooks/stripe/…
api.add_router("", insights.router)  # /public/{store}/products/{product}/fit-advice


def _error(request: HttpRequest, status: int, code: str, message: str, **details) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "details": details}, status=status
    )


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.http_status, exc.code, exc.message, **exc.details)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"location": list(map(str, error.get("loc", []))), "message": error.get("msg", "")}
        for error in exc.errors
    ]
    return _error(request, 422, "invalid", "The request is not valid.", errors=errors)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "A valid API key or staff session is needed.")


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", "Not found.")
