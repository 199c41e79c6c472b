"""The shopper's return in a real browser, in French and in English: look-up, items, reason with
a photo, resolution, method, review, confirmation, tracking — axe-core on every page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from retour.policy.services import publish_policy
from retour.returns.models import Return
from tests.browser.accessibility import serious_violations
from tests.factories import SYSTEM
from tests.portal.helpers import image_bytes, shopper_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "en": {
        "find": "Find my order",
        "continue": "Continue",
        "send": "Send my return request",
        "registered": "Your return is registered",
        "follow": "Follow my return",
        "requested": "Requested",
        "not_found": "We could not find an order",
        "too_many": "Too many attempts",
        "not_image": "is not an image we can read",
        "too_large": "is larger than 10 MB",
        "ineligible": "Cannot be returned",
    },
    "fr": {
        "find": "Retrouver ma commande",
        "continue": "Continuer",
        "send": "Envoyer ma demande de retour",
        "registered": "Votre retour est enregistré",
        "follow": "Suivre mon retour",
        "requested": "Demandé",
        "not_found": "Nous n'avons pas trouvé de commande",
        "too_many": "Trop de tentatives",
        "not_image": "n’est pas une image lisible",
        "too_large": "dépasse 10 Mo",
        "ineligible": "Ne peut pas être retourné",
    },
}


@pytest.fixture(autouse=True)
def _media(plain_static_files):
    """See `plain_static_files`."""


def _checked(page) -> None:
    assert serious_violations(page) == [], page.url


def _look_up(page, base, language, number="1042", contact="ada@example.com"):
    page.goto(f"{base}/returns/store-a/?lang={language}")
    page.locator("#number").fill(number)
    page.locator("#contact").fill(contact)
    page.get_by_role("button", name=TEXTS[language]["find"]).click()


def _walk(page, base, order, language, *, axe=True):
    """Every step to the confirmation; axe-core (which runs as a script) on each page when the
    page may run JavaScript."""
    check = _checked if axe else (lambda page: None)
    text = TEXTS[language]
    line = order.lines.order_by("id").first()
    _look_up(page, base, language)
    check(page)  # look-up page after submitting (items page)
    page.locator(f"#qty-{line.pk}").select_option("1")
    page.get_by_role("button", name=text["continue"]).click()
    assert page.url.endswith("/reasons")
    check(page)
    page.locator(f"#reason-{line.pk}").select_option("too_small")
    page.locator(f"#photos-{line.pk}").set_input_files(
        files=[{"name": "shirt.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()}]
    )
    page.get_by_role("button", name=text["continue"]).click()
    assert page.url.endswith("/resolution")
    check(page)
    page.locator("input[name=resolution][value=store_credit]").check()
    page.get_by_role("button", name=text["continue"]).click()
    assert page.url.endswith("/method")
    check(page)
    page.locator("input[name=method][value=drop_off]").check()
    page.get_by_role("button", name=text["continue"]).click()
    assert page.url.endswith("/review")
    check(page)
    page.get_by_role("button", name=text["send"]).click()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_shopper_returns_an_item_in_their_language(store_a, live_server, page, language):
    order = shopper_order(store_a, lines=2)
    page.goto(f"{live_server.url}/returns/store-a/?lang={language}")
    assert page.evaluate("document.documentElement.lang") == language
    _checked(page)

    _walk(page, live_server.url, order, language)

    created = Return.objects.get()
    assert page.locator("h1").inner_text() == TEXTS[language]["registered"]
    assert page.locator("#rma").inner_text() == created.rma
    assert created.locale == language
    assert created.lines.get().photos.count() == 1
    _checked(page)
    page.get_by_role("link", name=TEXTS[language]["follow"]).click()
    assert re.search(rf"/track/{created.rma}/$", page.url)
    assert TEXTS[language]["requested"] in page.locator(".timeline").inner_text()
    _checked(page)


def test_the_journey_works_with_javascript_off(store_a, live_server, browser):
    order = shopper_order(store_a)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    _walk(page, live_server.url, order, "en", axe=False)

    assert page.locator("h1").inner_text() == "Your return is registered"
    assert Return.objects.count() == 1
    context.close()


def test_a_wrong_lookup_is_announced_then_rate_limited(store_a, live_server, page, settings):
    settings.RETOUR_PORTAL = {**settings.RETOUR_PORTAL, "FAILURES_PER_ORDER": 2}
    shopper_order(store_a)
    for _attempt in range(2):
        _look_up(page, live_server.url, "en", contact="eve@example.com")
        alert = page.get_by_role("alert")
        assert TEXTS["en"]["not_found"] in alert.inner_text()
        assert page.evaluate("document.activeElement.id") == "errors"  # read out at once
    _checked(page)

    _look_up(page, live_server.url, "en")

    assert TEXTS["en"]["too_many"] in page.get_by_role("alert").inner_text()


def test_ineligible_lines_and_bad_uploads_are_explained(store_a, live_server, page):
    order = shopper_order(store_a, lines=2)
    old = order.lines.order_by("id").last()
    product = old.variant.product
    product.tags = ["personalised"]  # an exception to the legal right of withdrawal
    product.save()
    text = TEXTS["fr"]
    _look_up(page, live_server.url, "fr")
    assert text["ineligible"] in page.locator(f"#line-{old.pk}").inner_text()
    assert page.locator(f"#qty-{old.pk}").count() == 0
    _checked(page)

    line = order.lines.order_by("id").first()
    page.locator(f"#qty-{line.pk}").select_option("1")
    page.get_by_role("button", name=text["continue"]).click()
    page.locator(f"#reason-{line.pk}").select_option("damaged")
    page.locator(f"#photos-{line.pk}").set_input_files(
        files=[{"name": "facture.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}]
    )
    page.get_by_role("button", name=text["continue"]).click()
    assert text["not_image"] in page.get_by_role("alert").inner_text()
    _checked(page)
    page.locator(f"#photos-{line.pk}").set_input_files(
        files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (10 * 2**20 + 1)}]
    )
    page.get_by_role("button", name=text["continue"]).click()
    assert text["too_large"] in page.get_by_role("alert").inner_text()


def test_a_carrier_pickup_is_asked_for_on_the_method_step(store_a, live_server, page):
    publish_policy(
        store=store_a,
        document={"methods": ["drop_off", "pickup", "in_store", "mail"]},
        actor=SYSTEM,
    )
    store_a.branding = {"shops": [{"id": "marais", "name": "Le Marais", "address": "Paris 4e"}]}
    store_a.save()
    order = shopper_order(store_a)
    line = order.lines.get()
    text = TEXTS["fr"]
    _look_up(page, live_server.url, "fr")
    page.locator(f"#qty-{line.pk}").select_option("1")
    page.get_by_role("button", name=text["continue"]).click()
    page.locator(f"#reason-{line.pk}").select_option("too_small")
    page.get_by_role("button", name=text["continue"]).click()
    page.locator("input[name=resolution][value=refund]").check()
    page.get_by_role("button", name=text["continue"]).click()
    assert page.url.endswith("/method")
    assert page.locator("#pickup_postcode").input_value() == "75001"  # from the order
    _checked(page)  # the pickup's date, window and address fields, and the shops

    page.locator("input[name=method][value=pickup]").check()
    page.get_by_label("Code postal").fill("")
    page.get_by_role("button", name=text["continue"]).click()
    assert "Saisissez le code postal." in page.get_by_role("alert").inner_text()
    assert page.locator("#pickup_postcode").get_attribute("aria-invalid") == "true"
    _checked(page)  # the errors, announced and tied to their fields

    day = timezone.localdate() + timedelta(days=3)
    page.locator("input[name=method][value=pickup]").check()
    page.get_by_label("Date d'enlèvement").fill(day.isoformat())
    page.locator("input[name=pickup_window][value=morning]").check()
    page.get_by_label("Code postal").fill("75020")
    page.get_by_role("button", name=text["continue"]).click()
    assert page.url.endswith("/review")
    assert "75020" in page.locator("main").inner_text()
    _checked(page)
    page.get_by_role("button", name=text["send"]).click()

    created = Return.objects.get()
    assert page.locator("h1").inner_text() == text["registered"]
    assert created.method == "pickup"
    _checked(page)
