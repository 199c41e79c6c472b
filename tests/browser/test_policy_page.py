"""The public policy page in a real browser, in both languages, with no serious a11y issue."""

import pytest

from retour.policy.services import publish_policy
from tests.browser.accessibility import serious_violations
from tests.factories import SYSTEM
from tests.policy.test_page import DOCUMENT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published(store_a):
    return publish_policy(store=store_a, document=DOCUMENT, actor=SYSTEM)


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Return policy"), ("fr", "Politique de retour")]
)
def test_the_policy_page_shows_its_flowchart_and_passes_axe(
    published, live_server, page, language, heading
):
    page.goto(f"{live_server.url}/returns/store-a/policy?lang={language}")

    assert page.locator("h1").first.inner_text().startswith(heading)
    assert page.locator("svg").count() >= 1
    assert page.evaluate("document.documentElement.lang").startswith(language)
    assert serious_violations(page) == []
