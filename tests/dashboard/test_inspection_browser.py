"""The inspection page in a real browser: a scan opens the return, the unit is graded from the
keyboard, its refund set and its disposition carried out; axe finds no serious violation."""

import pytest
from playwright.sync_api import expect

from retour.commerce.models import StockMovement
from retour.core.actors import Actor
from retour.returns.choices import ReturnStatus
from retour.returns.models import Return
from retour.warehouse import services
from tests.browser.accessibility import serious_violations
from tests.browser.staff import sign_in
from tests.warehouse.helpers import parcel_on_its_way, warehouse_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "grade-all-day-42"


@pytest.fixture
def operator(warehouse_a):
    warehouse_a.set_password(PASSWORD)
    warehouse_a.save(update_fields=["password"])
    return warehouse_a


def test_a_unit_is_graded_and_restocked_from_the_inspection_page(
    store_a, operator, live_server, page
):
    warehouse_of(store_a)
    return_request, (line,) = parcel_on_its_way(store_a, lines=[1], tracking="6A000000003FR")
    services.receive_parcel(
        return_request=return_request,
        warehouse=None,
        quantities={line.pk: 1},
        actor=Actor.staff(operator),
    )
    sign_in(page, live_server.url, operator.username, PASSWORD)
    page.get_by_role("link", name="Inspection", exact=True).click()
    expect(page.locator("h1")).to_have_text("Inspection")
    expect(page.get_by_role("link", name=return_request.rma)).to_be_visible()
    assert serious_violations(page) == []

    page.keyboard.type("6A000000003FR")  # the scan field has the focus
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(f"Inspection of {return_request.rma}")
    assert page.evaluate("document.activeElement.name") == "grade"  # the first unit's grade
    assert serious_violations(page) == []
    page.keyboard.press("ArrowRight")  # A → B, as a radio group does
    page.get_by_label("Tags on").check()
    page.get_by_role("button", name="Save the inspection of unit 1").click()

    expect(page.get_by_role("status").first).to_contain_text("Unit 1 inspected: grade B")
    disposition = page.get_by_label("What becomes of it")
    expect(disposition).to_be_focused()
    expect(disposition).to_have_value("restock_graded")  # the store's rule for grade B
    assert serious_violations(page) == []
    page.get_by_role("button", name="Dispose of unit 1").click()

    expect(page.get_by_role("status").first).to_contain_text(f"{line.order_line.sku}-B")
    assert Return.objects.get(pk=return_request.pk).status == ReturnStatus.INSPECTED
    assert StockMovement.objects.get().variant.sku == f"{line.order_line.sku}-B"
