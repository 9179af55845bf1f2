"""Where 問題回報 (problem reports to the school's registrar) are kept, one collection per school's rows."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from shared.tenancy import SchoolCollection


class ProblemReportStore:
    def __init__(self, db: Database) -> None:
        self.reports = SchoolCollection(db["problem_reports"])

    def ensure_indexes(self) -> None:
        self.reports.create_index([("state", 1), ("reported_at", -1)])
        self.reports.create_index([("reporter_id", 1), ("reported_at", -1)])

    def insert(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.reports.insert_one(school_id, doc)

    def open_count_of(self, school_id: str, reporter_id: str) -> int:
        return self.reports.count(school_id, {"reporter_id": reporter_id, "state": "open"})

    def of_reporter(self, school_id: str, reporter_id: str, limit: int) -> list[dict[str, Any]]:
        return self.reports.find(school_id, {"reporter_id": reporter_id}, sort=[("reported_at", -1)], limit=limit)

    def page(self, school_id: str, state: str | None, skip: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        filter_ = {"state": state} if state else {}
        docs = self.reports.find(school_id, filter_, sort=[("reported_at", -1)], skip=skip, limit=limit)
        return docs, self.reports.count(school_id, filter_)

    def answer(self, school_id: str, report_id: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        return self.reports.find_one_and_update(school_id, {"_id": report_id}, {"$set": fields})
