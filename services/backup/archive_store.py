"""The archive's own data, in `{prefix}_archive` (dumped with every backup): each school's
retention setting and the purge reports, which name students only by their student number."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from shared.tenancy import SchoolCollection


class ArchiveStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.settings = SchoolCollection(db["retention"])
        self.purges = SchoolCollection(db["purges"])

    def ensure_indexes(self) -> None:
        self.settings.create_index([], unique=True)
        self.purges.create_index([("purge_id", 1)], unique=True)
        self.purges.create_index([("started_at", -1)])

    def ping(self) -> None:
        self.db.command("ping")

    def retention_years(self, school_id: str) -> int | None:
        doc = self.settings.find_one(school_id)
        return int(doc["retention_years"]) if doc and doc.get("retention_years") is not None else None

    def set_retention(self, school_id: str, years: int, by: str, at) -> None:
        self.settings.update_one(school_id, {}, {"$set": {"retention_years": years, "updated_by": by, "updated_at": at}}, upsert=True)

    def start_purge(self, school_id: str, report: dict[str, Any]) -> None:
        self.purges.insert_one(school_id, report)

    def finish_purge(self, school_id: str, purge_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        return self.purges.find_one_and_update(school_id, {"purge_id": purge_id}, {"$set": changes})

    def list_purges(self, school_id: str, limit: int = 50) -> list[dict[str, Any]]:
        return self.purges.find(school_id, {}, sort=[("started_at", -1)], limit=limit, projection={"students": 0})

    def purge(self, school_id: str, purge_id: str) -> dict[str, Any] | None:
        return self.purges.find_one(school_id, {"purge_id": purge_id})
