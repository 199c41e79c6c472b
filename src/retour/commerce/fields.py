"""Model fields shared by every app that stores money."""

from decimal import Decimal

from django.db import models

from retour.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


def money_field(verbose_name: str = "", **kwargs) -> models.DecimalField:
    """A Decimal amount; its currency is the currency of the order (or store) it belongs to."""
    kwargs.setdefault("default", Decimal("0"))
    return models.DecimalField(
        verbose_name or None,
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        **kwargs,
    )
