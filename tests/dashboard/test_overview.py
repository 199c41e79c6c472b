"""The overview: today's work, the last 30 days' figures and charts, for the user's stores only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retour.portal.models import Feedback
from retour.returns import insights
from retour.returns.choices import ReturnStatus
from retour.returns.models import Return, ReturnEvent, ReturnLine, ReturnReason
from tests.factories import OrderFactory, ReturnFactory

URL = "/dashboard/"


def _return(store, status=ReturnStatus.REQUESTED, *, reason=None, lines=(1,), days_ago=0):
    made = ReturnFactory(order=OrderFactory(store=store, lines=list(lines)), status=status)
    if reason:
        ReturnLine.objects.filter(return_request=made).update(
            reason=ReturnReason.objects.get(store=store, code=reason)
        )
    if days_ago:
        Return.objects.filter(pk=made.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
        made.refresh_from_db()
    return made


def _resolved_after(made, hours):
    event = ReturnEvent.objects.create(
        return_request=made,
        kind="status",
        actor_kind="system",
        from_status=ReturnStatus.INSPECTED,
        to_status=ReturnStatus.RESOLVED,
    )
    ReturnEvent.objects.filter(pk=event.pk).update(
        created_at=made.created_at + timedelta(hours=hours)
    )


def test_todays_work_counts_each_bucket_and_links_to_the_queue(store_a, owner_a, session_client):
    for status in (
        ReturnStatus.PENDING_REVIEW,
        ReturnStatus.PENDING_REVIEW,
        ReturnStatus.IN_TRANSIT,
        ReturnStatus.RECEIVED,
        ReturnStatus.INSPECTED,
        ReturnStatus.CLOSED,
    ):
        _return(store_a, status)

    html = session_client(owner_a).get(URL).content.decode()

    assert insights.todays_work([store_a.pk]) == {
        "to_review": 2,
        "arriving": 1,
        "to_inspect": 1,
        "to_refund": 1,
    }
    assert (
        'href="/dashboard/returns/?status=requested&amp;status=pending_review" '
        'data-work="to_review"><span class="count">2</span>'
    ) in html
    assert 'href="/dashboard/returns/?status=inspected" data-work="to_refund"' in html


def test_the_return_rate_compares_returns_with_orders_of_the_period(store_a):
    _return(store_a)
    _return(store_a, days_ago=40)  # before the period: its order was placed 10 days before
    OrderFactory.create_batch(2, store=store_a)
    since = timezone.now() - timedelta(days=30)

    rate = insights.return_rate([store_a.pk], since=since)

    # Orders placed in the period: the first return's and the two others (factories place
    # orders 10 days ago); the old return's order too: 4 orders, 1 return.
    assert (rate.returns, rate.orders, rate.percent) == (1, 4, pytest.approx(25))
    assert str(rate.percent) == "25.0"


def test_top_reasons_count_units_most_first(store_a, owner_a, session_client):
    _return(store_a, reason="too_small", lines=(2,))
    _return(store_a, reason="too_small", lines=(1,))
    _return(store_a, reason="damaged", lines=(1,))
    _return(store_a, reason="defective", lines=(4,), days_ago=45)  # outside the period

    html = session_client(owner_a).get(URL).content.decode()

    assert "<tr data-reason><td>Too small</td><td>3</td></tr>" in html
    assert "<tr data-reason><td>Arrived damaged</td><td>1</td></tr>" in html
    assert "Defective" not in html
    assert html.index("Too small</td>") < html.index("Arrived damaged</td>")


def test_the_time_to_refund_gives_the_median_and_the_90th_percentile(store_a):
    for hours in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100):
        _resolved_after(_return(store_a, ReturnStatus.RESOLVED, days_ago=5), hours)

    figures = insights.time_to_refund([store_a.pk], since=timezone.now() - timedelta(days=30))

    assert figures.count == 10
    assert figures.p50 == timedelta(hours=50)
    assert figures.p90 == timedelta(hours=90)


def test_the_feedback_score_averages_the_shoppers_ratings(
    store_a, store_b, owner_a, session_client
):
    for rating in (5, 4, 4):
        made = _return(store_a, ReturnStatus.RESOLVED)
        Feedback.objects.create(return_request=made, store=store_a, rating=rating)
    made_b = _return(store_b, ReturnStatus.RESOLVED)
    Feedback.objects.create(return_request=made_b, store=store_b, rating=1)

    html = session_client(owner_a).get(URL).content.decode()

    assert '<strong data-figure="feedback">4.3 / 5</strong>' in html
    assert "3 answers" in html


def test_the_charts_are_svg_with_a_title_a_description_and_a_table(
    store_a, owner_a, session_client
):
    _return(store_a, reason="too_small")

    html = session_client(owner_a).get(URL).content.decode()

    assert html.count('<svg class="chart" role="img"') == 2
    assert '<title id="per-day-svg-title">Returns requested per day</title>' in html
    assert '<rect x="290" y="0.0" width="9" height="100.0">' in html  # today: the only, tallest day
    assert "<script" not in html


def test_staff_see_only_their_stores(store_a, store_b, owner_a, staff_b, session_client):
    _return(store_a, ReturnStatus.PENDING_REVIEW)
    _return(store_b, ReturnStatus.RECEIVED)

    html = session_client(staff_b).get(URL).content.decode()

    assert 'data-work="to_review"><span class="count">0</span>' in html
    assert 'data-work="to_inspect"><span class="count">1</span>' in html
    assert session_client(staff_b).get(URL + "?store=store-a").status_code == 404


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured.captured_queries)


def test_the_page_makes_the_same_number_of_queries_for_1_and_50_returns(
    store_a, owner_a, session_client
):
    client = session_client(owner_a)
    client.get(URL)  # the first page of a session also notes when it was seen
    made = _return(store_a, ReturnStatus.RESOLVED, reason="damaged")
    _resolved_after(made, 5)
    one = _queries(client)
    for n in range(49):
        other = _return(store_a, ReturnStatus.RESOLVED, reason="too_small" if n % 2 else "damaged")
        _resolved_after(other, n + 1)
        Feedback.objects.create(return_request=other, store=store_a, rating=1 + n % 5)

    assert _queries(client) == one


def test_the_overview_is_in_french(store_a, owner_a, session_client):
    client = session_client(owner_a)

    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Travail du jour" in html
    assert "Taux de retour" in html
