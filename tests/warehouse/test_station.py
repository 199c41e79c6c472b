"""The receiving station as plain forms (no script): scans, receipt, isolation, the report."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from retour.portal.models import Photo
from retour.returns.choices import ReturnStatus
from retour.warehouse.models import Receipt
from tests.warehouse.helpers import parcel_on_its_way, warehouse_of

pytestmark = pytest.mark.django_db

SCAN = "/dashboard/receiving/scan"


@pytest.fixture
def station(session_client, warehouse_a):
    return session_client(warehouse_a)


@pytest.fixture
def parcel(store_a):
    warehouse_of(store_a)
    return parcel_on_its_way(store_a)


def _scan(client, code, fetch=False):
    headers = {"X-Station": "fetch"} if fetch else {}
    return client.post(SCAN, {"code": code}, headers=headers)


def test_the_station_asks_to_sign_in(client):
    response = client.get("/dashboard/receiving/")

    assert response.status_code == 302
    assert response["Location"].startswith("/dashboard/login/")


def test_the_sign_in_page_answers(client):
    assert client.get("/dashboard/login/").status_code == 200


def test_a_scan_without_script_redirects_to_the_page_showing_the_return(station, parcel):
    return_request, _lines = parcel

    response = _scan(station, return_request.rma.lower())

    assert response.status_code == 302
    page = station.get(response["Location"]).content.decode()
    assert return_request.rma in page
    assert "0 / 2" in page


def test_scans_tick_lines_and_receive_records_the_receipt(station, parcel):
    return_request, (first, second) = parcel
    _scan(station, "6A123456789FR")
    _scan(station, "3700000000011")
    answer = _scan(station, "3700000000022", fetch=True).json()
    assert answer["status"] == "match"
    assert "1 / 1" in answer["panel"]

    wrong = _scan(station, "0000000000017", fetch=True).json()
    assert wrong["status"] == "mismatch"
    received = _scan(station, "receive", fetch=True).json()

    assert received["status"] == "received"
    return_request.refresh_from_db()
    assert return_request.status == ReturnStatus.RECEIVED
    receipt = Receipt.objects.get(return_request=return_request)
    assert receipt.received_units == 2
    assert receipt.operator.username == "warehouse-a"
    kinds = sorted(receipt.discrepancies.values_list("kind", flat=True))
    assert kinds == ["missing", "wrong_item"]
    first.refresh_from_db()
    assert first.received_qty == 1


def test_staff_of_store_b_cannot_open_a_parcel_of_store_a(session_client, staff_b, parcel):
    return_request, _lines = parcel
    client = session_client(staff_b)

    answer = _scan(client, return_request.rma, fetch=True).json()

    assert answer["status"] == "mismatch"
    assert return_request.rma not in answer["panel"]


def test_the_daily_report_page_and_csv(station, parcel, store_a):
    return_request, (first, second) = parcel
    _scan(station, return_request.rma)
    _scan(station, "3700000000011")
    _scan(station, "RECEIVE")

    page = station.get(reverse("dashboard:daily-report")).content.decode()
    csv_text = station.get(
        reverse("dashboard:daily-report-csv"), {"store": store_a.slug}
    ).content.decode()

    assert "lyon" in page
    assert csv_text.splitlines()[1].split(",")[1:] == ["lyon", "1", "1", "0", "0", "2"]


def test_the_station_shows_the_shoppers_photos(station, parcel, store_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return_request, (first, _second) = parcel
    photo = Photo(store=store_a, return_line=first, width=1, height=1)
    photo.file.save("scratch.jpg", ContentFile(b"jpeg bytes"), save=False)
    photo.save()

    panel = _scan(station, return_request.rma, fetch=True).json()["panel"]

    assert reverse("dashboard:shopper-photo", args=[first.pk, photo.pk]) in panel
    assert "The shopper's photo 1 of" in panel


def test_receipts_go_to_the_warehouse_picked_at_the_station(station, parcel, store_a, store_b):
    return_request, (first, _second) = parcel
    paris = warehouse_of(store_a, code="paris")
    elsewhere = warehouse_of(store_b, code="berlin")
    page = station.get("/dashboard/receiving/").content.decode()
    assert 'name="warehouse"' in page  # store A has two warehouses: the picker shows

    refused = station.post(reverse("dashboard:receiving-warehouse"), {"warehouse": elsewhere.pk})
    picked = station.post(reverse("dashboard:receiving-warehouse"), {"warehouse": paris.pk})
    _scan(station, return_request.rma)
    _scan(station, "3700000000011")
    _scan(station, "RECEIVE")

    assert refused.status_code == 404
    assert picked.status_code == 302
    assert Receipt.objects.get(return_request=return_request).warehouse == paris
    page = station.get("/dashboard/receiving/").content.decode()
    assert f'value="{paris.pk}" selected' in page


def test_no_picker_for_a_store_with_one_warehouse(station, parcel):
    assert 'name="warehouse"' not in station.get("/dashboard/receiving/").content.decode()


def test_parcels_in_a_row_each_scan_reads_one_return_at_most(
    station, parcel, store_a, django_assert_max_num_queries
):
    return_request, (first, _second) = parcel
    other, _ = parcel_on_its_way(store_a, lines=(1,), tracking="6A999999999FR", barcodes=False)
    _scan(station, return_request.rma)
    queries = []
    for code in (
        "3700000000011",
        "3700000000011",
        "3700000000011",
        "6A123456789FR",
        "6A999999999FR",
    ):
        with django_assert_max_num_queries(12) as captured:
            queries.append(_scan(station, code, fetch=True).json())
        # One return read (with its receipt, lines and photos), never two.
        assert sum('FROM "returns_return"' in q["sql"] for q in captured.captured_queries) == 1

    ticked, second_tick, extra, own_label, next_parcel = queries
    assert ticked["status"] == second_tick["status"] == "match"
    assert "2 / 2" in second_tick["panel"]
    assert extra["status"] == "mismatch"  # a third unit of a line of two: recorded as extra
    assert own_label["status"] == "match"
    assert return_request.rma in own_label["message"]
    assert next_parcel["status"] == "match"
    assert other.rma in next_parcel["panel"]
    assert return_request.rma not in next_parcel["panel"]
