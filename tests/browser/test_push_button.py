"""The tracking page's "Get updates on this device": shown by the script where the browser has
service workers and Push (Chromium here), absent without JavaScript — the page works the same.
Headless Chromium cannot reach a real push service, so subscribing itself is tested in
tests/portal/test_push.py against a local one."""

import pytest

from retour.returns.links import tracking_path
from tests.notifications.helpers import open_return
from tests.portal.helpers import shopper_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media(plain_static_files):
    """See `plain_static_files`."""


@pytest.fixture
def link(store_a, live_server):
    return_request = open_return(shopper_order(store_a), locale="en")
    return f"{live_server.url}{tracking_path('store-a', return_request.rma)}?lang=en"


def test_the_button_appears_where_the_browser_supports_push(link, page):
    page.goto(link)

    button = page.get_by_role("button", name="Get updates on this device")
    button.wait_for(state="visible")
    scope = page.evaluate(
        "navigator.serviceWorker.getRegistration().then(r => r && new URL(r.scope).pathname)"
    )
    assert scope == "/returns/store-a/"


def test_without_javascript_the_page_works_and_shows_no_button(link, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    page.goto(link)

    assert "Requested" in page.locator(".timeline").inner_text()
    assert page.locator("#push").count() == 1
    assert page.locator("#push").is_hidden()
    context.close()
