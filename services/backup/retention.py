"""Retention of archived portfolios: plain rules, no I/O.

The seed regulation limits the portfolio to the enrolment period (以學生就學期間之資料為限); the school
keeps an archived portfolio `retention_years` after the student left (畢業/轉出), then purges it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.backup.schemas import MAX_RETENTION_YEARS as MAX_RETENTION_YEARS
from services.backup.schemas import PurgeIn as PurgeIn
from services.backup.schemas import RetentionIn as RetentionIn


def purge_after(left_on: date, years: int) -> date:
    """The first day an archived portfolio may be purged: `years` after leaving (29 Feb falls to 28 Feb)."""
    try:
        return left_on.replace(year=left_on.year + years)
    except ValueError:
        return left_on.replace(year=left_on.year + years, day=28)


def is_due(left_on: date, years: int, today: date) -> bool:
    return today >= purge_after(left_on, years)


def split_due(archived: list[dict[str, Any]], years: int, today: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(due, not yet due) archived students, each with its `purge_after` date (ISO)."""
    due, waiting = [], []
    for student in archived:
        after = purge_after(date.fromisoformat(student["left_on"]), years)
        entry = {**student, "purge_after": after.isoformat()}
        (due if today >= after else waiting).append(entry)
    return due, waiting


def totals(parts: dict[str, dict[str, int]]) -> dict[str, int]:
    """The report's headline figures from each service's counts."""
    records = parts.get("records", {})
    certification = parts.get("certification", {})
    evidence = parts.get("evidence", {})
    return {
        "records": sum(v for k, v in records.items() if k not in {"audit", "competition_results"}),
        "outcomes": certification.get("outcomes", 0),
        "evidence_files": evidence.get("evidence", 0),
        "object_versions": evidence.get("object_versions", 0),
        "delete_markers": evidence.get("delete_markers", 0),
        "bytes": evidence.get("bytes", 0),
        "audit_entries": records.get("audit", 0) + certification.get("audit", 0) + evidence.get("audit", 0),
    }
