"""Web Push to the shopper's browsers, against a real local push service that checks VAPID and
decrypts each message as the browser would (tests/notifications/push_service.py)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from retour.core.errors import InvalidRequest
from retour.events.outbox import emit
from retour.notifications import services, vapid
from retour.notifications.content import return_url
from retour.notifications.dispatch import plan_event, send_one
from retour.notifications.models import Delivery, PushSubscription, VapidKeyPair
from retour.returns import services as returns
from tests.factories import SYSTEM
from tests.notifications.helpers import drain, open_return
from tests.notifications.push_service import Browser, b64url


def _subscribe(push_service, return_request, *, language="en"):
    browser = push_service.browser(vapid.installation_key().public_key)
    services.subscribe_push(
        return_request=return_request,
        endpoint=browser.endpoint,
        p256dh=browser.p256dh,
        auth=browser.auth,
        language=language,
    )
    return browser


def _label(return_request):
    returns.approve_return(return_request=return_request, actor=SYSTEM)
    returns.record_label(
        return_request=return_request, carrier="Colissimo", tracking_number="6A1", actor=SYSTEM
    )


def test_the_label_update_reaches_the_browser_signed_encrypted_and_in_its_language(
    order_a, push_service
):
    order_a.store.support_email = "help@store-a.example"
    order_a.store.save()
    return_request = open_return(order_a, locale="en")
    _subscribe(push_service, return_request, language="fr")

    _label(return_request)
    drain()

    assert push_service.refused == []
    approved, label = push_service.delivered()
    assert label["message"] == {
        "title": "Store A",
        "body": f"L'étiquette de votre retour {return_request.rma} est prête.",
        "url": return_url(order_a.store, return_request.rma),
        "tag": f"retour-{return_request.rma}",
        "lang": "fr",
    }
    assert approved["message"]["body"] == f"Votre retour {return_request.rma} est accepté."
    assert label["ttl"] == 2 * 86400
    assert label["urgency"] == "normal"
    delivery = Delivery.objects.get(channel="push", event__type="return.label_issued")
    assert label["topic"] == delivery.event_id.hex
    assert delivery.status == "sent"
    assert label["sub"] == "mailto:help@store-a.example"


def test_the_refund_update_gives_the_amount_and_reference(order_a, push_service):
    return_request = open_return(order_a)
    _subscribe(push_service, return_request, language="en")
    with transaction.atomic():
        emit(
            "refund.succeeded",
            store_id=order_a.store_id,
            payload={
                "refund": {"reference": "RF-7Q2K-ZZ9W", "amount": "1234.50", "currency": "EUR"},
                "return": {"id": return_request.pk, "rma": return_request.rma},
            },
        )
    drain()

    (refund,) = push_service.delivered()
    assert refund["message"]["body"] == (
        "Your refund of €1,234.50 is on its way (reference RF-7Q2K-ZZ9W)."
    )


def test_every_subscribed_browser_gets_it_once_and_a_rerun_sends_nothing_again(
    order_a, push_service
):
    return_request = open_return(order_a)
    phone, laptop = (_subscribe(push_service, return_request) for _ in range(2))
    returns.approve_return(return_request=return_request, actor=SYSTEM)
    drain()
    delivery = Delivery.objects.filter(channel="push").first()

    assert plan_event(str(delivery.event_id), enqueue_send=lambda *a, **k: None) == 0
    assert send_one(delivery.pk, enqueue_send=lambda *a, **k: None) == "skipped"
    drain()

    endpoints = sorted(item["endpoint"] for item in push_service.received)
    assert endpoints == sorted([phone.endpoint, laptop.endpoint])


def test_a_browser_gone_410_is_forgotten(order_a, push_service):
    return_request = open_return(order_a)
    _subscribe(push_service, return_request)
    push_service.statuses = [410]

    returns.approve_return(return_request=return_request, actor=SYSTEM)
    drain()

    assert not PushSubscription.objects.exists()
    delivery = Delivery.objects.get(channel="push")
    assert delivery.status == "abandoned"
    assert "410" in delivery.last_error
    returns.record_label(
        return_request=return_request, carrier="Colissimo", tracking_number="6A1", actor=SYSTEM
    )
    drain()
    assert len(push_service.received) == 1
    assert Delivery.objects.filter(channel="push").count() == 1


def test_an_unknown_subscription_404_is_forgotten_too(order_a, push_service):
    return_request = open_return(order_a)
    browser = _subscribe(push_service, return_request)
    push_service.browsers.clear()  # the push service expired it

    returns.approve_return(return_request=return_request, actor=SYSTEM)
    drain()

    assert not PushSubscription.objects.filter(endpoint=browser.endpoint).exists()


def test_a_500_or_429_is_retried_by_the_job_layer_and_delivered_once(
    order_a, push_service, fast_retries
):
    return_request = open_return(order_a)
    _subscribe(push_service, return_request)
    push_service.statuses = [500, 429]

    returns.approve_return(return_request=return_request, actor=SYSTEM)
    drain(rounds=10)

    delivery = Delivery.objects.get(channel="push")
    assert delivery.status == "sent"
    assert [attempt.ok for attempt in delivery.log.all()] == [False, False, True]
    assert "HTTP 500" in delivery.log.first().error
    assert [item["status"] for item in push_service.received] == [500, 429, 201]
    assert len(push_service.delivered()) == 1


def test_a_key_the_browser_did_not_subscribe_with_is_refused_by_the_push_service(
    order_a, push_service
):
    return_request = open_return(order_a)
    browser = _subscribe(push_service, return_request)
    browser.application_server_key = b64url(b"\x04" + b"\x01" * 64)

    returns.approve_return(return_request=return_request, actor=SYSTEM)
    drain()

    assert push_service.refused == ["k is not the key the browser subscribed with"]
    assert Delivery.objects.get(channel="push").status == "abandoned"


def test_a_redirect_is_not_followed_and_the_message_is_abandoned(order_a, push_service):
    """Following it would hand the VAPID token to another host (urllib re-sends a 302 as a GET
    with the same Authorization header)."""
    seen = []

    class Redirecting(BaseHTTPRequestHandler):
        def _answer(self):
            seen.append((self.command, self.path))
            self.send_response(302 if self.path.startswith("/push/") else 200)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _answer  # noqa: N815 - http.server's hook names

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return_request = open_return(order_a)
        browser = push_service.browser(vapid.installation_key().public_key)
        services.subscribe_push(
            return_request=return_request,
            endpoint=f"http://127.0.0.1:{server.server_address[1]}/push/x",
            p256dh=browser.p256dh,
            auth=browser.auth,
            language="en",
        )
        returns.approve_return(return_request=return_request, actor=SYSTEM)
        drain()
    finally:
        server.shutdown()
        server.server_close()

    assert seen == [("POST", "/push/x")]
    delivery = Delivery.objects.get(channel="push")
    assert delivery.status == "abandoned"
    assert "HTTP 302" in delivery.last_error


def test_no_subscription_no_push(order_a, push_service):
    _label(open_return(order_a))
    drain()
    assert push_service.received == []
    assert not Delivery.objects.filter(channel="push").exists()


# --- The installation's VAPID key ------------------------------------------------------------


def test_the_vapid_key_is_made_once_and_its_private_half_is_encrypted_at_rest(db):
    first = vapid.installation_key()
    again = vapid.installation_key()

    assert first == again
    assert VapidKeyPair.objects.count() == 1
    stored = VapidKeyPair.objects.get()
    assert stored.public_key == first.public_key
    assert first.private_key not in stored.private_key
    assert len(first.public_key) == 87  # 65 bytes, base64url without padding


def test_a_configured_vapid_key_wins(settings, db):
    browser = Browser(application_server_key="")
    raw = browser.private.private_numbers().private_value.to_bytes(32, "big")
    settings.RETOUR_PUSH = {**settings.RETOUR_PUSH, "VAPID_PRIVATE_KEY": b64url(raw)}

    assert vapid.installation_key().public_key == browser.p256dh
    assert not VapidKeyPair.objects.exists()


# --- What a subscription must be ----------------------------------------------------------------


@pytest.fixture
def a_return(order_a):
    return open_return(order_a)


GOOD = Browser(application_server_key="")


@pytest.mark.parametrize(
    ("endpoint", "p256dh", "auth", "code"),
    [
        ("http://push.example.com/x", GOOD.p256dh, GOOD.auth, "endpoint"),
        ("https://127.0.0.1/x", GOOD.p256dh, GOOD.auth, "endpoint"),
        ("https://10.0.0.8/x", GOOD.p256dh, GOOD.auth, "endpoint"),
        ("https://localhost/x", GOOD.p256dh, GOOD.auth, "endpoint"),
        ("https://user:pw@fcm.googleapis.com/x", GOOD.p256dh, GOOD.auth, "endpoint"),
        ("https://fcm.googleapis.com/" + "x" * 1000, GOOD.p256dh, GOOD.auth, "endpoint"),
        ("https://intranet.example.com/x", GOOD.p256dh, GOOD.auth, "endpoint"),
        ("https://fcm.googleapis.com.example.com/x", GOOD.p256dh, GOOD.auth, "endpoint"),
        ("https://fcm.googleapis.com/x", GOOD.p256dh[:-4], GOOD.auth, "p256dh"),
        ("https://fcm.googleapis.com/x", b64url(b"\x04" + b"\x01" * 64), GOOD.auth, "p256dh"),
        ("https://fcm.googleapis.com/x", GOOD.p256dh + "!", GOOD.auth, "p256dh"),
        ("https://fcm.googleapis.com/x", GOOD.p256dh, b64url(b"short"), "auth"),
    ],
)
def test_a_bad_subscription_is_refused_with_its_reason(a_return, endpoint, p256dh, auth, code):
    with pytest.raises(InvalidRequest) as refused:
        services.subscribe_push(
            return_request=a_return, endpoint=endpoint, p256dh=p256dh, auth=auth, language="en"
        )
    assert refused.value.code == code
    assert not PushSubscription.objects.exists()


def test_the_same_browser_again_updates_its_keys(a_return):
    endpoint = "https://fcm.googleapis.com/fcm/send/abc"
    services.subscribe_push(
        return_request=a_return,
        endpoint=endpoint,
        p256dh=GOOD.p256dh,
        auth=GOOD.auth,
        language="en",
    )
    renewed = Browser(application_server_key="")
    _sub, created = services.subscribe_push(
        return_request=a_return,
        endpoint=endpoint,
        p256dh=renewed.p256dh,
        auth=renewed.auth,
        language="fr",
    )

    assert created is False
    stored = PushSubscription.objects.get()
    assert (stored.p256dh, stored.language) == (renewed.p256dh, "fr")


def test_a_return_follows_at_most_ten_devices(a_return):
    for number in range(services.MAX_PUSH_DEVICES):
        services.subscribe_push(
            return_request=a_return,
            endpoint=f"https://fcm.googleapis.com/fcm/send/{number}",
            p256dh=GOOD.p256dh,
            auth=GOOD.auth,
            language="en",
        )
    with pytest.raises(InvalidRequest) as refused:
        services.subscribe_push(
            return_request=a_return,
            endpoint="https://fcm.googleapis.com/fcm/send/one-more",
            p256dh=GOOD.p256dh,
            auth=GOOD.auth,
            language="en",
        )
    assert refused.value.code == "too_many"
