"""The return window: counted in days in the store's time zone, from delivery (or shipment
plus the transit allowance, or the order date), ending at 23:59:59 local time on the last day."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.policy.helpers import at, decide, line, order, policy

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")

# (case, store time zone, line facts, now in UTC, eligible)
# Delivered 2026-03-02 10:00 UTC; 30 days: the last day is 1 April (Paris is on summer time
# since 29 March, so 23:59:59 there is 21:59:59 UTC).
EDGES = [
    ("inside the window", "Europe/Paris", {}, "2026-03-20 12:00", True),
    ("last second of the last day", "Europe/Paris", {}, "2026-04-01 21:59:59", True),
    ("first second after", "Europe/Paris", {}, "2026-04-01 22:00:00", False),
    ("before delivery", "Europe/Paris", {}, "2026-03-01 08:00", True),
    # Delivered 23:30 UTC = 00:30 the next day in Paris: the window starts a day later there...
    (
        "late-evening delivery, Paris",
        "Europe/Paris",
        {"delivered_at": at("2026-03-02 23:30")},
        "2026-04-02 21:59:59",
        True,
    ),
    (
        "late-evening delivery, Paris, after",
        "Europe/Paris",
        {"delivered_at": at("2026-03-02 23:30")},
        "2026-04-02 22:00:00",
        False,
    ),
    # ...but not in New York, where it is 18:30 on 2 March; US summer time began 8 March.
    (
        "late-evening delivery, New York",
        "America/New_York",
        {"delivered_at": at("2026-03-02 23:30")},
        "2026-04-02 03:59:59",
        True,
    ),
    (
        "late-evening delivery, New York, after",
        "America/New_York",
        {"delivered_at": at("2026-03-02 23:30")},
        "2026-04-02 04:00:00",
        False,
    ),
    # No delivery date: shipped 1 March + 3 days of transit = 4 March; last day 3 April.
    (
        "no delivery date: from shipment + transit",
        "Europe/Paris",
        {"delivered_at": None, "shipped_at": at("2026-03-01 10:00")},
        "2026-04-03 21:59:59",
        True,
    ),
    (
        "no delivery date: from shipment + transit, after",
        "Europe/Paris",
        {"delivered_at": None, "shipped_at": at("2026-03-01 10:00")},
        "2026-04-03 22:00:00",
        False,
    ),
    # Neither: from the order date, 27 February; last day 29 March, the day clocks go forward.
    (
        "no shipment: from the order date",
        "Europe/Paris",
        {"delivered_at": None},
        "2026-03-29 21:59:59",
        True,
    ),
    (
        "no shipment: from the order date, after",
        "Europe/Paris",
        {"delivered_at": None},
        "2026-03-29 22:00:00",
        False,
    ),
]


@pytest.mark.parametrize(
    ("tz", "facts", "now", "eligible"),
    [edge[1:] for edge in EDGES],
    ids=[edge[0] for edge in EDGES],
)
def test_window_edges(tz, facts, now, eligible):
    decision = decide(facts=order(line(**facts), tz=tz), now=now)

    assert decision.eligible is eligible
    if not eligible:
        assert decision.messages[0].id == "window_closed"


@pytest.mark.parametrize(
    ("tz", "facts", "deadline"),
    [
        ("Europe/Paris", {}, datetime(2026, 4, 1, 23, 59, 59, tzinfo=PARIS)),
        ("America/New_York", {}, datetime(2026, 4, 1, 23, 59, 59, tzinfo=NEW_YORK)),
        (
            "Europe/Paris",
            {"delivered_at": None, "shipped_at": at("2026-03-01 10:00")},
            datetime(2026, 4, 3, 23, 59, 59, tzinfo=PARIS),
        ),
        ("Europe/Paris", {"delivered_at": None}, datetime(2026, 3, 29, 23, 59, 59, tzinfo=PARIS)),
    ],
)
def test_the_deadline_is_the_end_of_the_last_day_in_the_store_time_zone(tz, facts, deadline):
    decision = decide(facts=order(line(**facts), tz=tz))

    assert decision.deadline == deadline
    assert decision.deadline.utcoffset() == deadline.utcoffset()


def test_the_deadline_crosses_a_daylight_saving_change_in_days_not_hours():
    # 30 × 24 h after 2 March 11:00 CET would end at 22:59:59 UTC; the local day ends earlier.
    decision = decide(facts=order(line(), tz="Europe/Paris"))

    assert decision.deadline.astimezone(ZoneInfo("UTC")) == at("2026-04-01 21:59:59")


@pytest.mark.parametrize(
    ("document", "now", "eligible"),
    [
        ({"window_days": 7}, "2026-03-09 22:59:59", True),  # 9 March, 23:59:59 in Paris (CET)
        ({"window_days": 7}, "2026-03-09 23:00:00", False),
        ({"window_days": 0}, "2026-03-02 22:59:59", True),  # the day of delivery only
        ({"window_days": 0}, "2026-03-02 23:00:00", False),
    ],
)
def test_window_length_comes_from_the_policy(document, now, eligible):
    assert decide(policy(**document), now=now).eligible is eligible


def test_the_transit_allowance_comes_from_the_policy():
    facts = order(line(delivered_at=None, shipped_at=at("2026-03-01 10:00")))
    document = policy(window_days=10, transit_allowance_days=0)

    assert decide(document, facts, now="2026-03-11 22:59:59").eligible
    assert not decide(document, facts, now="2026-03-11 23:00:00").eligible


@pytest.mark.parametrize(
    ("overrides", "category", "window"),
    [
        ([{"category": "apparel", "window_days": 60}], "apparel/shirts", 60),
        ([{"category": "apparel", "window_days": 60}], "apparelx", 30),
        (
            [
                {"category": "apparel", "window_days": 60},
                {"category": "apparel/shirts", "window_days": 45},
            ],
            "apparel/shirts",
            45,
        ),
        (
            [
                {"category": "apparel", "window_days": 60},
                {"product": "p-1", "window_days": 90},
            ],
            "apparel/shirts",
            90,
        ),
    ],
    ids=["category prefix", "not a prefix", "longest category wins", "product wins"],
)
def test_overrides_set_the_window_per_category_and_product(overrides, category, window):
    facts = order(line(category=category, product="p-1"))
    decision = decide(policy(overrides=overrides), facts)

    assert (decision.deadline.date() - date(2026, 3, 2)).days == window


def test_a_product_override_can_make_it_non_returnable():
    document = policy(overrides=[{"product": "p-1", "returnable": False}])
    decision = decide(document, order(line(product="p-1")))

    assert not decision.eligible
    assert decision.messages[0].id == "not_returnable"


def test_a_line_with_nothing_left_to_return_is_not_eligible():
    decision = decide(facts=order(line(quantity=2, returnable_qty=0)))

    assert not decision.eligible
    assert decision.messages[0].id == "nothing_left"
