"""Finance records the refunds it gave back outside Retour (the manual gateway): on a return's
page, on a claim's page and from the list of refunds to record; the amount confirmed first,
recorded once, by the roles that refund, in their stores only."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from retour.accounts.scopes import Role
from retour.core.actors import Actor
from retour.core.jobs import run_ready_jobs
from retour.refunds import claims, services
from retour.refunds.choices import AllocationStatus, RefundStatus
from retour.refunds.models import Refund, RefundAllocation, RefundSettings
from retour.returns import services as returns
from retour.returns.choices import ReturnStatus
from retour.returns.services import LineRequest
from tests.factories import SYSTEM, OrderFactory, staff_user
from tests.refunds.helpers import inspect_return, make_order, open_return

D = Decimal
pytestmark = pytest.mark.django_db


def _waiting_return_refund(store) -> Refund:
    """A return's refund of 100.00 EUR sent to the store's manual gateway: it waits for finance."""
    return_request = inspect_return(open_return(make_order(store)))
    refund = services.request_refund(return_request=return_request, actor=SYSTEM)
    return services.process_refund(refund.pk)


def _waiting_claim_refund(store) -> Refund:
    order = OrderFactory(store=store, lines=[2])
    claim = returns.create_claim(
        order=order,
        kind="damaged",
        lines=[LineRequest(order.lines.get().pk, 1)],
        actor=SYSTEM,
    )
    claims.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")
    return services.process_refund(Refund.objects.get(claim=claim).pk)


def _record(client, part, **data):
    data.setdefault("amount", "100.00")
    data.setdefault("outcome", "succeeded")
    data.setdefault("reference", "VIR-2026-0042")
    return client.post(reverse("dashboard:refund-record", args=[part.pk]), data)


@pytest.fixture
def finance_a(store_a):
    return staff_user(store_a, Role.FINANCE)


def test_a_returns_page_offers_to_record_its_waiting_part_with_amount_and_payment(
    store_a, finance_a, session_client
):
    refund = _waiting_return_refund(store_a)
    assert refund.status == RefundStatus.PROCESSING
    part = refund.allocations.get()
    html = session_client(finance_a).get(
        reverse("dashboard:return", args=[refund.return_request.rma])
    )
    html = html.content.decode()
    assert "Record the refund" in html
    assert f'id="record-part-{part.pk}"' in html
    assert "100.00 EUR" in html
    assert part.payment.reference in html


def test_support_and_warehouse_do_not_see_the_form_and_are_refused(store_a, session_client):
    refund = _waiting_return_refund(store_a)
    part = refund.allocations.get()
    for role in (Role.SUPPORT, Role.WAREHOUSE):
        client = session_client(staff_user(store_a, role))
        page = client.get(reverse("dashboard:return", args=[refund.return_request.rma]))
        assert f'id="record-part-{part.pk}"' not in page.content.decode()
        assert _record(client, part).status_code == 403
    assert RefundAllocation.objects.get(pk=part.pk).status == AllocationStatus.PENDING


def test_the_confirmation_repeats_the_amount(store_a, finance_a, session_client):
    part = _waiting_return_refund(store_a).allocations.get()
    url = reverse("dashboard:refund-record-confirm", args=[part.pk])
    response = session_client(finance_a).get(
        url, {"outcome": "succeeded", "reference": "VIR-2026-0042"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Confirm: 100.00 EUR refunded" in html
    assert 'name="amount" value="100.00"' in html
    assert "VIR-2026-0042" in html


def test_recording_settles_the_refund_resolves_the_return_and_emails_the_shopper(
    store_a, finance_a, session_client, mailoutbox
):
    refund = _waiting_return_refund(store_a)
    part = refund.allocations.get()
    response = _record(session_client(finance_a), part)
    assert response.status_code == 302
    assert response.url == reverse("dashboard:return", args=[refund.return_request.rma])
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.allocations.get().gateway_reference == "VIR-2026-0042"
    assert refund.return_request.status == ReturnStatus.RESOLVED
    for _round in range(5):
        run_ready_jobs()
    [message] = [m for m in mailoutbox if "refund" in m.subject.lower()]
    assert refund.reference in message.body


def test_recorded_as_failed_shows_the_failed_refund_and_its_reason(
    store_a, finance_a, session_client
):
    refund = _waiting_return_refund(store_a)
    client = session_client(finance_a)
    _record(client, refund.allocations.get(), outcome="failed", reason="IBAN closed")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    page = client.get(reverse("dashboard:return", args=[refund.return_request.rma]))
    html = page.content.decode()
    assert "Failed" in html
    assert "IBAN closed" in html


def test_a_second_submit_records_nothing(store_a, finance_a, session_client):
    refund = _waiting_return_refund(store_a)
    part = refund.allocations.get()
    client = session_client(finance_a)
    _record(client, part)
    response = _record(client, part, reference="VIR-OTHER", outcome="failed")
    assert response.status_code == 302
    part.refresh_from_db()
    assert (part.status, part.gateway_reference) == (AllocationStatus.SUCCEEDED, "VIR-2026-0042")
    assert part.payment.refunded == D("100.00")
    assert "Nothing was recorded" in client.get(response.url).content.decode()


def test_a_changed_amount_is_refused(store_a, finance_a, session_client):
    part = _waiting_return_refund(store_a).allocations.get()
    _record(session_client(finance_a), part, amount="90.00")
    assert RefundAllocation.objects.get(pk=part.pk).status == AllocationStatus.PENDING


def test_another_stores_part_answers_404(store_a, store_b, session_client):
    part = _waiting_return_refund(store_a).allocations.get()
    client = session_client(staff_user(store_b, Role.FINANCE))
    assert _record(client, part).status_code == 404
    confirm = reverse("dashboard:refund-record-confirm", args=[part.pk])
    assert client.get(confirm, {"outcome": "succeeded", "reference": "X"}).status_code == 404
    assert RefundAllocation.objects.get(pk=part.pk).status == AllocationStatus.PENDING


def test_a_claims_page_offers_to_record_its_refund(store_a, finance_a, session_client):
    refund = _waiting_claim_refund(store_a)
    part = refund.allocations.get()
    client = session_client(finance_a)
    page = client.get(reverse("dashboard:claim", args=[refund.claim.number]))
    assert f'id="record-part-{part.pk}"' in page.content.decode()
    response = _record(client, part, amount=str(part.amount.quantize(D("0.01"))))
    assert response.url == reverse("dashboard:claim", args=[refund.claim.number])
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED


def _list_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dashboard:refunds-to-record"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_list_shows_every_waiting_part_oldest_first_in_a_fixed_number_of_queries(
    store_a, store_b, finance_a, session_client
):
    client = session_client(finance_a)
    first = _waiting_return_refund(store_a)
    _waiting_return_refund(store_b)  # another store's: not shown
    one, html = _list_queries(client)
    assert html.count("<tr>") == 2  # the header and one row
    refunds = [first, _waiting_claim_refund(store_a)]
    refunds += [_waiting_return_refund(store_a) for _ in range(28)]
    many, html = _list_queries(client)
    assert many == one
    assert html.count("<tr>") == 31
    positions = [html.index(refund.reference) for refund in refunds]
    assert positions == sorted(positions)
    assert reverse("dashboard:claim", args=[refunds[1].claim.number]) in html
    assert reverse("dashboard:return", args=[first.return_request.rma]) in html


def _claim_awaiting_approval(store, asker) -> Refund:
    """A claim's refund above the store's four-eyes threshold, asked for by `asker`."""
    RefundSettings.objects.create(store=store, four_eyes_threshold=D("1.00"))
    order = OrderFactory(store=store, lines=[2])
    claim = returns.create_claim(
        order=order, kind="damaged", lines=[LineRequest(order.lines.get().pk, 1)], actor=SYSTEM
    )
    claims.decide_claim(claim=claim, actor=Actor.staff(asker), approve=True, resolution="refund")
    refund = Refund.objects.get(claim=claim)
    assert refund.status == RefundStatus.AWAITING_APPROVAL
    return refund


def test_a_claims_refund_gets_its_second_approval_from_another_person(
    store_a, owner_a, finance_a, session_client
):
    refund = _claim_awaiting_approval(store_a, owner_a)
    page = reverse("dashboard:claim", args=[refund.claim.number])
    approve = reverse("dashboard:claim-approve-refund", args=[refund.claim.number])
    assert approve not in session_client(owner_a).get(page).content.decode()  # the asker
    support = session_client(staff_user(store_a, Role.SUPPORT))
    assert approve not in support.get(page).content.decode()
    assert support.post(approve, {"amount": str(refund.amount)}).status_code == 403
    client = session_client(finance_a)
    assert approve in client.get(page).content.decode()
    confirmation = client.get(approve).content.decode()
    total = f"{refund.amount:.2f}"
    assert f"Confirm: {total} EUR" in confirmation
    assert client.post(approve, {"amount": total}).status_code == 302
    refund.refresh_from_db()
    assert refund.status != RefundStatus.AWAITING_APPROVAL
    assert refund.approved_by_id == finance_a.pk
    again = client.post(approve, {"amount": total}, follow=True)
    assert "No refund of this claim is waiting for an approval." in again.content.decode()


def test_the_asker_cannot_approve_a_claims_refund(store_a, owner_a, session_client):
    refund = _claim_awaiting_approval(store_a, owner_a)
    approve = reverse("dashboard:claim-approve-refund", args=[refund.claim.number])
    session_client(owner_a).post(approve, {"amount": f"{refund.amount:.2f}"})
    refund.refresh_from_db()
    assert refund.status == RefundStatus.AWAITING_APPROVAL
