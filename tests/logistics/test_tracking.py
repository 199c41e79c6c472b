"""Tracking drives the lifecycle: from label to delivered through signed webhooks, with
duplicates, replays and events out of order."""

from __future__ import annotations

import pytest
from django.test import Client

from retour.core.actors import Actor
from retour.events.models import OutboxEvent
from retour.logistics import services
from retour.logistics.models import Shipment, TrackingEvent
from retour.returns.choices import ReturnStatus
from retour.returns.models import ReturnEvent
from tests.logistics import payloads as p
from tests.logistics.factories import CarrierAccountFactory, approved_return, warehouse

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")
DAY = 86_400_000  # ms


@pytest.fixture
def sendcloud_return(store_a, fake):
    warehouse(store_a)
    account = CarrierAccountFactory(
        store=store_a,
        kind="sendcloud",
        name="Sendcloud",
        credentials={"public_key": "pub", "secret_key": "sec", "base_url": f"{fake.url}/api/v2"},
        options={"announce_delay": 0},  # the v3 Returns API
    )
    p.serve_sendcloud_v3(fake)
    return_request = approved_return(store_a)
    services.issue_label(return_request=return_request, actor=STAFF)
    return_request.account = account
    return return_request


@pytest.fixture
def easypost_return(store_a, fake):
    warehouse(store_a)
    account = CarrierAccountFactory(
        store=store_a,
        kind="easypost",
        name="EasyPost",
        credentials={"api_key": "k", "base_url": f"{fake.url}/v2", "webhook_secret": "whsec"},
    )
    p.serve_easypost(fake)
    return_request = approved_return(store_a)
    services.issue_label(return_request=return_request, actor=STAFF)
    return_request.account = account
    return return_request


def send_sendcloud(return_request, status_id, message, at_ms, signature=None):
    body = p.dumps(p.sendcloud_event(status_id, message, at_ms))
    return Client().post(
        f"/api/v1/webhooks/carriers/sendcloud/{return_request.account.pk}",
        data=body,
        content_type="application/json",
        HTTP_SENDCLOUD_SIGNATURE=signature or p.sendcloud_signature(body, "sec"),
    )


def send_easypost(return_request, event, secret="whsec"):  # noqa: S107
    body = p.dumps(event)
    return Client().post(
        f"/api/v1/webhooks/carriers/easypost/{return_request.account.pk}",
        data=body,
        content_type="application/json",
        HTTP_X_HMAC_SIGNATURE=p.easypost_signature(body, secret),
    )


def status_of(return_request) -> str:
    return_request.refresh_from_db()
    return return_request.status


T0 = 1_772_445_600_000  # 2026-03-02 10:00 UTC


def test_first_scan_then_delivery_move_the_return(sendcloud_return):
    r = sendcloud_return
    assert send_sendcloud(r, 1, "Announced", T0).json() == {"received": 1}
    assert status_of(r) == ReturnStatus.LABEL_ISSUED

    send_sendcloud(r, 3, "En route to sorting center", T0 + DAY)
    assert status_of(r) == ReturnStatus.IN_TRANSIT

    send_sendcloud(r, 11, "Delivered", T0 + 2 * DAY)
    assert status_of(r) == ReturnStatus.DELIVERED

    kinds = list(
        ReturnEvent.objects.filter(return_request=r, actor_kind="carrier").values_list(
            "to_status", flat=True
        )
    )
    assert kinds == ["in_transit", "delivered"]
    notified = set(OutboxEvent.objects.values_list("type", flat=True))
    assert {"return.in_transit", "return.delivered"} <= notified
    shipment = Shipment.objects.get(return_request=r)
    assert shipment.tracking_status == "delivered"
    assert shipment.first_scan_at is not None


def test_the_same_event_twice_changes_nothing(sendcloud_return):
    r = sendcloud_return
    send_sendcloud(r, 3, "En route to sorting center", T0)
    events_before = ReturnEvent.objects.count()
    outbox_before = OutboxEvent.objects.count()

    response = send_sendcloud(r, 3, "En route to sorting center", T0)  # replayed, validly signed

    assert response.status_code == 200
    assert response.json() == {"received": 0}
    assert ReturnEvent.objects.count() == events_before
    assert OutboxEvent.objects.count() == outbox_before
    assert TrackingEvent.objects.count() == 1


def test_an_older_event_arriving_late_never_moves_the_return_back(sendcloud_return):
    r = sendcloud_return
    send_sendcloud(r, 11, "Delivered", T0 + 2 * DAY)
    assert status_of(r) == ReturnStatus.DELIVERED

    send_sendcloud(r, 3, "En route to sorting center", T0 + DAY)
    send_sendcloud(r, 1, "Announced", T0)

    assert status_of(r) == ReturnStatus.DELIVERED
    assert Shipment.objects.get(return_request=r).tracking_status == "delivered"
    assert TrackingEvent.objects.count() == 3  # the history is complete
    assert TrackingEvent.objects.filter(applied=True).count() == 1


def test_a_bad_signature_is_refused_and_changes_nothing(sendcloud_return):
    r = sendcloud_return

    response = send_sendcloud(r, 11, "Delivered", T0, signature="0" * 64)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert status_of(r) == ReturnStatus.LABEL_ISSUED
    assert TrackingEvent.objects.count() == 0


def test_a_signature_of_another_account_is_refused(sendcloud_return, store_b):
    other = CarrierAccountFactory(
        store=store_b, kind="sendcloud", credentials={"public_key": "b", "secret_key": "b-secret"}
    )
    body = p.dumps(p.sendcloud_event(11, "Delivered", T0))

    response = Client().post(
        f"/api/v1/webhooks/carriers/sendcloud/{other.pk}",
        data=body,
        content_type="application/json",
        HTTP_SENDCLOUD_SIGNATURE=p.sendcloud_signature(body, "sec"),
    )

    assert response.status_code == 401
    assert status_of(sendcloud_return) == ReturnStatus.LABEL_ISSUED


def test_an_unknown_account_answers_like_a_bad_signature(sendcloud_return):
    body = p.dumps(p.sendcloud_event(11, "Delivered", T0))

    response = Client().post(
        "/api/v1/webhooks/carriers/sendcloud/999999",
        data=body,
        content_type="application/json",
        HTTP_SENDCLOUD_SIGNATURE=p.sendcloud_signature(body, "sec"),
    )

    assert response.status_code == 401


def test_easypost_tracker_updates_from_label_to_delivered(easypost_return):
    r = easypost_return
    history = [("pre_transit", "2026-03-01T10:00:00Z")]
    send_easypost(r, p.easypost_event("evt_1", history))
    assert status_of(r) == ReturnStatus.LABEL_ISSUED

    history.append(("in_transit", "2026-03-02T08:00:00Z"))
    send_easypost(r, p.easypost_event("evt_2", history))
    assert status_of(r) == ReturnStatus.IN_TRANSIT

    history.append(("delivered", "2026-03-04T15:30:00Z"))
    send_easypost(r, p.easypost_event("evt_3", history))
    send_easypost(r, p.easypost_event("evt_3", history))  # EasyPost retries the delivery
    assert status_of(r) == ReturnStatus.DELIVERED
    assert TrackingEvent.objects.count() == 3
    assert ReturnEvent.objects.filter(return_request=r, to_status="delivered").count() == 1


def test_easypost_bad_signature_is_refused(easypost_return):
    event = p.easypost_event("evt_1", [("delivered", "2026-03-04T15:30:00Z")])

    response = send_easypost(easypost_return, event, secret="wrong")

    assert response.status_code == 401
    assert status_of(easypost_return) == ReturnStatus.LABEL_ISSUED


def test_delivery_without_a_transit_scan_goes_straight_to_delivered(easypost_return):
    send_easypost(
        easypost_return, p.easypost_event("evt_1", [("delivered", "2026-03-04T15:30:00Z")])
    )

    assert status_of(easypost_return) == ReturnStatus.DELIVERED


def test_polling_records_the_same_events_as_the_webhook(easypost_return, fake):
    history = [("pre_transit", "2026-03-01T10:00:00Z"), ("in_transit", "2026-03-02T08:00:00Z")]
    send_easypost(easypost_return, p.easypost_event("evt_1", history))
    event = p.easypost_event("evt_1", history)
    from tests.logistics.fake_carrier import Answer

    fake.on("GET", "/v2/shipments/shp_1", Answer(200, {"id": "shp_1", "tracker": event["result"]}))

    new = services.poll_tracking(shipment=Shipment.objects.get(return_request=easypost_return))

    assert new == 0
    assert TrackingEvent.objects.count() == 2
