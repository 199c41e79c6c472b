from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from retour.accounts.models import ApiKey, Membership
from retour.accounts.services import hash_api_key


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_api_key_command_prints_a_working_key_once_and_stores_its_hash(store_a):
    output = _run("api_key", "--store", store_a.slug, "--name", "sync", "--scope", "orders:read")
    raw_key = next(line for line in output.splitlines() if line.startswith("rtk_"))
    api_key = ApiKey.objects.get(store=store_a, name="sync")
    assert api_key.key_hash == hash_api_key(raw_key)
    assert api_key.scopes == ["orders:read"]


@pytest.mark.django_db
def test_api_key_command_revokes_by_prefix(store_a):
    _run("api_key", "--store", store_a.slug, "--name", "old")
    api_key = ApiKey.objects.get(store=store_a, name="old")
    _run("api_key", "--store", store_a.slug, "--revoke", api_key.prefix)
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


@pytest.mark.django_db
def test_api_key_command_refuses_an_unknown_store():
    with pytest.raises(CommandError, match="No store"):
        _run("api_key", "--store", "nope", "--name", "x")


@pytest.mark.django_db
def test_staff_command_creates_the_user_and_sets_the_role(store_a):
    _run("staff", "--store", store_a.slug, "--email", "Ana@Shop.test", "--role", "finance")
    membership = Membership.objects.get(store=store_a, user__username="ana@shop.test")
    assert membership.role == "finance"
    _run("staff", "--store", store_a.slug, "--email", "ana@shop.test", "--role", "support")
    membership.refresh_from_db()
    assert membership.role == "support"
