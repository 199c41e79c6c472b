"""Drawing primitives shared by the PDF documents: fonts, fitted text, Code 128 and QR codes.

Everything is drawn straight on a reportlab canvas (no platypus): a label is a fixed layout and
the canvas API keeps one label at a few milliseconds.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import segno
from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import FILL_NON_ZERO, Canvas

# DejaVu covers Latin (é, ç, œ, ß…), Greek and Cyrillic names; Debian and Ubuntu ship it in
# fonts-dejavu-core, other distributions elsewhere. Without it we fall back to Helvetica, whose
# WinAnsi encoding still covers French (œ and € included) and transliterate the rest.
_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/local/share/fonts",
)


@dataclass(frozen=True, slots=True)
class Fonts:
    regular: str
    bold: str
    unicode: bool  # False: only WinAnsi (cp1252) characters can be drawn


@functools.cache
def fonts() -> Fonts:
    """Register the label fonts once per process (parsing a TTF costs a few milliseconds)."""
    for directory in _FONT_DIRS:
        regular = Path(directory) / "DejaVuSans.ttf"
        bold = Path(directory) / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("RetourSans", str(regular)))
            pdfmetrics.registerFont(TTFont("RetourSans-Bold", str(bold)))
            return Fonts("RetourSans", "RetourSans-Bold", unicode=True)
    return Fonts("Helvetica", "Helvetica-Bold", unicode=False)


# Latin letters that Unicode does not decompose into a base letter plus accents.
_NO_DECOMPOSITION = {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i"}


def clean(text: str) -> str:
    """Customer text as it can be printed: one line, no control characters, drawable glyphs."""
    text = " ".join(str(text).split())
    if fonts().unicode:
        return text
    out = []
    for char in text:
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            # "Ş" -> "S", "ł" -> "l"; what has no Latin base becomes "?"
            base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(base or _NO_DECOMPOSITION.get(char, "?"))
        else:
            out.append(char)
    return "".join(out)


def width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _break_word(word: str, font: str, size: float, max_width: float) -> list[str]:
    """Split a word wider than the box (a long URL, a street name without spaces), after a
    "/" or "-" when there is one in the second half of the line."""
    parts: list[str] = []
    current = ""
    for char in word:
        if current and width(current + char, font, size) > max_width:
            cut = max(current.rfind("/"), current.rfind("-")) + 1
            if cut <= len(current) // 2:
                cut = len(current)
            parts.append(current[:cut])
            current = current[cut:] + char
        else:
            current += char
    if current:
        parts.append(current)
    return parts


def wrap(text: str, font: str, size: float, max_width: float) -> list[str]:
    """Greedy word wrap by real glyph widths; words too long for a line are broken."""
    lines: list[str] = []
    current = ""
    for word in clean(text).split(" "):
        if not word:
            continue
        candidate = f"{current} {word}" if current else word
        if width(candidate, font, size) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if width(word, font, size) <= max_width:
            current = word
        else:
            *full, current = _break_word(word, font, size, max_width)
            lines.extend(full)
    if current:
        lines.append(current)
    return lines


def ellipsize(text: str, font: str, size: float, max_width: float) -> str:
    if width(text, font, size) <= max_width:
        return text
    while text and width(text + "…", font, size) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def fit_lines(
    paragraphs: list[str], font: str, size: float, max_width: float, max_lines: int
) -> list[str]:
    """Wrap each paragraph into the box; past max_lines the last kept line ends with "…"."""
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(wrap(paragraph, font, size, max_width))
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    kept[-1] = ellipsize(kept[-1] + " …", font, size, max_width)
    return kept


def shrunk_size(text: str, font: str, size: float, max_width: float, min_size: float) -> float:
    """The largest size up to `size` at which the text fits, but not below `min_size`."""
    natural = width(text, font, size)
    if natural <= max_width:
        return size
    return max(min_size, size * max_width / natural)


def draw_fitted(
    canvas: Canvas,
    x: float,
    top: float,
    text: str,
    font: str,
    size: float,
    max_width: float,
    min_size: float | None = None,
) -> None:
    """One line of text whose top is at `top` (reportlab's y). Too wide for the box, it first
    shrinks down to `min_size` (identifiers must stay whole), then is cut with "…"."""
    text = clean(text)
    if min_size is not None:
        size = shrunk_size(text, font, size, max_width, min_size)
    canvas.setFont(font, size)
    canvas.drawString(x, top - size * 0.8, ellipsize(text, font, size, max_width))


# Code 128 -------------------------------------------------------------------------------------


def check_code128(value: str) -> str:
    """Code 128 encodes ASCII only; reportlab silently drops the rest, so refuse it here."""
    if not value or any(not 32 <= ord(c) < 127 for c in value):
        raise ValueError(f"Code 128 needs printable ASCII, got {value!r}")
    return value


@functools.lru_cache(maxsize=1024)
def code128_bars(value: str) -> tuple[int, tuple[tuple[int, int], ...]]:
    """(total modules, bars as (start module, width in modules)), without quiet zones.

    reportlab does the encoding (it picks code set C for digit runs, so numbers stay short)
    and we draw the bars ourselves as one path.
    """
    symbol = Code128(check_code128(value), quiet=0, barWidth=1)
    symbol.validate()
    symbol.encode()
    symbol.decompose()  # reportlab computes these lazily, when the widget is first drawn
    bars: list[tuple[int, int]] = []
    position = 0
    for char in symbol.decomposed:
        # reportlab's pattern alphabet: upper case = bar, lower case = space, letter = width
        if char.isupper():
            modules = ord(char) - ord("A") + 1
            bars.append((position, modules))
        else:
            modules = ord(char) - ord("a") + 1
        position += modules
    return position, tuple(bars)


def draw_code128(
    canvas: Canvas, value: str, x: float, y: float, module: float, height: float
) -> float:
    """Draw the bars from (x, y) upwards; returns the symbol width (quiet zones not included)."""
    total, bars = code128_bars(value)
    path = canvas.beginPath()
    for start, modules in bars:
        path.rect(x + start * module, y, modules * module, height)
    canvas.drawPath(path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)
    return total * module


def dot_module(modules: int, max_width: float, dpi: int = 203, max_dots: int = 4) -> float:
    """The widest module that fits, in whole printer dots so thermal printers keep every bar
    the same width; below 2 dots a 203 dpi head cannot print reliably, so we stop rounding and
    fit the width exactly (scannable on 300 dpi printers and laser paper)."""
    dot = 72 / dpi
    for dots in range(max_dots, 1, -1):
        if modules * dots * dot <= max_width:
            return dots * dot
    return max_width / modules


# QR -------------------------------------------------------------------------------------------


QR_MASK = 2  # see qr_runs


@functools.lru_cache(maxsize=1024)
def qr_runs(data: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """(size in modules, dark runs as (row, first column, length)), without the quiet zone.

    The mask is fixed: searching the best of the eight is 7 of a label's 17 ms, and readers
    accept every mask (the code states its own); the search only trims rare confusing patterns,
    which the large modules printed here do not need. Tests decode every document we render.
    """
    matrix = segno.make(data, error="m", micro=False, mask=QR_MASK).matrix
    runs: list[tuple[int, int, int]] = []
    for row, cells in enumerate(matrix):
        start = None
        for col, dark in enumerate(cells):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                runs.append((row, start, col - start))
                start = None
        if start is not None:
            runs.append((row, start, len(cells) - start))
    return len(matrix), tuple(runs)


def draw_qr(canvas: Canvas, data: str, x: float, top: float, module: float) -> float:
    """Draw a QR code whose top-left corner is at (x, top); returns its side (no quiet zone).

    One path with the non-zero rule: separate rectangles (or even-odd) leave hairline white
    seams between rows after anti-aliasing, which scanners read as broken modules.
    """
    size, runs = qr_runs(data)
    path = canvas.beginPath()
    for row, col, length in runs:
        path.rect(x + col * module, top - (row + 1) * module, length * module, module)
    canvas.drawPath(path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)
    return size * module


@functools.lru_cache(maxsize=1024)
def qr_size(data: str) -> int:
    """Modules per side of the QR code for `data` (error correction M). The version depends on
    the data only, so a fixed mask skips segno's costly mask scoring (most of its time)."""
    return len(segno.make(data, error="m", micro=False, mask=0).matrix)
