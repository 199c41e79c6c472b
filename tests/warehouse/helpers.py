"""A return on its way to the warehouse, built the way a real one is."""

from retour.returns import services as returns
from retour.returns.choices import Resolution, ReturnMethod
from tests.factories import SYSTEM, OrderFactory, WarehouseFactory


def parcel_on_its_way(store, *, lines=(2, 1), tracking="6A123456789FR", barcodes=True):
    """An approved return of every unit of a new order of `store`, with a label: (return,
    [return lines]). Variants get barcodes 3700000000011, 3700000000028, …"""
    order = OrderFactory(store=store, lines=list(lines))
    if barcodes:
        for position, line in enumerate(order.lines.order_by("id"), start=1):
            line.variant.barcode = f"37000000000{position}{position}"
            line.variant.weight_grams = 300 * position
            line.variant.save(update_fields=["barcode", "weight_grams"])
    return_request = returns.create_return(
        order=order,
        lines=[
            returns.LineRequest(order_line_id=line.pk, quantity=line.quantity)
            for line in order.lines.order_by("id")
        ],
        method=ReturnMethod.DROP_OFF,
        resolution=Resolution.REFUND,
        actor=SYSTEM,
    )
    returns.approve_return(return_request=return_request, actor=SYSTEM)
    returns.record_label(
        return_request=return_request, carrier="colissimo", tracking_number=tracking, actor=SYSTEM
    )
    return return_request, list(return_request.lines.order_by("id"))


def warehouse_of(store, code="lyon"):
    return WarehouseFactory(store=store, code=code, name=f"Warehouse {code}")
