"""The header's links: each shown only to staff whose role opens the page behind it, by the
same scope (or roles, for settings and operations) the page itself checks."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from retour.accounts.access import Access
from retour.accounts.scopes import Role, Scope
from retour.dashboard.views.settings import SECTIONS


@dataclass(frozen=True)
class Link:
    url_name: str
    label: Promise
    scope: Scope | None = None  # needed in at least one of the user's stores
    roles: frozenset[str] | None = None  # or: one of these roles in at least one store

    def opens_for(self, access: Access) -> bool:
        grants = access.grants.values()
        if self.scope is not None:
            return any(self.scope in grant.scopes for grant in grants)
        if self.roles is not None:
            return any(grant.role in self.roles for grant in grants)
        return True


SETTINGS_ROLES = frozenset().union(*(section.roles for section in SECTIONS))

LINKS = (
    Link("dashboard:overview", _("Overview"), Scope.RETURNS_READ),
    Link("dashboard:returns", _("Returns"), Scope.RETURNS_READ),
    Link("dashboard:claims", _("Claims"), Scope.RETURNS_READ),
    Link("dashboard:receiving", _("Receiving"), Scope.RETURNS_RECEIVE),
    Link("dashboard:inspection", _("Inspection"), Scope.RETURNS_RECEIVE),
    Link("dashboard:daily-report", _("Daily report"), Scope.RETURNS_RECEIVE),
    Link("dashboard:insights", _("Insights"), Scope.INSIGHTS_READ),
    Link("dashboard:refund-deadlines", _("Refund deadlines"), Scope.RETURNS_RESOLVE),
    Link("dashboard:refunds-to-record", _("Refunds to record"), Scope.REFUNDS_WRITE),
    Link("dashboard:settings-stores", _("Settings"), roles=SETTINGS_ROLES),
    Link("dashboard:operations", _("Operations"), roles=frozenset({Role.OWNER})),
    Link("dashboard:two-factor", _("Your account")),
)


def links_for(access: Access) -> list[tuple[str, Promise]]:
    """(URL, label) of the pages the staff member may open, in the header's order."""
    return [(reverse(link.url_name), link.label) for link in LINKS if link.opens_for(access)]
