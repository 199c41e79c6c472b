"""Domain errors: raised by services, turned into HTTP answers by the API and pages.

Each error has a stable machine-readable `code`, a translated human `message` and the HTTP status
an interface should answer with.
"""

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.details = details


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    http_status = 403


class InvalidRequest(DomainError):
    code = "invalid"
    http_status = 422


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
