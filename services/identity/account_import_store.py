"""Where account import jobs are kept (the rows themselves are in shared/import_files.py)."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from shared.tenancy import SchoolCollection


class AccountImportJobs:
    def __init__(self, db: Database) -> None:
        self.jobs = SchoolCollection(db["account_imports"])

    def get(self, school_id: str, import_id: str) -> dict[str, Any] | None:
        return self.jobs.find_one(school_id, {"_id": import_id})

    def of_file(self, school_id: str, file_sha256: str) -> list[dict[str, Any]]:
        return self.jobs.find(school_id, {"file_sha256": file_sha256}, sort=[("created_at", -1)])

    def insert(self, school_id: str, job: dict[str, Any]) -> None:
        self.jobs.insert_one(school_id, job)

    def update(self, school_id: str, import_id: str, fields: dict[str, Any]) -> None:
        self.jobs.update_one(school_id, {"_id": import_id}, {"$set": fields})

    def take_sheet(self, school_id: str, import_id: str, handed_out: dict[str, Any]) -> bool:
        """The sheet leaves the job in the same write that marks it handed out: only one download gets it."""
        taken = self.jobs.update_one(
            school_id, {"_id": import_id, "sheet_state": "ready"}, {"$set": handed_out, "$unset": {"sheet_enc": ""}}
        )
        return bool(taken)
