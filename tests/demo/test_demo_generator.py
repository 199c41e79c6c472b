from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Sum

from retour.accounts.models import Membership
from retour.commerce.models import Customer, Order, Payment, Store, Variant, Warehouse
from retour.demo.generator import (
    OWNER_EMAIL,
    TARGET_STATES,
    WAREHOUSE_EMAIL,
    ean13,
    generate,
)
from retour.refunds.models import Refund
from retour.returns.models import Claim, Return, ReturnReason

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo():
    return generate(orders=40, seed=7)


def test_creates_both_stores_with_their_catalogue(demo):
    fr, en = Store.objects.get(slug="demo-fr"), Store.objects.get(slug="demo-en")
    assert (fr.currency, fr.default_locale, fr.locales, fr.timezone) == (
        "EUR",
        "fr",
        ["fr", "en"],
        "Europe/Paris",
    )
    assert (en.currency, en.country, en.timezone) == ("GBP", "GB", "Europe/London")
    for store in (fr, en):
        assert Order.objects.filter(store=store).count() == 40
        assert ReturnReason.objects.filter(store=store).exists()
        assert Warehouse.objects.filter(store=store, is_default=True).count() == 1
    assert Variant.objects.filter(product__category="apparel/shoes", options__has_key="Pointure")
    assert Variant.objects.filter(product__category__startswith="electronics/").exists()


def test_barcodes_are_valid_ean13(demo):
    for barcode in Variant.objects.values_list("barcode", flat=True):
        assert len(barcode) == 13
        assert ean13(barcode[:12]) == barcode


def test_totals_add_up_to_the_cent(demo):
    for order in Order.objects.prefetch_related("lines", "payments"):
        lines = list(order.lines.all())
        gross = sum(line.unit_price * line.quantity for line in lines)
        assert order.subtotal == gross
        assert order.discount_total == sum(line.discount for line in lines)
        assert order.total == gross - order.discount_total + order.shipping_total
        assert sum(payment.captured for payment in order.payments.all()) == order.total
        assert order.tax_total >= sum(line.tax for line in lines)
        assert order.total == order.total.quantize(Decimal("0.01"))


def test_returns_and_claims_go_through_the_lifecycle(demo):
    assert demo.returns == Return.objects.count() == 4  # 5% of 40 orders, per store
    assert Claim.objects.count() == 4
    for return_request in Return.objects.all():
        assert return_request.events.filter(kind="created").exists()


def test_returns_reach_every_state():
    generate(orders=40, seed=1, store_slugs=["demo-en"], returns=len(TARGET_STATES))
    assert set(Return.objects.values_list("status", flat=True)) == set(TARGET_STATES)


def test_staff_users_and_memberships(demo):
    users = get_user_model().objects
    owner, warehouse = users.get(username=OWNER_EMAIL), users.get(username=WAREHOUSE_EMAIL)
    assert owner.check_password("retour-demo")
    roles = set(Membership.objects.values_list("user__username", "store__slug", "role"))
    assert roles == {
        (OWNER_EMAIL, "demo-fr", "owner"),
        (OWNER_EMAIL, "demo-en", "owner"),
        (WAREHOUSE_EMAIL, "demo-fr", "warehouse"),
        (WAREHOUSE_EMAIL, "demo-en", "warehouse"),
    }
    assert warehouse.is_active


def test_a_second_run_does_not_duplicate(demo):
    counts = (Order.objects.count(), Customer.objects.count(), Payment.objects.count())
    again = generate(orders=40, seed=7)
    assert again.created == []
    assert sorted(again.skipped) == ["demo-en", "demo-fr"]
    assert (Order.objects.count(), Customer.objects.count(), Payment.objects.count()) == counts
    assert Membership.objects.count() == 4


def test_same_seed_same_orders():
    generate(orders=15, seed=3, store_slugs=["demo-en"], returns=0)
    first = list(Order.objects.order_by("number").values_list("email", "total"))
    Store.objects.get(slug="demo-en")  # exists once
    assert Order.objects.aggregate(total=Sum("total"))["total"] > 0
    Return.objects.all().delete()
    Refund.objects.all().delete()  # the approved claim's refund
    Claim.objects.all().delete()
    Order.objects.all().delete()
    Store.objects.all().delete()
    generate(orders=15, seed=3, store_slugs=["demo-en"], returns=0)
    assert list(Order.objects.order_by("number").values_list("email", "total")) == first


def test_demo_data_command(capsys):
    call_command("demo_data", "--orders", "5", "--returns", "0", "--store-slugs", "demo-fr")
    call_command("demo_data", "--orders", "5", "--store-slugs", "demo-fr")
    output = capsys.readouterr().out
    assert "Created demo-fr" in output
    assert "already exist" in output
    assert Order.objects.count() == 5
