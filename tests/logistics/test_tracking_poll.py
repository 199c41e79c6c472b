"""The scheduled tracking poll: labels whose carrier sent no event for some hours are polled
through `poll_tracking`; fresh, final and own labels are left alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from retour.core.actors import Actor
from retour.logistics import services
from retour.logistics.choices import TrackingStatus
from retour.logistics.models import Shipment, TrackingEvent
from tests.logistics import payloads as p
from tests.logistics.factories import CarrierAccountFactory, approved_return, warehouse
from tests.logistics.fake_carrier import Answer

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")


def parcel_with_status(fake, status_id: int, message: str, updated: str) -> None:
    parcel = p.sendcloud_parcel(fake.url)
    parcel["parcel"].update(status={"id": status_id, "message": message}, date_updated=updated)
    fake.on("GET", "/api/v2/parcels/3172", Answer(200, parcel))


@pytest.fixture
def shipment(store_a, fake):
    warehouse(store_a)
    CarrierAccountFactory(
        store=store_a,
        kind="sendcloud",
        name="Sendcloud",
        credentials={"public_key": "pub", "secret_key": "sec", "base_url": f"{fake.url}/api/v2"},
        options={"api_version": "v2"},
    )
    p.serve_sendcloud(fake)
    return_request = approved_return(store_a)
    services.issue_label(return_request=return_request, actor=STAFF)
    return Shipment.objects.get(return_request=return_request)


def test_a_label_without_carrier_news_is_polled_and_a_fresh_one_is_not(shipment, fake):
    parcel_with_status(fake, 3, "En route to sorting center", "2026-03-02T10:00:00")

    assert services.poll_stale_tracking() == services.PollOutcome(0, 0, 0)  # label just made
    assert not fake.calls("GET", "/api/v2/parcels/3172")

    Shipment.objects.filter(pk=shipment.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=7)
    )
    assert services.poll_stale_tracking() == services.PollOutcome(1, 1, 0)
    shipment.refresh_from_db()
    assert shipment.tracking_status == TrackingStatus.IN_TRANSIT
    assert TrackingEvent.objects.get(shipment=shipment).carrier_status == "3"

    # The poll's event is news from the carrier: nothing to ask for the next hours.
    assert services.poll_stale_tracking() == services.PollOutcome(0, 0, 0)
    later = timezone.now() + dt.timedelta(hours=7)
    assert services.poll_stale_tracking(now=later) == services.PollOutcome(1, 0, 0)  # same event
    assert len(fake.calls("GET", "/api/v2/parcels/3172")) == 2


def test_delivered_parcels_are_not_polled_and_carrier_errors_are_counted(shipment, fake, settings):
    settings.RETOUR_LOGISTICS = {**settings.RETOUR_LOGISTICS, "TRACKING_STALE_HOURS": 2}
    fake.on("GET", "/api/v2/parcels/3172", Answer(500, p.sendcloud_error(500, "Server error")))
    later = timezone.now() + dt.timedelta(hours=3)

    assert services.poll_stale_tracking(now=later) == services.PollOutcome(0, 0, 1)

    Shipment.objects.filter(pk=shipment.pk).update(tracking_status=TrackingStatus.DELIVERED)
    assert services.poll_stale_tracking(now=later) == services.PollOutcome(0, 0, 0)


def test_the_poll_job_is_scheduled_every_30_minutes_by_default(settings):
    from retour.core.jobs import periodic_jobs

    jobs = {job.name: job for job in periodic_jobs()}
    poll = jobs["retour.logistics.jobs.poll_stale_tracking"]
    assert poll.every() == dt.timedelta(minutes=30)
    settings.RETOUR_LOGISTICS = {**settings.RETOUR_LOGISTICS, "TRACKING_POLL_MINUTES": 10}
    assert poll.every() == dt.timedelta(minutes=10)
