"""Money as `Decimal` with an ISO 4217 currency: never floats.

The number of minor units comes from ISO 4217 (py-moneyed's table), not from Babel's display data,
which disagrees for a few currencies (HUF).
"""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from moneyed import get_currency

# Enough decimal places in the database for every ISO currency (max exponent is 4: CLF, UYW).
MONEY_MAX_DIGITS = 18
MONEY_DECIMAL_PLACES = 4
ZERO = Decimal("0")


def minor_unit_exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (EUR 2, JPY 0, KWD 3)."""
    sub_unit = get_currency(currency.upper()).sub_unit
    return len(str(sub_unit)) - 1


def quantize(amount: Decimal | int | str, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up (commercial rounding)."""
    if isinstance(amount, float):
        raise TypeError("money must never be a float")
    step = Decimal(1).scaleb(-minor_unit_exponent(currency))
    return Decimal(amount).quantize(step, rounding=ROUND_HALF_UP)


def is_valid_currency(code: str) -> bool:
    try:
        get_currency(code.upper())
    except Exception:
        return False
    return len(code) == 3


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    from babel.numbers import format_currency

    return format_currency(quantize(amount, currency), currency.upper(), locale=locale)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """An amount as an integer count of minor units (cents), exactly: 12.34 EUR → 1234, 500 JPY →
    500. Refuses an amount with more decimals than the currency has, rather than rounding."""
    if isinstance(amount, float):
        raise TypeError("money must never be a float")
    scaled = Decimal(amount).scaleb(minor_unit_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency.upper()} allows")
    return int(scaled)


def from_minor_units(units: int, currency: str) -> Decimal:
    """The inverse of `to_minor_units`: 1234 cents → Decimal('12.34')."""
    return quantize(Decimal(units).scaleb(-minor_unit_exponent(currency)), currency)


def allocate(total: Decimal, weights: Sequence[Decimal | int], currency: str) -> list[Decimal]:
    """Split `total` over `weights` pro rata, in whole minor units, by the largest-remainder method.

    The parts always add up to `total` exactly: each gets the floor of its exact share, and the
    minor units left over go one each to the largest fractional remainders (ties: earliest first).
    A zero weight gets nothing; a negative total is split like its absolute value.
    """
    total = quantize(total, currency)
    if any(Decimal(weight) < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    if not weights:
        if total:
            raise ValueError("cannot allocate an amount over no weights")
        return []
    weight_sum = sum((Decimal(weight) for weight in weights), ZERO)
    if weight_sum == 0:
        if total:
            raise ValueError("cannot allocate an amount over weights that are all zero")
        return [total] * len(weights)
    sign = -1 if total < 0 else 1
    units = abs(to_minor_units(total, currency))
    shares = [
        Fraction(units) * Fraction(Decimal(weight)) / Fraction(weight_sum) for weight in weights
    ]
    floors = [int(share) for share in shares]  # shares are non-negative: int() is floor
    left = units - sum(floors)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for index in by_remainder[:left]:
        floors[index] += 1
    return [from_minor_units(sign * part, currency) for part in floors]


def cumulative_share(total: Decimal, done: int, count: int, of: int, currency: str) -> Decimal:
    """The share of `total` (spread evenly over `of` units) that falls on units `done+1 …
    done+count`, such that the shares of successive slices add up to `total` exactly.

    Each slice is C(done + count) − C(done), where C(m) = floor(total × m / of) in minor units
    and C(of) = total: the last units of a line take the remainder, whatever the order and size
    of the slices (two refunds of 1 unit each get the same sum as one refund of 2 units).
    """
    if not 0 <= done <= done + count <= of or of == 0:
        raise ValueError("the slice lies outside the units")
    units = to_minor_units(quantize(total, currency), currency)

    def upto(m: int) -> int:
        return units * m // of if units >= 0 else -((-units) * m // of)

    return from_minor_units(upto(done + count) - upto(done), currency)
