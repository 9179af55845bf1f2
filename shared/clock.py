"""Time: stored in UTC, shown in Asia/Taipei, national files in 7-digit ROC dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_taipei(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TAIPEI)


def roc_date(day: date) -> str:
    """7-digit ROC date: 1991-01-16 -> '0800116'."""
    year = day.year - 1911
    if year < 1:
        raise ValueError("dates before the ROC era cannot be written as ROC dates")
    return f"{year:03d}{day.month:02d}{day.day:02d}"


def roc_slashed(day: date) -> str:
    """民國 date as pages and mails show it: 2026-12-01 -> '115/12/01'."""
    return f"{day.year - 1911}/{day.month:02d}/{day.day:02d}"


def parse_roc_date(text: str) -> date:
    if len(text) != 7 or not text.isdigit():
        raise ValueError("an ROC date has 7 digits, e.g. 1130915")
    return date(int(text[:3]) + 1911, int(text[3:5]), int(text[5:]))
