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
    # Granted to owners only: the person who counted a parcel is not the one who corrects it.
    RECEIPTS_CORRECT = "receipts:correct", _("Correct the quantities of a received parcel")
    RETURNS_RESOLVE = "returns:resolve", _("Resolve and close returns")
    REFUNDS_WRITE = "refunds:write", _("Request, retry and cancel refunds")
    # Four eyes: the second approval of a large refund, by another person than who asked.
    REFUNDS_APPROVE = "refunds:approve", _("Give large refunds their second approval")
    STORE_CREDIT = "store_credit:redeem", _("Read and redeem shoppers' store credit")
    STAFF_MANAGE = "staff:manage", _("Manage the store's staff, roles and API keys")
    # Return rates, products to fix, shoppers to watch: the owner, support (who talks to the
    # shoppers) and finance (who pays the refunds); not the warehouse.
    INSIGHTS_READ = "insights:read", _("Read the insights on returns")


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
            Scope.INSIGHTS_READ,
        }
    ),
    Role.WAREHOUSE: frozenset(
        {Scope.ORDERS_READ, Scope.RETURNS_READ, Scope.RETURNS_LOGISTICS, Scope.RETURNS_RECEIVE}
    ),
    Role.FINANCE: frozenset(
        {
            Scope.ORDERS_READ,
            Scope.RETURNS_READ,
            Scope.RETURNS_RESOLVE,
            Scope.REFUNDS_WRITE,
            Scope.REFUNDS_APPROVE,
            Scope.STORE_CREDIT,
            Scope.INSIGHTS_READ,
        }
    ),
}
