"""What only the shopper's portal keeps: uploaded photos, feedback (its look-up throttles are
counted in `accounts.Throttle`, see `throttle.py`).

They live here rather than in `returns` so the portal can evolve without touching the domain's
migrations; each row points at the return, line or claim it belongs to.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from retour.commerce.models import Store
from retour.returns.models import Claim, Return, ReturnLine


class Photo(models.Model):
    """A shopper's photo, decoded, re-encoded without its metadata and stored in the media
    storage; attached to a return line or to a claim."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    return_line = models.ForeignKey(
        ReturnLine, on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    file = models.FileField(_("photo"), max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file.name


class Feedback(models.Model):
    """The shopper's survey once a return is resolved: one per return, for analytics."""

    return_request = models.OneToOneField(Return, on_delete=models.CASCADE, related_name="feedback")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(
        _("satisfaction"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5"
            )
        ]
        indexes = [models.Index(fields=["store", "-created_at"], name="feedback_store_created")]

    def __str__(self) -> str:
        return f"{self.return_request_id}: {self.rating}"
