"""The returns queue and a return's page in a real browser: filter, bulk approve; then one return
from review to refund, with the amounts confirmed before the money moves. axe-core on each page."""

import pytest
from playwright.sync_api import expect

from retour.refunds.models import Refund
from retour.returns.choices import ReturnStatus
from retour.returns.models import Return
from tests.browser.accessibility import serious_violations
from tests.browser.staff import sign_in
from tests.factories import OrderFactory, ReturnFactory
from tests.refunds.helpers import inspect_return, make_order
from tests.refunds.helpers import open_return as approved_return

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "queue-all-day-42"


@pytest.fixture
def owner(owner_a):
    owner_a.set_password(PASSWORD)
    owner_a.save(update_fields=["password"])
    return owner_a


def _checked(page) -> None:
    assert serious_violations(page) == [], page.url


def test_filter_the_queue_and_approve_a_selection(store_a, owner, live_server, page):
    to_review = [
        ReturnFactory(order=OrderFactory(store=store_a), status=ReturnStatus.PENDING_REVIEW)
        for _ in range(2)
    ]
    approved = ReturnFactory(order=OrderFactory(store=store_a), status=ReturnStatus.APPROVED)
    sign_in(page, live_server.url, owner.username, PASSWORD)
    page.goto(f"{live_server.url}/dashboard/returns/")
    expect(page.locator("h1")).to_have_text("Returns")
    _checked(page)

    page.get_by_label("Status", exact=True).select_option("pending_review")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("link", name=approved.rma)).to_have_count(0)

    for return_request in to_review:
        page.get_by_label(f"Select {return_request.rma}").check()
    page.get_by_label("Action", exact=True).select_option("approve")
    page.get_by_role("button", name="Apply to the selection").click()
    expect(page.get_by_role("heading", name="Result of the bulk action")).to_be_visible()
    for return_request in to_review:
        expect(page.locator(".results")).to_contain_text(f"{return_request.rma}: done")
    _checked(page)
    statuses = set(
        Return.objects.filter(pk__in=[r.pk for r in to_review]).values_list("status", flat=True)
    )
    assert statuses == {ReturnStatus.APPROVED}


def test_a_return_from_review_to_refund(store_a, owner, live_server, page):
    return_request = approved_return(make_order(store_a))
    Return.objects.filter(pk=return_request.pk).update(status=ReturnStatus.PENDING_REVIEW)
    sign_in(page, live_server.url, owner.username, PASSWORD)
    page.goto(f"{live_server.url}/dashboard/returns/{return_request.rma}/")
    _checked(page)

    page.get_by_label("Internal note (never shown to the shopper)").fill("Checked the photos.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".messages")).to_contain_text("Note added.")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Return approved.")
    expect(page.locator("dl.facts")).to_contain_text("Approved")

    # The parcel comes back and is inspected (the warehouse's own pages, tested elsewhere).
    inspect_return(Return.objects.get(pk=return_request.pk))
    page.reload()
    page.get_by_role("link", name="Refund…").click()
    total = page.locator("#refund-total").inner_text()
    _checked(page)
    assert Refund.objects.count() == 0
    page.get_by_role("button", name=f"Confirm: {total}").click()
    expect(page.locator(".messages")).to_contain_text("Refund")
    refund = Refund.objects.get(return_request=return_request)
    assert f"{refund.amount:.2f}" in total.replace(",", ".")
    expect(page.locator("#refunds-title")).to_be_visible()
