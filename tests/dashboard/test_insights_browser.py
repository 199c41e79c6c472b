"""The insights pages in a real browser: the charts are drawn (SVG with a line and bars, each
with a title), the filters work, the products link to their returns, axe-core finds nothing
serious."""

import pytest
from playwright.sync_api import expect

from retour.insights import rollups
from tests.browser.accessibility import serious_violations
from tests.browser.staff import sign_in
from tests.insights.shop import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "insights-all-day-42"


def test_the_insights_pages_draw_their_charts(store_a, owner_a, live_server, page):
    owner_a.set_password(PASSWORD)
    owner_a.save(update_fields=["password"])
    shop = build(store_a)
    rollups.refresh(store_a)
    sign_in(page, live_server.url, owner_a.username, PASSWORD)

    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Insights").click()
    page.get_by_label("Orders from").fill("2025-03-01")
    page.get_by_label("to", exact=True).fill("2025-03-31")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('[data-figure="units-rate"]')).to_have_text("13.8 %")
    trend = page.get_by_role("img", name="Return rate per week of orders")
    expect(trend.locator("polyline")).to_have_count(1)
    assert trend.locator("polyline").bounding_box()["width"] > 0
    reasons = page.get_by_role("img", name="Why shoppers return")
    expect(reasons.locator("rect")).to_have_count(4)
    assert reasons.locator("rect").first.bounding_box()["width"] > 0
    assert serious_violations(page) == [], page.url

    page.get_by_role("link", name="Products to fix").first.click()
    findings = page.locator("[data-finding]")
    expect(findings).to_have_count(3)
    expect(findings.first).to_contain_text("Runs small")
    link = page.get_by_role("link", name="Linen shirt")
    assert f"product={shop.linen.pk}" in link.get_attribute("href")
    assert serious_violations(page) == [], page.url

    page.get_by_role("link", name="Shoppers to watch").first.click()
    expect(page.locator("h1")).to_have_text("Insights: shoppers to watch")
    assert serious_violations(page) == [], page.url
