"""Signing a staff member in to the dashboard from a real browser."""

from playwright.sync_api import Page, expect


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Fill the sign-in form by its labels (not by typing blind into whatever has focus, which
    races the autofocus) and wait until the dashboard has left the sign-in page."""
    page.goto(f"{base_url}/dashboard/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).not_to_have_text("Sign in to Retour")
