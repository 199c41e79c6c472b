"""The receiving station in a real browser, driven only by typed scans (a barcode scanner is a
keyboard that ends each code with Enter): parcel → items → RECEIVE → the next parcel."""

import pytest
from playwright.sync_api import expect

from retour.returns.choices import ReturnStatus
from retour.returns.models import Return
from tests.browser.accessibility import serious_violations
from tests.browser.staff import sign_in
from tests.warehouse.helpers import parcel_on_its_way, warehouse_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "scan-all-day-42"


@pytest.fixture
def operator(warehouse_a):
    warehouse_a.set_password(PASSWORD)
    warehouse_a.save(update_fields=["password"])
    return warehouse_a


def _scan(page, code):
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_a_row_of_parcels_is_received_from_the_scan_field(store_a, operator, live_server, page):
    warehouse_of(store_a)
    first, (line_1, _line_2) = parcel_on_its_way(store_a, tracking="6A000000001FR")
    second, _lines = parcel_on_its_way(store_a, lines=[1], tracking="6A000000002FR")
    announce = page.locator("#announce")

    sign_in(page, live_server.url, operator.username, PASSWORD)
    expect(page.locator("h1")).to_have_text("Overview")
    page.get_by_role("link", name="Receiving", exact=True).click()
    expect(page.locator("h1")).to_have_text("Receiving station")

    _scan(page, first.rma.lower().replace("-", " "))
    expect(announce).to_contain_text(first.rma)
    expect(announce).to_have_attribute("data-status", "match")
    _scan(page, "3700000000011")
    _scan(page, line_1.order_line.sku)
    expect(page.locator(f'tr[data-line="{line_1.pk}"] .count')).to_have_text("2 / 2")
    _scan(page, "4006381333931")  # not in this parcel
    expect(announce).to_have_attribute("data-status", "mismatch")
    assert serious_violations(page) == []
    _scan(page, "RECEIVE")
    expect(announce).to_have_attribute("data-status", "received")
    expect(announce).to_contain_text("2 of 3 items")

    _scan(page, "6A000000002FR")  # the next parcel, by its label
    expect(announce).to_contain_text(second.rma)
    _scan(page, "3700000000011")
    _scan(page, "RECEIVE")
    expect(announce).to_contain_text(f"Return {second.rma} received: 1 of 1 items")

    assert page.evaluate("document.activeElement.id") == "scan"
    statuses = dict(Return.objects.values_list("rma", "status"))
    assert statuses == {first.rma: ReturnStatus.RECEIVED, second.rma: ReturnStatus.RECEIVED}
    assert serious_violations(page) == []
