"""Server-drawn SVG charts: plain geometry for templates, each chart also given as a table of numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def bar_chart(values: list[tuple[str, int]], width: int = 320, height: int = 120) -> list[Bar]:
    top = max((v for _, v in values), default=0) or 1
    slot = width / max(1, len(values))
    bars = []
    for index, (label, value) in enumerate(values):
        h = (height - 4) * value / top
        bars.append(Bar(label, value, round(index * slot + slot * 0.15, 2), round(height - h, 2),
                        round(slot * 0.7, 2), round(h, 2)))
    return bars


@dataclass(frozen=True)
class Cell:
    day: date
    value: int
    level: int  # 0..4 for the colour scale
    x: int
    y: int


def heatmap(values: dict[date, int], today: date, weeks: int = 53, cell: int = 11) -> list[Cell]:
    """A year of days in columns of weeks (Monday on top), like a contribution calendar."""
    end = today
    start = end - timedelta(days=end.weekday()) - timedelta(weeks=weeks - 1)
    top = max(values.values(), default=0) or 1
    cells = []
    day = start
    while day <= end:
        value = values.get(day, 0)
        level = 0 if value <= 0 else min(4, 1 + int(3 * value / top))
        column = (day - start).days // 7
        cells.append(Cell(day, value, level, column * (cell + 2), day.weekday() * (cell + 2)))
        day += timedelta(days=1)
    return cells


def month_starts(cells: list[Cell], cell: int = 11, min_columns: int = 3) -> list[tuple[date, int]]:
    """Where each month's label goes above a :func:`heatmap` (same ``cell``): the column holding its first day.
    The partial month the year starts with gets a label only when it has room before the next one."""
    starts = [(c.day, c.x) for c in cells if c.day.day == 1]
    if cells and cells[0].day.day != 1:
        starts.insert(0, (cells[0].day.replace(day=1), cells[0].x))
    room = min_columns * (cell + 2)
    return [(day, x) for index, (day, x) in enumerate(starts)
            if index + 1 >= len(starts) or starts[index + 1][1] - x >= room]


@dataclass(frozen=True)
class Ring:
    radius: float
    circumference: float
    filled: float


def ring(fraction: float, radius: float = 42) -> Ring:
    circumference = 2 * math.pi * radius
    return Ring(radius, round(circumference, 2), round(circumference * max(0.0, min(1.0, fraction)), 2))
