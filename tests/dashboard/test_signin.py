"""Staff sign-in: password, second factor, rate limits, idle timeout, audit."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from retour.accounts import security
from retour.accounts.security import has_two_factor, require_two_factor
from retour.commerce.models import AuditEvent
from retour.dashboard.views.common import SEEN_KEY
from tests.dashboard.signin_helpers import PASSWORD, current_code, enrolled, with_password
from tests.factories import SYSTEM

LOGIN = "/dashboard/login/"
VERIFY = "/dashboard/login/verify"
OVERVIEW = "/dashboard/"
LIMITS = {
    "IDLE_MINUTES": 30,
    "SIGNIN_FAILURES_PER_IP": 3,
    "SIGNIN_FAILURES_PER_USER": 2,
    "SIGNIN_WINDOW": 900,
}


def _sign_in(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def _verbs(store):
    return list(AuditEvent.objects.filter(store=store).values_list("verb", flat=True))


def test_a_password_signs_in_and_lands_on_the_overview(owner_a, store_a):
    with_password(owner_a)
    client = Client()

    answer = _sign_in(client, owner_a.username)

    assert answer.status_code == 302
    assert answer["Location"] == OVERVIEW
    assert client.get(OVERVIEW).status_code == 200
    assert "staff.signed_in" in _verbs(store_a)


def test_it_follows_a_next_page_on_this_site_only(owner_a):
    with_password(owner_a)

    inside = _sign_in(Client(), owner_a.username, next="/dashboard/receiving/")
    outside = _sign_in(Client(), owner_a.username, next="https://evil.example/")

    assert inside["Location"] == "/dashboard/receiving/"
    assert outside["Location"] == OVERVIEW


def test_a_wrong_password_is_refused_and_audited(owner_a, store_a):
    with_password(owner_a)
    client = Client()

    answer = _sign_in(client, owner_a.username, password="not-the-password")

    assert answer.status_code == 200
    assert "correct username and password" in answer.content.decode()
    assert client.get(OVERVIEW).status_code == 302
    event = AuditEvent.objects.get(store=store_a, verb="staff.sign_in_failed")
    assert event.data == {"ip": "127.0.0.1", "reason": "password"}


@override_settings(RETOUR_DASHBOARD=LIMITS)
def test_too_many_failures_for_a_username_block_even_the_right_password(owner_a):
    with_password(owner_a)
    for n in range(2):
        _sign_in(Client(REMOTE_ADDR=f"10.0.0.{n}"), owner_a.username, password="wrong-password")

    answer = _sign_in(Client(REMOTE_ADDR="10.0.0.9"), owner_a.username)

    assert answer.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in answer.content.decode()


@override_settings(RETOUR_DASHBOARD=LIMITS)
def test_too_many_failures_from_an_address_block_it_for_every_username(owner_a, warehouse_a):
    with_password(warehouse_a)
    for name in ("someone", "someone-else", "nobody"):
        _sign_in(Client(REMOTE_ADDR="10.0.0.1"), name, password="wrong-password")

    blocked = _sign_in(Client(REMOTE_ADDR="10.0.0.1"), warehouse_a.username)
    elsewhere = _sign_in(Client(REMOTE_ADDR="10.0.0.2"), warehouse_a.username)

    assert blocked.status_code == 429
    assert elsewhere.status_code == 302


@override_settings(RETOUR_DASHBOARD=LIMITS)
def test_a_successful_sign_in_clears_the_username_count(owner_a):
    with_password(owner_a)
    _sign_in(Client(), owner_a.username, password="wrong-password")
    _sign_in(Client(), owner_a.username)

    _sign_in(Client(REMOTE_ADDR="10.0.0.5"), owner_a.username, password="wrong-password")

    assert _sign_in(Client(REMOTE_ADDR="10.0.0.6"), owner_a.username).status_code == 302


def test_with_an_authenticator_the_password_alone_does_not_sign_in(owner_a):
    with_password(owner_a)
    enrolled(owner_a)
    client = Client()

    answer = _sign_in(client, owner_a.username)

    assert answer["Location"] == VERIFY
    assert client.get(OVERVIEW)["Location"].startswith(LOGIN)
    assert client.get("/admin/").status_code == 302


def test_the_authenticators_code_completes_the_sign_in(owner_a, store_a):
    with_password(owner_a)
    device, _codes = enrolled(owner_a)
    client = Client()
    _sign_in(client, owner_a.username)

    answer = client.post(VERIFY, {"code": current_code(device)})

    assert answer["Location"] == OVERVIEW
    assert client.get(OVERVIEW).status_code == 200
    event = AuditEvent.objects.filter(store=store_a, verb="staff.signed_in").get()
    assert event.data["second_factor"] == "totp"


def test_a_wrong_code_is_refused_and_counted(owner_a, store_a):
    with_password(owner_a)
    device, _codes = enrolled(owner_a)
    client = Client()
    _sign_in(client, owner_a.username)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    answer = client.post(VERIFY, {"code": wrong})

    assert answer.status_code == 200
    assert "That code is not valid" in answer.content.decode()
    assert client.get(OVERVIEW).status_code == 302
    assert AuditEvent.objects.get(store=store_a, verb="staff.sign_in_failed").data["reason"] == (
        "code"
    )


def test_a_backup_code_signs_in_once(owner_a):
    with_password(owner_a)
    _device, codes = enrolled(owner_a)
    typed = f"{codes[0][:5].upper()} {codes[0][5:]}"  # as read aloud, in capitals
    first = Client()
    _sign_in(first, owner_a.username)
    second = Client()
    _sign_in(second, owner_a.username)

    assert first.post(VERIFY, {"code": typed})["Location"] == OVERVIEW
    assert second.post(VERIFY, {"code": typed}).status_code == 200


def test_the_code_step_expires(owner_a):
    with_password(owner_a)
    device, _codes = enrolled(owner_a)
    client = Client()
    _sign_in(client, owner_a.username)
    session = client.session
    session["signin_pending"]["until"] = int(timezone.now().timestamp()) - 1
    session.save()

    answer = client.post(VERIFY, {"code": current_code(device)})

    assert answer["Location"] == LOGIN
    assert client.get(OVERVIEW).status_code == 302


@override_settings(RETOUR_DASHBOARD=LIMITS)
def test_an_idle_session_is_signed_out(owner_a, session_client):
    client = session_client(owner_a)
    assert client.get(OVERVIEW).status_code == 200
    session = client.session
    session[SEEN_KEY] -= int(timedelta(minutes=31).total_seconds())
    session.save()

    answer = client.get(OVERVIEW, follow=True)

    assert answer.redirect_chain[0][0].startswith(LOGIN)
    assert "signed out after 30 minutes without activity" in answer.content.decode()
    assert client.get(OVERVIEW).status_code == 302


def test_an_active_session_stays_signed_in(owner_a, session_client):
    client = session_client(owner_a)
    client.get(OVERVIEW)
    session = client.session
    session[SEEN_KEY] -= int(timedelta(minutes=29).total_seconds())
    session.save()

    assert client.get(OVERVIEW).status_code == 200


def test_a_session_opened_before_the_authenticator_was_added_is_closed(owner_a, session_client):
    client = session_client(owner_a)
    enrolled(owner_a)

    answer = client.get(OVERVIEW)

    assert answer["Location"].startswith(LOGIN)


def test_staff_of_a_store_requiring_two_factors_must_set_it_up(
    store_a, owner_a, warehouse_a, session_client
):
    require_two_factor(store=store_a, required=True, actor=SYSTEM)
    client = session_client(warehouse_a)

    answer = client.get("/dashboard/receiving/")

    assert answer["Location"] == "/dashboard/account/"
    assert client.get("/dashboard/account/").status_code == 200


@pytest.mark.parametrize(
    ("path", "text"),
    [(LOGIN, "Connexion à Retour"), (VERIFY, "Saisissez votre code de connexion")],
)
def test_the_sign_in_pages_are_in_french(path, text, owner_a):
    with_password(owner_a)
    enrolled(owner_a)
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    _sign_in(client, owner_a.username)

    html = client.get(path, follow=True).content.decode()

    assert text in html


def _verified_client(user):
    """A client signed in with the password and the authenticator's code."""
    with_password(user)
    device, codes = enrolled(user)
    client = Client()
    _sign_in(client, user.username)
    client.post(VERIFY, {"code": current_code(device)})
    return client, codes


def test_enrolment_refuses_a_wrong_code(owner_a, session_client):
    client = session_client(owner_a)
    client.get("/dashboard/account/")

    answer = client.post("/dashboard/account/", {"code": "12345"}, follow=True)

    assert "That code is not the one your authenticator shows" in answer.content.decode()
    assert not has_two_factor(owner_a)


def test_new_backup_codes_replace_the_old_ones(owner_a, store_a):
    client, old = _verified_client(owner_a)

    page = client.post("/dashboard/account/backup-codes", follow=True).content.decode()

    assert old[0][:5] not in page
    assert page.count("<li><code>") == 10
    assert security.verify_second_factor(owner_a, old[0]) is None
    assert "staff.backup_codes_renewed" in _verbs(store_a)


def test_turning_two_factors_off_removes_the_devices(owner_a, store_a):
    client, _codes = _verified_client(owner_a)

    client.post("/dashboard/account/two-factor/off")

    assert not has_two_factor(owner_a)
    assert security.remaining_backup_codes(owner_a) == 0
    assert "staff.two_factor_disabled" in _verbs(store_a)


def test_two_factors_stay_on_where_a_store_requires_them(owner_a, store_a):
    client, _codes = _verified_client(owner_a)
    require_two_factor(store=store_a, required=True, actor=SYSTEM)

    answer = client.post("/dashboard/account/two-factor/off", follow=True)

    assert "it cannot be turned off" in answer.content.decode()
    assert has_two_factor(owner_a)


def test_a_new_password_follows_the_rules(owner_a, store_a, session_client):
    with_password(owner_a)
    client = session_client(owner_a)
    url = "/dashboard/account/password"

    weak = client.post(
        url, {"old_password": PASSWORD, "new_password1": "owner-a", "new_password2": "owner-a"}
    )
    good = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-phrase-99",
            "new_password2": "another-long-phrase-99",
        },
    )

    assert "at least 12 characters" in weak.content.decode()
    assert good.status_code == 302
    owner_a.refresh_from_db()
    assert owner_a.check_password("another-long-phrase-99")
    assert "staff.password_changed" in _verbs(store_a)
