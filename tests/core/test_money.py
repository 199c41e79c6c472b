from decimal import Decimal

import pytest

from retour.core.money import format_money, is_valid_currency, minor_unit_exponent, quantize


@pytest.mark.parametrize(
    ("currency", "exponent"), [("EUR", 2), ("JPY", 0), ("KWD", 3), ("usd", 2), ("HUF", 2)]
)
def test_the_minor_unit_comes_from_iso_4217(currency, exponent):
    assert minor_unit_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("10.005", "EUR", "10.01"),
        ("10.004", "EUR", "10.00"),
        ("10", "EUR", "10.00"),
        ("1234.5", "JPY", "1235"),
        ("1234.4", "JPY", "1234"),
        ("1.2345", "KWD", "1.235"),
        ("-2.345", "EUR", "-2.35"),
    ],
)
def test_quantize_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    result = quantize(Decimal(amount), currency)

    assert result == Decimal(expected)
    assert str(result) == expected


def test_quantize_accepts_an_integer():
    assert str(quantize(7, "EUR")) == "7.00"


def test_quantize_refuses_a_float():
    with pytest.raises(TypeError):
        quantize(0.1, "EUR")


@pytest.mark.parametrize(("code", "valid"), [("EUR", True), ("eur", True), ("XYZ", False)])
def test_is_valid_currency(code, valid):
    assert is_valid_currency(code) is valid


def test_format_money_uses_the_locale():
    assert format_money(Decimal("1234.5"), "EUR", "fr_FR") == "1\u202f234,50\xa0€"
