"""Sample documents and the raster/decoding helpers the logistics tests share."""

from __future__ import annotations

import datetime as dt
import re

import pypdfium2 as pdfium
import zxingcpp
from PIL.Image import Image

from retour.logistics.documents import Address, LabelData, PackingSlipData, PackingSlipItem

TRACKING = "RT123456789012FR"
URL = "https://returns.example.com/track/RT123456789012FR"

SHOPPER = Address(
    name="Françoise Lœvenbruck-Dupré",
    lines=["12 rue de l'Église", "Bâtiment C, 3e étage"],
    postcode="75011",
    city="Paris",
    country="FR",
)
WAREHOUSE = Address(
    name="Maison Exemple — Entrepôt retours",
    lines=["ZA des Chênes", "Quai 4"],
    postcode="69800",
    city="Saint-Priest",
    country="France",
)


def label(**changes: object) -> LabelData:
    values: dict[str, object] = {
        "rma": "RMA-2026-000123",
        "tracking_number": TRACKING,
        "tracking_url": URL,
        "sender": SHOPPER,
        "recipient": WAREHOUSE,
        "item_count": 3,
        "carrier_name": "Retour Own Label",
        "service": "Standard return",
        "created": dt.date(2026, 11, 2),
        "weight_grams": 1250,
    }
    values.update(changes)
    return LabelData(**values)  # type: ignore[arg-type]


ITEMS = (
    PackingSlipItem(
        sku="TSHIRT-BLUE-M",
        title="T-shirt coton bio « Été »",
        options="Taille M, Bleu",
        quantity=2,
        reason="Trop petit",
    ),
    PackingSlipItem(
        sku="JEAN-32-34",
        title="Jean droit brut selvedge avec un titre très long qui doit passer à la ligne",
        options="W32 L34",
        quantity=1,
        barcode="4006381333931",
        reason="Ne correspond pas à la description",
    ),
    PackingSlipItem(sku="SOCKS-3P", title="Chaussettes x3", quantity=1, barcode="5901234123457"),
)


def packing_slip(**changes: object) -> PackingSlipData:
    values: dict[str, object] = {
        "rma": "RMA-2026-000123",
        "order_number": "#10234",
        "store_name": "Maison Exemple",
        "shopper": SHOPPER,
        "created": dt.date(2026, 11, 2),
        "items": ITEMS,
        "instructions": "Put this slip in the box.\nDrop the parcel off within 14 days.",
    }
    values.update(changes)
    return PackingSlipData(**values)  # type: ignore[arg-type]


def pages(pdf: bytes) -> int:
    doc = pdfium.PdfDocument(pdf)
    try:
        return len(doc)
    finally:
        doc.close()


def rasterize(pdf: bytes, dpi: int, page: int = 0) -> Image:
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[page].render(scale=dpi / 72).to_pil()
    finally:
        doc.close()


def page_size(pdf: bytes, page: int = 0) -> tuple[float, float]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[page].get_size()
    finally:
        doc.close()


def decode(image: Image) -> list[tuple[str, str]]:
    """(format, text) of every barcode zxing finds, as a scanner would read them."""
    return sorted((r.format.name, r.text) for r in zxingcpp.read_barcodes(image))


def text(pdf: bytes, page: int = 0) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[page].get_textpage().get_text_range()
    finally:
        doc.close()


def char_boxes(pdf: bytes, page: int = 0) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every drawn glyph with its tight box (left, bottom, right, top) in points."""
    doc = pdfium.PdfDocument(pdf)
    try:
        textpage = doc[page].get_textpage()
        boxes = []
        for i in range(textpage.count_chars()):
            char = textpage.get_text_range(i, 1)
            if char.strip():
                boxes.append((char, textpage.get_charbox(i)))
        return boxes
    finally:
        doc.close()


def zpl_unescape(field: str) -> str:
    """Field data as the printer reads it after ^FH: _XX hex escapes, UTF-8."""
    raw = re.sub(rb"_([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), field.encode())
    return raw.decode("utf-8")
