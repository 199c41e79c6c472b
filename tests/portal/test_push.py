"""The tracking page's Web Push: the service worker, the public key, and a browser's subscription,
which only a session that may follow the return can add (CSRF-checked, validated)."""

import json
import re

import pytest
from django.test import Client

from retour.notifications.models import PushSubscription
from retour.notifications.vapid import installation_key
from retour.returns import services as returns
from retour.returns.links import tracking_path
from tests.factories import SYSTEM
from tests.notifications.helpers import drain, open_return
from tests.notifications.push_service import Browser, PushService
from tests.portal.helpers import shopper_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def push_service(settings):
    settings.RETOUR_PUSH = {**settings.RETOUR_PUSH, "ALLOW_LOOPBACK": True}
    service = PushService()
    service.start()
    yield service
    service.stop()


@pytest.fixture
def shopper(store_a):
    """A shopper who opened their e-mail's link: a session that may follow this return, with the
    CSRF token the tracking page gives its script."""
    return_request = open_return(shopper_order(store_a), locale="en")
    client = Client(enforce_csrf_checks=True)
    client.get(tracking_path("store-a", return_request.rma))
    page = client.get(f"/returns/store-a/track/{return_request.rma}/?lang=fr").content.decode()
    client.csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)
    client.return_request = return_request
    return client


def _post(client, rma, body, action="subscribe", csrf=True):
    headers = {"HTTP_X_CSRFTOKEN": client.csrf} if csrf else {}
    return client.post(
        f"/returns/store-a/track/{rma}/push/{action}",
        data=body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
        **headers,
    )


def _browser(endpoint="https://fcm.googleapis.com/fcm/send/d1"):
    browser = Browser(application_server_key="")
    browser.endpoint = endpoint
    return browser


def test_the_tracking_page_keeps_the_button_hidden_for_the_script_to_show(shopper):
    page = shopper.get(f"/returns/store-a/track/{shopper.return_request.rma}/").content.decode()

    section = re.search(r'<section class="card" id="push" hidden[^>]*>', page).group(0)
    subscribe = f"/returns/store-a/track/{shopper.return_request.rma}/push/subscribe"
    assert f'data-subscribe="{subscribe}"' in section
    assert 'data-worker="/returns/store-a/push-worker.js"' in section
    assert 'data-scope="/returns/store-a/"' in section
    assert "Recevoir les nouvelles sur cet appareil" in page  # the session chose French
    assert re.search(r'<script src="[^"]*portal/push[^"]*\.js" defer>', page)


def test_a_shopper_subscribes_this_device_in_the_pages_language(shopper):
    browser = _browser()

    first = _post(shopper, shopper.return_request.rma, browser.to_json())
    again = _post(shopper, shopper.return_request.rma, browser.to_json())

    assert (first.status_code, again.status_code) == (201, 200)
    stored = PushSubscription.objects.get()
    assert stored.return_request == shopper.return_request
    assert (stored.endpoint, stored.p256dh, stored.auth) == (
        browser.endpoint,
        browser.p256dh,
        browser.auth,
    )
    assert stored.language == "fr"  # chosen on the tracking page (?lang=fr)


def test_without_the_csrf_token_it_is_refused(shopper):
    response = _post(shopper, shopper.return_request.rma, _browser().to_json(), csrf=False)

    assert response.status_code == 403
    assert not PushSubscription.objects.exists()


def test_another_shoppers_return_is_refused(shopper, store_a):
    other = open_return(shopper_order(store_a, number="2001", email="bob@example.com"))

    response = _post(shopper, other.rma, _browser().to_json())

    assert response.status_code == 404
    assert not PushSubscription.objects.exists()
    assert (
        Client()
        .post(
            f"/returns/store-a/track/{other.rma}/push/subscribe",
            data=json.dumps(_browser().to_json()),
            content_type="application/json",
        )
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "json"),
        ({"keys": {}}, "json"),
        ({"endpoint": ["x"], "keys": {"p256dh": "a", "auth": "b"}}, "json"),
        ({**_browser().to_json(), "endpoint": "http://push.example.com/1"}, "endpoint"),
        ({**_browser().to_json(), "keys": {"p256dh": "AAAA", "auth": _browser().auth}}, "p256dh"),
        ({**_browser().to_json(), "keys": {"p256dh": _browser().p256dh, "auth": "AA"}}, "auth"),
        ("x" * 5000, "too_large"),
    ],
)
def test_a_bad_subscription_answers_400_with_the_reason(shopper, body, code):
    response = _post(shopper, shopper.return_request.rma, body)

    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["message"]
    assert not PushSubscription.objects.exists()


def test_the_shopper_can_stop_the_updates_on_a_device(shopper):
    browser = _browser()
    _post(shopper, shopper.return_request.rma, browser.to_json())

    response = _post(
        shopper, shopper.return_request.rma, {"endpoint": browser.endpoint}, "unsubscribe"
    )

    assert response.status_code == 200
    assert response.json() == {"subscribed": False}
    assert not PushSubscription.objects.exists()


def test_the_service_worker_is_served_from_the_stores_portal(store_a):
    response = Client().get("/returns/store-a/push-worker.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "showNotification" in body
    assert "openWindow" in body


def test_from_the_page_to_the_browser(shopper, push_service, settings):
    """The page's script fetches the key and subscribes; a status change reaches the browser."""
    key = shopper.get("/returns/store-a/push/key").json()["key"]
    assert key == installation_key().public_key
    browser = push_service.browser(key)
    assert _post(shopper, shopper.return_request.rma, browser.to_json()).status_code == 201

    returns.approve_return(return_request=shopper.return_request, actor=SYSTEM)
    drain()

    approved, label = push_service.delivered()  # approval, then the label it brought
    assert approved["message"]["body"] == (
        f"Votre retour {shopper.return_request.rma} est accepté."
    )
    assert label["message"]["body"].startswith("L'étiquette de votre retour")
    opened = Client().get(approved["message"]["url"].removeprefix(settings.PUBLIC_URL))
    assert opened["Location"] == f"/returns/store-a/track/{shopper.return_request.rma}/"
