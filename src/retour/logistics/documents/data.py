"""Plain inputs for the printed documents: no database access, so callers build them from
whatever models they have and the renderers stay pure and fast."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    lines: Sequence[str]
    postcode: str
    city: str
    country: str  # ISO 3166-1 alpha-2 code or a country name, printed as given (upper-cased)

    def printed_lines(self) -> list[str]:
        """The address as printed below the name: street lines, postcode + city, country."""
        lines = [line for line in self.lines if line.strip()]
        lines.append(f"{self.postcode} {self.city}".strip())
        if self.country.strip():
            lines.append(self.country.upper())
        return lines


@dataclass(frozen=True, slots=True)
class LabelData:
    rma: str
    tracking_number: str
    tracking_url: str
    sender: Address  # the shopper sending the parcel back
    recipient: Address  # the warehouse receiving it
    item_count: int
    carrier_name: str
    service: str
    created: dt.date
    weight_grams: int | None = None


@dataclass(frozen=True, slots=True)
class PackingSlipItem:
    sku: str
    title: str
    quantity: int
    options: str = ""  # e.g. "Size M, Blue"
    barcode: str = ""  # EAN/GTIN when the shop has one; the SKU is encoded otherwise
    reason: str = ""  # the return reason, already in the document's language

    @property
    def barcode_value(self) -> str:
        return self.barcode.strip() or self.sku


@dataclass(frozen=True, slots=True)
class PackingSlipData:
    rma: str
    order_number: str
    store_name: str
    shopper: Address
    created: dt.date
    items: Sequence[PackingSlipItem] = field(default_factory=tuple)
    instructions: str = ""
