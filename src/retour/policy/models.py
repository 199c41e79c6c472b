from django.conf import settings
from django.db import models

from retour.commerce.models import Store


class PolicyVersion(models.Model):
    """One published version of a store's return policy. Never edited once a return uses it:
    editing the policy publishes a new version, so past decisions keep theirs."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="policy_versions")
    number = models.PositiveIntegerField()
    document = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="policy_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.store} policy v{self.number}"
