"""The returns queue: filters, search, keyset pages, counts, saved views, bulk actions, roles."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retour.accounts.scopes import Role
from retour.dashboard.views.queue import MAX_BULK
from retour.logistics.services import issue_label
from retour.returns import queue
from retour.returns.choices import ReturnMethod, ReturnStatus
from retour.returns.models import Return, ReturnEvent, ReturnReason, SavedQueueView
from tests.factories import SYSTEM, OrderFactory, ReturnFactory, staff_user
from tests.logistics.factories import approved_return, warehouse
from tests.logistics.samples import pages, text

URL = "/dashboard/returns/"
pytestmark = pytest.mark.django_db


def _returns(store, count, **fields):
    return [
        ReturnFactory(order=OrderFactory(store=store, lines=[1]), **fields) for _ in range(count)
    ]


def _rmas(response) -> list[str]:
    return [row.rma for row in response.context["page"].rows]


@pytest.fixture
def client_of(session_client):
    return session_client


def test_the_page_makes_the_same_number_of_queries_for_25_and_100_rows(store_a, owner_a, client_of):
    _returns(store_a, 101)
    client = client_of(owner_a)
    client.get(URL)  # the first request of a session writes its last-seen time
    counts = []
    for limit in (25, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"limit": limit, "status": "requested"})
        assert response.status_code == 200
        assert len(response.context["page"].rows) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 15  # session, access, rows, counts (with its time budget on PG), …


def test_keyset_pages_visit_every_return_once_even_with_equal_dates(store_a, owner_a, client_of):
    made = _returns(store_a, 7)
    same = timezone.now() - dt.timedelta(days=1)
    Return.objects.filter(pk__in=[r.pk for r in made[:5]]).update(created_at=same)
    client = client_of(owner_a)
    seen, query = [], {"limit": 25}
    stores = {"store-a": store_a.pk}
    filters = queue.parse_filters(_QueryDict({}))
    cursor = ""
    while True:
        page = queue.queue_page(stores=stores, filters=filters, cursor=cursor, limit=2)
        seen += [r.pk for r in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(r.pk for r in made)
    assert len(seen) == len(set(seen))
    assert client.get(URL, query).status_code == 200


class _QueryDict(dict):
    def getlist(self, key):
        value = self.get(key)
        return [] if value is None else value if isinstance(value, list) else [value]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    statuses=st.lists(st.sampled_from(ReturnStatus.values), min_size=8, max_size=8),
    methods=st.lists(st.sampled_from(ReturnMethod.values), min_size=8, max_size=8),
    wanted_status=st.sampled_from(ReturnStatus.values),
    wanted_method=st.sampled_from(["", *ReturnMethod.values]),
    sort=st.sampled_from(list(queue.SORTS)),
    size=st.integers(min_value=1, max_value=4),
)
def test_filtered_pages_hold_exactly_the_matching_returns_in_order(
    store_a, statuses, methods, wanted_status, wanted_method, sort, size
):
    Return.objects.filter(store=store_a).delete()
    made = []
    for status, method in zip(statuses, methods, strict=True):
        made += _returns(store_a, 1, status=status, method=method)
    params = _QueryDict(status=wanted_status, method=wanted_method, sort=sort)
    filters = queue.parse_filters(params)
    seen, cursor = [], ""
    while True:
        page = queue.queue_page(
            stores={"store-a": store_a.pk}, filters=filters, cursor=cursor, limit=size
        )
        seen += page.rows
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    expected = [
        r
        for r in Return.objects.filter(pk__in=[m.pk for m in made])
        if r.status == wanted_status and (not wanted_method or r.method == wanted_method)
    ]
    field, descending = queue.SORTS[sort]
    expected.sort(key=lambda r: (getattr(r, field), r.pk), reverse=descending)
    assert [r.pk for r in seen] == [r.pk for r in expected]


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("rma", lambda r: r.rma.lower().replace("-", " ")),
        ("order number", lambda r: r.order.number),
        ("order number typed with a hash", lambda r: f"#{r.order.number}"),
        ("e-mail", lambda r: r.order.email),
        ("tracking number", lambda r: r.tracking_number),
    ],
)
def test_search_finds_a_return_by(field, make, store_a, owner_a, client_of):
    target, other = _returns(store_a, 2)
    Return.objects.filter(pk=target.pk).update(tracking_number="TRACK123")
    target.refresh_from_db()
    response = client_of(owner_a).get(URL, {"q": make(target)})
    assert _rmas(response) == [target.rma], field
    assert other.rma not in _rmas(response)


def test_filters_by_value_risk_reason_and_dates(store_a, owner_a, client_of):
    cheap, dear = _returns(store_a, 2)
    cheap.lines.update(quantity=1)
    dear.order.lines.update(unit_price=Decimal("500"))
    Return.objects.filter(pk=dear.pk).update(risk_score=70)
    client = client_of(owner_a)
    assert _rmas(client.get(URL, {"value_min": "100"})) == [dear.rma]
    assert _rmas(client.get(URL, {"value_max": "100"})) == [cheap.rma]
    assert _rmas(client.get(URL, {"risk": "50"})) == [dear.rma]
    Return.objects.filter(pk=cheap.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    since = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    assert _rmas(client.get(URL, {"from": since})) == [dear.rma]


def test_the_reason_filter_matches_a_reason_and_its_sub_reasons(store_a, owner_a, client_of):
    fit = ReturnReason.objects.create(store=store_a, code="q-fit", labels={"en": "Fit"})
    small = ReturnReason.objects.create(
        store=store_a, code="q-small", parent=fit, labels={"en": "Too small"}
    )
    damaged = ReturnReason.objects.create(store=store_a, code="q-damaged", labels={"en": "Damaged"})
    by_fit, by_small, by_damage = _returns(store_a, 3)
    for made, reason in ((by_fit, fit), (by_small, small), (by_damage, damaged)):
        made.lines.update(reason=reason)
    client = client_of(owner_a)
    assert sorted(_rmas(client.get(URL, {"reason": "q-fit"}))) == sorted([by_fit.rma, by_small.rma])
    assert _rmas(client.get(URL, {"reason": "q-small"})) == [by_small.rma]
    assert _rmas(client.get(URL, {"reason": "none-such"})) == []


def test_a_bad_filter_is_said_and_left_out(store_a, owner_a, client_of):
    _returns(store_a, 2)
    response = client_of(owner_a).get(URL, {"value_min": "lots", "status": "nonsense"})
    assert len(response.context["page"].rows) == 2
    assert len(response.context["filters"].errors) == 2


def test_counts_per_status_count_the_store_whatever_the_other_filters(store_a, owner_a, client_of):
    _returns(store_a, 3, status=ReturnStatus.PENDING_REVIEW)
    _returns(store_a, 1, status=ReturnStatus.APPROVED, method=ReturnMethod.PICKUP)
    _returns(store_a, 1, status=ReturnStatus.APPROVED, method=ReturnMethod.MAIL)
    response = client_of(owner_a).get(URL, {"status": "approved", "method": "pickup"})
    assert len(response.context["page"].rows) == 1
    counts = {status: n for status, _label, n in response.context["counts"]}
    assert counts["pending_review"] == 3
    assert counts["approved"] == 2
    assert counts["rejected"] == 0
    assert 'href="?status=pending_review"' in response.content.decode()


def test_counts_per_status_follow_the_chosen_store(store_a, store_b, owner_a, client_of):
    _returns(store_a, 2, status=ReturnStatus.PENDING_REVIEW)
    _returns(store_b, 1, status=ReturnStatus.PENDING_REVIEW)
    stores = {"store-a": store_a.pk, "store-b": store_b.pk}
    both = queue.status_counts(stores=stores, filters=queue.QueueFilters())
    one = queue.status_counts(stores=stores, filters=queue.QueueFilters(stores=("store-b",)))
    assert (both["pending_review"], one["pending_review"]) == (3, 1)


def test_counts_stop_at_the_cap(store_a, monkeypatch):
    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    _returns(store_a, 3)
    counts = queue.status_counts(stores={"store-a": store_a.pk}, filters=queue.QueueFilters())
    assert counts["requested"] == 2


def test_staff_of_another_store_see_none_of_its_returns(store_a, staff_b, client_of):
    mine = _returns(store_a, 1)[0]
    client = client_of(staff_b)
    assert _rmas(client.get(URL)) == []
    assert _rmas(client.get(URL, {"q": mine.rma})) == []
    assert _rmas(client.get(URL, {"store": "store-a"})) == []
    assert client.get(reverse("dashboard:return", args=[mine.rma])).status_code == 404


def test_saved_views_belong_to_their_user(store_a, owner_a, warehouse_a, client_of):
    client = client_of(owner_a)
    client.post(
        reverse("dashboard:returns-save-view"),
        {"name": "To review", "query": "status=pending_review"},
    )
    view = SavedQueueView.objects.get(user=owner_a)
    assert view.query == "status=pending_review"
    response = client.get(URL)
    assert [v.name for v in response.context["saved_views"]] == ["To review"]
    other = client_of(warehouse_a)
    assert list(other.get(URL).context["saved_views"]) == []
    other.post(reverse("dashboard:returns-delete-view", args=[view.pk]))
    assert SavedQueueView.objects.filter(pk=view.pk).exists()


def test_bulk_approve_reports_each_return_and_keeps_the_successes(
    store_a, store_b, owner_a, client_of
):
    to_review = _returns(store_a, 2, status=ReturnStatus.PENDING_REVIEW)
    closed = _returns(store_a, 1, status=ReturnStatus.CLOSED)[0]
    foreign = _returns(store_b, 1, status=ReturnStatus.PENDING_REVIEW)[0]
    client = client_of(owner_a)
    rmas = [r.rma for r in [*to_review, closed, foreign]]
    response = client.post(reverse("dashboard:returns-bulk"), {"action": "approve", "rma": rmas})
    assert response.status_code == 302
    results = {r["rma"]: r for r in client.get(URL).context["results"]}
    assert all(results[r.rma]["ok"] for r in to_review)
    assert not results[closed.rma]["ok"]
    assert "Closed" in results[closed.rma]["message"]
    assert not results[foreign.rma]["ok"]
    assert Return.objects.get(pk=foreign.pk).status == ReturnStatus.PENDING_REVIEW
    assert set(
        Return.objects.filter(pk__in=[r.pk for r in to_review]).values_list("status", flat=True)
    ) == {"approved"}
    assert (
        ReturnEvent.objects.filter(return_request__in=to_review, to_status="approved").count() == 2
    )


def test_bulk_reject_tells_the_shopper_the_message(store_a, owner_a, client_of):
    target = _returns(store_a, 1, status=ReturnStatus.PENDING_REVIEW)[0]
    client_of(owner_a).post(
        reverse("dashboard:returns-bulk"),
        {"action": "reject", "rma": [target.rma], "message": "Worn items."},
    )
    target.refresh_from_db()
    assert (target.status, target.status_reason) == ("rejected", "Worn items.")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.OWNER, True), (Role.SUPPORT, True), (Role.WAREHOUSE, False), (Role.FINANCE, False)],
)
def test_bulk_approve_needs_the_review_scope(role, allowed, store_a, client_of):
    target = _returns(store_a, 1, status=ReturnStatus.PENDING_REVIEW)[0]
    user = staff_user(store_a, role)
    client = client_of(user)
    assert client.get(URL).status_code == 200  # every role reads the queue
    client.post(reverse("dashboard:returns-bulk"), {"action": "approve", "rma": [target.rma]})
    target.refresh_from_db()
    assert (target.status == ReturnStatus.APPROVED) is allowed


def test_print_labels_makes_one_pdf_with_a_page_for_those_without(store_a, owner_a, client_of):
    warehouse(store_a)
    with_label, without = approved_return(store_a), approved_return(store_a)
    issue_label(return_request=with_label, actor=SYSTEM)
    response = client_of(owner_a).post(
        reverse("dashboard:returns-bulk"),
        {"action": "labels", "rma": [with_label.rma, without.rma]},
    )
    assert response["Content-Type"] == "application/pdf"
    assert pages(response.content) == 2  # the returns left out, then the label
    assert without.rma in text(response.content, 0)
    assert with_label.rma in text(response.content, 1)


def test_print_labels_without_any_label_says_so(store_a, owner_a, client_of):
    without = approved_return(store_a)
    client = client_of(owner_a)
    response = client.post(
        reverse("dashboard:returns-bulk"), {"action": "labels", "rma": [without.rma]}
    )
    assert response.status_code == 302
    assert [r["rma"] for r in client.get(URL).context["results"]] == [without.rma]


def test_print_labels_never_puts_another_stores_label_in_the_pdf(
    store_a, store_b, owner_a, client_of
):
    warehouse(store_a)
    warehouse(store_b)
    mine, theirs = approved_return(store_a), approved_return(store_b)
    issue_label(return_request=mine, actor=SYSTEM)
    their_label = issue_label(return_request=theirs, actor=SYSTEM)
    assert their_label.label_pdf  # a label exists in store B: only the filter keeps it out
    response = client_of(owner_a).post(
        reverse("dashboard:returns-bulk"), {"action": "labels", "rma": [theirs.rma, mine.rma]}
    )
    assert pages(response.content) == 2  # the cover, then store A's label only
    cover, label = text(response.content, 0), text(response.content, 1)
    assert f"{theirs.rma}: Not found, or not yours to change." in cover
    assert mine.rma in label
    assert theirs.rma not in label
    assert their_label.tracking_number not in label


def test_a_bulk_action_on_more_than_the_cap_is_refused_and_does_nothing(
    store_a, owner_a, client_of
):
    warehouse(store_a)
    labelled = approved_return(store_a)
    issue_label(return_request=labelled, actor=SYSTEM)
    client = client_of(owner_a)
    fillers = [f"R-NONE-{n:04d}" for n in range(MAX_BULK)]
    response = client.post(
        reverse("dashboard:returns-bulk"), {"action": "labels", "rma": [labelled.rma, *fillers]}
    )
    assert response.status_code == 302
    said = [str(m) for m in client.get(URL).context["messages"]]
    assert said == [
        f"At most {MAX_BULK} returns at a time; you chose {MAX_BULK + 1}. Nothing was done: "
        "choose fewer returns and act on them in several goes."
    ]
    at_most = client.post(
        reverse("dashboard:returns-bulk"),
        {"action": "labels", "rma": [labelled.rma, *fillers[1:]]},
    )
    assert at_most["Content-Type"] == "application/pdf"
    client.post(reverse("dashboard:returns-bulk"), {"action": "approve", "rma": fillers + ["X"]})
    assert [str(m) for m in client.get(URL).context["messages"]][0].startswith("At most")


def test_the_counts_per_status_read_only_columns_of_the_status_index(store_a):
    """Their cost is bounded whatever the filters: each capped count can be an index-only scan
    of at most `COUNT_CAP` entries of (store, status, …, id) — checked on 1,000,000 returns
    with EXPLAIN in bench/README.md."""
    filters = queue.QueueFilters(method="pickup", risk_min=50, value_min=Decimal("10"))
    with CaptureQueriesContext(connection) as queries:
        queue.status_counts(stores={"store-a": store_a.pk}, filters=filters)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    columns = set(re.findall(r'"(\w+)"', sql)) - {"returns_return"}
    index = next(i for i in Return._meta.indexes if i.name == "return_store_status_id")
    indexed = {Return._meta.get_field(f.lstrip("-")).column for f in index.fields}
    assert columns == {"store_id", "status"} <= indexed
    assert sql.count("LIMIT 1000") == len(ReturnStatus.values)


def test_the_product_filter_keeps_the_returns_of_that_product_in_one_query(
    store_a, owner_a, client_of
):
    # The insights' "products to fix" link here with ?product=<id>.
    mine, other = _returns(store_a, 2)
    product = mine.lines.get().order_line.variant.product
    client = client_of(owner_a)
    client.get(URL)  # the first request of a session writes its last-seen time
    with CaptureQueriesContext(connection) as plain:
        client.get(URL)
    with CaptureQueriesContext(connection) as filtered:
        response = client.get(URL, {"product": product.pk})
    assert _rmas(response) == [mine.rma]
    assert len(filtered) == len(plain)
    bad = client.get(URL, {"product": "shoes"})
    assert len(bad.context["page"].rows) == 2
    assert len(bad.context["filters"].errors) == 1
