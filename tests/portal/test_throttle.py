"""The look-up's limits are counted by `accounts.throttle`, in the table the staff sign-in uses."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from retour.accounts.models import Throttle
from tests.portal.flow import look_up
from tests.portal.helpers import shopper_order

BEFORE = [("portal", "0001_initial"), ("accounts", "0002_throttle_staffsecurity")]


@pytest.fixture
def order(store_a):
    return shopper_order(store_a)


def test_a_blocked_look_up_is_counted_in_the_accounts_table(order, settings):
    settings.RETOUR_PORTAL = {**settings.RETOUR_PORTAL, "LOOKUPS_PER_IP": 1}
    client = Client()
    look_up(client, "store-a", "1", "eve@example.com")
    assert look_up(client, "store-a", "1042", "ada@example.com").status_code == 429

    Throttle.objects.all().delete()

    assert look_up(client, "store-a", "1042", "ada@example.com").status_code == 302


def test_staff_sign_in_failures_do_not_count_against_the_look_up(order, settings):
    settings.RETOUR_PORTAL = {**settings.RETOUR_PORTAL, "LOOKUPS_PER_IP": 2}
    client = Client(REMOTE_ADDR="10.3.0.1")
    for _ in range(3):
        client.post("/dashboard/login/", {"username": "nobody", "password": "wrong"})

    assert look_up(client, "store-a", "1042", "ada@example.com").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_portals_rows_to_accounts():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    ends = timezone.now() + timedelta(minutes=5)
    apps.get_model("portal", "Throttle").objects.create(key="a" * 64, count=4, window_ends=ends)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest of every app

    moved = Throttle.objects.get(key="a" * 64)
    assert (moved.count, moved.window_ends) == (4, ends)
    assert "portal_throttle" not in connection.introspection.table_names()
