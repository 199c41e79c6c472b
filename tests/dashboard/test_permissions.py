"""Who may open which dashboard page or run which action: one table, every role of store A, and
the owner of store B, who must see nothing of A.

To add a page: add a `Page` row to `PAGES` (its URL name, method, path with placeholders, the
roles that may use it) and, if its path names an object, a builder in `OBJECTS`. A role outside
`allowed` gets `denied` (403 by default: its own store, a scope its role lacks); store B's owner
gets 404 on every page whose path names something of store A (its existence is not revealed),
and on the pages that list "my stores" sees only B (`test_store_b_sees_nothing_of_a_on_…`).
`test_every_dashboard_page_is_in_the_table` fails when a page has no row.
"""

from dataclasses import dataclass, field

import pytest
from django.urls import get_resolver

from retour.accounts.models import ApiKey, Membership
from retour.accounts.scopes import ROLE_SCOPES, Role, Scope
from retour.commerce.models import Warehouse
from retour.returns.choices import ReturnStatus
from tests.factories import OrderFactory, ReturnFactory, api_key, staff_user

ALL = frozenset(Role.values)
OWNER = frozenset({Role.OWNER})
# Pages with no sign-in or their own check: the sign-in steps, sign-out, the invitation link.
PUBLIC = {"login", "login-verify", "logout", "welcome"}


def roles_with(scope: Scope) -> frozenset[str]:
    """The roles whose scopes (accounts/scopes.py) include `scope`."""
    return frozenset(role for role, scopes in ROLE_SCOPES.items() if scope in scopes)


@dataclass(frozen=True)
class Page:
    name: str  # the URL name in the `dashboard` namespace
    method: str
    path: str  # `{store}` and the keys of OBJECTS are filled in from store A's objects
    allowed: frozenset[str]
    data: dict = field(default_factory=dict)
    ok: int = 200  # what an allowed role gets (a POST action redirects: 302)
    denied: int = 403  # what another role of store A gets
    names_store_a: bool = True  # whether store B's owner must get 404 (the path names A's data)
    by_role: dict = field(default_factory=dict)  # role → status, where a role gets another answer


PAGES = [
    Page("overview", "GET", "/dashboard/", roles_with(Scope.RETURNS_READ), names_store_a=False),
    Page("overview", "GET", "/dashboard/?store={store}", roles_with(Scope.RETURNS_READ)),
    Page("two-factor", "GET", "/dashboard/account/", ALL, names_store_a=False),
    Page("password-change", "GET", "/dashboard/account/password", ALL, names_store_a=False),
    Page(
        "backup-codes", "POST", "/dashboard/account/backup-codes", ALL, ok=302, names_store_a=False
    ),
    Page(
        "two-factor-off",
        "POST",
        "/dashboard/account/two-factor/off",
        ALL,
        ok=302,
        names_store_a=False,
    ),
    # Staff, roles and API keys: the owners'.
    Page("staff", "GET", "/dashboard/settings/{store}/staff/", roles_with(Scope.STAFF_MANAGE)),
    Page(
        "staff",
        "POST",
        "/dashboard/settings/{store}/staff/",
        roles_with(Scope.STAFF_MANAGE),
        data={"email": "new.person@example.com", "role": Role.SUPPORT},
        ok=302,
    ),
    Page(
        "staff-member",
        "POST",
        "/dashboard/settings/{store}/staff/{member}",
        roles_with(Scope.STAFF_MANAGE),
        data={"role": Role.FINANCE},
        ok=302,
    ),
    Page(
        "staff-member",
        "POST",
        "/dashboard/settings/{store}/staff/{member}",
        roles_with(Scope.STAFF_MANAGE),
        data={"remove": "1"},
        ok=302,
    ),
    Page(
        "staff-two-factor",
        "POST",
        "/dashboard/settings/{store}/staff/two-factor",
        roles_with(Scope.STAFF_MANAGE),
        data={"required": "on"},
        ok=302,
    ),
    Page(
        "api-keys", "GET", "/dashboard/settings/{store}/api-keys/", roles_with(Scope.STAFF_MANAGE)
    ),
    Page(
        "api-keys",
        "POST",
        "/dashboard/settings/{store}/api-keys/",
        roles_with(Scope.STAFF_MANAGE),
        data={"name": "shop sync", "scopes": [Scope.ORDERS_WRITE]},
        ok=302,
    ),
    Page(
        "api-key-revoke",
        "POST",
        "/dashboard/settings/{store}/api-keys/{key}/revoke",
        roles_with(Scope.STAFF_MANAGE),
        ok=302,
    ),
    # The warehouse: the station answers every role (it finds nothing outside its stores).
    Page("receiving", "GET", "/dashboard/receiving/", ALL, names_store_a=False),
    Page(
        "receiving-scan",
        "POST",
        "/dashboard/receiving/scan",
        ALL,
        data={"code": "{rma}"},
        ok=302,
        names_store_a=False,
    ),
    Page(
        "receiving-receive",
        "POST",
        "/dashboard/receiving/receive",
        ALL,
        ok=302,
        names_store_a=False,
    ),
    Page("receiving-clear", "POST", "/dashboard/receiving/clear", ALL, ok=302, names_store_a=False),
    Page(
        "receiving-warehouse",
        "POST",
        "/dashboard/receiving/warehouse",
        roles_with(Scope.RETURNS_RECEIVE),
        data={"warehouse": "{warehouse}"},
        ok=302,
        denied=404,
    ),
    Page(
        "refund-deadlines",
        "GET",
        "/dashboard/refunds/deadlines",
        roles_with(Scope.RETURNS_RESOLVE),
        names_store_a=False,
    ),
    Page("daily-report", "GET", "/dashboard/reports/daily", ALL, names_store_a=False),
    Page(
        "daily-report-csv",
        "GET",
        "/dashboard/reports/daily.csv?store={store}",
        roles_with(Scope.RETURNS_RECEIVE),
        denied=404,
    ),
    Page("operations", "GET", "/dashboard/operations/", OWNER, names_store_a=False),
    # Insights: owner, support and finance (`insights:read`), not the warehouse.
    *(
        Page(name, "GET", path + suffix, roles_with(Scope.INSIGHTS_READ), names_store_a=named)
        for name, path in (
            ("insights", "/dashboard/insights/"),
            ("insights-products", "/dashboard/insights/products"),
            ("insights-shoppers", "/dashboard/insights/shoppers"),
        )
        for suffix, named in (("", False), ("?store={store}", True))
    ),
    Page(
        "inspection",
        "GET",
        "/dashboard/inspection/",
        roles_with(Scope.RETURNS_RECEIVE),
        names_store_a=False,
    ),
    # The returns queue and a return's page.
    Page(
        "returns", "GET", "/dashboard/returns/", roles_with(Scope.RETURNS_READ), names_store_a=False
    ),
    Page("return", "GET", "/dashboard/returns/{rma}/", roles_with(Scope.RETURNS_READ)),
    Page(
        "returns-save-view",
        "POST",
        "/dashboard/returns/views/save",
        roles_with(Scope.RETURNS_READ),
        data={"name": "to inspect", "query": "status=received"},
        ok=302,
        names_store_a=False,
    ),
    Page(
        "refund-deadlines",
        "GET",
        "/dashboard/refunds/deadlines",
        roles_with(Scope.RETURNS_RESOLVE),
        names_store_a=False,
    ),
    # Settings (dashboard/views/settings.py SECTIONS: the roles of each section).
    # One store where the role opens a section: straight to its settings; none: an empty list.
    Page(
        "settings-stores",
        "GET",
        "/dashboard/settings/",
        ALL,
        ok=302,
        names_store_a=False,
        by_role={Role.WAREHOUSE: 200},
    ),
    Page("settings", "GET", "/dashboard/settings/{store}/", ALL - {Role.WAREHOUSE}),
    Page("settings-branding", "GET", "/dashboard/settings/{store}/branding", OWNER),
    Page("settings-policy", "GET", "/dashboard/settings/{store}/policy", OWNER),
    Page(
        "settings-reasons",
        "GET",
        "/dashboard/settings/{store}/reasons/",
        frozenset({Role.OWNER, Role.SUPPORT}),
    ),
    Page("settings-carriers", "GET", "/dashboard/settings/{store}/carriers/", OWNER),
    Page(
        "settings-emails",
        "GET",
        "/dashboard/settings/{store}/emails/",
        frozenset({Role.OWNER, Role.SUPPORT}),
    ),
    Page("settings-webhooks", "GET", "/dashboard/settings/{store}/webhooks/", OWNER),
    Page(
        "settings-refunds",
        "GET",
        "/dashboard/settings/{store}/refunds",
        frozenset({Role.OWNER, Role.FINANCE}),
    ),
]


def _member(world):
    return Membership.objects.get(user=world["users"][Role.SUPPORT], store=world["store"]).pk


def _key(world):
    api_key(world["store"], [Scope.RETURNS_READ], name="to revoke")
    return ApiKey.objects.get(store=world["store"], name="to revoke").pk


def _warehouse(world):
    return Warehouse.objects.create(store=world["store"], name="Second", code="w2", country="FR").pk


# Placeholder → how to make store A's object it names (only built when a row uses it).
OBJECTS = {
    "member": _member,
    "key": _key,
    "warehouse": _warehouse,
    "rma": lambda world: world["return"].rma,
}


@pytest.fixture
def world(store_a, store_b):
    """Store A with one person per role and a return; store B with its owner."""
    users = {role: staff_user(store_a, role, username=f"{role}-a") for role in Role.values}
    return {
        "store": store_a,
        "users": users,
        "owner_b": staff_user(store_b, Role.OWNER, username="owner-b"),
        "return": ReturnFactory(
            order=OrderFactory(store=store_a, lines=[1]), status=ReturnStatus.IN_TRANSIT
        ),
        "return_b": ReturnFactory(
            order=OrderFactory(store=store_b, lines=[1]), status=ReturnStatus.IN_TRANSIT
        ),
    }


def _fill(text: str, world) -> str:
    values = {"store": world["store"].slug}
    for key, build in OBJECTS.items():
        if "{" + key + "}" in text:
            values[key] = build(world)
    return text.format(**values)


def _call(client, page: Page, world):
    path = _fill(page.path, world)
    data = {
        key: (_fill(value, world) if isinstance(value, str) else value)
        for key, value in page.data.items()
    }
    return client.get(path) if page.method == "GET" else client.post(path, data)


def _id(page: Page) -> str:
    return f"{page.method} {page.path}{'+' + ','.join(page.data) if page.data else ''}"


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_each_role_gets_what_the_table_says(page, role, world, session_client):
    client = session_client(world["users"][role])

    answer = _call(client, page, world)

    expected = page.by_role.get(role, page.ok if role in page.allowed else page.denied)
    assert answer.status_code == expected, (page.path, role, answer.status_code)


@pytest.mark.parametrize("page", [page for page in PAGES if page.names_store_a], ids=_id)
def test_store_b_staff_get_404_for_what_names_store_a(page, world, session_client):
    client = session_client(world["owner_b"])

    assert _call(client, page, world).status_code == 404


@pytest.mark.parametrize(
    "page",
    [page for page in PAGES if not page.names_store_a and page.method == "GET"],
    ids=_id,
)
def test_store_b_sees_nothing_of_a_on_the_pages_of_all_my_stores(page, world, session_client):
    client = session_client(world["owner_b"])

    html = _call(client, page, world).content.decode()

    assert world["return"].rma not in html
    assert "Store A" not in html


def test_an_anonymous_visitor_is_sent_to_sign_in(world, client):
    for page in PAGES:
        answer = _call(client, page, world)
        assert answer.status_code == 302, page.path
        assert answer["Location"].startswith("/dashboard/login/"), page.path


def test_every_dashboard_page_is_in_the_table():
    resolver = get_resolver().namespace_dict["dashboard"][1]
    names = {pattern.name for pattern in resolver.url_patterns}

    missing = names - PUBLIC - {page.name for page in PAGES}

    assert not missing, f"add rows to PAGES for: {sorted(missing)}"
