"""Records' MongoDB repository: one collection per record type, all through SchoolCollection."""

from __future__ import annotations

from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.records.division import TYPES
from services.records.errors import RecordExists
from shared.audit import AuditTrail
from shared.tenancy import SchoolCollection


class RecordsStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.records = {key: SchoolCollection(db[key]) for key in TYPES}
        self.semesters = SchoolCollection(db["semesters"])
        self.reopenings = SchoolCollection(db["reopenings"])
        self.statements = SchoolCollection(db["statements"])
        self.imports = SchoolCollection(db["imports"])
        self.audit = AuditTrail(SchoolCollection(db["audit"]))

    def ensure_indexes(self) -> None:
        for key, type_ in TYPES.items():
            coll = self.records[key]
            if type_.natural_key:
                coll.create_index([(k, 1) for k in type_.natural_key], unique=True, name="natural_key")
            if type_.semester:
                coll.create_index([("year", 1), ("term", 1)])
            for single in {type_.student_field, type_.owner_field} - {None}:
                if type_.natural_key != (single,):  # the same keys under another name would conflict
                    coll.create_index([(single, 1)])
        self.records["students"].create_index([("national_id_hash", 1)], unique=True, name="national_id_unique")
        self.records["students"].create_index([("class_code", 1), ("seat_no", 1)])
        self.records["classes"].create_index([("homeroom_teacher_id", 1)])
        self.records["courses"].create_index([("teacher_ids", 1)])
        self.records["performances"].create_index([("student_id", 1), ("source_key", 1)], unique=True, name="performance_source")
        self.semesters.create_index([("semester_id", 1)], unique=True)
        self.reopenings.create_index([("semester_id", 1), ("record_type", 1), ("student_id", 1)])
        self.statements.create_index([("student_id", 1), ("kind", 1), ("version", -1)], unique=True)
        self.imports.create_index([("import_id", 1)], unique=True)
        self.audit.ensure_indexes()

    def ping(self) -> None:
        self.db.command("ping")

    # generic records
    def find(
        self, key: str, school_id: str, filter_: dict[str, Any], *, sort=None, skip: int = 0, limit: int = 0, projection=None
    ) -> list[dict[str, Any]]:
        return self.records[key].find(school_id, filter_, sort=sort, skip=skip, limit=limit, projection=projection)

    def count(self, key: str, school_id: str, filter_: dict[str, Any]) -> int:
        return self.records[key].count(school_id, filter_)

    def get(self, key: str, school_id: str, record_id: str, scope: dict[str, Any] | None = None) -> dict[str, Any] | None:
        if not isinstance(record_id, str):
            return None
        return self.records[key].find_one(school_id, {"_id": record_id, **(scope or {})})

    def find_one(self, key: str, school_id: str, filter_: dict[str, Any]) -> dict[str, Any] | None:
        return self.records[key].find_one(school_id, filter_)

    def insert(self, key: str, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.records[key].insert_one(school_id, doc)
        except DuplicateKeyError:
            raise RecordExists("已有相同的資料（學號、學期或代碼重複）", "a record with the same natural key exists") from None

    def update(self, key: str, school_id: str, record_id: str, changes: dict[str, Any], expect: dict[str, Any] | None = None):
        try:
            return self.records[key].find_one_and_update(school_id, {"_id": record_id, **(expect or {})}, {"$set": changes})
        except DuplicateKeyError:
            raise RecordExists("已有相同的資料（學號、學期或代碼重複）", "a record with the same natural key exists") from None

    def push(self, key: str, school_id: str, record_id: str, field: str, value: Any) -> dict[str, Any] | None:
        return self.records[key].find_one_and_update(school_id, {"_id": record_id}, {"$push": {field: value}})

    def delete(self, key: str, school_id: str, record_id: str) -> int:
        return self.records[key].delete_one(school_id, {"_id": record_id})

    def bulk_upsert(self, key: str, school_id: str, inserts: list[dict[str, Any]], updates: list[tuple[str, dict[str, Any]]]) -> None:
        """One round trip per chunk; every operation names the school (SchoolCollection's rule, kept by hand)."""
        ops: list[Any] = [InsertOne({**doc, "school_id": school_id}) for doc in inserts]
        ops += [UpdateOne({"_id": rid, "school_id": school_id}, {"$set": changes}) for rid, changes in updates]
        if not ops:
            return
        try:
            self.records[key].raw.bulk_write(ops, ordered=True)
        except BulkWriteError:
            raise RecordExists("匯入時發生重複資料（可能有人同時匯入），請重新匯入", "duplicate key during import; retry") from None

    def audit_many(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            self.audit.collection.raw.insert_many(docs, ordered=False)

    # semesters
    def semester(self, school_id: str, semester_id: str) -> dict[str, Any] | None:
        return self.semesters.find_one(school_id, {"semester_id": semester_id}) if isinstance(semester_id, str) else None

    def list_semesters(self, school_id: str) -> list[dict[str, Any]]:
        return self.semesters.find(school_id, {}, sort=[("year", -1), ("term", -1)])

    def insert_semester(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.semesters.insert_one(school_id, doc)
        except DuplicateKeyError:
            raise RecordExists(f"{doc['semester_id']} 學期已建立", f"semester {doc['semester_id']} exists") from None

    def replace_semester(self, school_id: str, semester_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        return self.semesters.find_one_and_update(school_id, {"semester_id": semester_id}, {"$set": changes})

    # reopenings
    def add_reopening(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.reopenings.insert_one(school_id, doc)

    def reopenings_for(self, school_id: str, semester_id: str, record_type: str | None = None) -> list[dict[str, Any]]:
        filter_: dict[str, Any] = {"semester_id": semester_id}
        if record_type:
            filter_["record_type"] = record_type
        return self.reopenings.find(school_id, filter_, sort=[("at", -1)])

    # statements
    def latest_statement(self, school_id: str, student_id: str, kind: str) -> dict[str, Any] | None:
        docs = self.statements.find(school_id, {"student_id": student_id, "kind": kind}, sort=[("version", -1)], limit=1)
        return docs[0] if docs else None

    def insert_statement(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.statements.insert_one(school_id, doc)
        except DuplicateKeyError:
            raise RecordExists("同時有另一份版本儲存，請重新整理後再試", "a concurrent save created this version") from None

    def statement_versions(self, school_id: str, student_ids: list[str] | None, kind: str | None) -> list[dict[str, Any]]:
        filter_: dict[str, Any] = {}
        if student_ids is not None:
            filter_["student_id"] = {"$in": student_ids}
        if kind:
            filter_["kind"] = kind
        return self.statements.find(school_id, filter_, sort=[("student_id", 1), ("kind", 1), ("version", -1)], limit=5000)

    def check_statement(self, school_id: str, statement_id: str, check: dict[str, Any]) -> dict[str, Any] | None:
        return self.statements.find_one_and_update(school_id, {"_id": statement_id}, {"$push": {"checks": check}})

    # import jobs
    def import_job(self, school_id: str, import_id: str) -> dict[str, Any] | None:
        return self.imports.find_one(school_id, {"import_id": import_id}) if isinstance(import_id, str) else None

    def start_import(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.imports.insert_one(school_id, doc)
        except DuplicateKeyError:
            raise RecordExists("此匯入編號已使用", "this import id is already used") from None

    def update_import(self, school_id: str, import_id: str, changes: dict[str, Any]) -> None:
        self.imports.update_one(school_id, {"import_id": import_id}, {"$set": changes})
