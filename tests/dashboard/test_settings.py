"""Store settings in the dashboard: who may open what, branding as the portal shows it, and the
audit log of settings changes."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from retour.accounts.scopes import Role
from retour.commerce.models import AuditEvent
from tests.browser.accessibility import serious_violations
from tests.browser.staff import sign_in
from tests.factories import staff_user

SECTIONS = {
    "branding": "branding",
    "policy": "policy",
    "reasons": "reasons/",
    "carriers": "carriers/",
    "refunds": "refunds",
    "emails": "emails/",
    "webhooks": "webhooks/",
}
# Which roles open which section (the owner opens all of them).
ALLOWED = {
    Role.SUPPORT: {"reasons", "emails"},
    Role.FINANCE: {"refunds"},
    Role.WAREHOUSE: set(),
}
PASSWORD = "brand-new-colours-42"


@pytest.fixture(autouse=True)
def _plain_static_files(plain_static_files):
    """The settings pages preview the portal's: see `plain_static_files`."""


def url(store, section=""):
    return f"/dashboard/settings/{store.slug}/{SECTIONS.get(section, '')}"


def branding_form(**changes):
    form = {
        "primary_color": "#0b5fff",
        "text_color": "",
        "welcome_en": "Welcome to our returns",
        "welcome_fr": "Bienvenue sur nos retours",
        "packing_en": "",
        "packing_fr": "",
        "domain": "",
    }
    form.update(changes)
    return form


def png(size=(300, 100), colour=(200, 30, 30, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("section", SECTIONS)
def test_an_owner_opens_every_section(section, store_a, owner_a, session_client):
    assert session_client(owner_a).get(url(store_a, section)).status_code == 200


@pytest.mark.parametrize("role", ALLOWED)
@pytest.mark.parametrize("section", SECTIONS)
def test_each_role_opens_only_its_sections(role, section, store_a, session_client):
    user = staff_user(store_a, role)

    answer = session_client(user).get(url(store_a, section))

    assert answer.status_code == (200 if section in ALLOWED[role] else 403)


def test_a_warehouse_operator_sees_nothing_of_the_settings(store_a, warehouse_a, session_client):
    client = session_client(warehouse_a)

    assert client.get(url(store_a)).status_code == 403
    assert client.post(url(store_a, "refunds"), {"gateway": "manual"}).status_code == 403


@pytest.mark.parametrize("section", ["", *SECTIONS])
def test_staff_of_store_b_get_not_found_in_store_a(section, store_a, staff_b, session_client):
    client = session_client(staff_b)

    assert client.get(url(store_a, section)).status_code == 404
    assert client.post(url(store_a, section), branding_form()).status_code == 404
    store_a.refresh_from_db()
    assert store_a.branding == {}


def test_a_warehouse_operator_is_offered_no_store(store_a, warehouse_a, session_client):
    answer = session_client(warehouse_a).get("/dashboard/settings/")

    assert answer.status_code == 200
    assert answer.context["stores"] == []


def test_a_user_with_one_store_is_sent_to_its_settings(store_a, owner_a, session_client):
    answer = session_client(owner_a).get("/dashboard/settings/")

    assert answer.status_code == 302
    assert answer["Location"] == url(store_a)


def test_the_index_lists_only_the_sections_of_the_role(store_a, session_client):
    html = session_client(staff_user(store_a, Role.FINANCE)).get(url(store_a)).content.decode()

    assert url(store_a, "refunds") in html
    assert url(store_a, "branding") not in html


def test_a_branding_change_shows_in_the_portal_and_is_audited(store_a, owner_a, session_client):
    client = session_client(owner_a)

    answer = client.post(url(store_a, "branding"), branding_form())

    assert answer.status_code == 302
    store_a.refresh_from_db()
    assert store_a.branding["primary_color"] == "#0b5fff"
    portal = client.get(f"/returns/{store_a.slug}/?lang=fr").content.decode()
    assert "--brand: #0b5fff" in portal
    assert "Bienvenue sur nos retours" in portal
    event = AuditEvent.objects.get(store=store_a, verb="branding.updated")
    assert event.actor_user == owner_a
    assert "primary_color" in event.data["changed"]
    page = client.get(url(store_a, "branding")).content.decode()
    assert 'data-verb="branding.updated"' in page


def test_a_text_colour_below_wcag_aa_is_refused_and_nothing_changes(
    store_a, owner_a, session_client
):
    answer = session_client(owner_a).post(
        url(store_a, "branding"), branding_form(primary_color="#777777", text_color="#888888")
    )

    assert answer.status_code == 200
    assert "below the 4.5:1 that WCAG AA asks for" in answer.content.decode()
    store_a.refresh_from_db()
    assert store_a.branding == {}
    assert not AuditEvent.objects.filter(verb="branding.updated").exists()


def test_a_brand_colour_too_light_for_links_saves_with_a_warning(store_a, owner_a, session_client):
    answer = session_client(owner_a).post(
        url(store_a, "branding"), branding_form(primary_color="#ffdd00"), follow=True
    )

    assert "too light for links" in answer.content.decode()
    store_a.refresh_from_db()
    assert store_a.branding["primary_color"] == "#ffdd00"


def test_a_logo_is_re_encoded_and_served_by_the_portal(store_a, owner_a, session_client):
    upload = io.BytesIO(png() + b"trailing data a decoder ignores")
    upload.name = "logo.exe"
    client = session_client(owner_a)

    client.post(url(store_a, "branding"), {**branding_form(), "logo": upload})

    store_a.refresh_from_db()
    name = store_a.branding["logo"]
    logo_url = f"/returns/{store_a.slug}/logo-{name[-20:-4]}.png"
    assert f'src="{logo_url}"' in client.get(f"/returns/{store_a.slug}/").content.decode()
    served = client.get(logo_url)
    assert served["Content-Type"] == "image/png"
    body = b"".join(served.streaming_content)
    assert b"trailing data" not in body
    assert Image.open(io.BytesIO(body)).size == (300, 100)
    assert client.get(f"/returns/{store_a.slug}/logo-0000000000000000.png").status_code == 404


def test_a_file_that_is_not_an_image_is_refused(store_a, owner_a, session_client):
    upload = io.BytesIO(b"\x89PNG\r\n\x1a\n not really a png")
    upload.name = "logo.png"

    answer = session_client(owner_a).post(
        url(store_a, "branding"), {**branding_form(), "logo": upload}
    )

    assert "not an image we can read" in answer.content.decode()
    store_a.refresh_from_db()
    assert "logo" not in store_a.branding


def test_a_logo_over_two_megabytes_is_refused(store_a, owner_a, session_client):
    upload = io.BytesIO(png() + b"0" * (2 * 1024 * 1024))
    upload.name = "logo.png"

    answer = session_client(owner_a).post(
        url(store_a, "branding"), {**branding_form(), "logo": upload}
    )

    assert "larger than 2 MB" in answer.content.decode()
    store_a.refresh_from_db()
    assert store_a.branding == {}


def test_a_custom_domain_is_checked_and_used_for_the_shoppers_links(
    store_a, owner_a, session_client
):
    from retour.notifications.content import return_url

    client = session_client(owner_a)
    refused = client.post(url(store_a, "branding"), branding_form(domain="not a domain"))
    assert "is not a domain name" in refused.content.decode()

    client.post(url(store_a, "branding"), branding_form(domain="Returns.Example.COM"))

    store_a.refresh_from_db()
    assert return_url(store_a, "R-TEST").startswith("https://returns.example.com/returns/store-a/")


def test_the_settings_pages_are_in_french(store_a, owner_a, session_client):
    html = session_client(owner_a).get(url(store_a, "branding"), HTTP_ACCEPT_LANGUAGE="fr")

    assert "Couleur de la marque" in html.content.decode()


def _queries(client, address) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def test_the_audit_log_costs_the_same_queries_for_one_entry_or_thirty(
    store_a, owner_a, session_client
):
    client = session_client(owner_a)
    client.post(url(store_a, "branding"), branding_form())
    _queries(client, url(store_a))  # the first request of a session writes it
    one = _queries(client, url(store_a))
    for n in range(29):
        client.post(url(store_a, "branding"), branding_form(welcome_en=f"Hello {n}"))

    assert _queries(client, url(store_a)) == one


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_settings_change_and_its_audit_entry_in_a_browser(store_a, owner_a, live_server, page):
    from playwright.sync_api import expect

    owner_a.set_password(PASSWORD)
    owner_a.save(update_fields=["password"])

    sign_in(page, live_server.url, owner_a.username, PASSWORD)
    page.get_by_role("link", name="Settings").click()
    expect(page.locator("h1")).to_have_text("Settings")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Branding").click()
    expect(page.locator("h1")).to_have_text("Branding")
    assert serious_violations(page) == []

    page.get_by_label("Brand colour", exact=True).fill("#0b5fff")
    page.get_by_label("Welcome text (English)").fill("Hello from Store A")
    page.get_by_role("button", name="Save the branding").click()

    expect(page.get_by_role("status")).to_contain_text("Saved.")
    entry = page.locator('[data-audit] tr[data-verb="branding.updated"]')
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(owner_a.username)
    expect(entry).to_contain_text("primary_color")
    assert serious_violations(page) == []

    page.goto(f"{live_server.url}/returns/{store_a.slug}/?lang=en")
    expect(page.get_by_text("Hello from Store A")).to_be_visible()
