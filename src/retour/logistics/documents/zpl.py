"""The same 4×6 inch label in ZPL II, for Zebra-compatible thermal printers.

ZPL is plain text where `^` and `~` start commands anywhere, even inside field data: a caret in a
shopper's name would end the field and start a new command (or label). Every text field is
therefore sent with ^FH and all bytes outside safe printable ASCII as `_XX` hex escapes, in
UTF-8 (^CI28), so accents print and nothing a customer types can be read as a command.
"""

from __future__ import annotations

import contextlib
import textwrap

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import pdf
from .data import LabelData
from .label import (
    BARCODE_BOTTOM,
    BARCODE_HEIGHT,
    FROM_BOTTOM,
    HEADER_BOTTOM,
    HEIGHT,
    MARGIN,
    QR_MAX,
    RMA_BOTTOM,
    TO_BOTTOM,
    WIDTH,
    weight_text,
)

# Font 0 (CG Triumvirate Bold Condensed) is proportional; its average glyph is narrower than
# this, so wrapping by this estimate keeps text inside the box even for capitals and digits.
_CHAR_WIDTH = 0.62

_SAFE = frozenset(range(0x20, 0x7F)) - {ord("^"), ord("~"), ord("_")}


def escape(text: str) -> str:
    """Field data for ^FH: UTF-8 bytes, with anything unsafe as _XX (hex, upper case)."""
    text = " ".join(str(text).split())  # no newlines or control characters
    return "".join(chr(b) if b in _SAFE else f"_{b:02X}" for b in text.encode("utf-8"))


class _Zpl:
    """Collects commands; coordinates are given in points, like the PDF, and sent in dots."""

    def __init__(self, dpi: int) -> None:
        self.dpi = dpi
        self.scale = dpi / 72
        self.commands: list[str] = []

    def dots(self, points: float) -> int:
        return round(points * self.scale)

    def text(self, x: float, top: float, value: str, size: float, max_width: float) -> None:
        """One line of text; longer than the box, it is cut with "..." (ZPL would overprint)."""
        max_chars = max(4, int(max_width / (size * _CHAR_WIDTH)))
        value = " ".join(value.split())
        if len(value) > max_chars:
            value = value[: max_chars - 3].rstrip() + "..."
        h = self.dots(size)
        self.commands.append(
            f"^FO{self.dots(x)},{self.dots(top)}^A0N,{h},{h}^FH^FD{escape(value)}^FS"
        )

    def fits(self, value: str, size: float, max_width: float, max_lines: int) -> bool:
        return len(self._wrap(value, size, max_width)) <= max_lines

    def _wrap(self, value: str, size: float, max_width: float) -> list[str]:
        max_chars = max(4, int(max_width / (size * _CHAR_WIDTH)))
        return textwrap.wrap(" ".join(value.split()), max_chars, break_long_words=True)

    def paragraph(
        self, x: float, top: float, value: str, size: float, max_width: float, max_lines: int
    ) -> float:
        """Wrapped lines (one field each); returns the top of the next line."""
        max_chars = max(4, int(max_width / (size * _CHAR_WIDTH)))
        lines = self._wrap(value, size, max_width)
        if len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = lines[-1][: max_chars - 3].rstrip() + "..."
        for line in lines:
            self.text(x, top, line, size, max_width)
            top += size * 1.2
        return top

    def box(self, x: float, top: float, w: float, h: float, thickness: float) -> None:
        """^GB draws a box; thickness equal to the height gives a filled bar or rule."""
        t = max(1, self.dots(thickness))
        w_dots, h_dots = max(t, self.dots(w)), max(t, self.dots(h))
        self.commands.append(f"^FO{self.dots(x)},{self.dots(top)}^GB{w_dots},{h_dots},{t}^FS")

    def rule(self, top: float, weight: float) -> None:
        self.box(0, top, WIDTH, weight, weight)


def render_label_zpl(data: LabelData, dpi: int = 203, language: str | None = None) -> str:
    """One label as a ZPL II program (^XA…^XZ), 4×6 in at `dpi` (203, 300 or 600)."""
    if dpi not in (203, 300, 600):
        raise ValueError("ZPL printers print at 203, 300 or 600 dpi")
    pdf.check_code128(data.tracking_number)
    with translation.override(language) if language else contextlib.nullcontext():
        body = _draw(data, _Zpl(dpi))
    return "\n".join(body) + "\n"


def _draw(data: LabelData, z: _Zpl) -> list[str]:
    inner = WIDTH - 2 * MARGIN
    head = [
        "^XA",
        "^CI28",  # field data is UTF-8 (after ^FH unescaping)
        f"^PW{z.dots(WIDTH)}",
        f"^LL{z.dots(HEIGHT)}",
        "^LH0,0",
    ]

    badge_width = 96.0
    z.text(MARGIN, 10, data.carrier_name, 16, inner - badge_width - 8)
    z.text(MARGIN, 31, data.service, 9, inner - badge_width - 8)
    badge_x = WIDTH - MARGIN - badge_width
    z.box(badge_x, 8, badge_width, 34, 34)
    # ^FR prints the field reversed (white on the black badge); ^FB centres it in the badge.
    h = z.dots(17)
    z.commands.append(
        f"^FO{z.dots(badge_x)},{z.dots(17)}^FR^A0N,{h},{h}"
        f"^FB{z.dots(badge_width)},1,0,C,0^FH^FD{escape(_('RETURN'))}^FS"
    )
    z.rule(HEADER_BOTTOM - 2, 2)

    facts_x = 196.0
    left_width = facts_x - MARGIN - 8
    z.text(MARGIN, HEADER_BOTTOM + 5, pgettext("label: the sender", "From").upper(), 7, left_width)
    z.text(MARGIN, HEADER_BOTTOM + 14, data.sender.name, 10, left_width)
    z.paragraph(
        MARGIN, HEADER_BOTTOM + 27, ", ".join(data.sender.printed_lines()), 9, left_width, 4
    )
    z.box(facts_x - 6, HEADER_BOTTOM, 0.5, FROM_BOTTOM - HEADER_BOTTOM, 0.5)
    facts = [(_("Date"), data.created.isoformat())]
    if data.weight_grams is not None:
        facts.append((_("Weight"), weight_text(data.weight_grams)))
    for i, (caption, value) in enumerate(facts):
        top = HEADER_BOTTOM + 5 + i * 24
        z.text(facts_x, top, caption.upper(), 7, WIDTH - MARGIN - facts_x)
        z.text(facts_x, top + 9, value, 11, WIDTH - MARGIN - facts_x)
    z.rule(FROM_BOTTOM, 1)

    recipient = data.recipient
    z.text(MARGIN, FROM_BOTTOM + 5, pgettext("label: the recipient", "To").upper(), 7, inner)
    z.text(MARGIN + 12, FROM_BOTTOM + 15, recipient.name, 15, inner - 12)
    street = ", ".join(line.strip() for line in recipient.lines if line.strip())
    # Two lines at 12 pt; longer streets get three at 10 pt so the country stays in its box.
    size, lines = (12.0, 2) if z.fits(street, 12, inner - 12, 2) else (10.0, 3)
    top = z.paragraph(MARGIN + 12, FROM_BOTTOM + 33, street, size, inner - 12, lines)
    z.text(MARGIN + 12, top + 1, f"{recipient.postcode} {recipient.city}", 14, inner - 12)
    z.text(MARGIN + 12, top + 17, recipient.country.upper(), 12, inner - 12)
    z.rule(TO_BOTTOM - 1, 2)

    count_width = 78.0
    count_x = WIDTH - MARGIN - count_width
    z.text(MARGIN, TO_BOTTOM + 5, _("RMA").upper(), 7, inner)
    rma_size = min(22.0, (count_x - MARGIN - 10) / (max(len(data.rma), 1) * _CHAR_WIDTH))
    z.text(MARGIN, TO_BOTTOM + 17, data.rma, max(rma_size, 11), count_x - MARGIN - 10)
    z.box(count_x - 8, TO_BOTTOM, 0.5, RMA_BOTTOM - TO_BOTTOM, 0.5)
    z.text(count_x, TO_BOTTOM + 5, _("Items").upper(), 7, count_width)
    h = z.dots(28)
    z.commands.append(
        f"^FO{z.dots(count_x)},{z.dots(TO_BOTTOM + 17)}^A0N,{h},{h}"
        f"^FB{z.dots(count_width)},1,0,C,0^FD{data.item_count}^FS"
    )
    z.rule(RMA_BOTTOM, 1)

    # Code 128 in whole dots (^BY), centred; the printer's automatic mode (A) packs digit runs
    # like reportlab's encoder, so the width computed from it is the printed one.
    modules, _bars = pdf.code128_bars(data.tracking_number)
    module_dots = max(2, min(4, z.dots(inner) // (modules + 20)))
    bar_x = (z.dots(WIDTH) - modules * module_dots) // 2
    bar_h = z.dots(BARCODE_HEIGHT)
    z.commands.append(
        f"^FO{bar_x},{z.dots(RMA_BOTTOM + 8)}^BY{module_dots},3,{bar_h}"
        f"^BCN,{bar_h},N,N,N,A^FH^FD{escape(data.tracking_number)}^FS"
    )
    caption = _("Tracking no.") + " " + data.tracking_number
    # ^FB with one line would overprint a caption too long for it: shrink it instead.
    h = z.dots(max(6.0, min(11.0, inner / (len(caption) * _CHAR_WIDTH))))
    z.commands.append(
        f"^FO0,{z.dots(BARCODE_BOTTOM - 16)}^A0N,{h},{h}"
        f"^FB{z.dots(WIDTH)},1,0,C,0^FH^FD{escape(caption)}^FS"
    )
    z.rule(BARCODE_BOTTOM - 1, 2)

    # ^BQ magnification is the module size in dots; model 2, error correction M, automatic
    # input mode ("MA,"), like the PDF's segno code.
    qr_modules = pdf.qr_size(data.tracking_url)
    magnification = max(1, min(10, z.dots(QR_MAX) // qr_modules))
    z.commands.append(
        f"^FO{z.dots(MARGIN)},{z.dots(BARCODE_BOTTOM + 4)}^BQN,2,{magnification}"
        f"^FH^FDMA,{escape(data.tracking_url)}^FS"
    )
    text_x = MARGIN + QR_MAX + 12
    text_width = WIDTH - MARGIN - text_x
    z.text(text_x, BARCODE_BOTTOM + 6, _("Scan to track").upper(), 7, text_width)
    top = z.paragraph(text_x, BARCODE_BOTTOM + 16, data.tracking_url, 8, text_width, 2)
    note = _("Attach this label to the outside of the parcel. Put the packing slip inside.")
    z.paragraph(text_x, top + 2, note, 8, text_width, 3)

    return [*head, *z.commands, "^PQ1", "^XZ"]
