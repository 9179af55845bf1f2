"""The documents service's MongoDB repository: printed 確認單 versions and generation jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.audit_store import AuditTrail
from shared.tenancy import SchoolCollection


class DocumentsStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.prints = SchoolCollection(db["confirmation_prints"])  # one per (student, semester, version)
        self.jobs = SchoolCollection(db["jobs"])
        self.texts = SchoolCollection(db["portfolio_texts"])  # the student's 學習歷程自述 and 綜整心得
        self.audit = AuditTrail(SchoolCollection(db["audit"]))
        # a parent's 確認單 acknowledgement: one per (student, semester, version, parent)
        self.acknowledgements = SchoolCollection(db["confirmation_acknowledgements"])

    def ensure_indexes(self) -> None:
        self.prints.create_index([("student_id", 1), ("year", 1), ("term", 1), ("version", 1)], unique=True)
        self.jobs.create_index([("requested_by", 1), ("created_at", -1)])
        self.audit.ensure_indexes()
        self.acknowledgements.create_index([("student_id", 1), ("year", 1), ("term", 1), ("at", 1)])

    def ping(self) -> None:
        self.db.command("ping")

    # printed 確認單

    def latest_print(self, school_id: str, student_id: str, year: int, term: int) -> dict[str, Any] | None:
        found = self.prints.find(school_id, {"student_id": student_id, "year": year, "term": term}, sort=[("version", -1)], limit=1)
        return found[0] if found else None

    def record_print(self, school_id: str, student_id: str, year: int, term: int, fingerprint: str, at: datetime) -> dict[str, Any]:
        """The version this content prints as: the latest when unchanged, else the next number."""
        for _ in range(5):  # two prints at once may race for the next number: the unique index decides
            latest = self.latest_print(school_id, student_id, year, term)
            if latest and latest["fingerprint"] == fingerprint:
                self.prints.update_one(school_id, {"_id": latest["_id"]}, {"$set": {"last_printed_at": at}, "$inc": {"prints": 1}})
                return {**latest, "last_printed_at": at}
            version = (latest["version"] if latest else 0) + 1
            doc = {
                "_id": f"{school_id}:{student_id}:{year}-{term}:{version}",
                "student_id": student_id,
                "year": year,
                "term": term,
                "version": version,
                "fingerprint": fingerprint,
                "first_printed_at": at,
                "last_printed_at": at,
                "prints": 1,
            }
            try:
                return self.prints.insert_one(school_id, doc)
            except DuplicateKeyError:  # someone else took this number: look again
                continue
        raise RuntimeError("could not number the printed confirmation")

    # jobs

    def insert_job(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.jobs.insert_one(school_id, doc)

    def get_job(self, school_id: str, job_id: str) -> dict[str, Any] | None:
        return self.jobs.find_one(school_id, {"_id": job_id}) if isinstance(job_id, str) else None

    def update_job(self, school_id: str, job_id: str, changes: dict[str, Any]) -> None:
        self.jobs.update_one(school_id, {"_id": job_id}, {"$set": changes})

    # the portfolio's texts

    def get_texts(self, school_id: str, student_id: str) -> dict[str, Any] | None:
        return self.texts.find_one(school_id, {"_id": f"{school_id}:{student_id}"})

    def save_texts(self, school_id: str, student_id: str, changes: dict[str, Any]) -> None:
        self.texts.update_one(school_id, {"_id": f"{school_id}:{student_id}"}, {"$set": {**changes, "student_id": student_id}}, upsert=True)

    # parents' acknowledgements of the 確認單

    def acknowledge(self, school_id: str, doc: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The acknowledgement and True, or the one this parent recorded of this version already and False."""
        try:
            return self.acknowledgements.insert_one(school_id, doc), True
        except DuplicateKeyError:
            return self.acknowledgements.find_one(school_id, {"_id": doc["_id"]}) or doc, False

    def acknowledgements_of(self, school_id: str, student_id: str, year: int, term: int) -> list[dict[str, Any]]:
        where = {"student_id": student_id, "year": year, "term": term}
        return self.acknowledgements.find(school_id, where, sort=[("at", 1)], limit=100)
