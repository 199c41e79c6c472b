"""Each settings section: it writes through its service, refuses bad input with a clear error and
nothing changed, never shows a stored secret back, and leaves an audit entry."""

import json
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retour.accounts.scopes import Role
from retour.commerce.models import AuditEvent
from retour.events.models import OutboxEvent
from retour.logistics.models import CarrierAccount, RoutingRule
from retour.notifications.choices import Channel, DeliveryStatus
from retour.notifications.models import Delivery, EmailTemplate, WebhookEndpoint
from retour.policy.models import PolicyVersion
from retour.refunds.models import RefundSettings
from retour.returns import services
from retour.returns.models import ReturnReason
from tests.factories import SYSTEM, OrderFactory, WarehouseFactory, staff_user

BASE = "/dashboard/settings/store-a/"


def audited(store, verb) -> AuditEvent:
    return AuditEvent.objects.get(store=store, verb=verb)


# Reasons


def reason_form(**changes):
    form = {"code": "too_bright", "label_en": "Too bright", "label_fr": "Trop vif", "parent": ""}
    form.update(changes)
    return form


def test_support_adds_a_sub_reason_in_both_languages(store_a, session_client):
    client = session_client(staff_user(store_a, Role.SUPPORT))
    parent = ReturnReason.objects.get(store=store_a, code="not_as_described")

    answer = client.post(BASE + "reasons/", reason_form(parent=parent.pk, requires_photo="on"))

    assert answer.status_code == 302
    reason = ReturnReason.objects.get(store=store_a, code="too_bright")
    assert reason.parent == parent
    assert reason.labels == {"en": "Too bright", "fr": "Trop vif"}
    assert reason.requires_photo
    assert audited(store_a, "reason.created").data["code"] == "too_bright"


def test_a_reason_needs_both_labels_and_a_free_code(store_a, owner_a, session_client):
    client = session_client(owner_a)
    count = ReturnReason.objects.filter(store=store_a).count()

    missing = client.post(BASE + "reasons/", reason_form(label_fr=" "))
    taken = client.post(BASE + "reasons/", reason_form(code="damaged"))

    assert "label_fr" in missing.context["form"].errors
    assert "is taken already" in taken.content.decode()
    assert ReturnReason.objects.filter(store=store_a).count() == count


def test_a_reason_moves_up_and_is_deactivated(store_a, owner_a, session_client):
    client = session_client(owner_a)
    damaged = ReturnReason.objects.get(store=store_a, code="damaged")
    before = ReturnReason.objects.get(store=store_a, code="not_as_described")
    action = f"{BASE}reasons/{damaged.pk}/action"

    client.post(action, {"action": "up"})
    client.post(action, {"action": "deactivate"})

    damaged.refresh_from_db()
    before.refresh_from_db()
    assert damaged.position < before.position
    assert not damaged.active
    assert [
        e.verb for e in AuditEvent.objects.filter(store=store_a, verb__startswith="reason.")
    ] == [
        "reason.deactivated",
        "reason.moved",
    ]


def test_a_reason_of_store_b_is_not_found(store_a, store_b, owner_a, session_client):
    other = ReturnReason.objects.filter(store=store_b).first()
    client = session_client(owner_a)

    assert client.get(f"{BASE}reasons/{other.pk}").status_code == 404
    assert (
        client.post(f"{BASE}reasons/{other.pk}/action", {"action": "deactivate"}).status_code == 404
    )
    other.refresh_from_db()
    assert other.active


def test_the_reason_list_costs_the_same_queries_for_few_or_many(store_a, owner_a, session_client):
    client = session_client(owner_a)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(BASE + "reasons/").status_code == 200
        return len(captured)

    queries()  # the first request of a session writes it
    few = queries()
    for n in range(30):
        services.save_reason(
            store=store_a,
            data=services.ReasonInput(code=f"extra-{n}", label_en="x", label_fr="x"),
            actor=SYSTEM,
        )

    assert queries() == few


# Carriers and routing


def test_carrier_credentials_are_encrypted_and_never_shown_back(store_a, owner_a, session_client):
    client = session_client(owner_a)
    secret = "EZTK-very-secret-key-123"

    client.post(
        BASE + "carriers/",
        {
            "form": "carrier",
            "carrier-kind": "easypost",
            "carrier-name": "EasyPost FR",
            "carrier-active": "on",
            "carrier-api_key": secret,
        },
    )

    account = CarrierAccount.objects.get(store=store_a, name="EasyPost FR")
    assert secret not in account.credentials_encrypted
    assert account.credentials == {"api_key": secret}
    page = client.get(BASE + "carriers/").content.decode()
    edit = client.get(f"{BASE}carriers/{account.pk}").content.decode()
    assert secret not in page
    assert secret not in edit
    assert "API key (EasyPost): set" in page
    assert audited(store_a, "carrier.created").data["credentials"] == ["api_key"]
    assert secret not in json.dumps(audited(store_a, "carrier.created").data)

    # Saving with the secret left empty keeps it; a new one replaces it.
    client.post(f"{BASE}carriers/{account.pk}", {"name": "EasyPost France", "active": "on"})
    account.refresh_from_db()
    assert (account.name, account.credentials["api_key"]) == ("EasyPost France", secret)
    client.post(
        f"{BASE}carriers/{account.pk}",
        {"name": "EasyPost France", "active": "on", "webhook_secret": "whk"},
    )
    account.refresh_from_db()
    assert account.credentials == {"api_key": secret, "webhook_secret": "whk"}


def test_a_new_carrier_account_needs_its_api_key(store_a, owner_a, session_client):
    answer = session_client(owner_a).post(
        BASE + "carriers/",
        {"form": "carrier", "carrier-kind": "sendcloud", "carrier-name": "SC"},
    )

    assert "Enter the account&#x27;s API key." in answer.content.decode()
    assert not CarrierAccount.objects.filter(store=store_a).exists()


def test_a_routing_rule_is_added_with_its_conditions(store_a, owner_a, session_client):
    warehouse = WarehouseFactory(store=store_a, code="lyon", name="Lyon")
    client = session_client(owner_a)

    client.post(
        BASE + "carriers/",
        {
            "form": "rule",
            "rule-name": "Belgium to Lyon",
            "rule-position": "5",
            "rule-country": "be, lu",
            "rule-warehouse": warehouse.pk,
            "rule-strategy": "cheapest",
            "rule-active": "on",
        },
    )

    rule = RoutingRule.objects.get(store=store_a)
    assert rule.conditions == {"country": ["BE", "LU"]}
    assert (rule.warehouse, rule.strategy, rule.position) == (warehouse, "cheapest", 5)
    assert audited(store_a, "routing_rule.created").data["name"] == "Belgium to Lyon"


def test_a_routing_rule_cannot_point_at_another_stores_warehouse(
    store_a, store_b, owner_a, session_client
):
    foreign = WarehouseFactory(store=store_b, code="b", name="B")
    form = {"form": "rule", "rule-name": "x", "rule-position": "0", "rule-strategy": "fixed"}

    answer = session_client(owner_a).post(
        BASE + "carriers/", {**form, "rule-warehouse": foreign.pk}
    )

    assert answer.status_code == 200
    assert not RoutingRule.objects.exists()


# Refunds


def refund_form(**changes):
    form = {
        "gateway": "manual",
        "stripe_api_base": "https://api.stripe.com",
        "card_delay_days": "5",
        "refund_trigger": "inspection",
        "shipping_rule": "whole_order_or_merchant_fault",
        "restocking_fee_rate": "0",
        "return_shipping_fee": "0",
        "store_credit_bonus_rate": "0",
        "max_tries": "5",
        "stripe_secret_key": "",
        "stripe_webhook_secret": "",
    }
    form.update(changes)
    return form


def test_finance_sets_the_trigger_and_the_stripe_key_which_is_never_shown(store_a, session_client):
    client = session_client(staff_user(store_a, Role.FINANCE))

    answer = client.post(
        BASE + "refunds",
        refund_form(
            gateway="stripe",
            refund_trigger="warehouse_delivery",
            stripe_secret_key="rk_live_abcdef123",
            four_eyes_threshold="500.00",
        ),
    )

    assert answer.status_code == 302
    saved = RefundSettings.objects.get(store=store_a)
    assert (saved.gateway, saved.refund_trigger) == ("stripe", "warehouse_delivery")
    assert saved.four_eyes_threshold == Decimal("500.00")
    assert saved.stripe_secret_key == "rk_live_abcdef123"
    page = client.get(BASE + "refunds").content.decode()
    assert "rk_live_abcdef123" not in page
    event = audited(store_a, "refund_settings.updated")
    assert "stripe_secret_key" in event.data["changed"]
    assert "rk_live" not in json.dumps(event.data)

    # Saved again with the key left empty: it is kept.
    client.post(BASE + "refunds", refund_form(gateway="stripe", card_delay_days="7"))
    saved.refresh_from_db()
    assert (saved.card_delay_days, saved.stripe_secret_key) == (7, "rk_live_abcdef123")


def test_stripe_without_a_key_is_refused(store_a, owner_a, session_client):
    answer = session_client(owner_a).post(BASE + "refunds", refund_form(gateway="stripe"))

    assert "Enter the Stripe secret key" in answer.content.decode()
    assert not RefundSettings.objects.filter(store=store_a).exists()


# E-mail templates and webhooks


def test_an_email_template_is_previewed_then_saved(store_a, owner_a, session_client):
    client = session_client(owner_a)
    address = BASE + "emails/return.approved/fr"
    edit = {
        "subject": "Retour {{ rma }} accepté",
        "text": "Bonjour {{ shopper.first_name }}",
        "html": "<p>Bonjour</p>",
    }

    preview = client.post(address, {**edit, "action": "preview"})

    assert "data-preview" in preview.content.decode()
    assert not EmailTemplate.objects.exists()
    client.post(address, {**edit, "action": "save"})
    template = EmailTemplate.objects.get(store=store_a, event_type="return.approved", language="fr")
    assert template.subject == "Retour {{ rma }} accepté"
    assert audited(store_a, "email_template.saved").data == {
        "event": "return.approved",
        "language": "fr",
    }


def test_a_template_that_does_not_render_is_refused(store_a, owner_a, session_client):
    answer = session_client(owner_a).post(
        BASE + "emails/return.approved/en",
        {"subject": "{{ nope.nope }}", "text": "{% for %}", "html": "x", "action": "save"},
    )

    assert "The template cannot be rendered" in answer.content.decode()
    assert not EmailTemplate.objects.exists()


def test_a_webhook_secret_is_shown_once_and_a_delivery_is_replayed(
    store_a, owner_a, session_client
):
    client = session_client(owner_a)

    created = client.post(BASE + "webhooks/", {"url": "https://shop-a.example/hooks"}, follow=True)

    endpoint = WebhookEndpoint.objects.get(store=store_a)
    assert endpoint.secret in created.content.decode()
    assert endpoint.secret not in client.get(BASE + "webhooks/").content.decode()
    event = OutboxEvent.objects.create(store=store_a, type="return.approved", payload={})
    delivery = Delivery.objects.create(
        event=event,
        store=store_a,
        channel=Channel.WEBHOOK,
        recipient=endpoint.url,
        endpoint=endpoint,
        status=DeliveryStatus.ABANDONED,
        attempts=20,
        last_error="HTTP 500",
        next_attempt_at=timezone.now(),
    )
    assert "HTTP 500" in client.get(BASE + "webhooks/").content.decode()

    client.post(f"{BASE}deliveries/{delivery.pk}/replay")

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert AuditEvent.objects.filter(store=store_a, verb="delivery.replayed").count() == 1


def test_a_delivery_of_store_b_cannot_be_replayed(store_a, store_b, owner_a, session_client):
    event = OutboxEvent.objects.create(store=store_b, type="return.approved", payload={})
    delivery = Delivery.objects.create(
        event=event,
        store=store_b,
        channel=Channel.WEBHOOK,
        recipient="https://b.example",
        status=DeliveryStatus.ABANDONED,
    )

    answer = session_client(owner_a).post(f"{BASE}deliveries/{delivery.pk}/replay")

    assert answer.status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ABANDONED


# Policy

DRAFT = {
    "window_days": 30,
    "rules": [
        {"id": "cheap", "when": {"line_price": {"max": "30"}}, "then": {"decision": "returnless"}}
    ],
}


def _past_return(store, price):
    order = OrderFactory(store=store, lines=[1], lines__unit_price=Decimal(price))
    services.create_return(
        order=order,
        lines=[services.LineRequest(order.lines.get().pk, 1, "too_small")],
        method="drop_off",
        resolution="refund",
        actor=SYSTEM,
    )


def test_a_draft_is_simulated_against_recent_returns_without_publishing(
    store_a, owner_a, session_client
):
    _past_return(store_a, "20.00")
    _past_return(store_a, "90.00")

    answer = session_client(owner_a).post(
        BASE + "policy", {"document": json.dumps(DRAFT), "action": "simulate"}
    )

    comparison = answer.context["comparison"]
    rows = {row["outcome"]: row for row in comparison["rows"]}
    assert comparison["cases"] == 2
    assert rows["returnless"]["after"] == 1
    assert rows["returnless"]["change"] == 1
    assert not PolicyVersion.objects.filter(store=store_a).exists()


def test_a_draft_is_published_as_the_next_version(store_a, owner_a, session_client):
    client = session_client(owner_a)

    client.post(BASE + "policy", {"document": json.dumps(DRAFT), "action": "publish"})

    version = PolicyVersion.objects.get(store=store_a)
    assert version.number == 1
    assert version.document["window_days"] == 30
    assert audited(store_a, "policy.published").data["number"] == 1


def test_bad_drafts_are_refused_with_their_problems(store_a, owner_a, session_client):
    client = session_client(owner_a)

    not_json = client.post(BASE + "policy", {"document": "{", "action": "publish"})
    invalid = client.post(
        BASE + "policy", {"document": json.dumps({"window_days": "soon"}), "action": "publish"}
    )
    too_short = client.post(
        BASE + "policy", {"document": json.dumps({"window_days": 7}), "action": "publish"}
    )

    assert "This is not valid JSON" in not_json.content.decode()
    assert "window_days" in invalid.content.decode()
    assert "below the legal minimum of 14 days" in too_short.content.decode()
    assert not PolicyVersion.objects.exists()
