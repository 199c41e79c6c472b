"""Who did something: recorded on every audit event."""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    SHOPPER = "shopper", _("Shopper")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")
    CARRIER = "carrier", _("Carrier")
    API = "api", _("API client")
    PLATFORM = "platform", _("Shop platform")


@dataclass(frozen=True)
class Actor:
    """The author of a change. `user_id` is set for staff; `label` names the rest."""

    kind: str
    user_id: int | None = None
    label: str = ""

    @classmethod
    def system(cls, label: str = "retour") -> "Actor":
        return cls(ActorKind.SYSTEM, label=label)

    @classmethod
    def staff(cls, user: Any) -> "Actor":
        return cls(ActorKind.STAFF, user_id=user.pk, label=user.get_username())

    @classmethod
    def shopper(cls, email: str) -> "Actor":
        return cls(ActorKind.SHOPPER, label=email)

    @classmethod
    def carrier(cls, name: str) -> "Actor":
        return cls(ActorKind.CARRIER, label=name)

    @classmethod
    def api_client(cls, label: str) -> "Actor":
        return cls(ActorKind.API, label=label)

    def audit_fields(self) -> dict[str, Any]:
        return {"actor_kind": self.kind, "actor_user_id": self.user_id, "actor_label": self.label}
