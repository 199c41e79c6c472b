"""Shared fixtures: the personas of two stores, A and B, and API clients acting as them.

- `owner_a`: owner of store A (every scope there);
- `warehouse_a`: warehouse operator of store A (receives and inspects, cannot approve);
- `staff_b`: owner of store B, who must see nothing of store A.
"""

import os
import shutil

import pytest
from django.test import Client

from retour.accounts.scopes import Role
from tests.factories import SYSTEM, OrderFactory, StoreFactory, api_key, staff_user


def pytest_configure(config):
    # WhiteNoise warns on each request that STATIC_ROOT was never collected: irrelevant here.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the
# live server's threads are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Debian's chromium, as root, on a machine whose only network is the loopback.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    """Skip, saying why, what this machine cannot run: tests marked `postgres` on another
    database, tests marked `browser` without chromium. CI sets RETOUR_REQUIRE_BROWSER=1 so a
    missing browser fails instead."""
    from django.db import connection  # the backend's vendor is known without connecting

    skips = {}
    if connection.vendor != "postgresql":
        skips["postgres"] = (
            f"needs PostgreSQL (row locks between connections); the database is "
            f"{connection.vendor}: set DATABASE_URL=postgres://… to run it"
        )
    if CHROMIUM is None:
        if os.environ.get("RETOUR_REQUIRE_BROWSER"):
            raise pytest.UsageError("browser tests are required but chromium is not installed")
        skips["browser"] = "needs Debian's chromium (apt-get install chromium)"
    for item in items:
        for marker, reason in skips.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system's chromium (never a download)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture
def actor():
    return SYSTEM


@pytest.fixture
def store_a(db):
    return StoreFactory(slug="store-a", name="Store A")


@pytest.fixture
def store_b(db):
    return StoreFactory(slug="store-b", name="Store B")


@pytest.fixture
def owner_a(store_a):
    return staff_user(store_a, Role.OWNER, username="owner-a")


@pytest.fixture
def warehouse_a(store_a):
    return staff_user(store_a, Role.WAREHOUSE, username="warehouse-a")


@pytest.fixture
def staff_b(store_b):
    return staff_user(store_b, Role.OWNER, username="owner-b")


@pytest.fixture
def order_a(store_a):
    """A paid order of store A: two lines (2 units and 1 unit), all delivered."""
    return OrderFactory(store=store_a, lines=[2, 1])


@pytest.fixture
def key_client():
    """`key_client(store, scopes=None)`: a test client authenticated by a new API key."""

    def make(store, scopes=None) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_key(store, scopes)}")

    return make


@pytest.fixture
def session_client():
    """`session_client(user)`: a test client signed in as a staff user (session cookie)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_a(store_a, key_client):
    """Store A's API client, with every scope."""
    return key_client(store_a)


@pytest.fixture
def plain_static_files(settings, tmp_path):
    """Pages read static files through the finders (tests have no collected manifest); uploads
    go to a temporary directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
