"""Money as `Decimal` with an ISO 4217 currency: never floats.

The number of minor units comes from ISO 4217 (py-moneyed's table), not from Babel's display data,
which disagrees for a few currencies (HUF).
"""

from decimal import ROUND_HALF_UP, Decimal

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
