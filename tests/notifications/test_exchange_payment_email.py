"""The e-mail asking the shopper to pay an exchange's price difference: sent once the Stripe
payment page exists, in the shopper's language, with the amount, the link and until when."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from retour.commerce.models import StockLevel
from retour.refunds import exchanges
from retour.refunds.choices import Gateway
from retour.refunds.models import RefundSettings
from retour.returns.models import Return
from tests.factories import VariantFactory, WarehouseFactory
from tests.notifications.helpers import drain
from tests.refunds.helpers import SYSTEM, make_order, open_return
from tests.refunds.stripe_server import SECRET, FakeStripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe(store_a):
    with FakeStripe() as server:
        RefundSettings.objects.create(
            store=store_a,
            gateway=Gateway.STRIPE,
            stripe_secret_key=SECRET,
            stripe_api_base=server.url,
        )
        yield server


def _dearer_exchange(store, locale):
    """The one 30.00 unit of an order exchanged for a variant at 45.00: 15.00 to pay."""
    order = make_order(store, lines=[(1, "30.00", "0", "0")])
    return_request = open_return(order, resolution="exchange")
    Return.objects.filter(pk=return_request.pk).update(locale=locale)
    variant = VariantFactory(store=store, price=Decimal("45.00"))
    StockLevel.objects.create(warehouse=WarehouseFactory(store=store), variant=variant, on_hand=1)
    return exchanges.request_exchange(
        return_line=return_request.lines.get(), variant=variant, actor=SYSTEM
    )


def _sent(smtp, subject_start):
    return [m for m in smtp.messages if m["Subject"].strip().startswith(subject_start)]


@pytest.mark.parametrize(
    ("locale", "subject", "amount", "until"),
    [
        ("fr", "Réglez la différence", "15,00", "jusqu'au"),
        ("en", "Pay the difference", "€15.00", "open until"),
    ],
)
def test_the_shopper_gets_the_link_to_pay_the_difference_once(
    store_a, stripe, smtp, locale, subject, amount, until
):
    exchange = _dearer_exchange(store_a, locale)

    drain()  # the job asks Stripe for the page; its event is e-mailed
    drain()

    exchange.refresh_from_db()
    (message,) = _sent(smtp, subject)
    text, html = smtp.parts(message)
    assert exchange.return_request.rma in message["Subject"]
    assert exchange.payment_link.startswith("https://checkout.stripe.com/")
    assert exchange.payment_link in text
    assert f'href="{exchange.payment_link}"' in html
    assert amount in text.replace("\xa0", " ")
    local = exchange.payment_expires_at.astimezone(ZoneInfo(store_a.timezone or "UTC"))
    assert until in text
    assert f"{local:%H:%M}" in text or f"{local.hour}:{local:%M}" in text


def test_no_page_no_email(store_a, smtp):
    """Without Stripe, finance collects the difference: no link to send."""
    _dearer_exchange(store_a, "en")

    drain()

    assert _sent(smtp, "Pay the difference") == []
