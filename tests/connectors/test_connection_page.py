"""The connection page (`/dashboard/settings/<store>/connections/`): owners connect Shopify with
secrets that are never shown back, see the connection's health, replay an event, retry a failed
write-back and start a backfill; every action audited; other roles 403, other stores 404."""

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
