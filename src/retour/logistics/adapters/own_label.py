"""The built-in carrier for shops without a carrier account: Retour prints the label itself.

The label (4×6 in PDF and ZPL, from `retour.logistics.documents`) carries the RMA, a Code 128 of
the tracking number (the RMA, suffixed with the attempt after a void) and a QR code of Retour's
tracking page. There is no carrier network behind it, hence no rates, pickups or tracking events:
the warehouse's receipt is the first scan. Voiding only retires the label on our side.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from retour.logistics.choices import CarrierKind
from retour.logistics.documents import LabelData, render_label_pdf, render_label_zpl

from .base import Carrier, DropOffPoint, ShipmentRequest, ShipmentResult


class OwnLabel(Carrier):
    kind = CarrierKind.OWN_LABEL

    def create_return_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        tracking = (
            request.reference
            if request.attempt <= 1
            else (f"{request.reference}-{request.attempt}")
        )
        carrier_name = self.options.get("carrier_name") or _("Return parcel")
        service = request.service or self.options.get("service") or _("Standard return")
        data = LabelData(
            rma=request.reference,
            tracking_number=tracking,
            tracking_url=request.tracking_url,
            sender=request.sender,
            recipient=request.recipient,
            item_count=request.item_count,
            carrier_name=carrier_name,
            service=service,
            created=request.created,
            weight_grams=request.weight_grams or None,
        )
        return ShipmentResult(
            carrier_shipment_id=tracking,
            tracking_number=tracking,
            carrier_name=carrier_name,
            service=service,
            label_pdf=render_label_pdf(data, request.language),
            label_zpl=render_label_zpl(data, language=request.language).encode(),
            tracking_url=request.tracking_url,
        )

    def void(self, carrier_shipment_id: str) -> None:
        return None  # nothing was bought: the label simply stops being the return's label

    def drop_off_points(self, *, country: str, postcode: str) -> list[DropOffPoint]:
        return []  # any post office: the shop's instructions say where
