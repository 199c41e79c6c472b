"""Signing in from a real browser (Debian's chromium): with a password alone, with an
authenticator's code, and setting up the authenticator then signing in with a backup code."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.browser.accessibility import serious_violations
from tests.browser.staff import sign_in
from tests.dashboard.signin_helpers import PASSWORD, current_code, enrolled, with_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_password_alone_opens_the_overview(owner_a, live_server, page):
    with_password(owner_a)
    page.goto(f"{live_server.url}/dashboard/login/")
    assert serious_violations(page) == []

    sign_in(page, live_server.url, owner_a.username, PASSWORD)

    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator('[data-work="to_review"] .count')).to_have_text("0")
    assert serious_violations(page) == []


def test_with_an_authenticator_the_code_is_asked_after_the_password(owner_a, live_server, page):
    with_password(owner_a)
    device, _codes = enrolled(owner_a)

    sign_in(page, live_server.url, owner_a.username, PASSWORD)
    expect(page.locator("h1")).to_have_text("Enter your sign-in code")
    assert serious_violations(page) == []
    page.get_by_label("Code").fill("000000" if current_code(device) != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not valid")
    page.wait_for_timeout(1100)  # django-otp makes a device wait 1 s after a wrong code
    page.get_by_label("Code").fill(current_code(device))
    page.get_by_role("button", name="Verify").click()

    expect(page.locator("h1")).to_have_text("Overview")


def test_setting_up_the_authenticator_then_signing_in_with_a_backup_code(
    warehouse_a, live_server, page
):
    with_password(warehouse_a)
    sign_in(page, live_server.url, warehouse_a.username, PASSWORD)
    page.get_by_role("link", name="Your account").click()
    expect(page.locator("[data-two-factor]")).to_have_attribute("data-two-factor", "off")
    expect(page.locator("svg title")).to_have_text("QR code to scan with your authenticator app")
    assert serious_violations(page) == []

    secret = page.locator("[data-totp-secret]").inner_text()
    code = f"{TOTP(b32decode(secret)).token():06d}"  # what the app computes from the key
    page.get_by_label("The six-digit code the app shows").fill(code)
    page.get_by_role("button", name="Turn on").click()

    expect(page.locator("[data-two-factor]")).to_have_attribute("data-two-factor", "on")
    codes = page.locator("[data-backup-codes] code").all_inner_texts()
    assert len(codes) == 10
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server.url, warehouse_a.username, PASSWORD)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("h1")).to_have_text("Overview")
