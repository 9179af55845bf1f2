"""Evidence's MongoDB repository. Every query names its school.

Two collections: `uploads` holds upload intents (a form was handed out, nothing verified yet);
`evidence` holds only verified files, written after the object is checked, so a record never points
at an object that is not there. A completed upload's id is unique in `evidence`, so completing twice
returns the same record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.evidence.schemas import State
from shared.archived_store import ArchivedStudents, purge_collections
from shared.audit_store import AuditTrail
from shared.tenancy import SchoolCollection

LIVE = [State.STORED.value, State.LOCKED.value]


class EvidenceStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.evidence = SchoolCollection(db["evidence"])
        self.uploads = SchoolCollection(db["uploads"])
        self.archived = ArchivedStudents(SchoolCollection(db["archived_students"]))  # projection of records.student_archived
        self.audit = AuditTrail(SchoolCollection(db["audit"]))

    def ensure_indexes(self) -> None:
        self.evidence.create_index([("upload_id", 1)], unique=True)
        self.evidence.create_index([("student_id", 1), ("state", 1)])
        self.evidence.create_index([("key", 1)])
        self.uploads.create_index([("expires_at", 1)])
        self.uploads.create_index([("student_id", 1)])
        self.archived.ensure_indexes()
        self.audit.ensure_indexes()

    def ping(self) -> None:
        self.db.command("ping")

    def schools(self) -> list[str]:
        """Schools holding evidence or uploads (for the district-wide reconcile command)."""
        return sorted(set(self.evidence.raw.distinct("school_id")) | set(self.uploads.raw.distinct("school_id")))

    # --- archive: a student's evidence, and removing it after retention ---

    def of_students(self, school_id: str, student_ids: list[str]) -> list[dict[str, Any]]:
        return self.evidence.find(school_id, {"student_id": {"$in": student_ids}}, sort=[("created_at", 1)])

    def purge(self, school_id: str, student_ids: list[str], dry_run: bool) -> dict[str, int]:
        """Evidence records, open uploads and audit entries of these students (objects go separately)."""
        by_student = {"student_id": {"$in": student_ids}}
        evidence_ids = [d["_id"] for d in self.evidence.find(school_id, by_student, projection={"_id": 1})]
        upload_ids = [d["_id"] for d in self.uploads.find(school_id, by_student, projection={"_id": 1})]
        parts = [
            ("evidence", self.evidence, by_student),
            ("uploads", self.uploads, by_student),
            ("audit", self.audit.collection, {"target": {"$in": evidence_ids + upload_ids}}),
            ("archived_students", self.archived.collection, by_student),
        ]
        return purge_collections(school_id, parts, dry_run)

    # --- upload intents ---

    def insert_upload(self, doc: dict[str, Any]) -> None:
        self.uploads.insert_one(doc["school_id"], doc)

    def find_upload(self, school_id: str, upload_id: str) -> dict[str, Any] | None:
        return self.uploads.find_one(school_id, {"_id": upload_id})

    def delete_upload(self, school_id: str, upload_id: str) -> None:
        self.uploads.delete_one(school_id, {"_id": upload_id})

    def expired_uploads(self, school_id: str, before: datetime) -> list[dict[str, Any]]:
        return self.uploads.find(school_id, {"expires_at": {"$lt": before}}, limit=1000)

    def open_uploads(self, school_id: str) -> list[dict[str, Any]]:
        return self.uploads.find(school_id, projection={"key": 1, "replaces": 1})

    # --- evidence ---

    def insert_evidence(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Idempotent per upload: a second complete of the same upload returns the first record."""
        try:
            return self.evidence.insert_one(doc["school_id"], doc)
        except DuplicateKeyError:
            existing = self.find_by_upload(doc["school_id"], doc["upload_id"])
            if existing is None:
                raise
            return existing

    def find_evidence(self, school_id: str, evidence_id: str) -> dict[str, Any] | None:
        return self.evidence.find_one(school_id, {"_id": evidence_id})

    def find_many(self, school_id: str, ids: list[str]) -> list[dict[str, Any]]:
        return self.evidence.find(school_id, {"_id": {"$in": ids}})

    def find_by_upload(self, school_id: str, upload_id: str) -> dict[str, Any] | None:
        return self.evidence.find_one(school_id, {"upload_id": upload_id})

    def list_evidence(
        self, school_id: str, *, student_id: str | None = None, uploaded_by: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        filter_: dict[str, Any] = {"state": {"$in": LIVE}}
        if student_id:
            filter_["student_id"] = student_id
        if uploaded_by:
            filter_["uploaded_by"] = uploaded_by
        return self.evidence.find(school_id, filter_, sort=[("created_at", -1)], limit=limit)

    def all_evidence(self, school_id: str) -> list[dict[str, Any]]:
        return self.evidence.find(school_id, projection={"key": 1, "version_id": 1, "sha256": 1, "size": 1, "state": 1, "versions": 1})

    def usage(self, school_id: str, student_id: str) -> tuple[int, int]:
        """Files and bytes a student holds, including uploads still open (so parallel forms count)."""
        docs = self.evidence.find(school_id, {"student_id": student_id, "state": {"$in": LIVE}}, projection={"size": 1})
        open_ = self.uploads.find(school_id, {"student_id": student_id, "replaces": None}, projection={"size": 1})
        return len(docs) + len(open_), sum(d["size"] for d in docs) + sum(d["size"] for d in open_)

    def replace_version(self, school_id: str, evidence_id: str, changes: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any] | None:
        """Atomically swaps in a new version, only while the evidence is still unlocked."""
        return self.evidence.find_one_and_update(
            school_id, {"_id": evidence_id, "state": State.STORED.value}, {"$set": changes, "$push": {"versions": previous}}
        )

    def mark_deleted(self, school_id: str, evidence_id: str, now: datetime) -> dict[str, Any] | None:
        return self.evidence.find_one_and_update(
            school_id, {"_id": evidence_id, "state": State.STORED.value}, {"$set": {"state": State.DELETED.value, "deleted_at": now}}
        )

    def mark_locked(self, school_id: str, evidence_id: str, reason: str, now: datetime) -> dict[str, Any] | None:
        """Locks once; a later reason (submitted after certified) is kept beside the first."""
        doc = self.evidence.find_one_and_update(
            school_id,
            {"_id": evidence_id, "state": State.STORED.value},
            {"$set": {"state": State.LOCKED.value, "lock_reason": reason, "locked_at": now}, "$addToSet": {"lock_reasons": reason}},
        )
        if doc is None:
            doc = self.evidence.find_one_and_update(
                school_id, {"_id": evidence_id, "state": State.LOCKED.value}, {"$addToSet": {"lock_reasons": reason}}
            )
        return doc

    def set_held(self, school_id: str, evidence_id: str, held: bool) -> None:
        self.evidence.update_one(school_id, {"_id": evidence_id}, {"$set": {"store_hold": held}})

    def add_grants(self, school_id: str, evidence_id: str, account_ids: list[str]) -> dict[str, Any] | None:
        return self.evidence.find_one_and_update(school_id, {"_id": evidence_id}, {"$addToSet": {"grants": {"$each": account_ids}}})

    def record_scrub(self, school_id: str, evidence_id: str, now: datetime, ok: bool) -> None:
        self.evidence.update_one(school_id, {"_id": evidence_id}, {"$set": {"scrubbed_at": now, "scrub_ok": ok}})
