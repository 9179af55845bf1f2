"""The record of backup runs, in the backup service's own database (never itself dumped)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.database import Database

from shared.clock import utcnow


class BackupRuns:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.runs = db["runs"]

    def ensure_indexes(self) -> None:
        self.runs.create_index([("finished_at", -1)])

    def ping(self) -> None:
        self.db.command("ping")

    def record(self, entry: dict[str, Any]) -> None:
        self.runs.insert_one(entry)

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.runs.find({}, {"_id": 0}).sort("finished_at", -1).limit(limit))

    def last_good(self) -> dict[str, Any] | None:
        return self.runs.find_one({"ok": True, "verified": True}, {"_id": 0}, sort=[("finished_at", -1)])


def freshness(last_good: dict[str, Any] | None, interval_hours: int, now: datetime | None = None) -> dict[str, Any]:
    """The alarm: no good backup, or the last good one older than the configured interval."""
    now = now or utcnow()
    if last_good is None:
        return {"last_good_backup": None, "stale": True, "interval_hours": interval_hours}
    finished: datetime = last_good["finished_at"]
    return {
        "last_good_backup": finished.isoformat(),
        "backup_id": last_good["backup_id"],
        "stale": now - finished > timedelta(hours=interval_hours),
        "interval_hours": interval_hours,
    }
