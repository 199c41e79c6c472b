"""Issuing and voiding labels: own label end to end, carrier failures leave a clear error and
no half-made label, and a retry is safe."""

from __future__ import annotations

import pytest

from retour.core.actors import Actor
from retour.logistics import services
from retour.logistics.adapters.base import CarrierError
from retour.logistics.choices import ShipmentStatus
from retour.logistics.models import CarrierAccount, Shipment
from retour.returns.choices import ReturnStatus
from retour.returns.models import ReturnEvent
from tests.logistics import payloads as p
from tests.logistics.factories import CarrierAccountFactory, approved_return, warehouse
from tests.logistics.fake_carrier import Answer
from tests.logistics.samples import decode, rasterize

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")


@pytest.fixture
def return_a(store_a):
    warehouse(store_a)
    return approved_return(store_a)


def easypost_account(store, fake):
    return CarrierAccountFactory(
        store=store,
        kind="easypost",
        name="EasyPost",
        credentials={"api_key": "EZTK", "base_url": f"{fake.url}/v2", "webhook_secret": "whsec"},
    )


def test_own_label_is_issued_and_its_codes_scan(return_a, settings):
    settings.PUBLIC_URL = "https://returns.example.com"

    shipment = services.issue_label(return_request=return_a, actor=STAFF)

    return_a.refresh_from_db()
    assert return_a.status == ReturnStatus.LABEL_ISSUED
    assert return_a.tracking_number == shipment.tracking_number == return_a.rma
    assert shipment.status == ShipmentStatus.CREATED
    url = f"https://returns.example.com/returns/store-a/track/{return_a.rma}"
    assert decode(rasterize(bytes(shipment.label_pdf), 203)) == [
        ("Code128", return_a.rma),
        ("QRCode", url),
    ]
    assert bytes(shipment.label_zpl).startswith(b"^XA")


def test_issuing_twice_returns_the_same_label(return_a):
    first = services.issue_label(return_request=return_a, actor=STAFF)
    second = services.issue_label(return_request=return_a, actor=STAFF)

    assert first.pk == second.pk
    assert Shipment.objects.count() == 1


def test_a_label_needs_an_approved_return(store_a):
    warehouse(store_a)
    return_request = approved_return(store_a, status=ReturnStatus.REQUESTED)

    with pytest.raises(services.lifecycle.IllegalTransition):
        services.issue_label(return_request=return_request, actor=STAFF)

    assert Shipment.objects.count() == 0


def test_a_carrier_failure_leaves_a_clear_error_and_no_label(return_a, fake):
    easypost_account(return_a.store, fake)
    fake.on(
        "POST",
        "/v2/shipments",
        Answer(422, p.easypost_error("ADDRESS.VERIFY.FAILURE", "Address not found")),
    )

    with pytest.raises(CarrierError):
        services.issue_label(return_request=return_a, actor=STAFF)

    return_a.refresh_from_db()
    assert return_a.status == ReturnStatus.APPROVED
    assert not Shipment.objects.filter(status=ShipmentStatus.CREATED).exists()
    [failed] = Shipment.objects.all()
    assert failed.status == ShipmentStatus.FAILED
    assert "Address not found" in failed.last_error
    event = ReturnEvent.objects.get(return_request=return_a, kind="label_failed")
    assert event.data["reason"] == "address"
    assert "Address not found" in event.data["error"]


def test_a_retry_after_a_failure_sends_the_same_key_and_buys_one_label(return_a, fake):
    easypost_account(return_a.store, fake)
    fake.on("POST", "/v2/shipments", Answer(503, b"unavailable"))
    with pytest.raises(CarrierError):
        services.issue_label(return_request=return_a, actor=STAFF)
    p.serve_easypost(fake)

    shipment = services.issue_label(return_request=return_a, actor=STAFF)

    keys = {c.json()["shipment"]["reference"] for c in fake.calls("POST", "/v2/shipments")}
    assert keys == {f"retour-{return_a.pk}-label-1"}
    assert len(fake.calls("POST", "/v2/shipments/shp_1/buy")) == 1
    assert shipment.tracking_number == p.EP_TRACKING
    assert bytes(shipment.label_pdf) == p.PDF
    return_a.refresh_from_db()
    assert return_a.status == ReturnStatus.LABEL_ISSUED


def test_a_pending_label_blocks_a_second_purchase(return_a, fake):
    account = easypost_account(return_a.store, fake)
    Shipment.objects.create(
        store=return_a.store,
        return_request=return_a,
        account=account,
        idempotency_key=f"retour-{return_a.pk}-label-1",
    )

    with pytest.raises(services.LabelInProgress):
        services.issue_label(return_request=return_a, actor=STAFF)

    assert fake.requests == []


def test_voiding_returns_to_approved_and_a_new_label_gets_a_new_key(return_a, fake):
    easypost_account(return_a.store, fake)
    p.serve_easypost(fake)
    services.issue_label(return_request=return_a, actor=STAFF)

    voided = services.void_label(return_request=return_a, actor=STAFF)

    assert voided.status == ShipmentStatus.VOIDED
    assert len(fake.calls("POST", "/v2/shipments/shp_1/refund")) == 1
    return_a.refresh_from_db()
    assert return_a.status == ReturnStatus.APPROVED
    assert ReturnEvent.objects.filter(return_request=return_a, kind="label_voided").exists()
    fake.on("POST", "/v2/shipments", Answer(201, p.easypost_shipment(fake.url, "shp_2")))
    fake.on(
        "POST",
        "/v2/shipments/shp_2/buy",
        Answer(
            200, {**p.easypost_bought(fake.url, "shp_2"), "tracking_code": "9400100000000000000002"}
        ),
    )
    services.issue_label(return_request=return_a, actor=STAFF)
    reference = fake.calls("POST", "/v2/shipments")[-1].json()["shipment"]["reference"]
    assert reference == f"retour-{return_a.pk}-label-2"


def test_credentials_are_encrypted_at_rest(store_a):
    account = CarrierAccountFactory(
        store=store_a, kind="sendcloud", credentials={"public_key": "pub", "secret_key": "s3cr3t"}
    )

    raw = CarrierAccount.objects.values_list("credentials_encrypted", flat=True).get(pk=account.pk)

    assert "s3cr3t" not in raw
    assert CarrierAccount.objects.get(pk=account.pk).credentials["secret_key"] == "s3cr3t"


def test_the_label_and_slip_download_through_the_api(return_a, api_a):
    issued = api_a.post(f"/api/v1/stores/store-a/returns/{return_a.rma}/label/issue")
    assert issued.status_code == 201, issued.content
    assert issued.json()["carrier"] == "own_label"

    pdf = api_a.get(f"/api/v1/stores/store-a/returns/{return_a.rma}/label.pdf")
    zpl = api_a.get(f"/api/v1/stores/store-a/returns/{return_a.rma}/label.zpl")
    slip = api_a.get(f"/api/v1/stores/store-a/returns/{return_a.rma}/packing-slip.pdf")

    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert zpl.content.startswith(b"^XA")
    assert slip.content.startswith(b"%PDF")
    voided = api_a.post(f"/api/v1/stores/store-a/returns/{return_a.rma}/label/void")
    assert voided.json()["status"] == "voided"
    assert api_a.get(f"/api/v1/stores/store-a/returns/{return_a.rma}/label.pdf").status_code == 409


def test_a_carrier_failure_answers_502_with_the_reason(return_a, fake, api_a):
    easypost_account(return_a.store, fake)
    fake.on("POST", "/v2/shipments", Answer(401, p.easypost_error("APIKEY.INACTIVE", "inactive")))

    response = api_a.post(f"/api/v1/stores/store-a/returns/{return_a.rma}/label/issue")

    assert response.status_code == 502
    assert response.json()["code"] == "carrier_error"
    assert response.json()["details"]["reason"] == "auth"


def test_a_lost_purchase_answer_is_resumed_without_buying_again(return_a, fake):
    easypost_account(return_a.store, fake)
    p.serve_easypost(fake)
    fake.on("POST", "/v2/shipments/shp_1/buy", Answer(200, {}, delay=2.5))  # bought, answer lost
    with pytest.raises(CarrierError):
        services.issue_label(return_request=return_a, actor=STAFF)
    [cut_off] = Shipment.objects.all()
    assert (cut_off.status, cut_off.resumable, cut_off.carrier_shipment_id) == (
        ShipmentStatus.FAILED,
        True,
        "shp_1",
    )
    bought = {**p.easypost_bought(fake.url), "selected_rate": p.easypost_shipment("")["rates"][0]}
    fake.on("GET", "/v2/shipments/shp_1", Answer(200, bought))

    shipment = services.issue_label(return_request=return_a, actor=STAFF)

    assert shipment.tracking_number == p.EP_TRACKING
    assert shipment.idempotency_key == cut_off.idempotency_key
    assert len(fake.calls("POST", "/v2/shipments")) == 1
    assert len(fake.calls("POST", "/v2/shipments/shp_1/buy")) == 1  # the lost one only
    return_a.refresh_from_db()
    assert return_a.status == ReturnStatus.LABEL_ISSUED


def test_a_refusal_ends_the_attempt_and_the_next_try_gets_a_new_key(return_a, fake):
    easypost_account(return_a.store, fake)
    fake.on(
        "POST",
        "/v2/shipments",
        Answer(422, p.easypost_error("ADDRESS.VERIFY.FAILURE", "Address not found")),
    )
    with pytest.raises(CarrierError):
        services.issue_label(return_request=return_a, actor=STAFF)
    p.serve_easypost(fake)  # the address was corrected

    shipment = services.issue_label(return_request=return_a, actor=STAFF)

    assert shipment.idempotency_key == f"retour-{return_a.pk}-label-2"
    assert Shipment.objects.get(status=ShipmentStatus.FAILED).resumable is False


def test_a_sendcloud_v3_return_is_labelled_and_resumed_after_a_slow_announcement(return_a, fake):
    CarrierAccountFactory(
        store=return_a.store,
        kind="sendcloud",
        name="Sendcloud",
        credentials={"public_key": "pub", "secret_key": "sec", "base_url": f"{fake.url}/api/v2"},
        options={"announce_delay": 0},
    )
    p.serve_sendcloud_v3(fake)
    waiting = p.sendcloud_v3_return(fake.url, announced=False)
    fake.on("GET", f"/api/v3/returns/{p.SC_RETURN_ID}", Answer(200, waiting))
    with pytest.raises(CarrierError):
        services.issue_label(return_request=return_a, actor=STAFF)
    p.serve_sendcloud_v3(fake)  # the carrier accepted it meanwhile

    shipment = services.issue_label(return_request=return_a, actor=STAFF)

    assert shipment.carrier_shipment_id == f"{p.SC_RETURN_ID}/3172"
    assert (shipment.tracking_number, bytes(shipment.label_pdf)) == (p.SC_TRACKING, p.PDF)
    assert len(fake.calls("POST", "/api/v3/returns")) == 1
    services.void_label(return_request=return_a, actor=STAFF)
    assert len(fake.calls("PATCH", f"/api/v3/returns/{p.SC_RETURN_ID}/cancel")) == 1
