"""Read-only look-ups of labels, for the layers above (the staff API, the shopper portal)."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q

from retour.logistics.choices import ShipmentStatus
from retour.logistics.models import PickupBooking, Shipment
from retour.returns.models import Return


def return_label(return_request: Return, *, with_files: bool = True) -> Shipment | None:
    """The return's label: its live shipment once the carrier has created it (a pending or
    failed attempt has none). With `with_files=False` the label bytes are not loaded; the
    shipment's `has_pdf` then tells whether a PDF can be served. One query."""
    shipments = Shipment.objects.filter(
        return_request=return_request, status=ShipmentStatus.CREATED
    ).annotate(
        has_pdf=ExpressionWrapper(~Q(label_pdf=b""), output_field=BooleanField()),
    )
    if not with_files:
        shipments = shipments.defer("label_pdf", "label_zpl")
    return shipments.first()


def labels_for_returns(return_ids: list[int]) -> dict[int, bytes]:
    """Return id → its label's PDF, for those of `return_ids` that have one: one query."""
    return {
        return_id: bytes(pdf)
        for return_id, pdf in Shipment.objects.filter(
            return_request_id__in=return_ids, status=ShipmentStatus.CREATED
        )
        .exclude(label_pdf=b"")
        .values_list("return_request_id", "label_pdf")
    }


def return_pickup(return_request: Return) -> PickupBooking | None:
    """The return's latest pickup (asked for, booked or refused). One query."""
    return PickupBooking.objects.filter(return_request=return_request).order_by("-id").first()
