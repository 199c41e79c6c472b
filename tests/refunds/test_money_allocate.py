"""Largest-remainder allocation and exact minor units (core.money)."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retour.core.money import (
    allocate,
    cumulative_share,
    from_minor_units,
    minor_unit_exponent,
    to_minor_units,
)

D = Decimal
CURRENCIES = ["EUR", "JPY", "KWD", "USD", "CLF"]


def test_it_gives_the_leftover_cent_to_the_largest_remainder():
    assert allocate(D("100.00"), [1, 1, 1], "EUR") == [D("33.34"), D("33.33"), D("33.33")]
    assert allocate(D("10.00"), [D("1"), D("2")], "EUR") == [D("3.33"), D("6.67")]


def test_it_allocates_in_whole_yen():
    assert allocate(D("100"), [1, 1, 1], "JPY") == [D("34"), D("33"), D("33")]


def test_it_allocates_in_fils_for_kuwaiti_dinar():
    assert sum(allocate(D("1.000"), [1, 1, 1], "KWD")) == D("1.000")


def test_a_zero_weight_gets_nothing():
    assert allocate(D("5.00"), [0, 3, 0], "EUR") == [D("0.00"), D("5.00"), D("0.00")]


def test_it_refuses_to_allocate_over_zero_weights():
    with pytest.raises(ValueError, match="zero"):
        allocate(D("1.00"), [0, 0], "EUR")


def test_minor_units_are_exact_or_refused():
    assert to_minor_units(D("12.34"), "EUR") == 1234
    assert to_minor_units(D("500"), "JPY") == 500
    assert from_minor_units(1234, "KWD") == D("1.234")
    with pytest.raises(ValueError, match="more decimals"):
        to_minor_units(D("0.5"), "JPY")
    with pytest.raises(TypeError):
        to_minor_units(0.5, "EUR")  # type: ignore[arg-type]


def test_the_last_unit_of_a_line_takes_the_remainder():
    shares = [cumulative_share(D("10.00"), done, 1, 3, "EUR") for done in range(3)]
    assert shares == [D("3.33"), D("3.33"), D("3.34")]
    # Two units at once get what two single refunds would.
    assert cumulative_share(D("10.00"), 1, 2, 3, "EUR") == D("6.67")


@given(
    currency=st.sampled_from(CURRENCIES),
    units=st.integers(-(10**9), 10**9),
    weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=12).filter(any),
)
def test_allocation_never_loses_or_creates_a_minor_unit(currency, units, weights):
    total = from_minor_units(units, currency)
    parts = allocate(total, weights, currency)
    assert sum(parts) == total
    step = Fraction(1, 10 ** minor_unit_exponent(currency))
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total) * weight / sum(weights)
        assert abs(Fraction(part) - exact) < step  # within one minor unit of the exact share
        assert to_minor_units(part, currency) == Fraction(part) / step


@given(
    currency=st.sampled_from(CURRENCIES),
    units=st.integers(0, 10**8),
    of=st.integers(1, 50),
    data=st.data(),
)
def test_slices_of_a_line_add_up_to_the_line(currency, units, of, data):
    total = from_minor_units(units, currency)
    cuts = sorted(data.draw(st.lists(st.integers(0, of), max_size=6)))
    bounds = [0, *cuts, of]
    slices = [
        cumulative_share(total, start, end - start, of, currency)
        for start, end in zip(bounds, bounds[1:], strict=False)
    ]
    assert sum(slices) == total
    assert all(part >= 0 for part in slices)
