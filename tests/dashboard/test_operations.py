"""The operations page: queue depth, failures and retries, for the owners of a store."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retour.events.models import OutboxEvent
from retour.notifications.choices import Channel, DeliveryStatus
from retour.notifications.models import Delivery, WebhookEndpoint
from tests.browser.accessibility import serious_violations
from tests.browser.staff import sign_in

URL = "/dashboard/operations/"
PASSWORD = "watch-the-queue-42"


def _event(store, *, dispatched=True):
    return OutboxEvent.objects.create(
        store=store,
        type="return.approved",
        payload={},
        dispatched_at=timezone.now() if dispatched else None,
    )


def _failed(store, count=1, *, channel=Channel.EMAIL, error="SMTP 451 try later"):
    event = _event(store)
    return [
        Delivery.objects.create(
            event=event,
            store=store,
            channel=channel,
            recipient=f"shopper{n}@{store.slug}.example",
            status=DeliveryStatus.FAILED,
            attempts=2,
            next_attempt_at=timezone.now() - timedelta(minutes=1),
            last_error=f"{error} #{n}",
        )
        for n in range(count)
    ]


@pytest.fixture
def seeded(store_a):
    """Store A: an email delivery that failed, an abandoned webhook one, an event waiting to be
    dispatched for ten minutes, and a disabled endpoint."""
    _failed(store_a)
    endpoint = WebhookEndpoint.objects.create(
        store=store_a,
        url="https://shop-a.example/hooks",
        secret="whsec_a",
        disabled_at=timezone.now(),
        disabled_reason="20 failures in a row",
    )
    Delivery.objects.create(
        event=_event(store_a),
        store=store_a,
        channel=Channel.WEBHOOK,
        recipient=endpoint.url,
        endpoint=endpoint,
        status=DeliveryStatus.ABANDONED,
        attempts=20,
        last_error="HTTP 500 from https://shop-a.example/hooks",
    )
    waiting = _event(store_a, dispatched=False)
    OutboxEvent.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )


def test_an_owner_sees_the_queue_and_the_failures(seeded, owner_a, session_client):
    client = session_client(owner_a)

    answer = client.get(URL)

    assert answer.status_code == 200
    html = answer.content.decode()
    figures = answer.context
    assert figures["notifications"]["outbox"]["undispatched"] == 1
    assert figures["notifications"]["outbox"]["oldest_undispatched_age_seconds"] >= 600
    assert figures["notifications"]["retries_due"] == 1
    failures = {row["channel"]: row for row in figures["failures"]}
    assert failures[Channel.EMAIL]["failed"] == 1
    assert failures[Channel.EMAIL]["last_error"] == "SMTP 451 try later #0"
    assert failures[Channel.WEBHOOK]["abandoned"] == 1
    assert failures[Channel.SMS] == {
        "channel": Channel.SMS,
        "label": "SMS",
        "failed": 0,
        "abandoned": 0,
        "last_error": "",
    }
    assert "SMTP 451 try later #0" in html
    assert "HTTP 500 from https://shop-a.example/hooks" in html
    assert "20 failures in a row" in html
    assert "jobs belong to no store" in html
    assert 'href="/dashboard/operations/"' in html  # the owners' navigation


def test_the_page_is_in_french(seeded, owner_a, session_client):
    answer = session_client(owner_a).get(URL, HTTP_ACCEPT_LANGUAGE="fr")

    assert "Livraisons en échec" in answer.content.decode()


def test_a_warehouse_operator_may_not_open_it(seeded, warehouse_a, session_client):
    client = session_client(warehouse_a)

    assert client.get(URL).status_code == 403
    # Nor is the page offered in the navigation.
    receiving = client.get("/dashboard/receiving/").content.decode()
    assert 'href="/dashboard/operations/"' not in receiving


def test_the_owner_of_store_b_never_sees_store_a(seeded, staff_b, store_b, session_client):
    _failed(store_b, channel=Channel.SMS, error="Twilio 21211 invalid number")

    answer = session_client(staff_b).get(URL)

    assert answer.status_code == 200
    html = answer.content.decode()
    assert "SMTP 451" not in html
    assert "shop-a.example" not in html
    assert "20 failures in a row" not in html
    assert "Twilio 21211 invalid number #0" in html
    assert answer.context["notifications"]["outbox"]["undispatched"] == 0
    failures = {row["channel"]: row for row in answer.context["failures"]}
    assert failures[Channel.EMAIL]["failed"] == 0
    assert failures[Channel.WEBHOOK]["abandoned"] == 0
    assert failures[Channel.SMS]["failed"] == 1


def test_an_anonymous_visitor_is_sent_to_the_login(client, db):
    answer = client.get(URL)

    assert answer.status_code == 302
    assert answer["Location"].startswith("/dashboard/login/")


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_failures(store_a, owner_a, session_client):
    client = session_client(owner_a)
    _failed(store_a, 1)
    one = _queries(client)
    _failed(store_a, 19, channel=Channel.WEBHOOK)
    _failed(store_a, 20, channel=Channel.SMS)

    assert _queries(client) == one


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_renders_in_a_browser_and_is_accessible(store_a, owner_a, live_server, page):
    from playwright.sync_api import expect

    owner_a.set_password(PASSWORD)
    owner_a.save(update_fields=["password"])
    _failed(store_a)
    _event(store_a, dispatched=False)

    sign_in(page, live_server.url, owner_a.username, PASSWORD)
    expect(page.locator("h1")).to_have_text("Overview")
    page.get_by_role("link", name="Operations").click()

    expect(page.locator("h1")).to_have_text("Operations")
    expect(page.locator('[data-figure="outbox-undispatched"]')).to_have_text("1")
    expect(page.locator('tr[data-channel="email"]')).to_contain_text("SMTP 451 try later #0")
    assert serious_violations(page) == []
