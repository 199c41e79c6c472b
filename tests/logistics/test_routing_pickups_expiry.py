"""Routing rules, pickups with their manifest, and the expiry of returns never sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from retour.core.actors import Actor
from retour.logistics import routing, services
from retour.logistics.choices import ShipmentStatus
from retour.logistics.documents import render_pickup_manifest_pdf
from retour.logistics.models import Shipment
from retour.returns.choices import ReturnStatus
from retour.returns.models import Return, ReturnEvent, ReturnReason
from tests.logistics import payloads as p
from tests.logistics.factories import (
    CarrierAccountFactory,
    RoutingRuleFactory,
    approved_return,
    warehouse,
)
from tests.logistics.fake_carrier import Answer
from tests.logistics.samples import decode, rasterize

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")


def test_defective_items_go_to_the_repair_centre(store_a):
    main = warehouse(store_a, is_default=True)
    repair = warehouse(store_a, code="repair", name="Repair centre", is_default=False)
    RoutingRuleFactory(store=store_a, conditions={"reason": ["defective"]}, warehouse=repair)
    defective = approved_return(store_a)
    defective.lines.update(reason=ReturnReason.objects.get(store=store_a, code="defective"))
    other = approved_return(store_a)

    assert routing.route_return(defective).warehouse == repair
    assert routing.route_return(other).warehouse == main


def test_a_country_rule_picks_the_carrier_and_the_cheapest_rate(store_a, fake):
    warehouse(store_a)
    sendcloud = CarrierAccountFactory(
        store=store_a,
        kind="sendcloud",
        credentials={"public_key": "pub", "secret_key": "sec", "base_url": f"{fake.url}/api/v2"},
        options={"api_version": "v2"},  # rates are read from v2's shipping methods
    )
    RoutingRuleFactory(
        store=store_a, conditions={"country": ["FR"]}, account=sendcloud, strategy="cheapest"
    )
    fake.on(
        "GET",
        "/api/v2/shipping_methods",
        Answer(
            200,
            {
                "shipping_methods": [
                    {"id": 8, "name": "Colissimo", "countries": [{"iso_2": "FR", "price": 5.9}]},
                    {
                        "id": 1343,
                        "name": "Mondial Relay",
                        "countries": [{"iso_2": "FR", "price": 4.2}],
                    },
                ]
            },
        ),
    )
    p.serve_sendcloud(fake)

    services.issue_label(return_request=approved_return(store_a), actor=STAFF)

    assert fake.calls("POST", "/api/v2/parcels")[0].json()["parcel"]["shipment"] == {"id": 1343}


def test_without_rules_or_accounts_the_own_label_carrier_is_used(store_a):
    warehouse(store_a)

    route = routing.route_return(approved_return(store_a))

    assert route.account.kind == "own_label"


def test_a_pickup_is_booked_and_listed_on_the_manifest_with_a_barcode(store_a, fake):
    main = warehouse(store_a)
    CarrierAccountFactory(
        store=store_a,
        kind="easypost",
        credentials={"api_key": "k", "base_url": f"{fake.url}/v2"},
    )
    p.serve_easypost(fake)
    fake.on(
        "POST",
        "/v2/pickups",
        Answer(
            201,
            {
                "id": "pickup_1",
                "pickup_rates": [
                    {"id": "prate_1", "carrier": "USPS", "service": "NextDay", "rate": "0.00"}
                ],
            },
        ),
    )
    fake.on(
        "POST",
        "/v2/pickups/pickup_1/buy",
        Answer(200, {"id": "pickup_1", "confirmation": "WTC123"}),
    )
    return_request = approved_return(store_a)
    services.issue_label(return_request=return_request, actor=STAFF)
    day = timezone.localdate() + dt.timedelta(days=1)

    booking = services.book_pickup(return_request=return_request, date=day, actor=STAFF)

    assert (booking.status, booking.confirmation) == ("booked", "WTC123")
    sent = fake.calls("POST", "/v2/pickups")[0].json()["pickup"]
    assert sent["shipment"] == {"id": "shp_1"}
    assert sent["address"]["zip"] == "75001"
    manifest = render_pickup_manifest_pdf(services.pickup_manifest(warehouse=main, date=day))
    assert ("Code128", p.EP_TRACKING) in decode(rasterize(manifest, 200))


def test_a_failed_pickup_is_recorded_on_the_return(store_a, fake):
    warehouse(store_a)
    CarrierAccountFactory(
        store=store_a, kind="easypost", credentials={"api_key": "k", "base_url": f"{fake.url}/v2"}
    )
    p.serve_easypost(fake)
    fake.on("POST", "/v2/pickups", Answer(422, p.easypost_error("PICKUP.INVALID", "No pickup")))
    return_request = approved_return(store_a)
    services.issue_label(return_request=return_request, actor=STAFF)

    with pytest.raises(services.CarrierError):
        services.book_pickup(
            return_request=return_request,
            date=timezone.localdate() + dt.timedelta(days=1),
            actor=STAFF,
        )

    assert ReturnEvent.objects.filter(return_request=return_request, kind="pickup_failed").exists()


def test_manifest_lists_one_decodable_barcode_per_parcel():
    from retour.logistics.documents import Address, ManifestData, ManifestParcel

    parcels = [
        ManifestParcel(f"3SYZXG13291233{i}", f"R-AAAA-000{i}", "colissimo", "Ada", "75001 Paris", 2)
        for i in range(3)
    ]
    data = ManifestData(
        warehouse=Address("Entrepôt", ["ZA des Chênes"], "69800", "Saint-Priest", "FR"),
        date=dt.date(2026, 3, 2),
        parcels=parcels,
    )

    codes = decode(rasterize(render_pickup_manifest_pdf(data), 200))

    assert sorted(text for kind, text in codes if kind == "Code128") == [
        parcel.tracking_number for parcel in parcels
    ]


def test_unsent_returns_expire_and_their_labels_are_voided(store_a, fake, settings):
    warehouse(store_a)
    CarrierAccountFactory(
        store=store_a, kind="easypost", credentials={"api_key": "k", "base_url": f"{fake.url}/v2"}
    )
    p.serve_easypost(fake)
    stale = approved_return(store_a)
    services.issue_label(return_request=stale, actor=STAFF)
    fresh = approved_return(store_a, status=ReturnStatus.APPROVED)
    old = timezone.now() - dt.timedelta(days=settings.RETOUR_NOTIFICATIONS["RETURN_SHIP_DAYS"] + 1)
    Return.objects.filter(pk=stale.pk).update(status_changed_at=old)

    outcome = services.expire_unsent_returns()
    again = services.expire_unsent_returns()

    assert (outcome.expired, outcome.voided) == (1, 1)
    assert (again.expired, again.voided) == (0, 0)
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == ReturnStatus.EXPIRED
    assert fresh.status == ReturnStatus.APPROVED
    assert Shipment.objects.get(return_request=stale).status == ShipmentStatus.VOIDED
    assert len(fake.calls("POST", "/v2/shipments/shp_1/refund")) == 1


def test_the_expiry_job_is_scheduled():
    from retour.core.jobs import periodic_jobs

    assert "retour.logistics.jobs.expire_unsent_returns" in {job.name for job in periodic_jobs()}
