"""A carrier pickup chosen in the wizard (JavaScript off): date, time window and address asked
for, kept until the label exists, then booked with the carrier; the confirmation number for the
driver shown on the tracking page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from retour.logistics import jobs
from retour.logistics.models import PickupBooking
from retour.policy.services import publish_policy
from retour.returns import services as returns
from retour.returns.models import Return
from tests.factories import SYSTEM
from tests.logistics import payloads as p
from tests.logistics.conftest import fake  # noqa: F401 (the local carrier server fixture)
from tests.logistics.factories import CarrierAccountFactory, warehouse
from tests.logistics.fake_carrier import Answer
from tests.portal.flow import look_up
from tests.portal.helpers import shopper_order

pytestmark = pytest.mark.django_db
BASE = "/returns/store-a"


@pytest.fixture
def order(store_a):
    publish_policy(
        store=store_a, document={"methods": ["drop_off", "pickup", "mail"]}, actor=SYSTEM
    )
    return shopper_order(store_a)


def _to_method(client: Client, order) -> None:
    line = order.lines.get()
    look_up(client, "store-a", "1042", "ada@example.com")
    client.post(f"{BASE}/items", {f"qty-{line.pk}": "1"})
    client.post(f"{BASE}/reasons", {f"reason-{line.pk}": "too_small"})
    client.post(f"{BASE}/resolution", {"resolution": "refund"})


def _pickup_form(day, **changes) -> dict[str, str]:
    return {
        "method": "pickup",
        "pickup_date": day.isoformat(),
        "pickup_window": "morning",
        "pickup_name": "Ada Lovelace",
        "pickup_line1": "12 rue des Lilas",
        "pickup_line2": "Bât. B",
        "pickup_postcode": "75020",
        "pickup_city": "Paris",
        "pickup_phone": "+33 6 12 34 56 78",
        **changes,
    }


def _serve_pickups(fake):  # noqa: F811
    p.serve_easypost(fake)
    rates = [{"id": "prate_1", "carrier": "USPS", "service": "NextDay", "rate": "0.00"}]
    fake.on("POST", "/v2/pickups", Answer(201, {"id": "pickup_1", "pickup_rates": rates}))
    fake.on("POST", "/v2/pickups/pickup_1/buy", Answer(200, {"confirmation": "WTC123"}))


def test_the_pickup_form_is_prefilled_from_the_order_and_checked(order):
    client = Client()
    _to_method(client, order)
    page = client.get(f"{BASE}/method").content.decode()
    too_late = timezone.localdate() + timedelta(days=30)

    refused = client.post(f"{BASE}/method", _pickup_form(too_late, pickup_postcode=""))

    assert 'value="1 rue de Rivoli"' in page
    assert 'value="75001"' in page
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "Enter the postcode." in body
    assert "Choose a date between" in body
    assert 'aria-describedby="pickup_postcode-error"' in body


def test_the_pickup_step_is_in_french(order):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    _to_method(client, order)

    page = client.get(f"{BASE}/method").content.decode()

    assert "Créneau horaire" in page
    assert "Matin (8 h – 12 h)" in page


def test_a_pickup_is_asked_for_then_booked_once_the_label_exists(order, store_a, fake):  # noqa: F811
    warehouse(store_a)
    credentials = {"api_key": "k", "base_url": f"{fake.url}/v2"}
    CarrierAccountFactory(store=store_a, kind="easypost", credentials=credentials)
    _serve_pickups(fake)
    client = Client()
    _to_method(client, order)
    day = timezone.localdate() + timedelta(days=3)

    assert client.post(f"{BASE}/method", _pickup_form(day)).status_code == 302
    review = client.get(f"{BASE}/review").content.decode()
    confirmation = client.get(client.post(f"{BASE}/review")["Location"]).content.decode()
    created = Return.objects.get()
    asked = PickupBooking.objects.get(return_request=created)
    returns.approve_return(return_request=created, actor=SYSTEM)
    assert jobs.issue_label_for_return.call(str(created.pk)) == "issued"
    assert jobs.book_requested_pickup.call(str(created.pk)) == "booked"
    tracking = client.get(f"{BASE}/track/{created.rma}/").content.decode()

    assert "Morning (8:00–12:00)" in review
    assert "12 rue des Lilas" in review
    assert (asked.status, asked.window, asked.date) == ("requested", "morning", day)
    assert asked.address["lines"] == ["12 rue des Lilas", "Bât. B"]
    assert "as soon as your label is ready" in confirmation
    sent = fake.calls("POST", "/v2/pickups")[0].json()["pickup"]
    assert sent["min_datetime"].startswith(f"{day.isoformat()}T08:00")
    assert sent["max_datetime"].startswith(f"{day.isoformat()}T12:00")
    assert sent["address"]["zip"] == "75020"
    assert "Confirmation number for the driver" in tracking
    assert "WTC123" in tracking


def test_a_refused_pickup_is_told_to_the_shopper(order, store_a, fake):  # noqa: F811
    warehouse(store_a)
    credentials = {"api_key": "k", "base_url": f"{fake.url}/v2"}
    CarrierAccountFactory(store=store_a, kind="easypost", credentials=credentials)
    p.serve_easypost(fake)
    fake.on("POST", "/v2/pickups", Answer(422, p.easypost_error("PICKUP.INVALID", "No pickup")))
    client = Client()
    _to_method(client, order)
    client.post(f"{BASE}/method", _pickup_form(timezone.localdate() + timedelta(days=2)))
    client.post(f"{BASE}/review")
    created = returns.approve_return(return_request=Return.objects.get(), actor=SYSTEM)
    jobs.issue_label_for_return.call(str(created.pk))

    assert jobs.book_requested_pickup.call(str(created.pk)) == "failed"
    tracking = client.get(f"{BASE}/track/{created.rma}/").content.decode()
    assert "could not book the pickup" in tracking
