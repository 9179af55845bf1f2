"""Certification's MongoDB repository: outcomes, per-term counters, selections, proxies, notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.certification.domain import SCHOOL_CAP_DEFAULT
from shared.archived_store import ArchivedStudents, purge_collections
from shared.audit_store import AuditTrail
from shared.tenancy import SchoolCollection


class CertificationStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.outcomes = SchoolCollection(db["outcomes"])
        self.slots = SchoolCollection(db["slots"])
        self.locks = SchoolCollection(db["selection_locks"])
        self.batch_locks = SchoolCollection(db["batch_selection_locks"])  # 高三 梯次 uploads, per student
        self.proxies = SchoolCollection(db["proxies"])
        self.notifications = SchoolCollection(db["notifications"])
        self.settings = SchoolCollection(db["school_settings"])
        self.archived = ArchivedStudents(SchoolCollection(db["archived_students"]))  # projection of records.student_archived
        self.audit = AuditTrail(SchoolCollection(db["audit"]))

    def ensure_indexes(self) -> None:
        self.outcomes.create_index([("student_id", 1), ("year", 1), ("term", 1)])
        self.outcomes.create_index([("teacher_ids", 1), ("state", 1)])
        self.outcomes.create_index([("year", 1), ("term", 1), ("state", 1)])
        self.slots.create_index([("student_id", 1), ("year", 1), ("term", 1), ("kind", 1), ("holder", 1)], unique=True, name="holder")
        self.locks.create_index([("year", 1), ("term", 1)], unique=True)
        self.batch_locks.create_index([("year", 1), ("student_id", 1)], unique=True)
        self.settings.create_index([], unique=True)
        self.proxies.create_index([("proxy_id", 1)])
        self.proxies.create_index([("teacher_id", 1)])
        self.notifications.create_index([("recipient", 1), ("at", -1)])
        self.archived.ensure_indexes()
        self.audit.ensure_indexes()

    def ping(self) -> None:
        self.db.command("ping")

    # the school's own settings
    def school_cap(self, school_id: str) -> int:
        doc = self.settings.find_one(school_id)
        return int(doc["outcome_cap"]) if doc and doc.get("outcome_cap") else SCHOOL_CAP_DEFAULT

    def set_school_cap(self, school_id: str, cap: int) -> None:
        self.settings.update_one(school_id, {}, {"$set": {"outcome_cap": cap}}, upsert=True)

    # outcomes
    def get(self, school_id: str, outcome_id: str) -> dict[str, Any] | None:
        return self.outcomes.find_one(school_id, {"_id": outcome_id})

    def insert(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.outcomes.insert_one(school_id, doc)

    def transition(self, school_id: str, outcome_id: str, expected: str, changes: dict[str, Any], entry: dict[str, Any]) -> dict | None:
        """Atomic compare-and-set on the state: None when someone else changed it first."""
        return self.outcomes.find_one_and_update(
            school_id, {"_id": outcome_id, "state": expected}, {"$set": changes, "$push": {"history": entry}}
        )

    def of_student(self, school_id: str, student_id: str, year: int | None = None, term: int | None = None) -> list[dict]:
        filter_: dict[str, Any] = {"student_id": student_id}
        if year is not None:
            filter_.update({"year": year, "term": term})
        return self.outcomes.find(school_id, filter_, sort=[("created_at", 1)])

    def has_outcomes_of(self, school_id: str, student_ids: list[str]) -> bool:
        return bool(student_ids) and self.outcomes.count(school_id, {"student_id": {"$in": student_ids}}) > 0

    def of_students(self, school_id: str, student_ids: list[str], year: int, term: int) -> list[dict]:
        return self.outcomes.find(school_id, {"student_id": {"$in": student_ids}, "year": year, "term": term})

    def waiting_for(self, school_id: str, teacher_ids: list[str]) -> list[dict]:
        return self.outcomes.find(school_id, {"teacher_ids": {"$in": teacher_ids}, "state": "submitted"}, sort=[("submitted_at", 1)])

    def of_term(self, school_id: str, year: int, term: int) -> list[dict]:
        projection = {"student_id": 1, "class_code": 1, "teacher_ids": 1, "state": 1, "submitted_at": 1, "certified_at": 1}
        return self.outcomes.find(school_id, {"year": year, "term": term}, projection=projection)

    # Caps are slots: a student's term has `cap` numbered slot documents at most, and taking one is
    # an insert under a unique _id. The database's unique constraint decides every race, so parallel
    # requests can never exceed a cap, whatever the server's isolation of read-modify-write updates.
    def take_slot(self, school_id: str, student_id: str, year: int, term: int, kind: str, cap: int, holder: str) -> str:
        """'added', 'already' (this holder has a slot) or 'full'."""
        key = {"student_id": student_id, "year": year, "term": term, "kind": kind}
        if self.slots.find_one(school_id, {**key, "holder": holder}):
            return "already"
        for n in range(cap):
            try:
                self.slots.insert_one(
                    school_id, {"_id": f"{school_id}|{student_id}|{year}|{term}|{kind}|{n}", **key, "n": n, "holder": holder}
                )
                return "added"
            except DuplicateKeyError:
                # Either slot n is taken (try the next) or this holder won a slot in a parallel request.
                if self.slots.find_one(school_id, {**key, "holder": holder}):
                    return "already"
        return "full"

    def free_slot(self, school_id: str, student_id: str, year: int, term: int, kind: str, holder: str) -> bool:
        key = {"student_id": student_id, "year": year, "term": term, "kind": kind, "holder": holder}
        return self.slots.delete_one(school_id, key) > 0

    def holders(self, school_id: str, student_id: str, year: int, term: int, kind: str) -> list[str]:
        key = {"student_id": student_id, "year": year, "term": term, "kind": kind}
        return [d["holder"] for d in self.slots.find(school_id, key, sort=[("n", 1)])]

    def holders_of_term(self, school_id: str, year: int, term: int, kind: str) -> list[dict]:
        return self.slots.find(school_id, {"year": year, "term": term, "kind": kind}, sort=[("student_id", 1), ("n", 1)])

    def lock_term(self, school_id: str, year: int, term: int, by: str, at: datetime) -> None:
        self.locks.update_one(school_id, {"year": year, "term": term}, {"$set": {"locked_by": by, "locked_at": at}}, upsert=True)

    def lock_batch(self, school_id: str, year: int, batch: int, student_ids: list[str], by: str, at: datetime) -> None:
        """The students a 高三 梯次 upload carried: their 勾選 of the year stays as sent (the first 梯次 wins)."""
        for student_id in student_ids:
            fields = {"batch": batch, "locked_by": by, "locked_at": at}
            self.batch_locks.update_one(school_id, {"year": year, "student_id": student_id}, {"$setOnInsert": fields}, upsert=True)

    def batch_locked(self, school_id: str, year: int, student_id: str | None) -> int | None:
        """The 梯次 whose upload locked this student's 勾選 of the year (None: not locked that way)."""
        doc = self.batch_lock(school_id, year, student_id)
        return int(doc["batch"]) if doc else None

    def batch_lock(self, school_id: str, year: int, student_id: str | None) -> dict | None:
        """The lock itself (its 梯次 and when), for the student's page to say since when."""
        if not student_id:
            return None
        return self.batch_locks.find_one(school_id, {"year": year, "student_id": student_id})

    def is_locked(self, school_id: str, year: int, term: int) -> bool:
        return self.locks.find_one(school_id, {"year": year, "term": term}) is not None

    # proxies (代理人)
    def add_proxy(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.proxies.insert_one(school_id, doc)

    def proxies_of(self, school_id: str, *, proxy_id: str | None = None, teacher_id: str | None = None) -> list[dict]:
        filter_ = {"proxy_id": proxy_id} if proxy_id else {"teacher_id": teacher_id}
        return self.proxies.find(school_id, filter_)

    # archive: a student's documents removed after retention
    def purge(self, school_id: str, student_ids: list[str], dry_run: bool) -> dict[str, int]:
        """Every outcome, slot and notification of these students, and the audit entries about their outcomes."""
        by_student = {"student_id": {"$in": student_ids}}
        outcome_ids = [d["_id"] for d in self.outcomes.find(school_id, by_student, projection={"_id": 1})]
        audit = {"target": {"$in": outcome_ids}}
        parts = [
            ("outcomes", self.outcomes, by_student),
            ("slots", self.slots, by_student),
            ("notifications", self.notifications, {"recipient": {"$in": student_ids}}),
            ("audit", self.audit.collection, audit),
            ("archived_students", self.archived.collection, by_student),
        ]
        return purge_collections(school_id, parts, dry_run)

    # notifications
    def notify(self, school_id: str, docs: list[dict[str, Any]]) -> None:
        self.notifications.insert_many(school_id, docs)

    def notifications_of(self, school_id: str, recipient: str, limit: int = 50) -> list[dict]:
        return self.notifications.find(school_id, {"recipient": recipient}, sort=[("at", -1)], limit=limit)

    # working group figures
    def created_in_term(self, school_id: str, year: int, term: int) -> list[dict]:
        return self.outcomes.find(school_id, {"year": year, "term": term}, projection={"student_id": 1, "state": 1, "created_at": 1})
