"""How one stored value is written in a national roster cell (dates in 民國 7 digits, 是/否 as 1/0)."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.clock import roc_date


def roc_cell(value: Any) -> str:
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return roc_date(day)


def yes_no_cell(value: Any) -> str:
    if value is None or value == "":
        return ""
    return "1" if value in (True, "1", 1, "是", "Y") else "0"


def text_cell(value: Any) -> str:
    return "" if value is None else str(value)


def number_cell(value: Any) -> str:
    """A stored number as the sheet shows it: 4.0 -> "4", 3.5 -> "3.5"."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
