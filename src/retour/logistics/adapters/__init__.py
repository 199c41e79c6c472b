"""One module per carrier behind the `Carrier` interface (`base`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retour.logistics.choices import CarrierKind

from .base import Carrier, CarrierError, NotSupported
from .easypost import EasyPost
from .own_label import OwnLabel
from .sendcloud import Sendcloud

if TYPE_CHECKING:
    from retour.logistics.models import CarrierAccount

ADAPTERS: dict[str, type[Carrier]] = {
    CarrierKind.OWN_LABEL: OwnLabel,
    CarrierKind.EASYPOST: EasyPost,
    CarrierKind.SENDCLOUD: Sendcloud,
}


def get_adapter(account: CarrierAccount) -> Carrier:
    return ADAPTERS[account.kind](account.credentials, account.options)


__all__ = ["ADAPTERS", "Carrier", "CarrierError", "NotSupported", "get_adapter"]
