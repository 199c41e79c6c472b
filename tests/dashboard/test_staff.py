"""The owners' staff and API key pages: each change made through the services and audited."""

import re

from django.core import mail
from django.test import Client

from retour.accounts.models import ApiKey, Membership, StaffSecurity
from retour.accounts.scopes import Role, Scope
from retour.accounts.services import hash_api_key
from retour.commerce.models import AuditEvent
from tests.factories import staff_user

STAFF = "/dashboard/settings/store-a/staff/"
KEYS = "/dashboard/settings/store-a/api-keys/"
GOOD_PASSWORD = "a-long-and-private-phrase-7"


def _verbs(store):
    return list(AuditEvent.objects.filter(store=store).values_list("verb", flat=True))


def test_inviting_someone_new_gives_a_link_where_they_choose_a_password(
    store_a, owner_a, session_client, django_capture_on_commit_callbacks
):
    client = session_client(owner_a)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            STAFF, {"email": "Nina@Example.com", "role": Role.SUPPORT}, follow=True
        )

    membership = Membership.objects.get(store=store_a, user__username="nina@example.com")
    assert membership.role == Role.SUPPORT
    assert "membership.invited" in _verbs(store_a)
    link = re.search(
        r"<code>(http://testserver/dashboard/welcome/[^<]+)</code>", answer.content.decode()
    )
    assert link is not None
    assert mail.outbox[0].to == ["nina@example.com"]
    assert link.group(1) in mail.outbox[0].body
    welcome = Client()
    form = welcome.get(link.group(1), follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    weak = welcome.post(set_url, {"new_password1": "short", "new_password2": "short"})
    assert "This password is too short. It must contain at least 12 characters." in (
        weak.content.decode()
    )
    common = welcome.post(
        set_url, {"new_password1": "password1234", "new_password2": "password1234"}
    )
    assert "This password is too common." in common.content.decode()
    done = welcome.post(set_url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert done["Location"] == "/dashboard/login/"
    signed = Client().post(
        "/dashboard/login/", {"username": "nina@example.com", "password": GOOD_PASSWORD}
    )
    assert signed["Location"] == "/dashboard/"
    assert Client().get(link.group(1), follow=True).context["validlink"] is False


def test_someone_already_on_the_staff_is_not_invited_twice(
    store_a, owner_a, warehouse_a, session_client
):
    answer = session_client(owner_a).post(
        STAFF, {"email": warehouse_a.email.upper(), "role": Role.FINANCE}
    )

    assert answer.status_code == 400
    assert "is already on this store" in answer.content.decode()
    assert Membership.objects.get(user=warehouse_a).role == Role.WAREHOUSE


def test_an_owner_changes_a_role_and_the_change_is_audited(
    store_a, owner_a, warehouse_a, session_client
):
    member = Membership.objects.get(user=warehouse_a)

    session_client(owner_a).post(f"{STAFF}{member.pk}", {"role": Role.FINANCE})

    member.refresh_from_db()
    assert member.role == Role.FINANCE
    event = AuditEvent.objects.get(store=store_a, verb="membership.role_changed")
    assert event.data == {"user": "warehouse-a", "from": "warehouse", "to": "finance"}
    assert event.actor_user == owner_a


def test_an_owner_removes_someone(store_a, owner_a, warehouse_a, session_client):
    member = Membership.objects.get(user=warehouse_a)

    session_client(owner_a).post(f"{STAFF}{member.pk}", {"remove": "1"})

    assert not Membership.objects.filter(pk=member.pk).exists()
    assert "membership.removed" in _verbs(store_a)


def test_the_last_owner_can_be_neither_removed_nor_demoted(store_a, owner_a, session_client):
    member = Membership.objects.get(user=owner_a)
    client = session_client(owner_a)

    demoted = client.post(f"{STAFF}{member.pk}", {"role": Role.SUPPORT}, follow=True)
    removed = client.post(f"{STAFF}{member.pk}", {"remove": "1"}, follow=True)

    assert "A store needs at least one owner" in demoted.content.decode()
    assert "A store needs at least one owner" in removed.content.decode()
    member.refresh_from_db()
    assert member.role == Role.OWNER
    assert "membership.role_changed" not in _verbs(store_a)


def test_with_a_second_owner_the_first_may_step_down(store_a, owner_a, session_client):
    staff_user(store_a, Role.OWNER, username="second-owner")
    member = Membership.objects.get(user=owner_a)

    session_client(owner_a).post(f"{STAFF}{member.pk}", {"role": Role.SUPPORT})

    member.refresh_from_db()
    assert member.role == Role.SUPPORT


def test_a_member_of_another_store_is_not_found(store_a, owner_a, staff_b, session_client):
    other = Membership.objects.get(user=staff_b)

    answer = session_client(owner_a).post(f"{STAFF}{other.pk}", {"remove": "1"})

    assert answer.status_code == 404
    assert Membership.objects.filter(pk=other.pk).exists()


def test_an_owner_requires_two_factors_for_the_staff(store_a, owner_a, session_client):
    session_client(owner_a).post(f"{STAFF}two-factor", {"required": "on"})

    assert StaffSecurity.objects.get(store=store_a).require_two_factor is True
    assert "store.two_factor_required" in _verbs(store_a)


def test_a_new_api_key_is_shown_once_and_works(store_a, owner_a, session_client):
    client = session_client(owner_a)

    page = client.post(
        KEYS, {"name": "shop sync", "scopes": [Scope.ORDERS_READ, Scope.ORDERS_WRITE]}, follow=True
    )
    secret = re.search(r"<code data-new-key>(rtk_[^<]+)</code>", page.content.decode()).group(1)

    key = ApiKey.objects.get(store=store_a, name="shop sync")
    assert key.key_hash == hash_api_key(secret)
    assert key.scopes == ["orders:read", "orders:write"]
    assert secret not in client.get(KEYS).content.decode()
    assert "api_key.created" in _verbs(store_a)


def test_a_key_needs_a_name_and_a_scope(store_a, owner_a, session_client):
    answer = session_client(owner_a).post(KEYS, {"name": ""})

    assert answer.status_code == 400
    assert not ApiKey.objects.filter(store=store_a).exists()


def test_a_revoked_key_no_longer_opens_the_api(store_a, owner_a, session_client):
    client = session_client(owner_a)
    page = client.post(KEYS, {"name": "old", "scopes": [Scope.ORDERS_READ]}, follow=True)
    secret = re.search(r"<code data-new-key>(rtk_[^<]+)</code>", page.content.decode()).group(1)
    key = ApiKey.objects.get(store=store_a, name="old")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/stores").status_code == 200

    client.post(f"{KEYS}{key.pk}/revoke")

    assert api.get("/api/v1/stores").status_code == 401
    assert "api_key.revoked" in _verbs(store_a)


def test_the_staff_page_is_in_french(store_a, owner_a, session_client):
    html = session_client(owner_a).get(STAFF, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Inviter quelqu’un" in html
