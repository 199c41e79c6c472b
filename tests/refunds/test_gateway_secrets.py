"""A store's Stripe secrets are encrypted at rest: the database holds Fernet tokens only, the
gateway's client gets the key decrypted, and a key saved under another encryption key is
refused clearly (it must be entered again)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from retour.refunds import services
from retour.refunds.adapters import PermanentGatewayError, gateway_for
from retour.refunds.choices import Gateway, RefundStatus
from retour.refunds.models import RefundSettings
from tests.refunds.helpers import SYSTEM, inspect_return, make_order, open_return
from tests.refunds.stripe_server import SECRET, FakeStripe

WEBHOOK_SECRET = "whsec_retour_test"
BEFORE = [("refunds", "0003_gateway_platform")]


def _save_stripe(store, api_base="https://api.stripe.com"):
    return services.update_refund_settings(
        store_id=store.pk,
        values={"gateway": Gateway.STRIPE, "stripe_api_base": api_base},
        secrets={"stripe_secret_key": SECRET, "stripe_webhook_secret": WEBHOOK_SECRET},
        actor=SYSTEM,
    )


def _stored_row(store_id: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM refunds_refundsettings WHERE store_id = %s", [store_id])
        return cursor.fetchone()


@pytest.mark.django_db
def test_the_database_never_holds_the_clear_secrets(store_a):
    _save_stripe(store_a)

    row = [str(value) for value in _stored_row(store_a.pk)]
    assert not any(SECRET in value or WEBHOOK_SECRET in value for value in row)
    stored = RefundSettings.objects.get(store=store_a)
    assert stored.stripe_secret_key_encrypted.startswith("gAAAA")  # a Fernet token
    assert (stored.stripe_secret_key, stored.stripe_webhook_secret) == (SECRET, WEBHOOK_SECRET)


@pytest.mark.django_db
def test_an_empty_secret_keeps_the_stored_one(store_a):
    token = _save_stripe(store_a).stripe_secret_key_encrypted
    services.update_refund_settings(
        store_id=store_a.pk,
        values={"card_delay_days": 7},
        secrets={"stripe_secret_key": "", "stripe_webhook_secret": ""},
        actor=SYSTEM,
    )
    stored = RefundSettings.objects.get(store=store_a)
    assert (stored.stripe_secret_key_encrypted, stored.card_delay_days) == (token, 7)


@pytest.mark.django_db
def test_a_refund_reaches_stripe_with_the_decrypted_key(store_a):
    with FakeStripe() as stripe:
        _save_stripe(store_a, api_base=stripe.url)
        order = make_order(store_a)
        refund = services.request_refund(
            return_request=inspect_return(open_return(order)), actor=SYSTEM
        )

        refund = services.process_refund(refund.pk)  # the store's own gateway, built from the DB

        assert refund.status == RefundStatus.SUCCEEDED
        assert [r["authorization"] for r in stripe.requests] == [f"Bearer {SECRET}"]
        (stripe_refund,) = stripe.refunds.values()
        assert stripe_refund["amount"] == 10000
    assert refund.amount == Decimal("100.00")


@pytest.mark.django_db
def test_a_key_saved_under_another_encryption_key_must_be_entered_again(store_a, settings):
    _save_stripe(store_a)
    settings.RETOUR_ENCRYPTION_KEY = "a new key after a rotation"

    with pytest.raises(PermanentGatewayError, match="enter it again"):
        gateway_for("stripe", RefundSettings.for_store(store_a.pk))


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_secrets_already_stored(store_a):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    apps.get_model("refunds", "RefundSettings").objects.create(
        store_id=store_a.pk,
        gateway="stripe",
        stripe_secret_key=SECRET,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest of every app

    assert not any(SECRET in str(value) for value in _stored_row(store_a.pk))
    stored = RefundSettings.objects.get(store=store_a)
    assert (stored.stripe_secret_key, stored.stripe_webhook_secret) == (SECRET, WEBHOOK_SECRET)
