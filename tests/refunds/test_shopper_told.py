"""The shopper is told the refund's reference and when the money should arrive: on the tracking
page from the moment the refund is requested, and in the refund e-mail once it is made."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from retour.refunds import services
from retour.refunds.choices import Gateway, RefundTrigger
from retour.refunds.models import RefundSettings
from tests.notifications.helpers import drain
from tests.refunds.helpers import SYSTEM, inspect_return, make_order, open_return, tracking_page
from tests.refunds.stripe_server import SECRET, FakeStripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe():
    with FakeStripe() as server:
        yield server


@pytest.fixture
def refund(store_a, stripe):
    RefundSettings.objects.create(
        store=store_a,
        gateway=Gateway.STRIPE,
        stripe_secret_key=SECRET,
        stripe_api_base=stripe.url,
        refund_trigger=RefundTrigger.MANUAL,
        card_delay_days=7,
    )
    return_request = inspect_return(open_return(make_order(store_a)))
    return services.request_refund(return_request=return_request, actor=SYSTEM)


def test_a_requested_card_refund_is_expected_after_the_stores_delay(refund):
    assert refund.expected_by == (timezone.now() + timedelta(days=7)).date()


def test_the_tracking_page_shows_the_reference_and_the_expected_date(refund, static_files):
    html = tracking_page(refund.return_request)

    assert refund.reference in html
    expected = refund.expected_by
    told = html.split(refund.reference)[1]
    assert f"expected by {expected:%B} {expected.day}, {expected.year}" in told


def test_the_refund_email_has_the_reference_and_the_expected_date(refund, stripe):
    drain()  # the job sends the refund to Stripe; the shopper is told by e-mail

    refund.refresh_from_db()
    sent = [message for message in mail.outbox if refund.reference in message.body]
    assert len(sent) == 1
    assert refund.return_request.order.email in sent[0].to
    assert str(refund.expected_by.year) in sent[0].body
    assert "Expected on your account by" in sent[0].body
    assert len(stripe.refunds) == 1
