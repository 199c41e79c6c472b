"""The claims pages: the list (filters, search, scoping, keyset pages, bounded queries), a claim's
page (items with amounts, photos, history) and the decision (approve with a confirmed amount,
reject with a reason, a double submit deciding once, roles)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retour.accounts.scopes import Role
from retour.commerce.models import AuditEvent, OrderLine, StockLevel
from retour.events.models import OutboxEvent
from retour.portal.models import Photo
from retour.refunds.models import Refund
from retour.returns import claims, services
from retour.returns.choices import ClaimKind, ClaimResolution, ClaimStatus
from retour.returns.lifecycle import IllegalTransition
from retour.returns.models import Claim
from retour.returns.services import LineRequest
from tests.factories import (
    SYSTEM,
    MembershipFactory,
    OrderFactory,
    WarehouseFactory,
    staff_user,
)
from tests.portal.helpers import image_bytes

LIST = "/dashboard/claims/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _claim(store, kind=ClaimKind.DAMAGED, lines=(2,), units=1, **order_fields) -> Claim:
    """A claim reported on a new order of `store`: `units` of each of its lines."""
    order = OrderFactory(store=store, lines=list(lines), **order_fields)
    return services.create_claim(
        order=order,
        kind=kind,
        lines=[LineRequest(line.pk, units) for line in order.lines.all()],
        actor=SYSTEM,
        description="The box arrived crushed.",
    )


def _photo(claim: Claim) -> Photo:
    photo = Photo(store=claim.store, claim=claim, width=64, height=48)
    photo.file.save("crushed.jpg", ContentFile(image_bytes()), save=False)
    photo.save()
    return photo


def _numbers(response) -> list[str]:
    return [row.number for row in response.context["page"].rows]


def _decide(client, claim, **data):
    return client.post(f"{LIST}{claim.number}/decide", data)


def _approve(client, claim, resolution=ClaimResolution.REFUND, amount=None):
    confirm = client.get(f"{LIST}{claim.number}/confirm", {"resolution": resolution})
    total = confirm.context["breakdown"].total if amount is None else amount
    return _decide(client, claim, decision="approve", resolution=resolution, amount=str(total))


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_the_open_claims_newest_first(store_a, owner_a, session_client):
    older, newer = _claim(store_a), _claim(store_a)
    Claim.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    decided = _claim(store_a)
    services.decide_claim(claim=decided, actor=SYSTEM, approve=False, reason="No damage")

    response = session_client(owner_a).get(LIST)

    assert response.status_code == 200
    assert _numbers(response) == [newer.number, older.number]
    html = response.content.decode()
    assert "Damaged on arrival" in html
    assert f'href="/dashboard/claims/{newer.number}/"' in html


@pytest.mark.parametrize(
    ("status", "expected"),
    [("any", {"open", "rejected", "approved"}), ("rejected", {"rejected"}), ("open", {"open"})],
)
def test_the_status_filter(status, expected, store_a, owner_a, session_client):
    made = {"open": _claim(store_a), "rejected": _claim(store_a), "approved": _claim(store_a)}
    services.decide_claim(claim=made["rejected"], actor=SYSTEM, approve=False)
    services.decide_claim(
        claim=made["approved"], actor=SYSTEM, approve=True, resolution=ClaimResolution.REFUND
    )

    response = session_client(owner_a).get(LIST, {"status": status})

    assert set(_numbers(response)) == {made[name].number for name in expected}
    counts = {status: count for status, _label, count in response.context["counts"]}
    assert counts == {"open": 1, "approved": 1, "rejected": 1, "resolved": 0}


def test_the_kind_filter(store_a, owner_a, session_client):
    missing = _claim(store_a, kind=ClaimKind.MISSING)
    _claim(store_a, kind=ClaimKind.WRONG_ITEM)

    response = session_client(owner_a).get(LIST, {"kind": ClaimKind.MISSING})

    assert _numbers(response) == [missing.number]


def test_a_bad_filter_is_said_and_left_out(store_a, owner_a, session_client):
    claim = _claim(store_a)

    response = session_client(owner_a).get(LIST, {"kind": "broken", "status": "lost"})

    assert _numbers(response) == [claim.number]
    assert "Kind: unknown value." in response.content.decode()


def test_the_store_filter_among_the_users_stores(store_a, store_b, owner_a, session_client):
    MembershipFactory(store=store_b, user=owner_a, role=Role.SUPPORT)
    of_a, of_b = _claim(store_a), _claim(store_b)
    client = session_client(owner_a)

    assert set(_numbers(client.get(LIST))) == {of_a.number, of_b.number}
    assert _numbers(client.get(LIST, {"store": "store-b"})) == [of_b.number]


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("claim number", lambda c: c.number.lower().replace("-", " ")),
        ("order number", lambda c: c.order.number),
        ("order number typed with a hash", lambda c: f"#{c.order.number}"),
        ("e-mail", lambda c: c.order.email),
    ],
)
def test_search_finds_a_claim_by(field, make, store_a, owner_a, session_client):
    target, other = _claim(store_a), _claim(store_a)

    response = session_client(owner_a).get(LIST, {"q": make(target)})

    assert _numbers(response) == [target.number], field
    assert other.number not in _numbers(response)


def test_a_search_finds_decided_claims_too_unless_a_status_is_chosen(
    store_a, owner_a, session_client
):
    claim = _claim(store_a)
    services.decide_claim(claim=claim, actor=SYSTEM, approve=False)
    client = session_client(owner_a)

    assert _numbers(client.get(LIST, {"q": claim.number})) == [claim.number]
    assert _numbers(client.get(LIST, {"q": claim.number, "status": "open"})) == []


def test_search_finds_an_order_stored_with_a_hash(store_a, owner_a, session_client):
    target = _claim(store_a, number="#5001")

    response = session_client(owner_a).get(LIST, {"q": "5001"})

    assert _numbers(response) == [target.number]


def test_staff_of_another_store_see_none_of_its_claims(store_a, staff_b, session_client):
    claim = _claim(store_a)
    client = session_client(staff_b)

    assert _numbers(client.get(LIST, {"status": "any", "q": claim.order.number})) == []
    assert _numbers(client.get(LIST, {"store": "store-a"})) == []
    assert client.get(f"{LIST}{claim.number}/").status_code == 404
    assert client.get(f"{LIST}{claim.number}/confirm", {"resolution": "refund"}).status_code == 404
    assert _decide(client, claim, decision="reject", reason="x").status_code == 404
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN


def test_keyset_pages_visit_every_claim_once_even_with_equal_dates(store_a):
    made = [_claim(store_a) for _ in range(7)]
    Claim.objects.filter(pk__in=[c.pk for c in made[:5]]).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )
    filters = claims.ClaimFilters()
    seen, cursor = [], ""
    while True:
        page = claims.claim_page(
            stores={"store-a": store_a.pk}, filters=filters, cursor=cursor, limit=2
        )
        seen += [c.pk for c in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == [c.pk for c in sorted(made, key=lambda c: (c.created_at, c.pk), reverse=True)]
    assert len(seen) == len(set(seen)) == 7


def test_the_next_page_link_keeps_the_filters(store_a, owner_a, session_client):
    made = [_claim(store_a, kind=ClaimKind.MISSING) for _ in range(claims.PAGE_SIZE + 1)]
    client = session_client(owner_a)

    first = client.get(LIST, {"kind": "missing"})
    second = client.get(f"{LIST}?{first.context['next_query']}")

    assert len(_numbers(first)) == claims.PAGE_SIZE
    assert _numbers(second) == [made[0].number]


def _list_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params)
    assert response.status_code == 200
    return len(queries)


def test_the_list_makes_the_same_number_of_queries_for_1_and_30_claims(
    store_a, owner_a, session_client
):
    client = session_client(owner_a)
    client.get(LIST)  # the first request of a session writes its last-seen time
    _claim(store_a, lines=(2, 1))
    one = _list_queries(client)
    one_searched = _list_queries(client, q="someone@example.com")
    for _ in range(29):
        _claim(store_a, lines=(2, 1))

    assert _list_queries(client) == one
    assert _list_queries(client, q="someone@example.com") == one_searched
    assert one <= 8  # session, user, access, rows, counts


# --- a claim's page ---------------------------------------------------------------------------


def test_the_page_shows_the_order_shopper_items_amounts_photos_and_history(
    store_a, owner_a, session_client
):
    claim = _claim(store_a, lines=(2, 1))
    photo = _photo(claim)
    line = claim.lines.select_related("order_line__variant__product").first().order_line

    response = session_client(owner_a).get(f"{LIST}{claim.number}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f"Claim {claim.number}" in html
    assert claim.order.number in html
    assert claim.order.email in html
    assert "The box arrived crushed." in html
    assert line.title in html
    assert line.sku in html
    assert f"{line.variant.product.title} · {line.variant.sku}" in html
    # 1 unit of each line at 25.00: what the shopper paid for them.
    assert response.context["breakdown"].total == Decimal("50.00")
    assert '<strong id="claim-total">50.00 EUR</strong>' in html
    assert f"/dashboard/claims/{claim.number}/photos/{photo.pk}" in html
    assert [event.verb for event in response.context["history"]] == ["claim.created"]
    assert 'action="/dashboard/claims/' + claim.number + '/decide"' in html


def test_the_amounts_follow_the_orders_discounts(store_a, owner_a, session_client):
    claim = _claim(store_a, lines=(2,))
    OrderLine.objects.filter(order=claim.order).update(discount=Decimal("10.00"))

    response = session_client(owner_a).get(f"{LIST}{claim.number}/")

    assert response.context["breakdown"].total == Decimal("20.00")  # (50 − 10) / 2 units × 1


def test_the_page_makes_the_same_number_of_queries_whatever_the_claims_size(
    store_a, owner_a, session_client
):
    client = session_client(owner_a)
    small, large = _claim(store_a, lines=(1,)), _claim(store_a, lines=(2, 2, 3, 1))
    _photo(large)
    _photo(large)
    services.decide_claim(claim=large, actor=SYSTEM, approve=False, reason="Not visible")
    client.get(LIST)
    counts = []
    for claim in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{LIST}{claim.number}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_claims_photo_is_served_to_its_stores_staff_only(
    store_a, store_b, owner_a, staff_b, session_client
):
    claim = _claim(store_a)
    photo = _photo(claim)
    other = _photo(_claim(store_a))
    url = f"{LIST}{claim.number}/photos/{photo.pk}"

    response = session_client(owner_a).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == photo.file.open("rb").read()
    # Another claim's photo through this claim's address, or another store's staff: not found.
    assert session_client(owner_a).get(f"{LIST}{claim.number}/photos/{other.pk}").status_code == 404
    assert session_client(staff_b).get(url).status_code == 404


# --- the decision -----------------------------------------------------------------------------


def test_approving_confirms_the_amount_then_decides_and_tells_the_shopper(
    store_a, owner_a, session_client
):
    claim = _claim(store_a, lines=(2, 1))
    warehouse = WarehouseFactory(store=store_a)
    for line in claim.lines.all():  # the replacements are taken from the stock
        StockLevel.objects.create(warehouse=warehouse, variant=line.order_line.variant, on_hand=1)
    client = session_client(owner_a)

    confirm = client.get(f"{LIST}{claim.number}/confirm", {"resolution": "replacement"})
    assert confirm.status_code == 200
    assert "Confirm: 50.00 EUR" in confirm.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN  # nothing is decided by the confirmation page

    answer = _approve(client, claim, ClaimResolution.REPLACEMENT)

    assert answer.status_code == 302
    assert answer["Location"] == f"{LIST}{claim.number}/"
    claim.refresh_from_db()
    assert (claim.status, claim.resolution) == (ClaimStatus.RESOLVED, "replacement")
    audit = AuditEvent.objects.get(verb="claim.approved")
    assert audit.actor_user == owner_a
    event = OutboxEvent.objects.get(type="claim.approved")
    assert event.payload["claim"]["number"] == claim.number
    assert event.payload["claim"]["resolution"] == "replacement"
    page = client.get(f"{LIST}{claim.number}/").content.decode()
    assert "Claim approved (Replacement); the shopper is told by e-mail." in page
    assert 'action="/dashboard/claims/' + claim.number + '/decide"' not in page


def test_an_amount_that_changed_since_the_confirmation_is_refused(store_a, owner_a, session_client):
    claim = _claim(store_a)
    client = session_client(owner_a)

    answer = _approve(client, claim, amount="49.00")

    assert answer.status_code == 302
    assert answer["Location"] == f"{LIST}{claim.number}/confirm?resolution=refund"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN
    assert not OutboxEvent.objects.filter(type__startswith="claim.").exists()


def test_approving_needs_a_resolution(store_a, owner_a, session_client):
    claim = _claim(store_a)
    client = session_client(owner_a)

    assert client.get(f"{LIST}{claim.number}/confirm", {"resolution": "cash"}).status_code == 302
    _decide(client, claim, decision="approve", resolution="cash", amount="25.00")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN


def test_rejecting_tells_the_shopper_why(store_a, owner_a, session_client):
    claim = _claim(store_a)

    answer = _decide(session_client(owner_a), claim, decision="reject", reason="No damage seen")

    assert answer.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.resolution) == (ClaimStatus.REJECTED, "")
    event = OutboxEvent.objects.get(type="claim.rejected")
    assert event.payload["data"]["reason"] == "No damage seen"
    history = claims.claim_history(claim)
    assert [e.verb for e in history] == ["claim.created", "claim.rejected"]
    assert history[-1].data["reason"] == "No damage seen"


def test_a_double_submit_decides_once(store_a, owner_a, session_client):
    claim = _claim(store_a)
    client = session_client(owner_a)
    confirm = client.get(f"{LIST}{claim.number}/confirm", {"resolution": "refund"})
    data = {"decision": "approve", "resolution": "refund"}
    data["amount"] = str(confirm.context["breakdown"].total)

    first = _decide(client, claim, **data)
    second = _decide(client, claim, **data)
    late_reject = _decide(client, claim, decision="reject", reason="Too late")

    assert first.status_code == second.status_code == late_reject.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.resolution) == (ClaimStatus.APPROVED, "refund")
    assert AuditEvent.objects.filter(verb__in=["claim.approved", "claim.rejected"]).count() == 1
    assert OutboxEvent.objects.filter(type__in=["claim.approved", "claim.rejected"]).count() == 1
    assert Refund.objects.filter(claim=claim).count() == 1
    page = client.get(f"{LIST}{claim.number}/").content.decode()
    assert "This claim is already decided: nothing was done." in page


def test_the_service_decides_an_open_claim_only(store_a):
    claim = _claim(store_a)
    services.decide_claim(claim=claim, actor=SYSTEM, approve=False, reason="No")

    with pytest.raises(IllegalTransition):
        services.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert OutboxEvent.objects.filter(type__startswith="claim.").count() == 1


def test_the_warehouse_reads_claims_but_may_not_decide(store_a, warehouse_a, session_client):
    claim = _claim(store_a)
    client = session_client(warehouse_a)

    page = client.get(f"{LIST}{claim.number}/")
    assert page.status_code == 200
    assert "/decide" not in page.content.decode()
    assert client.get(f"{LIST}{claim.number}/confirm", {"resolution": "refund"}).status_code == 403
    assert _decide(client, claim, decision="reject", reason="No").status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN


def test_a_role_without_review_in_this_store_gets_403_even_with_it_elsewhere(
    store_a, store_b, session_client
):
    user = staff_user(store_b, Role.SUPPORT)
    MembershipFactory(store=store_a, user=user, role=Role.WAREHOUSE)
    claim = _claim(store_a)

    assert _decide(session_client(user), claim, decision="reject", reason="No").status_code == 403


# --- the overview -----------------------------------------------------------------------------


def test_the_overview_counts_the_open_claims_and_links_to_them(store_a, owner_a, session_client):
    _claim(store_a)
    services.decide_claim(claim=_claim(store_a), actor=SYSTEM, approve=False)

    html = session_client(owner_a).get("/dashboard/").content.decode()

    assert 'href="/dashboard/claims/" data-work="claims"><span class="count">1</span>' in html


def test_the_pages_speak_french(store_a, owner_a, session_client):
    claim = _claim(store_a)
    client = session_client(owner_a)

    listed = client.get(LIST, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    page = client.get(f"{LIST}{claim.number}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "<h1>Réclamations</h1>" in listed
    assert "Arrivé endommagé" in listed
    assert f"Réclamation {claim.number}" in page
    assert "Total payé pour ces unités" in page
