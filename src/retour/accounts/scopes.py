"""What a caller may do. API keys carry scopes; staff get the scopes of their role."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    ORDERS_READ = "orders:read", _("Read orders")
    ORDERS_WRITE = "orders:write", _("Create and update orders")
    RETURNS_READ = "returns:read", _("Read returns and claims")
    RETURNS_WRITE = "returns:write", _("Create and cancel returns and claims")
    RETURNS_REVIEW = "returns:review", _("Approve and reject returns")
    RETURNS_LOGISTICS = "returns:logistics", _("Record labels and carrier progress")
    RETURNS_RECEIVE = "returns:receive", _("Receive and inspect returned items")
    RETURNS_RESOLVE = "returns:resolve", _("Resolve and close returns")


class Role(models.TextChoices):
    """A staff member's job in one store."""

    OWNER = "owner", _("Owner")
    SUPPORT = "support", _("Support")
    WAREHOUSE = "warehouse", _("Warehouse")
    FINANCE = "finance", _("Finance")


ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(Scope.values),
    Role.SUPPORT: frozenset(
        {
            Scope.ORDERS_READ,
            Scope.RETURNS_READ,
            Scope.RETURNS_WRITE,
            Scope.RETURNS_REVIEW,
            Scope.RETURNS_LOGISTICS,
        }
    ),
    Role.WAREHOUSE: frozenset(
        {Scope.ORDERS_READ, Scope.RETURNS_READ, Scope.RETURNS_LOGISTICS, Scope.RETURNS_RECEIVE}
    ),
    Role.FINANCE: frozenset({Scope.ORDERS_READ, Scope.RETURNS_READ, Scope.RETURNS_RESOLVE}),
}
