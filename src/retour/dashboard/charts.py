"""Bar charts drawn on the server as SVG: no script, and each chart's template gives it a title
and a description for screen readers and keeps the figures in a table beside it.

The geometry is in the SVG's own units (`viewBox`): columns are 10 units wide and the tallest
one is 100 units high; rows are 10 units high and 100 units long for the largest value.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

COLUMN_WIDTH = 10  # also a row's height
FULL = 100


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    offset: int  # where the bar starts across the chart: a column's x, a row's y
    length: float  # the column's height or the row's length, 0…100

    @property
    def top(self) -> float:
        """A column's y: columns stand on the bottom edge."""
        return round(FULL - self.length, 2)


def bars(points: Sequence[tuple[str, int]]) -> list[Bar]:
    """One bar per (label, value), scaled so the largest value is 100 units long."""
    largest = max((value for _label, value in points), default=0)
    return [
        Bar(
            label=label,
            value=value,
            offset=index * COLUMN_WIDTH,
            length=round(FULL * value / largest, 2) if largest else 0,
        )
        for index, (label, value) in enumerate(points)
    ]


@dataclass(frozen=True)
class Point:
    """A point of a line chart: columns are `COLUMN_WIDTH` apart, the highest value at the top."""

    label: str
    value: Decimal
    x: float
    y: float


def line(points: Sequence[tuple[str, Decimal | int]]) -> list[Point]:
    """One point per (label, value), in the middle of its column, scaled so the largest value
    touches the top (a line of zeros lies on the bottom edge)."""
    largest = max((Decimal(value) for _label, value in points), default=Decimal(0))
    return [
        Point(
            label=label,
            value=Decimal(value),
            x=index * COLUMN_WIDTH + COLUMN_WIDTH / 2,
            y=round(float(FULL - FULL * Decimal(value) / largest), 2) if largest else FULL,
        )
        for index, (label, value) in enumerate(points)
    ]


def polyline(points: Sequence[Point]) -> str:
    """The `points` attribute of an SVG polyline through the points."""
    return " ".join(f"{point.x},{point.y}" for point in points)
