"""民國 dates as printed on paper: 中華民國 115 年 12 月 1 日, and 115/12/01 in tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared.clock import to_taipei


def _day(value: Any) -> date | None:
    """A date from a date, an aware or naive datetime (UTC), an ISO string, or a 7-digit ROC date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return to_taipei(value).date()
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) == 7 and text.isdigit():
        return date(int(text[:3]) + 1911, int(text[3:5]), int(text[5:]))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return to_taipei(moment).date() if "T" in text else moment.date()


def roc_long(value: Any) -> str:
    day = _day(value)
    return f"中華民國 {day.year - 1911} 年 {day.month} 月 {day.day} 日" if day else ""


def roc_short(value: Any) -> str:
    day = _day(value)
    return f"{day.year - 1911}/{day.month:02d}/{day.day:02d}" if day else ""


def roc_moment(value: Any) -> str:
    """Date and Taipei time to the minute: 115/12/01 09:30."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return roc_short(value)
    local = to_taipei(value)
    return f"{roc_short(local.date())} {local:%H:%M}"
