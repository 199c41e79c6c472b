"""A return's staff page: what it shows, the actions its state and the role allow, the money
confirmation, double submits, and other stores."""

from decimal import Decimal

import pytest
from django.urls import reverse

from retour.accounts.scopes import Role
from retour.commerce.models import StockLevel, Variant, Warehouse
from retour.core.jobs import run_ready_jobs
from retour.events.models import OutboxEvent
from retour.refunds.choices import ExchangeStatus, Gateway, RefundTrigger
from retour.refunds.models import Exchange, Refund, RefundSettings
from retour.returns.choices import MessageKind, ReturnStatus
from retour.returns.models import Return, ReturnEvent, ReturnMessage
from tests.factories import (
    OrderFactory,
    ReturnFactory,
    VariantFactory,
    WarehouseFactory,
    staff_user,
)
from tests.refunds.helpers import inspect_return, make_order, open_return
from tests.refunds.stripe_server import SECRET, FakeStripe

D = Decimal
pytestmark = pytest.mark.django_db


def _page(rma):
    return reverse("dashboard:return", args=[rma])


def _do(client, return_request, action, **data):
    version = ReturnEvent.objects.filter(return_request=return_request).order_by("-id").first()
    data.setdefault("version", str(version.pk if version else 0))
    return client.post(reverse("dashboard:return-act", args=[return_request.rma, action]), data)


@pytest.fixture
def pending(store_a):
    return ReturnFactory(order=OrderFactory(store=store_a), status=ReturnStatus.PENDING_REVIEW)


def test_the_page_shows_items_decision_risk_timeline_and_notes(store_a, owner_a, session_client):
    return_request = open_return(make_order(store_a))
    Return.objects.filter(pk=return_request.pk).update(
        decision={
            "outcome": "review",
            "fired_rules": ["gone"],
            "risk": {
                "score": 40,
                "signals": [{"name": "return_rate", "value": "0.80", "points": 32}],
            },
        }
    )
    client = session_client(owner_a)
    _do(client, return_request, "note", body="Shopper called, parcel on its way.")
    response = client.get(_page(return_request.rma))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Return rate over the last orders" in html
    assert "Score 40 / 100" in html
    assert "Shopper called, parcel on its way." in html
    assert "requested → approved" in html
    assert [e.kind for e in response.context["events"]][-1] == "note_added"


def test_the_page_makes_a_bounded_number_of_queries(store_a, owner_a, session_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = open_return(make_order(store_a, lines=((1, "10.00", "0", "0"),)))
    big = open_return(make_order(store_a, lines=[(1, "10.00", "0", "0")] * 6))
    client = session_client(owner_a)
    client.get(_page(small.rma))
    counts = []
    for return_request in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_page(return_request.rma)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_approve_then_the_same_form_again_does_nothing(pending, owner_a, session_client):
    client = session_client(owner_a)
    version = ReturnEvent.objects.filter(return_request=pending).order_by("-id").first()
    stale = str(version.pk if version else 0)
    _do(client, pending, "approve", version=stale)
    _do(client, pending, "approve", version=stale)  # the double click
    pending.refresh_from_db()
    assert pending.status == ReturnStatus.APPROVED
    assert ReturnEvent.objects.filter(return_request=pending, to_status="approved").count() == 1
    messages = [str(m) for m in client.get(_page(pending.rma)).context["messages"]]
    assert any("nothing was done" in m for m in messages)


def test_reject_needs_a_reason_told_to_the_shopper(pending, owner_a, session_client):
    client = session_client(owner_a)
    _do(client, pending, "reject", reason="  ")
    pending.refresh_from_db()
    assert pending.status == ReturnStatus.PENDING_REVIEW
    _do(client, pending, "reject", reason="Bought more than 60 days ago.")
    pending.refresh_from_db()
    assert (pending.status, pending.status_reason) == ("rejected", "Bought more than 60 days ago.")


def test_change_method_is_recorded_and_refused_once_a_label_exists(
    pending, store_a, owner_a, session_client
):
    client = session_client(owner_a)
    _do(client, pending, "change_method", method="pickup")
    pending.refresh_from_db()
    assert pending.method == "pickup"
    assert ReturnEvent.objects.filter(return_request=pending, kind="method_changed").exists()
    Return.objects.filter(pk=pending.pk).update(status=ReturnStatus.LABEL_ISSUED)
    _do(client, pending, "change_method", method="mail")
    pending.refresh_from_db()
    assert pending.method == "pickup"


def test_a_message_goes_to_the_shopper_by_email_a_note_never(pending, owner_a, session_client):
    client = session_client(owner_a)
    _do(client, pending, "message", body="Please add the invoice to the parcel.")
    _do(client, pending, "note", body="Known customer, VIP.")
    kinds = list(ReturnMessage.objects.filter(return_request=pending).values_list("kind", "body"))
    assert kinds == [
        (MessageKind.TO_SHOPPER, "Please add the invoice to the parcel."),
        (MessageKind.NOTE, "Known customer, VIP."),
    ]
    sent = OutboxEvent.objects.get(type="return.message_sent")
    assert sent.payload["data"]["message"] == "Please add the invoice to the parcel."
    noted = OutboxEvent.objects.get(type="return.note_added")
    assert "VIP" not in str(noted.payload)


def test_refund_shows_the_amounts_before_and_refunds_them_after(store_a, owner_a, session_client):
    return_request = inspect_return(open_return(make_order(store_a)))
    client = session_client(owner_a)
    confirm = client.get(reverse("dashboard:return-confirm", args=[return_request.rma, "refund"]))
    plan = confirm.context["plan"]
    assert plan.total > 0
    assert Refund.objects.count() == 0  # showing the amounts moves nothing
    _do(client, return_request, "refund", amount=str(plan.total))
    refund = Refund.objects.get(return_request=return_request)
    assert refund.amount == plan.total
    _do(client, return_request, "refund", amount=str(plan.total))  # a double submit
    assert Refund.objects.filter(return_request=return_request).count() == 1


def test_a_refund_whose_amount_changed_is_not_made(store_a, owner_a, session_client):
    return_request = inspect_return(open_return(make_order(store_a)))
    client = session_client(owner_a)
    response = _do(client, return_request, "refund", amount="1.00")
    assert response.url == reverse("dashboard:return-confirm", args=[return_request.rma, "refund"])
    assert not Refund.objects.exists()


ROLE_ACTIONS = {
    # action: roles allowed
    "approve": {Role.OWNER, Role.SUPPORT},
    "message": {Role.OWNER, Role.SUPPORT},
    "note": {Role.OWNER, Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE},
    "cancel": {Role.OWNER, Role.SUPPORT},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(ROLE_ACTIONS))
def test_each_role_may_do_what_its_scopes_allow(role, action, pending, store_a, session_client):
    client = session_client(staff_user(store_a, role))
    before = ReturnEvent.objects.filter(return_request=pending).count()
    response = _do(client, pending, action, body="Hello", reason="Because")
    allowed = role in ROLE_ACTIONS[action]
    assert response.status_code == (302 if allowed else 403)
    assert (ReturnEvent.objects.filter(return_request=pending).count() > before) is allowed


@pytest.mark.parametrize("role", list(Role))
def test_only_owner_and_finance_refund(role, store_a, session_client):
    return_request = inspect_return(open_return(make_order(store_a)))
    client = session_client(staff_user(store_a, role))
    url = reverse("dashboard:return-confirm", args=[return_request.rma, "refund"])
    allowed = role in (Role.OWNER, Role.FINANCE)
    assert client.get(url).status_code == (200 if allowed else 403)
    assert _do(client, return_request, "refund", amount="1").status_code == (
        302 if allowed else 403
    )
    page = client.get(_page(return_request.rma))
    assert page.status_code == 200
    assert ("refund" in page.context["actions"]) is allowed


def test_warehouse_does_not_see_the_refunds_money(store_a, owner_a, warehouse_a, session_client):
    return_request = inspect_return(open_return(make_order(store_a)))
    owner = session_client(owner_a)
    plan = owner.get(reverse("dashboard:return-confirm", args=[return_request.rma, "refund"]))
    _do(owner, return_request, "refund", amount=str(plan.context["plan"].total))
    assert owner.get(_page(return_request.rma)).context["refunds"]
    assert session_client(warehouse_a).get(_page(return_request.rma)).context["refunds"] == []


def test_another_stores_staff_get_404_on_page_confirm_actions_and_photos(
    pending, staff_b, session_client
):
    client = session_client(staff_b)
    assert client.get(_page(pending.rma)).status_code == 404
    url = reverse("dashboard:return-confirm", args=[pending.rma, "refund"])
    assert client.get(url).status_code == 404
    assert _do(client, pending, "approve").status_code == 404
    assert client.get(reverse("dashboard:return-photo", args=[pending.rma, 1])).status_code == 404
    pending.refresh_from_db()
    assert pending.status == ReturnStatus.PENDING_REVIEW


def test_the_shoppers_photos_are_shown_to_staff(
    store_a, owner_a, session_client, settings, tmp_path
):
    from django.core.files.base import ContentFile

    from retour.portal.models import Photo

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return_request = open_return(make_order(store_a))
    line = return_request.lines.first()
    photo = Photo(store=store_a, return_line=line, width=1, height=1)
    photo.file.save("p.jpg", ContentFile(b"\xff\xd8\xff\xe0jpeg"), save=True)
    client = session_client(owner_a)
    url = reverse("dashboard:return-photo", args=[return_request.rma, photo.pk])
    assert url in client.get(_page(return_request.rma)).content.decode()
    assert b"".join(client.get(url).streaming_content) == b"\xff\xd8\xff\xe0jpeg"


# --- exchanges ---------------------------------------------------------------------------------


def _exchangeable(store, *, paid="30.00", on_hand=None, resolution="exchange", lines=1):
    """An approved return of `lines` items bought at `paid` each, and the variants of their
    product by price: {price: variant}, each with `on_hand` units in the store's warehouse."""
    warehouse = Warehouse.objects.filter(store=store).first() or WarehouseFactory(store=store)
    returned = VariantFactory(store=store, price=D(paid))
    order = make_order(store, lines=[(1, paid, "0", "0")] * lines)
    order.lines.update(variant=returned)
    siblings = {}
    for price, stock in (on_hand or {"19.00": 2, "30.00": 2, "45.00": 2}).items():
        variant = VariantFactory(store=store, product=returned.product, price=D(price))
        StockLevel.objects.create(warehouse=warehouse, variant=variant, on_hand=stock)
        siblings[price] = variant
    return open_return(order, resolution=resolution), siblings


def _confirm_exchange(client, return_request, choices):
    url = reverse("dashboard:return-confirm", args=[return_request.rma, "exchange"])
    return client.get(url, {f"line-{line}": variant.pk for line, variant in choices.items()})


def _exchange(client, return_request, variant):
    """Choose `variant` for the return's one line, confirm what the page showed, submit."""
    line = return_request.lines.get()
    plan = _confirm_exchange(client, return_request, {line.pk: variant}).context["plan"]
    response = _do(
        client, return_request, "exchange", amount=plan.signature, **{f"line-{line.pk}": variant.pk}
    )
    return plan, response


def _said(client, return_request) -> list[str]:
    return [str(m) for m in client.get(_page(return_request.rma)).context["messages"]]


def test_the_page_offers_only_variants_of_the_same_product_in_stock(
    store_a, owner_a, session_client
):
    return_request, siblings = _exchangeable(store_a, on_hand={"19.00": 1, "45.00": 0})
    VariantFactory(store=store_a, price=D("20.00"))  # another product, never offered
    page = session_client(owner_a).get(_page(return_request.rma))
    (offer,) = page.context["offers"]
    offered = [(r.variant, r.difference) for r in offer.replacements]
    assert offered == [(siblings["19.00"], D("-11.00"))]
    assert "11.00 refunded" in page.content.decode()


def test_a_cheaper_replacement_is_confirmed_then_reserved_and_its_difference_refunded(
    store_a, owner_a, session_client
):
    return_request, siblings = _exchangeable(store_a)
    client = session_client(owner_a)
    plan, _response = _exchange(client, return_request, siblings["19.00"])
    assert (plan.to_pay, plan.to_refund) == (D("0"), D("11.00"))
    exchange = Exchange.objects.get(return_request=return_request)
    assert (exchange.variant, exchange.price_difference, exchange.status) == (
        siblings["19.00"],
        D("-11.00"),
        ExchangeStatus.RESERVED,
    )
    assert StockLevel.objects.get(variant=siblings["19.00"]).reserved == 1
    assert ReturnEvent.objects.filter(return_request=return_request, kind="exchange_requested")
    assert any("11.00 EUR will be refunded" in m for m in _said(client, return_request))


def test_a_dearer_replacement_sends_the_shopper_a_payment_link(store_a, owner_a, session_client):
    return_request, siblings = _exchangeable(store_a)
    client = session_client(owner_a)
    with FakeStripe() as stripe:
        RefundSettings.objects.create(
            store=store_a,
            gateway=Gateway.STRIPE,
            stripe_secret_key=SECRET,
            stripe_api_base=stripe.url,
            refund_trigger=RefundTrigger.INSPECTION,
        )
        plan, _response = _exchange(client, return_request, siblings["45.00"])
        run_ready_jobs()
    assert (plan.to_pay, plan.to_refund) == (D("15.00"), D("0"))
    exchange = Exchange.objects.get(return_request=return_request)
    assert exchange.status == ExchangeStatus.AWAITING_PAYMENT
    assert exchange.payment_link.startswith("https://")
    (session,) = stripe.sessions.values()
    assert session["amount_total"] == 1500
    assert any("pay 15.00 EUR" in m for m in _said(client, return_request))
    assert exchange.payment_link in client.get(_page(return_request.rma)).content.decode()


def test_a_replacement_at_the_same_price_moves_no_money(store_a, owner_a, session_client):
    return_request, siblings = _exchangeable(store_a)
    plan, _response = _exchange(session_client(owner_a), return_request, siblings["30.00"])
    assert (plan.to_pay, plan.to_refund) == (D("0"), D("0"))
    exchange = Exchange.objects.get(return_request=return_request)
    assert (exchange.price_difference, exchange.payment_link) == (D("0.00"), "")


def test_a_replacement_gone_out_of_stock_is_refused_clearly_and_nothing_changes(
    store_a, owner_a, session_client
):
    return_request, siblings = _exchangeable(store_a, on_hand={"19.00": 1})
    client = session_client(owner_a)
    line = return_request.lines.get()
    plan = _confirm_exchange(client, return_request, {line.pk: siblings["19.00"]}).context["plan"]
    StockLevel.objects.filter(variant=siblings["19.00"]).update(reserved=1)  # taken meanwhile
    _do(
        client,
        return_request,
        "exchange",
        amount=plan.signature,
        **{f"line-{line.pk}": siblings["19.00"].pk},
    )
    assert not Exchange.objects.exists()
    assert StockLevel.objects.get(variant=siblings["19.00"]).reserved == 1
    sku = siblings["19.00"].sku
    assert f"“{sku}” is out of stock: nothing was exchanged." in _said(client, return_request)


def test_a_variant_of_another_product_is_refused(store_a, owner_a, session_client):
    return_request, _siblings = _exchangeable(store_a)
    other = VariantFactory(store=store_a, price=D("30.00"))
    StockLevel.objects.create(
        warehouse=Warehouse.objects.get(store=store_a), variant=other, on_hand=5
    )
    line = return_request.lines.get()
    client = session_client(owner_a)
    response = _confirm_exchange(client, return_request, {line.pk: other})
    assert response.status_code == 302
    assert "Choose a variant of the returned item's product." in _said(client, return_request)


def test_the_exchange_submitted_twice_is_made_once(store_a, owner_a, session_client):
    return_request, siblings = _exchangeable(store_a)
    client = session_client(owner_a)
    line = return_request.lines.get()
    plan = _confirm_exchange(client, return_request, {line.pk: siblings["19.00"]}).context["plan"]
    version = str(ReturnEvent.objects.filter(return_request=return_request).latest("id").pk)
    data = {"version": version, "amount": plan.signature, f"line-{line.pk}": siblings["19.00"].pk}
    url = reverse("dashboard:return-act", args=[return_request.rma, "exchange"])
    client.post(url, data)
    client.post(url, data)  # the double click
    assert Exchange.objects.filter(return_request=return_request).count() == 1
    assert StockLevel.objects.get(variant=siblings["19.00"]).reserved == 1


def test_an_exchange_whose_price_changed_since_confirmed_is_not_made(
    store_a, owner_a, session_client
):
    return_request, siblings = _exchangeable(store_a)
    client = session_client(owner_a)
    line = return_request.lines.get()
    plan = _confirm_exchange(client, return_request, {line.pk: siblings["45.00"]}).context["plan"]
    Variant.objects.filter(pk=siblings["45.00"].pk).update(price=D("50.00"))
    _do(
        client,
        return_request,
        "exchange",
        amount=plan.signature,
        **{f"line-{line.pk}": siblings["45.00"].pk},
    )
    assert not Exchange.objects.exists()


def test_a_return_past_its_trigger_gets_its_replacement_ordered_at_once(
    store_a, owner_a, session_client
):
    return_request, siblings = _exchangeable(store_a)
    return_request = inspect_return(return_request)  # the store's trigger: inspection
    _exchange(session_client(owner_a), return_request, siblings["30.00"])
    exchange = Exchange.objects.get(return_request=return_request)
    assert exchange.status == ExchangeStatus.ORDERED
    assert exchange.replacement_order.lines.get().variant == siblings["30.00"]


def test_a_refunded_return_is_not_offered_an_exchange(store_a, owner_a, session_client):
    return_request, siblings = _exchangeable(store_a, resolution="refund")
    return_request = inspect_return(return_request)
    client = session_client(owner_a)
    total = client.get(reverse("dashboard:return-confirm", args=[return_request.rma, "refund"]))
    _do(client, return_request, "refund", amount=str(total.context["plan"].total))
    assert "exchange" not in client.get(_page(return_request.rma)).context["actions"]
    line = return_request.lines.get()
    confirm = _confirm_exchange(client, return_request, {line.pk: siblings["30.00"]})
    assert confirm.status_code == 302
    said = "This return is already refunded: an exchange would pay it twice."
    assert said in _said(client, return_request)
    _do(client, return_request, "exchange", amount=f"{line.pk}:{siblings['30.00'].pk}:0.00")
    assert not Exchange.objects.exists()


def test_another_stores_staff_get_404_on_the_exchange(store_a, staff_b, session_client):
    return_request, siblings = _exchangeable(store_a)
    client = session_client(staff_b)
    line = return_request.lines.get()
    assert (
        _confirm_exchange(client, return_request, {line.pk: siblings["19.00"]}).status_code == 404
    )
    response = _do(client, return_request, "exchange", **{f"line-{line.pk}": siblings["19.00"].pk})
    assert response.status_code == 404
    assert not Exchange.objects.exists()


def test_the_exchange_offers_take_as_many_queries_for_one_line_as_for_six(
    store_a, owner_a, session_client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = session_client(owner_a)
    counts = []
    for lines in (1, 6):
        return_request, _siblings = _exchangeable(store_a, lines=lines)
        client.get(_page(return_request.rma))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(_page(return_request.rma))
        assert len(page.context["offers"]) == lines
        assert all(len(offer.replacements) == 3 for offer in page.context["offers"])
        counts.append(len(queries))
    assert counts[0] == counts[1]
