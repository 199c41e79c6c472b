"""The header shows each staff member the pages their role opens, and no others."""

import pytest
from django.urls import reverse

from retour.accounts.scopes import Role
from retour.dashboard.navigation import LINKS
from tests.factories import staff_user

pytestmark = pytest.mark.django_db

EVERY_PAGE = {link.url_name for link in LINKS}
FOR_ROLE = {
    Role.OWNER: EVERY_PAGE,
    Role.SUPPORT: {
        "dashboard:overview",
        "dashboard:returns",
        "dashboard:claims",
        "dashboard:insights",
        "dashboard:settings-stores",
        "dashboard:two-factor",
    },
    Role.FINANCE: {
        "dashboard:overview",
        "dashboard:returns",
        "dashboard:claims",
        "dashboard:insights",
        "dashboard:refund-deadlines",
        "dashboard:refunds-to-record",
        "dashboard:settings-stores",
        "dashboard:two-factor",
    },
    Role.WAREHOUSE: {
        "dashboard:overview",
        "dashboard:returns",
        "dashboard:claims",
        "dashboard:receiving",
        "dashboard:inspection",
        "dashboard:daily-report",
        "dashboard:two-factor",
    },
}


def _links_shown(client, user) -> set[str]:
    client.force_login(user)
    html = client.get(reverse("dashboard:two-factor")).content.decode()
    return {name for name in EVERY_PAGE if f'href="{reverse(name)}"' in html}


@pytest.mark.parametrize("role", list(FOR_ROLE))
def test_each_role_sees_the_links_of_the_pages_it_may_open(client, store_a, role):
    assert _links_shown(client, staff_user(store_a, role)) == FOR_ROLE[role]


@pytest.mark.parametrize("role", list(FOR_ROLE))
def test_every_link_shown_opens(client, store_a, role):
    user = staff_user(store_a, role)
    for name in _links_shown(client, user):
        assert client.get(reverse(name), follow=True).status_code == 200, name
