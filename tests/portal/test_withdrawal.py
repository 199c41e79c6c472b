"""The "withdraw from the contract here" function of the portal: without an account, a
confirmation step, one withdrawal per form however often it is sent, the acknowledgement
e-mail (a durable medium) in the shopper's language, and the model form in FR and EN."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client

from retour.core.jobs import run_ready_jobs
from retour.returns.models import Withdrawal
from tests.portal.helpers import PASSWORD_FREE_EMAIL, shopper_order


def _url(store, name="", **extra):
    path = f"/returns/{store.slug}/withdraw/{name}"
    return path + ("?" + "&".join(f"{k}={v}" for k, v in extra.items()) if extra else "")


def _start(client, store, number="1042", email=PASSWORD_FREE_EMAIL):
    return client.post(_url(store), {"number": number, "email": email})


def _token(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


def _confirm(client, store, order, token, **fields):
    lines = {f"line-{line.pk}": "1" for line in order.lines.all()}
    data = {"token": token, "name": "Ada Lovelace", "email": order.email, **lines, **fields}
    return client.post(_url(store, "confirm"), data)


@pytest.fixture
def order(store_a):
    return shopper_order(store_a, lines=2)


def test_the_button_is_labelled_and_reachable_from_the_portal_and_the_policy(store_a):
    client = Client()
    for page in (f"/returns/{store_a.slug}/", f"/returns/{store_a.slug}/policy"):
        html = client.get(page + "?lang=en").content.decode()
        assert f'href="{_url(store_a)}"' in html
        assert "Withdraw from the contract here" in html
    html = client.get(_url(store_a, lang="fr")).content.decode()
    assert "Me rétracter du contrat ici" in html


def test_a_shopper_withdraws_with_the_order_number_and_email_then_confirms(store_a, order):
    client = Client()

    found = _start(client, store_a)
    page = client.get(found["Location"])
    done = _confirm(client, store_a, order, _token(page))

    withdrawal = Withdrawal.objects.get()
    assert found.status_code == 302
    assert found["Location"] == _url(store_a, "confirm")
    assert "Confirm withdrawal" in page.content.decode()
    assert done["Location"] == _url(store_a, f"done/{withdrawal.number}")
    shown = client.get(done["Location"]).content.decode()
    assert withdrawal.number in shown
    assert "Linen shirt" in shown
    assert withdrawal.lines.count() == 2


def test_confirming_twice_records_one_withdrawal(store_a, order):
    client = Client()
    token = _token(client.get(_start(client, store_a)["Location"]))

    first = _confirm(client, store_a, order, token)
    second = _confirm(client, store_a, order, token)

    assert Withdrawal.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_wrong_email_and_a_wrong_number_get_the_same_answer_and_count_as_failures(
    store_a, order, settings
):
    settings.RETOUR_PORTAL = {"FAILURES_PER_ORDER": 2}
    client = Client()

    wrong_email = _start(client, store_a, email="eve@example.com")
    wrong_number = _start(client, store_a, number="9999")
    _start(client, store_a, email="mallory@example.com")
    blocked = _start(client, store_a)  # the right details, after two failures on 1042

    assert wrong_email.status_code == wrong_number.status_code == 422
    message = "We could not find an order with these details."
    assert message in wrong_email.content.decode()
    assert message in wrong_number.content.decode()
    assert blocked.status_code == 429
    assert not Withdrawal.objects.exists()


def test_the_confirmation_page_needs_a_looked_up_order(store_a, order):
    response = Client().get(_url(store_a, "confirm"))

    assert response.status_code == 302
    assert response["Location"] == _url(store_a)


def test_a_forged_token_or_no_item_records_nothing(store_a, order):
    client = Client()
    token = _token(client.get(_start(client, store_a)["Location"]))

    forged = _confirm(client, store_a, order, "forged-token-000000000")
    empty = client.post(
        _url(store_a, "confirm"), {"token": token, "name": "Ada", "email": order.email}
    )

    assert forged.status_code == empty.status_code == 422
    assert not Withdrawal.objects.exists()


def test_the_acknowledgement_page_is_only_for_the_session_that_withdrew(store_a, order):
    client = Client()
    token = _token(client.get(_start(client, store_a)["Location"]))
    done = _confirm(client, store_a, order, token)

    assert Client().get(done["Location"]).status_code == 404


@pytest.mark.parametrize(
    ("language", "subject", "received"),
    [
        ("en", "We have received your withdrawal", "received your notice of withdrawal on"),
        ("fr", "Nous avons bien reçu votre rétractation", "avoir reçu votre rétractation le"),
    ],
)
def test_the_acknowledgement_email_states_the_goods_and_the_date_and_time(
    store_a, order, settings, language, subject, received
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    store_a.timezone = "Europe/Paris"
    store_a.save(update_fields=["timezone"])
    client = Client()
    _start(client, store_a)
    page = client.get(_url(store_a, "confirm", lang=language))
    _confirm(client, store_a, order, _token(page))
    for _ in range(3):
        run_ready_jobs()

    withdrawal = Withdrawal.objects.get()
    (message,) = mail.outbox
    body = message.body
    assert message.to == [order.email]
    assert subject in message.subject
    assert withdrawal.number in message.subject
    assert received in body
    local = withdrawal.notified_at.astimezone(ZoneInfo("Europe/Paris"))
    assert local.strftime("%H:%M:%S") in body  # the time, in the store's time zone
    assert "1 × Linen shirt" in body
    assert f"/returns/{store_a.slug}/withdraw/form?lang={language}" in body


@pytest.mark.parametrize(
    ("language", "title", "statement"),
    [
        ("en", "Model withdrawal form", "hereby give notice that I/We (*) withdraw"),
        ("fr", "Formulaire de rétractation", "vous notifie/notifions (*) par la présente"),
    ],
)
def test_the_model_form_is_shown_and_downloadable_in_the_shoppers_language(
    store_a, language, title, statement
):
    client = Client()
    page = client.get(_url(store_a, "form", lang=language)).content.decode()
    download = client.get(_url(store_a, "form.txt", lang=language))

    assert title in page
    assert statement in page
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"].startswith("text/plain")
    text = download.content.decode()
    assert title in text
    assert statement in text
    assert store_a.name in text
