"""The connection page (`/dashboard/settings/<store>/connections/`): owners connect Shopify with
secrets that are never shown back, see the connection's health, replay an event, retry a failed
write-back and start a backfill; every action audited; other roles 403, other stores 404."""

import re

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from retour.accounts.scopes import Role
from retour.commerce.models import AuditEvent
from retour.connectors import services
from retour.connectors.choices import EventStatus, WriteBackKind, WriteBackStatus
from retour.connectors.models import Connection, InboundEvent, WriteBack
from retour.core.actors import Actor
from retour.core.jobs import run_ready_jobs
from tests.connectors import shopify_samples as samples
from tests.factories import staff_user

pytestmark = pytest.mark.django_db
PAGE = "/dashboard/settings/store-a/connections/"
TOKEN = "shpat_0123456789abcdef"
SECRET = "whsec_do_not_show"


def _connect(client, **changes):
    form = {
        "shop": "example.myshopify.com",
        "access_token": TOKEN,
        "webhook_secret": SECRET,
        "location_id": samples.LOCATION,
    }
    return client.post(PAGE, form | changes)


def test_the_owner_connects_shopify_and_the_secrets_are_never_shown_back(
    store_a, owner_a, session_client
):
    client = session_client(owner_a)

    answer = _connect(client)

    assert answer.status_code == 302
    connection = Connection.objects.get(store=store_a, platform="shopify")
    assert connection.base_url == "https://example.myshopify.com"
    assert connection.credentials == {"access_token": TOKEN, "webhook_secret": SECRET}
    assert TOKEN not in connection.credentials_encrypted
    assert connection.options == {"location_id": samples.LOCATION}
    html = client.get(PAGE).content.decode()
    assert TOKEN not in html
    assert SECRET not in html
    assert "/connectors/store-a/shopify/webhook" in html
    assert AuditEvent.objects.get(store=store_a, verb="connection.saved").data == {
        "platform": "shopify",
        "base_url": "https://example.myshopify.com",
    }


def test_empty_secrets_keep_the_saved_ones(store_a, owner_a, session_client):
    client = session_client(owner_a)
    _connect(client)

    answer = _connect(client, access_token="", webhook_secret="", location_id="")

    assert answer.status_code == 302
    connection = Connection.objects.get(store=store_a)
    assert connection.credentials == {"access_token": TOKEN, "webhook_secret": SECRET}
    assert connection.options == {}


def test_a_first_connection_without_its_secrets_or_with_a_bad_address_changes_nothing(
    store_a, owner_a, session_client
):
    client = session_client(owner_a)

    no_token = _connect(client, access_token="")
    bad_shop = _connect(client, shop="not a shop")

    assert no_token.status_code == 400
    assert "access_token" in no_token.context["form"].errors
    assert bad_shop.status_code == 400
    assert "shop" in bad_shop.context["form"].errors
    assert not Connection.objects.exists()
    assert not AuditEvent.objects.filter(verb="connection.saved").exists()


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE])
def test_other_roles_may_not_open_it(store_a, role, session_client):
    client = session_client(staff_user(store_a, role))

    assert client.get(PAGE).status_code == 403
    assert _connect(client).status_code == 403
    assert not Connection.objects.exists()


@pytest.fixture
def connected(store_a):
    return services.connect(
        store=store_a,
        platform="shopify",
        base_url="https://example.myshopify.com",
        credentials={"access_token": TOKEN, "webhook_secret": SECRET},
        actor=Actor.system("test"),
    )


def _events(connection, count, start=0):
    InboundEvent.objects.bulk_create(
        InboundEvent(
            connection=connection,
            key=f"delivery-{n}",
            topic="orders/updated",
            resource_id=samples.ORDER_GID,
            status=EventStatus.FAILED,
            error="order total does not add up",
        )
        for n in range(start, start + count)
    )


def _failed_write_backs(connection, count, start=0):
    WriteBack.objects.bulk_create(
        WriteBack(
            connection=connection,
            kind=WriteBackKind.RESTOCK,
            source_event=f"00000000-0000-0000-0000-{n:012d}",
            idempotency_key=f"retour-restock-{n}",
            request={"operation": "inventoryAdjustQuantities"},
            status=WriteBackStatus.FAILED,
            last_error="no Shopify variant has the SKU TS-1",
        )
        for n in range(start, start + count)
    )


def _queries(client) -> int:
    with CaptureQueriesContext(db) as queries:
        assert client.get(PAGE).status_code == 200
    return len(queries)


def test_the_health_costs_the_same_queries_for_1_and_50_rows(connected, owner_a, session_client):
    client = session_client(owner_a)
    _events(connected, 1)
    _failed_write_backs(connected, 1)
    few = _queries(client)
    _events(connected, 49, start=1)
    _failed_write_backs(connected, 49, start=1)

    html = client.get(PAGE).content.decode()

    assert _queries(client) == few
    assert html.count("data-event=") == 50
    assert html.count("data-write-back=") == 50
    assert "no Shopify variant has the SKU TS-1" in html


def test_the_owner_replays_an_event_retries_a_write_back_and_starts_a_backfill(
    store_a, connected, owner_a, session_client
):
    client = session_client(owner_a)
    _events(connected, 1)
    _failed_write_backs(connected, 1)
    event, write_back = InboundEvent.objects.get(), WriteBack.objects.get()

    replayed = client.post(f"{PAGE}events/{event.pk}/replay")
    retried = client.post(f"{PAGE}write-backs/{write_back.pk}/retry")
    backfill = client.post(f"{PAGE}{connected.pk}/backfill")

    assert [replayed.status_code, retried.status_code, backfill.status_code] == [302] * 3
    assert InboundEvent.objects.get().status == EventStatus.RECEIVED
    assert WriteBack.objects.get().status == WriteBackStatus.PENDING
    verbs = set(AuditEvent.objects.filter(store=store_a).values_list("verb", flat=True))
    assert {
        "connection.event_replayed",
        "connection.write_back_retried",
        "connection.backfill_started",
    } <= verbs


def test_a_write_back_not_failed_is_not_retried(connected, owner_a, session_client):
    client = session_client(owner_a)
    _failed_write_backs(connected, 1)
    WriteBack.objects.update(status=WriteBackStatus.SENT)

    answer = client.post(f"{PAGE}write-backs/{WriteBack.objects.get().pk}/retry", follow=True)

    assert "Only a failed write-back can be retried." in answer.content.decode()
    assert WriteBack.objects.get().status == WriteBackStatus.SENT
    run_ready_jobs()


def test_store_b_gets_404_for_store_a_connection_and_its_rows(
    store_a, store_b, connected, session_client
):
    client = session_client(staff_user(store_b, Role.OWNER, username="owner-b"))
    _events(connected, 1)
    _failed_write_backs(connected, 1)
    event, write_back = InboundEvent.objects.get(), WriteBack.objects.get()
    own = "/dashboard/settings/store-b/connections/"

    assert client.get(PAGE).status_code == 404
    assert client.post(f"{own}events/{event.pk}/replay").status_code == 404
    assert client.post(f"{own}write-backs/{write_back.pk}/retry").status_code == 404
    assert client.post(f"{own}{connected.pk}/backfill").status_code == 404
    assert InboundEvent.objects.get().status == EventStatus.FAILED
    assert WriteBack.objects.get().status == WriteBackStatus.FAILED
    assert not AuditEvent.objects.filter(verb__startswith="connection.", store=store_b).exists()
    assert not AuditEvent.objects.filter(verb__startswith="connection.", store=store_a).exclude(
        verb="connection.saved"
    )


def test_the_page_is_in_french(connected, owner_a, session_client):
    client = session_client(owner_a)

    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Plateforme de la boutique" in html
    assert "Lire l’historique des commandes" in html


# ---- PrestaShop ---------------------------------------------------------------------------------

PRESTASHOP = f"{PAGE}?platform=prestashop"
WEBSERVICE_KEY = "UCCLLQ9N2ARSHWCXLT74KUKSSK34BFKX"
OPTIONS = {
    "timezone": "Europe/Paris",
    "delivered_states": ["5", "14"],
    "language_id": 2,
    "credit_days": 180,
}


def _connect_prestashop(client, **changes):
    form = {
        "shop": "https://shop.example.com/boutique/",
        "webservice_key": WEBSERVICE_KEY,
        "timezone": "Europe/Paris",
        "delivered_states": "14, 05",
        "language_id": "2",
        "credit_days": "180",
    }
    return client.post(PRESTASHOP, form | changes)


def test_the_owner_connects_prestashop_and_the_key_is_never_shown_back(
    store_a, owner_a, session_client, settings
):
    settings.RETOUR_CONNECTORS = settings.RETOUR_CONNECTORS | {"POLL_MINUTES": 7}
    client = session_client(owner_a)

    answer = _connect_prestashop(client)

    assert answer.status_code == 302
    assert answer["Location"].endswith("?platform=prestashop")
    connection = Connection.objects.get(store=store_a, platform="prestashop")
    assert connection.base_url == "https://shop.example.com/boutique"
    assert connection.credentials == {"webservice_key": WEBSERVICE_KEY}
    assert WEBSERVICE_KEY not in connection.credentials_encrypted
    assert connection.options == OPTIONS
    assert AuditEvent.objects.get(store=store_a, verb="connection.saved").data == {
        "platform": "prestashop",
        "base_url": "https://shop.example.com/boutique",
    }
    html = client.get(PRESTASHOP).content.decode()
    assert WEBSERVICE_KEY not in html
    assert 'aria-current="page">PrestaShop' in html
    assert "every 7 minutes" in html
    assert "<code>order_slip</code>" in html
    assert "<code>stock_availables</code>" in html
    assert "/connectors/store-a/prestashop/webhook" not in html  # polled: no webhook to set
    assert 'value="5, 14"' in html  # the options are shown back, as they were understood


def test_an_empty_webservice_key_keeps_the_saved_one(store_a, owner_a, session_client):
    client = session_client(owner_a)
    _connect_prestashop(client)

    answer = _connect_prestashop(client, webservice_key="", timezone="America/Montreal")

    assert answer.status_code == 302
    connection = Connection.objects.get(store=store_a)
    assert connection.credentials == {"webservice_key": WEBSERVICE_KEY}
    assert connection.options == OPTIONS | {"timezone": "America/Montreal"}


def test_the_owner_connects_prestashop_to_one_shop_of_a_multistore(
    store_a, owner_a, session_client
):
    client = session_client(owner_a)

    answer = _connect_prestashop(client, shop_id="2")

    assert answer.status_code == 302
    assert Connection.objects.get(store=store_a).options == OPTIONS | {"shop_id": 2}
    html = client.get(PRESTASHOP).content.decode()
    assert re.search(r'<input type="number" name="shop_id" value="2"', html)
    assert "Only when PrestaShop runs several shops" in html
    french = client.get(PRESTASHOP, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Identifiant de la boutique (multiboutique)" in french
    _connect_prestashop(client, shop_id="")  # emptied: every shop again
    assert Connection.objects.get(store=store_a).options == OPTIONS


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"webservice_key": ""}, "webservice_key", "This credential is required."),
        ({"webservice_key": "too-short"}, "webservice_key", "32 letters and digits"),
        ({"shop": "http://shop.example.com"}, "shop", "give an https:// address"),
        ({"shop": "shop example"}, "shop", "Give the shop's address"),
        ({"delivered_states": "5, delivered"}, "delivered_states", "Give status ids"),
        ({"delivered_states": "0"}, "delivered_states", "Give status ids"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Select a valid choice"),
        ({"language_id": "0"}, "language_id", "greater than or equal to 1"),
        ({"credit_days": "5000"}, "credit_days", "less than or equal to 3650"),
        ({"shop_id": "0"}, "shop_id", "greater than or equal to 1"),
        ({"shop_id": "second"}, "shop_id", "Enter a whole number"),
    ],
)
def test_bad_prestashop_input_is_refused_and_saves_nothing(
    owner_a, session_client, changes, field, message
):
    answer = _connect_prestashop(session_client(owner_a), **changes)

    assert answer.status_code == 400
    assert message in " ".join(answer.context["form"].errors[field])
    assert not Connection.objects.exists()
    assert not AuditEvent.objects.filter(verb="connection.saved").exists()


def test_bad_input_leaves_a_saved_prestashop_connection_as_it_was(store_a, owner_a, session_client):
    client = session_client(owner_a)
    _connect_prestashop(client)

    answer = _connect_prestashop(
        client, webservice_key="A" * 32, delivered_states="", shop="https://other.example.com"
    )

    assert answer.status_code == 400
    connection = Connection.objects.get(store=store_a)
    assert connection.credentials == {"webservice_key": WEBSERVICE_KEY}
    assert connection.base_url == "https://shop.example.com/boutique"
    assert connection.options == OPTIONS
    assert AuditEvent.objects.filter(verb="connection.saved").count() == 1


@pytest.mark.parametrize("platform", ["prestashop", "woocommerce"])
@pytest.mark.parametrize(
    ("shop", "saved_as"),
    [
        ("http://shop.example.com", None),
        ("http://127.0.0.1:8080/shop/", "http://127.0.0.1:8080/shop"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("https://localhost", "https://localhost"),
        ("Shop.Example.COM/Boutique", "https://shop.example.com/Boutique"),
    ],
)
def test_a_key_goes_over_plain_http_only_to_a_loopback_address(
    store_a, owner_a, session_client, platform, shop, saved_as
):
    secrets = {
        "prestashop": {"webservice_key": WEBSERVICE_KEY},
        "woocommerce": {"consumer_key": "ck_1", "consumer_secret": "cs_1", "webhook_secret": "w"},
    }[platform]
    form = {"shop": shop, "timezone": "UTC", "delivered_states": "5", "language_id": "1"}

    answer = session_client(owner_a).post(
        f"{PAGE}?platform={platform}", form | {"credit_days": "365"} | secrets
    )

    if saved_as is None:
        assert answer.status_code == 400
        assert "https://" in answer.context["form"].errors["shop"][0]
        assert not Connection.objects.exists()
    else:
        assert answer.status_code == 302
        assert Connection.objects.get(store=store_a, platform=platform).base_url == saved_as


def test_other_roles_may_not_connect_prestashop(store_a, session_client):
    client = session_client(staff_user(store_a, Role.SUPPORT))

    assert client.get(PRESTASHOP).status_code == 403
    assert _connect_prestashop(client).status_code == 403
    assert not Connection.objects.exists()


@pytest.fixture
def prestashop(store_a):
    return services.connect(
        store=store_a,
        platform="prestashop",
        base_url="https://shop.example.com",
        credentials={"webservice_key": WEBSERVICE_KEY},
        options=OPTIONS,
        actor=Actor.system("test"),
    )


def test_the_health_of_a_prestashop_connection_is_shown_and_acted_on(
    store_a, prestashop, owner_a, session_client
):
    client = session_client(owner_a)
    _events(prestashop, 3)
    _failed_write_backs(prestashop, 2)
    services.note_error(prestashop.pk, "GET orders answered 401: bad key")
    Connection.objects.filter(pk=prestashop.pk).update(last_event_at=prestashop.created_at)

    html = client.get(PAGE).content.decode()  # the platform connected last

    assert 'aria-current="page">PrestaShop' in html
    assert html.count("data-event=") == 3
    assert html.count("data-write-back=") == 2
    assert "GET orders answered 401: bad key" in html
    assert "None yet" not in html  # its last event is shown
    event, write_back = InboundEvent.objects.first(), WriteBack.objects.first()
    assert client.post(f"{PAGE}events/{event.pk}/replay").status_code == 302
    assert client.post(f"{PAGE}write-backs/{write_back.pk}/retry").status_code == 302
    assert client.post(f"{PAGE}{prestashop.pk}/backfill").status_code == 302
    verbs = AuditEvent.objects.filter(store=store_a).values_list("verb", flat=True)
    assert {"connection.event_replayed", "connection.write_back_retried"} <= set(verbs)
    assert "connection.backfill_started" in set(verbs)


def test_the_prestashop_form_is_in_french(prestashop, owner_a, session_client):
    html = session_client(owner_a).get(PRESTASHOP, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Clé du webservice" in html
    assert "Paramètres avancés → Webservice" in html
    assert "toutes les 10 minutes" in html
    assert "États de commande signifiant « livrée »" in html
