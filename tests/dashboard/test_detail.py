"""A return's staff page: what it shows, the actions its state and the role allow, the money
confirmation, double submits, and other stores."""

import pytest
from django.urls import reverse

from retour.accounts.scopes import Role
from retour.events.models import OutboxEvent
from retour.refunds.models import Refund
from retour.returns.choices import MessageKind, ReturnStatus
from retour.returns.models import Return, ReturnEvent, ReturnMessage
from tests.factories import OrderFactory, ReturnFactory, staff_user
from tests.refunds.helpers import inspect_return, make_order, open_return

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
