"""A claim in a real browser: from the list to its page, then approved with a replacement after
the amount is confirmed. axe-core on each page."""

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from retour.commerce.models import StockLevel
from retour.events.models import OutboxEvent
from retour.portal.models import Photo
from retour.returns import services
from retour.returns.choices import ClaimStatus
from retour.returns.models import Claim
from retour.returns.services import LineRequest
from tests.browser.accessibility import serious_violations
from tests.browser.staff import sign_in
from tests.factories import SYSTEM, OrderFactory, WarehouseFactory
from tests.portal.helpers import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "claims-all-day-42"


@pytest.fixture
def owner(owner_a):
    owner_a.set_password(PASSWORD)
    owner_a.save(update_fields=["password"])
    return owner_a


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _checked(page) -> None:
    assert serious_violations(page) == [], page.url


def test_a_claim_from_the_list_to_its_approval(store_a, owner, live_server, page):
    order = OrderFactory(store=store_a, lines=[2])
    claim = services.create_claim(
        order=order,
        kind="damaged",
        lines=[LineRequest(order.lines.get().pk, 1)],
        actor=SYSTEM,
        description="The box arrived crushed.",
    )
    variant = order.lines.get().variant  # the replacement is taken from the stock
    StockLevel.objects.create(warehouse=WarehouseFactory(store=store_a), variant=variant, on_hand=3)
    photo = Photo(store=store_a, claim=claim, width=64, height=48)
    photo.file.save("crushed.jpg", ContentFile(image_bytes()), save=False)
    photo.save()
    sign_in(page, live_server.url, owner.username, PASSWORD)

    page.get_by_role("link", name="Claims", exact=True).click()
    expect(page.locator("h1")).to_have_text("Claims")
    _checked(page)
    page.get_by_label("Search").fill(f"#{order.number}")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("link", name=claim.number).click()

    expect(page.locator("h1")).to_have_text(f"Claim {claim.number}")
    expect(page.get_by_text("The box arrived crushed.")).to_be_visible()
    image = page.get_by_role("img", name=f"Shopper's photo 1 of claim {claim.number}")
    expect(image).to_be_visible()
    # The photo is served: it decodes (once loaded) to its width.
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 64
    _checked(page)

    page.get_by_label("Replacement").check()
    page.get_by_role("button", name="Approve…").click()
    total = page.locator("#claim-total").inner_text()
    assert total == "25.00 EUR"
    _checked(page)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.OPEN
    page.get_by_role("button", name=f"Confirm: {total}").click()

    expect(page.locator(".messages")).to_contain_text("Claim approved (Replacement)")
    expect(page.locator("#claim-status")).to_have_text("Resolved · Replacement")
    expect(page.locator("#claim-replacements")).to_contain_text(f"1 × {variant.sku}")
    _checked(page)
    decided = Claim.objects.get(pk=claim.pk)
    assert (decided.status, decided.resolution) == (ClaimStatus.RESOLVED, "replacement")
    assert OutboxEvent.objects.filter(type="claim.approved").count() == 1
