"""The A4 packing slip the shopper puts in the box: the warehouse scans the RMA at the top to
open the return, then each item's barcode (EAN, or SKU) while unpacking."""

from __future__ import annotations

import contextlib
import io

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from . import pdf
from .data import PackingSlipData, PackingSlipItem

WIDTH, HEIGHT = A4  # 595.3 × 841.9 pt
MARGIN = 40.0
INNER = WIDTH - 2 * MARGIN

HEADER_HEIGHT = 150.0
ROW_HEIGHT = 58.0
TABLE_HEAD = 20.0
FOOTER = 36.0

# Table columns: (x offset from the margin, width).
COL_BARCODE = (0.0, 160.0)
COL_SKU = (166.0, 96.0)
COL_ITEM = (266.0, 142.0)
COL_REASON = (412.0, 70.0)
COL_QTY = (484.0, INNER - 484.0)

# Office printers are 300 dpi or better: bars of 3 dots (0.25 mm) and up read with any scanner.
_SLIP_DPI = 300
_ITEM_BAR_HEIGHT = 30.0
# Thinner than this (0.21 mm) bars blur on office printers: such a long value gets the whole
# table width, on a line of its own below the row's texts.
_MIN_MODULE = 0.6
_WIDE_EXTRA = 46.0
_RMA_BAR_HEIGHT = 46.0


def render_packing_slip_pdf(data: PackingSlipData, language: str | None = None) -> bytes:
    """The packing slip as an A4 PDF; long returns continue on further pages."""
    for item in data.items:
        pdf.check_code128(item.barcode_value)
    pdf.check_code128(data.rma)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setCreator("Retour")
    with translation.override(language) if language else contextlib.nullcontext():
        canvas.setTitle(_("Packing slip") + f" {data.rma}")
        pages = _paginate(list(data.items), bool(data.instructions.strip()))
        for number, rows in enumerate(pages, start=1):
            top = _draw_header(canvas, data)
            if number == 1 and data.instructions.strip():
                top = _draw_instructions(canvas, data.instructions, top)
            _draw_table(canvas, rows, top)
            _draw_footer(canvas, data, number, len(pages))
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _y(top: float) -> float:
    return HEIGHT - top


INSTRUCTIONS_HEIGHT = 78.0


def _column_module(value: str) -> float | None:
    """The module of the item's barcode in its column, or None if it needs the full width."""
    modules, _bars = pdf.code128_bars(value)
    module = pdf.dot_module(modules + 20, COL_BARCODE[1], dpi=_SLIP_DPI, max_dots=4)
    return module if module >= _MIN_MODULE else None


def _row_height(item: PackingSlipItem) -> float:
    return ROW_HEIGHT if _column_module(item.barcode_value) else ROW_HEIGHT + _WIDE_EXTRA


def _paginate(items: list[PackingSlipItem], instructions: bool) -> list[list[PackingSlipItem]]:
    pages: list[list[PackingSlipItem]] = [[]]
    room = HEIGHT - 2 * MARGIN - HEADER_HEIGHT - TABLE_HEAD - FOOTER
    available = room - (INSTRUCTIONS_HEIGHT if instructions else 0)
    for item in items:
        height = _row_height(item)
        if height > available and pages[-1]:
            pages.append([])
            available = room
        pages[-1].append(item)
        available -= height
    return pages


def _draw_header(canvas: Canvas, data: PackingSlipData) -> float:
    """Store, title and order facts on the left; the RMA barcode, big, on the right."""
    f = pdf.fonts()
    top = MARGIN
    left_width = 250.0
    pdf.draw_fitted(canvas, MARGIN, _y(top), data.store_name, f.bold, 13, left_width, 9)
    pdf.draw_fitted(canvas, MARGIN, _y(top + 18), _("Return packing slip"), f.bold, 20, left_width)
    facts = [
        (_("RMA"), data.rma),
        (_("Order"), data.order_number),
        (_("Date"), data.created.isoformat()),
    ]
    row = top + 50
    for caption, value in facts:
        canvas.setFont(f.regular, 8)
        canvas.setFillGray(0.35)
        canvas.drawString(MARGIN, _y(row) - 8, caption)
        canvas.setFillGray(0)
        pdf.draw_fitted(canvas, MARGIN + 60, _y(row), value, f.bold, 10, left_width - 60, 7)
        row += 14
    canvas.setFont(f.regular, 8)
    canvas.setFillGray(0.35)
    canvas.drawString(MARGIN, _y(row) - 8, _("Returned by"))
    canvas.setFillGray(0)
    shopper = data.shopper
    pdf.draw_fitted(canvas, MARGIN + 60, _y(row), shopper.name, f.bold, 10, left_width - 60, 7)
    address = ", ".join(shopper.printed_lines())
    for line in pdf.fit_lines([address], f.regular, 8, left_width - 60, 2):
        row += 11
        canvas.setFont(f.regular, 8)
        canvas.drawString(MARGIN + 60, _y(row + 1) - 8, line)

    # The RMA as a large Code 128, right-aligned, with its quiet zones inside the page margin.
    box_width = 250.0
    modules, _bars = pdf.code128_bars(data.rma)
    module = pdf.dot_module(modules + 20, box_width, dpi=_SLIP_DPI, max_dots=6)
    symbol = modules * module
    bar_x = WIDTH - MARGIN - 10 * module - symbol
    canvas.setFont(f.bold, 7)
    caption = _("Warehouse: scan on arrival").upper()
    canvas.drawString(bar_x, _y(top) - 6, pdf.ellipsize(caption, f.bold, 7, WIDTH - MARGIN - bar_x))
    bar_bottom = _y(top + 12 + _RMA_BAR_HEIGHT)
    pdf.draw_code128(canvas, data.rma, bar_x, bar_bottom, module, _RMA_BAR_HEIGHT)
    pdf.draw_fitted(canvas, bar_x, _y(top + 16 + _RMA_BAR_HEIGHT), data.rma, f.bold, 14, symbol, 8)
    canvas.setLineWidth(1.5)
    rule = _y(MARGIN + HEADER_HEIGHT - 8)
    canvas.line(MARGIN, rule, WIDTH - MARGIN, rule)
    return MARGIN + HEADER_HEIGHT


def _draw_instructions(canvas: Canvas, text: str, top: float) -> float:
    f = pdf.fonts()
    height = INSTRUCTIONS_HEIGHT - 10
    canvas.setFillGray(0.93)
    canvas.rect(MARGIN, _y(top + height), INNER, height, stroke=0, fill=1)
    canvas.setFillGray(0)
    canvas.setFont(f.bold, 8)
    canvas.drawString(MARGIN + 8, _y(top + 6) - 7, _("Instructions").upper())
    lines = pdf.fit_lines(text.splitlines() or [text], f.regular, 8.5, INNER - 16, 5)
    canvas.setFont(f.regular, 8.5)
    for i, line in enumerate(lines):
        canvas.drawString(MARGIN + 8, _y(top + 18 + i * 10) - 7.5, line)
    return top + INSTRUCTIONS_HEIGHT


def _draw_table(canvas: Canvas, items: list[PackingSlipItem], top: float) -> None:
    f = pdf.fonts()
    canvas.setFillGray(0.15)
    canvas.rect(MARGIN, _y(top + TABLE_HEAD), INNER, TABLE_HEAD, stroke=0, fill=1)
    canvas.setFillGray(1)
    canvas.setFont(f.bold, 8)
    headings = [
        (COL_BARCODE, _("Barcode")),
        (COL_SKU, _("SKU")),
        (COL_ITEM, _("Item")),
        (COL_REASON, _("Reason")),
    ]
    for (x, w), heading in headings:
        canvas.drawString(MARGIN + x + 4, _y(top + 13), pdf.ellipsize(heading, f.bold, 8, w - 6))
    canvas.drawRightString(MARGIN + COL_QTY[0] + COL_QTY[1] - 4, _y(top + 13), _("Qty"))
    canvas.setFillGray(0)

    row_top = top + TABLE_HEAD
    canvas.setLineWidth(0.5)
    canvas.setStrokeGray(0.6)
    for item in items:
        _draw_row(canvas, item, row_top)
        row_top += _row_height(item)
        canvas.line(MARGIN, _y(row_top), WIDTH - MARGIN, _y(row_top))
    canvas.setStrokeGray(0)


def _draw_row(canvas: Canvas, item: PackingSlipItem, top: float) -> None:
    f = pdf.fonts()
    value = item.barcode_value
    modules, _bars = pdf.code128_bars(value)
    x, w = COL_BARCODE
    bar_top = top + 8
    module = _column_module(value)
    if module is None:
        x, w = 0.0, INNER
        bar_top = top + ROW_HEIGHT - 4
        module = pdf.dot_module(modules + 20, w, dpi=_SLIP_DPI, max_dots=4)
    # Left quiet zone of 10 modules inside the column; the right one is the column gap.
    bar_x = MARGIN + x + 10 * module
    bar_bottom = _y(bar_top + _ITEM_BAR_HEIGHT)
    pdf.draw_code128(canvas, value, bar_x, bar_bottom, module, _ITEM_BAR_HEIGHT)
    symbol = modules * module
    canvas.setFont(f.regular, 7)
    canvas.drawCentredString(
        bar_x + symbol / 2, bar_bottom - 9, pdf.ellipsize(pdf.clean(value), f.regular, 7, w)
    )

    x, w = COL_SKU
    for i, line in enumerate(pdf.fit_lines([item.sku], f.bold, 8.5, w - 6, 3)):
        canvas.setFont(f.bold, 8.5)
        canvas.drawString(MARGIN + x + 4, _y(top + 10 + i * 10) - 7, line)

    x, w = COL_ITEM
    title = pdf.fit_lines([item.title], f.bold, 8.5, w - 6, 2)
    canvas.setFont(f.bold, 8.5)
    for i, line in enumerate(title):
        canvas.drawString(MARGIN + x + 4, _y(top + 10 + i * 10) - 7, line)
    if item.options.strip():
        canvas.setFillGray(0.35)
        options = pdf.fit_lines([item.options], f.regular, 7.5, w - 6, 4 - len(title))
        canvas.setFont(f.regular, 7.5)
        for i, line in enumerate(options):
            canvas.drawString(MARGIN + x + 4, _y(top + 10 + (len(title) + i) * 10) - 7, line)
        canvas.setFillGray(0)

    x, w = COL_REASON
    canvas.setFont(f.regular, 7.5)
    for i, line in enumerate(pdf.fit_lines([item.reason], f.regular, 7.5, w - 6, 4)):
        canvas.drawString(MARGIN + x + 4, _y(top + 10 + i * 9.5) - 7, line)

    x, w = COL_QTY
    canvas.setFont(f.bold, 14)
    canvas.drawRightString(MARGIN + x + w - 4, _y(top + 12) - 12, str(item.quantity))


def _draw_footer(canvas: Canvas, data: PackingSlipData, page: int, pages: int) -> None:
    f = pdf.fonts()
    total = sum(item.quantity for item in data.items)
    base = MARGIN + 3  # the baseline; descenders stay inside the margin
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, base + 13, WIDTH - MARGIN, base + 13)
    canvas.setFont(f.bold, 9)
    canvas.drawString(MARGIN, base, _("Total items: %(count)s") % {"count": total})
    canvas.setFont(f.regular, 8)
    canvas.drawCentredString(WIDTH / 2, base, f"{data.rma} · {data.order_number}")
    canvas.drawRightString(
        WIDTH - MARGIN, base, _("Page %(page)s of %(pages)s") % {"page": page, "pages": pages}
    )
