"""The rollup behind the cohort return rates: one row per store, order day, variant and reason.

A row with `reason == ""` holds what was sold that day (units and value of the order lines); a
row with a reason holds what was returned from that day's orders for that reason. Summing a
period's rows gives both sides of the cohort's rate in one indexed read. `rollups.refresh`
rewrites the days that changed since the last run (`RollupState`), the stays in each status
(`StageStay`) and the resolution times (`ResolutionTime`) of the returns with new status events,
and the returned lines and returns (`ReturnLineFact`, `ReturnFact`) of the returns that
changed; `CohortWeek` sums `CohortDay` per week for long periods.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from retour.commerce.fields import money_field
from retour.commerce.models import Product, Store, Variant
from retour.returns.models import Return, ReturnLine


class CohortDay(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # the day the orders were placed (UTC)
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=120, blank=True)
    size = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=60, blank=True)  # "" on the row of what was sold
    parent_reason = models.CharField(max_length=60, blank=True)  # the reason itself at top level
    sold_units = models.PositiveIntegerField(default=0)
    sold_value = money_field()
    returned_units = models.PositiveIntegerField(default=0)
    returned_value = money_field()

    class Meta:
        indexes = [
            models.Index(fields=["store", "day"], name="cohortday_store_day"),
            models.Index(fields=["store", "product", "day"], name="cohortday_store_product"),
        ]


class CohortWeek(models.Model):
    """`CohortDay` summed per week (Monday to Sunday) and without the variant: what a long
    period reads for its whole weeks, about seven times fewer rows, its first and last days
    read from `CohortDay` (`metrics.cohort_grouped`). Rewritten from `CohortDay` for the weeks
    of the days the refresh rewrites."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()  # its Monday
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=120, blank=True)
    size = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=60, blank=True)
    parent_reason = models.CharField(max_length=60, blank=True)
    sold_units = models.PositiveIntegerField(default=0)
    sold_value = money_field()
    returned_units = models.PositiveIntegerField(default=0)
    returned_value = money_field()

    class Meta:
        indexes = [models.Index(fields=["store", "week"], name="cohortweek_store_week")]


class RollupState(models.Model):
    """How fresh a store's rollup is: rows changed after `watermark` are not in it yet."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="+")
    watermark = models.DateTimeField(_("figures up to"))
    refreshed_at = models.DateTimeField(_("refreshed at"))
    # The last status event read into `StageStay`: returns with a later event are rewritten.
    last_event_id = models.BigIntegerField(default=0)


class StageStay(models.Model):
    """How long a return stayed in a status: one row per status move (`ReturnEvent` with a
    status) that was left, i.e. that has a later move; the move's `status` and the time until
    that next move. `requested_at` is the return's request time, so the time per stage of the
    returns requested in a period is one grouped read of an indexed (store, date) range."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=20)
    stay = models.DurationField()

    class Meta:
        indexes = [
            models.Index(fields=["store", "requested_at"], name="stagestay_store_requested"),
        ]


class StageWeek(models.Model):
    """`StageStay` summed per week of the returns' request (its Monday) and status: what a long
    period reads for its whole weeks, its first and last days read from `StageStay`."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    status = models.CharField(max_length=20)
    moves = models.PositiveIntegerField()
    stayed = models.DurationField()  # the moves' stays added up

    class Meta:
        indexes = [models.Index(fields=["store", "week"], name="stageweek_store_week")]


class ResolutionTime(models.Model):
    """How long a return waited from its request to a move to "resolved" (refunded, credited or
    exchanged): one row per such move, at its time, so the p50 and p90 of a period are one
    read of an indexed (store, time) range."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="+")
    resolved_at = models.DateTimeField()
    waited = models.DurationField()

    class Meta:
        indexes = [
            models.Index(fields=["store", "resolved_at"], name="resolutiontime_store_at"),
        ]


class ReturnLineFact(models.Model):
    """A returned line as the insights read it, without joins: its return's store, request time,
    status (live or void) and language, its order's time and currency, its product and category,
    the units and value asked back and the resolution asked for. Rewritten for the returns that
    changed or have new events since the last refresh."""

    line = models.OneToOneField(
        ReturnLine, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField()
    placed_at = models.DateTimeField()  # the order's (its cohort)
    live = models.BooleanField()  # not rejected, cancelled or expired
    locale = models.CharField(max_length=10)
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=120, blank=True)
    resolution = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    units = models.PositiveIntegerField()
    value = money_field()  # units × the line's unit price
    commented = models.BooleanField()
    grade = models.CharField(max_length=10, blank=True)  # inspection's, "" until inspected
    disposition = models.CharField(max_length=20, blank=True)
    received = models.PositiveIntegerField(default=0)  # units received

    class Meta:
        indexes = [
            models.Index(fields=["store", "requested_at"], name="linefact_store_requested"),
            models.Index(fields=["store", "product", "placed_at"], name="linefact_store_product"),
        ]


class ReturnFact(models.Model):
    """A return as the shoppers' list reads it, without joins: its store, request time, whether
    it is live, its shopper (the order's e-mail) and risk score. Rewritten with the line facts."""

    return_request = models.OneToOneField(
        Return, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField()
    live = models.BooleanField()
    email = models.CharField(max_length=254)
    risk = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["store", "requested_at"], name="returnfact_store_requested")
        ]
