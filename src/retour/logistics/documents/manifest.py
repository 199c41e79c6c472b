"""The pickup manifest: one A4 list per warehouse and day of the parcels carriers collect for
it, one Code 128 per parcel (the driver scans each one), and a box for the driver's signature:
the acknowledgement that the parcels were handed over."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from . import pdf
from .data import Address

WIDTH, HEIGHT = A4
MARGIN = 40.0
INNER = WIDTH - 2 * MARGIN
HEADER = 120.0
ROW = 64.0
SIGNATURE = 110.0
BAR_HEIGHT = 34.0
BAR_WIDTH = 230.0


@dataclass(frozen=True, slots=True)
class ManifestParcel:
    tracking_number: str
    rma: str
    carrier: str
    sender: str
    place: str
    item_count: int
    confirmation: str = ""


@dataclass(frozen=True, slots=True)
class ManifestData:
    warehouse: Address
    date: dt.date
    parcels: Sequence[ManifestParcel] = field(default_factory=tuple)


def _pages(parcels: Sequence[ManifestParcel]) -> list[list[ManifestParcel]]:
    per_page = int((HEIGHT - 2 * MARGIN - HEADER - SIGNATURE) // ROW)
    chunks = [list(parcels[i : i + per_page]) for i in range(0, len(parcels), per_page)]
    return chunks or [[]]


def render_pickup_manifest_pdf(data: ManifestData, language: str | None = None) -> bytes:
    for parcel in data.parcels:
        pdf.check_code128(parcel.tracking_number)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setCreator("Retour")
    with translation.override(language) if language else contextlib.nullcontext():
        canvas.setTitle(_("Pickup manifest") + f" {data.date.isoformat()}")
        pages = _pages(data.parcels)
        for number, rows in enumerate(pages, start=1):
            _draw_page(canvas, data, rows, number, len(pages))
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_page(canvas: Canvas, data: ManifestData, rows, number: int, total: int) -> None:
    f = pdf.fonts()
    top = HEIGHT - MARGIN
    pdf.draw_fitted(canvas, MARGIN, top, _("Pickup manifest"), f.bold, 20, INNER)
    warehouse = data.warehouse
    facts = [
        (_("Warehouse"), warehouse.name),
        (_("Address"), ", ".join(warehouse.printed_lines())),
        (_("Date"), data.date.isoformat()),
        (_("Parcels"), str(len(data.parcels))),
    ]
    y = top - 32
    for caption, value in facts:
        canvas.setFont(f.regular, 8.5)
        canvas.setFillGray(0.35)
        canvas.drawString(MARGIN, y - 8, caption)
        canvas.setFillGray(0)
        pdf.draw_fitted(canvas, MARGIN + 70, y, value, f.bold, 10, INNER - 70, 7)
        y -= 15
    canvas.setFont(f.regular, 8)
    canvas.drawRightString(
        WIDTH - MARGIN,
        top - 8,
        _("Page %(n)d of %(total)d")
        % {
            "n": number,
            "total": total,
        },
    )
    y = HEIGHT - MARGIN - HEADER
    canvas.setLineWidth(1)
    canvas.line(MARGIN, y, WIDTH - MARGIN, y)
    for parcel in rows:
        # The barcode on the left, with quiet zones; the parcel's facts on the right.
        modules, _bars = pdf.code128_bars(parcel.tracking_number)
        module = pdf.dot_module(modules + 20, BAR_WIDTH, dpi=300, max_dots=4)
        pdf.draw_code128(
            canvas,
            parcel.tracking_number,
            MARGIN + 10 * module,
            y - 8 - BAR_HEIGHT,
            module,
            BAR_HEIGHT,
        )
        canvas.setFont(f.regular, 7.5)
        canvas.drawString(MARGIN + 10 * module, y - ROW + 8, parcel.tracking_number)
        x = MARGIN + BAR_WIDTH + 16
        width = WIDTH - MARGIN - x
        pdf.draw_fitted(canvas, x, y - 8, f"{parcel.rma} · {parcel.carrier}", f.bold, 10, width, 7)
        pdf.draw_fitted(canvas, x, y - 22, parcel.sender, f.regular, 9, width)
        pdf.draw_fitted(canvas, x, y - 34, parcel.place, f.regular, 9, width)
        items = _("%(count)d item(s)") % {"count": parcel.item_count}
        extra = f" · {_('Pickup no.')} {parcel.confirmation}" if parcel.confirmation else ""
        pdf.draw_fitted(canvas, x, y - 46, items + extra, f.regular, 8.5, width)
        y -= ROW
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, y, WIDTH - MARGIN, y)
    if number == total:
        _draw_signature(canvas, MARGIN + SIGNATURE - 10)


def _draw_signature(canvas: Canvas, top: float) -> None:
    f = pdf.fonts()
    canvas.setLineWidth(1)
    canvas.rect(MARGIN, MARGIN, INNER, top - MARGIN)
    canvas.setFont(f.bold, 9)
    canvas.drawString(MARGIN + 8, top - 16, _("Driver's acknowledgement"))
    canvas.setFont(f.regular, 8)
    canvas.drawString(
        MARGIN + 8, top - 30, _("I collected the parcels listed above on the date shown.")
    )
    for i, caption in enumerate((_("Name"), _("Signature"), _("Time"))):
        x = MARGIN + 8 + i * (INNER / 3)
        canvas.drawString(x, MARGIN + 10, caption)
        canvas.line(x + 45, MARGIN + 10, x + INNER / 3 - 20, MARGIN + 10)
