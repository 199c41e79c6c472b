"""Consumer law as data: which countries give which rights, so that others can be added.

Nothing here reads the database. A country's rules are a `CountryLaw`; `law_for(country)` picks
them. The engine (`policy/engine.py`) applies them on top of the merchant's policy: the law is a
floor the merchant cannot go below, never a ceiling.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_noop as _

# Directive 2011/83/EU applies in the EU and, through the EEA Agreement, in Iceland,
# Liechtenstein and Norway.
# fmt: off
EU_MEMBERS = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
# fmt: on
EEA_MEMBERS = EU_MEMBERS | {"IS", "LI", "NO"}


class Exclusion:
    """Kinds of goods a policy can exclude from returns (`PolicyDocument.exclusions`)."""

    FINAL_SALE = "final_sale"
    GIFT_CARD = "gift_card"
    PERSONALISED = "personalised"
    UNSEALED_HYGIENE = "unsealed_hygiene"
    PERISHABLE = "perishable"
    ALL = (FINAL_SALE, GIFT_CARD, PERSONALISED, UNSEALED_HYGIENE, PERISHABLE)


EXCLUSION_LABELS = {
    Exclusion.FINAL_SALE: _("Final sale items"),
    Exclusion.GIFT_CARD: _("Gift cards"),
    Exclusion.PERSONALISED: _("Personalised or made-to-measure goods"),
    Exclusion.UNSEALED_HYGIENE: _("Hygiene goods unsealed after delivery"),
    Exclusion.PERISHABLE: _("Perishable goods"),
}


@dataclass(frozen=True)
class LateRefundStep:
    """From `after_days` days late (exclusive), the amount due is increased by `percent`."""

    after_days: int
    percent: Decimal


@dataclass(frozen=True)
class CountryLaw:
    code: str
    name: str
    withdrawal_days: int = 0  # 0: no statutory right of withdrawal for distance sales
    # Exclusion kinds that are also exceptions to the legal right (a merchant may refuse them
    # even inside the legal period). Final sale is NOT one: a shop cannot contract out of the
    # withdrawal right by calling an item "final sale".
    legal_exceptions: frozenset[str] = frozenset()
    refund_due_days: int = 0  # refund of a withdrawal due within N days of the notice
    return_goods_days: int = 0  # after a withdrawal, the goods are sent back within N days
    conformity_years: int = 0  # legal guarantee of conformity
    citation: str = ""  # the text the withdrawal floor comes from, quoted in messages
    late_refund_steps: tuple[LateRefundStep, ...] = ()
    late_refund_citation: str = ""
    withdrawal_button_since: date | None = None
    extra: dict = field(default_factory=dict)

    @property
    def has_withdrawal(self) -> bool:
        return self.withdrawal_days > 0


# Directive 2011/83/EU, art. 16: exceptions to the right of withdrawal.
# (c) goods made to the consumer's specifications or clearly personalised;
# (d) goods liable to deteriorate or expire rapidly;
# (e) sealed goods unsuitable for return for health or hygiene reasons, unsealed after delivery.
# Gift cards are not listed: conservatively, they stay withdrawable.
EU_EXCEPTIONS = frozenset(
    {Exclusion.PERSONALISED, Exclusion.PERISHABLE, Exclusion.UNSEALED_HYGIENE}
)
EU_CITATION = "Directive 2011/83/EU, art. 9"
# Art. 11a, inserted by Directive (EU) 2023/2673: the "withdraw from the contract here" function.
WITHDRAWAL_BUTTON_SINCE = date(2026, 6, 19)

EU_DEFAULT = CountryLaw(
    code="EU",
    name="EU/EEA",
    withdrawal_days=14,  # art. 9(1) and 9(2)(b): 14 days from receipt of the (last) goods
    legal_exceptions=EU_EXCEPTIONS,
    refund_due_days=14,  # art. 13(1): within 14 days of being informed of the withdrawal
    return_goods_days=14,  # art. 14(1): the goods go back within 14 days of the notice
    conformity_years=2,  # Directive (EU) 2019/771, art. 10
    citation=EU_CITATION,
    withdrawal_button_since=WITHDRAWAL_BUTTON_SINCE,
)

# Code de la consommation, art. L242-4: a withdrawal refund paid late (after the L221-24 deadline)
# is increased by law: by the legal interest rate up to 10 days late, 5 % from 10 to 20 days,
# 10 % from 20 to 30, 20 % from 30 to 60, 50 % from 60 to 90, then 5 more points per further
# month, up to the price of the product. `fr_late_refund_increase` applies this schedule.
FR_LATE_REFUND_STEPS = (
    LateRefundStep(after_days=10, percent=Decimal("5")),
    LateRefundStep(after_days=20, percent=Decimal("10")),
    LateRefundStep(after_days=30, percent=Decimal("20")),
    LateRefundStep(after_days=60, percent=Decimal("50")),
)
# Taux de l'intérêt légal for consumers (personnes physiques n'agissant pas pour des besoins
# professionnels), set each half-year by arrêté (Code monétaire et financier, L313-2): the rate in
# force on a date is the last one starting on or before it. Add each new half-year here.
FR_LEGAL_INTEREST_RATES = (
    (date(2025, 1, 1), Decimal("7.21")),  # arrêté du 17 décembre 2024
    (date(2026, 1, 1), Decimal("6.67")),  # arrêté du 15 décembre 2025
)

FRANCE = CountryLaw(
    code="FR",
    name="France",
    withdrawal_days=14,  # Code de la consommation, L221-18
    legal_exceptions=EU_EXCEPTIONS,  # L221-28
    refund_due_days=14,  # L221-24
    return_goods_days=14,  # L221-23
    conformity_years=2,  # L217-3 and L217-7
    citation="Directive 2011/83/EU, art. 9; Code de la consommation, art. L221-18",
    late_refund_steps=FR_LATE_REFUND_STEPS,
    late_refund_citation="Code de la consommation, art. L242-4",
    withdrawal_button_since=WITHDRAWAL_BUTTON_SINCE,
)

NO_STATUTORY_RIGHT = CountryLaw(code="", name="")

COUNTRY_LAWS: dict[str, CountryLaw] = {"FR": FRANCE}


def law_for(country: str) -> CountryLaw:
    """The rules protecting a shopper whose goods were delivered to `country`."""
    code = (country or "").upper()
    if code in COUNTRY_LAWS:
        return COUNTRY_LAWS[code]
    if code in EEA_MEMBERS:
        return EU_DEFAULT
    return NO_STATUTORY_RIGHT


def legal_interest_rate(on: date) -> Decimal:
    """France's consumer legal interest rate (annual %, per half-year) in force on `on`."""
    rate = FR_LEGAL_INTEREST_RATES[0][1]
    for start, value in FR_LEGAL_INTEREST_RATES:
        if start <= on:
            rate = value
    return rate


def fr_late_refund_increase(
    *, amount: Decimal, product_price: Decimal, days_late: int, due: date
) -> Decimal:
    """The increase L242-4 adds to a withdrawal refund paid `days_late` days after it was due.

    Up to 10 days late: the legal interest rate, counted here pro rata per day (annual rate ×
    days / 365). Beyond: the step of the schedule, then 5 points per further month (30 days)
    after 90 days, capped at the product's price. Not rounded: the caller rounds to its currency.
    """
    if days_late <= 0:
        return Decimal("0")
    if days_late <= 10:
        return amount * legal_interest_rate(due) / 100 * days_late / 365
    percent = Decimal("0")
    for step in FR_LATE_REFUND_STEPS:
        if days_late > step.after_days:
            percent = step.percent
    if days_late > 90:
        extra_months = -(-(days_late - 90) // 30)  # each month begun counts
        percent = Decimal("50") + 5 * extra_months
    return min(amount * percent / 100, product_price)


def withdrawal_refund_due(
    law: CountryLaw, *, notice_at: datetime, goods_back_at: datetime | None, zone: str
) -> datetime | None:
    """When the refund of a withdrawal notified at `notice_at` is due under `law`, or None when
    the law sets no deadline (no statutory right of withdrawal).

    Directive 2011/83/EU art. 13(1) (FR: L221-24): within `refund_due_days` days of being
    informed of the withdrawal; counted in calendar days from the day after the notice, ending
    at 23:59:59 on the last day in the store's time zone (Regulation 1182/71, as the engine
    counts windows). Art. 13(3): the trader may withhold the refund until the goods are back or
    the shopper proves they were sent, whichever is first (`goods_back_at`): if that comes after
    the 14 days, the refund is due then. While neither has happened, the date returned is the
    earliest the refund can be due (the caller says it may be withheld).
    """
    if not law.refund_due_days:
        return None
    local = ZoneInfo(zone or "UTC")
    last_day = notice_at.astimezone(local).date() + timedelta(days=law.refund_due_days)
    due = datetime.combine(last_day, time(23, 59, 59), tzinfo=local)
    if goods_back_at is not None and goods_back_at > due:
        return goods_back_at
    return due


def late_refund_increase(
    law: CountryLaw, *, amount: Decimal, product_price: Decimal, days_late: int, due: date
) -> Decimal:
    """What paying a withdrawal refund `days_late` days late adds to it under `law`: France's
    L242-4 schedule where it applies, else nothing the law quantifies (0)."""
    if not law.late_refund_steps:
        return Decimal("0")
    return fr_late_refund_increase(
        amount=amount, product_price=product_price, days_late=days_late, due=due
    )
