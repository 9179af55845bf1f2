"""Archiving (封存) in records, issue 9: students who left are archived, read-only, and purged after retention.

Records owns the student's status, so it decides who is archived: a status of 畢業 or 轉出 (saved,
imported, or set by the registrar's archive call for students or whole classes) archives the student,
stamps `left_on` (the start of the retention period) and emits `records.student_archived`, which
certification and evidence project to refuse writes. The RPCs at the end serve the backup service's
portfolio download and retention purge (it orchestrates; each service removes its own data).
"""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from services.records import domain, events, rules
from services.records.division import TYPES, RecordType
from services.records.errors import Archived, NotArchived, StudentNotFound
from services.records.schemas import ArchiveIn, UnarchiveIn
from shared.caller import Caller
from shared.clock import utcnow
from shared.permissions import Permission
from shared.validation import parse

# Record types that hold one student's data, by the field naming the student.
STUDENT_TYPES: tuple[RecordType, ...] = tuple(t for t in TYPES.values() if t.student_field == "student_id" and t.key != "students")


class ArchiveMixin:
    """Entrypoints and guards of archiving; mixed into RecordsService (which provides store, caller, dispatch)."""

    store: Any
    caller: Caller | None
    dispatch: Any

    # --- guards used by every write path ---

    def _refuse_archived(self, school: str, student_ids: list[str | None]) -> None:
        wanted = sorted({s for s in student_ids if s})
        if not wanted:
            return
        found = self.store.find(
            "students",
            school,
            {"student_id": {"$in": wanted}, "status": {"$in": sorted(rules.ARCHIVED_STATUSES)}},
            projection={"student_id": 1},
        )
        if found:
            ids = "、".join(sorted(d["student_id"] for d in found)[:20])
            raise Archived(f"學號 {ids} 已離校（畢業或轉出），學習歷程已封存唯讀", f"archived (read-only) students: {ids}")

    def _leaving(self, type_: RecordType, before: dict[str, Any] | None, content: dict[str, Any], caller: Caller) -> bool:
        """A student whose status becomes 畢業/轉出 is archived by this write: stamp it; announce after the write."""
        if type_.key != "students" or content.get("status") not in rules.ARCHIVED_STATUSES:
            return False
        if before is not None and domain.is_archived(before):
            return False
        content.update(domain.leaving_stamp(caller.user_id, utcnow(), None))
        return True

    def _announce_archived(self, school: str, student_ids: list[str], status: str | None, left_on: str | None) -> None:
        self.dispatch(events.STUDENT_ARCHIVED, events.archived(school, student_ids, status, left_on))

    # --- the registrar ---

    @rpc
    def archive_students(self, payload: dict) -> dict:
        """Archive named students or whole classes (e.g. a graduating year): status 畢業/轉出, left_on, event."""
        caller, school = self._school_caller(Permission.SCHOOL_ARCHIVE_WRITE)  # type: ignore[attr-defined]
        request = parse(ArchiveIn, payload)
        docs: list[dict[str, Any]] = []
        if request.student_ids:
            docs = self.store.find("students", school, {"student_id": {"$in": sorted(set(request.student_ids))}})
            missing = sorted(set(request.student_ids) - {d["student_id"] for d in docs})
            if missing:
                raise StudentNotFound("找不到學號：" + "、".join(missing[:20]), "unknown students: " + ", ".join(missing[:20]))
        if request.class_codes:
            known = {d["student_id"] for d in docs}
            more = self.store.find("students", school, {"class_code": {"$in": sorted(set(request.class_codes))}, "status": "在學"})
            docs += [d for d in more if d["student_id"] not in known]
        now = utcnow()
        stamp = {"status": request.status, **domain.leaving_stamp(caller.user_id, now, request.left_on), "updated_at": now}
        archived, already = [], []
        audits = []
        for doc in docs:
            if domain.is_archived(doc):
                already.append(doc["student_id"])
                continue
            after = self.store.update("students", school, doc["_id"], {**stamp, "updated_by": caller.user_id})
            audits.append(self._audit_doc(school, caller, "students.archive", doc["_id"], doc, after))  # type: ignore[attr-defined]
            archived.append(doc["student_id"])
        self.store.audit_many(audits)
        if archived:
            self._emit("students", school, "archive", [d["_id"] for d in docs if d["student_id"] in archived], archived)  # type: ignore[attr-defined]
            self._announce_archived(school, archived, request.status, stamp["left_on"])
        if already:  # announced again: a listener that missed the event (or started later) catches up
            self._announce_archived(school, already, None, None)
        return {"archived": sorted(archived), "already_archived": sorted(already), "status": request.status, "left_on": stamp["left_on"]}

    @rpc
    def unarchive_student(self, student_id: str, payload: dict) -> dict:
        """Undo an archive set by mistake (back to 在學), with a reason; audited. Purged students are gone."""
        caller, school = self._school_caller(Permission.SCHOOL_ARCHIVE_WRITE)  # type: ignore[attr-defined]
        request = parse(UnarchiveIn, payload)
        doc = self.store.find_one("students", school, {"student_id": student_id}) if isinstance(student_id, str) else None
        if doc is None:
            raise StudentNotFound(f"找不到學號 {student_id}", "student not found")
        if not domain.is_archived(doc):
            raise NotArchived(f"學號 {student_id} 未封存", "the student is not archived")
        changes = {
            "status": "在學",
            "left_on": None,
            "archived_at": None,
            "archived_by": None,
            "updated_at": utcnow(),
            "updated_by": caller.user_id,
        }
        after = self.store.update("students", school, doc["_id"], changes)
        self.store.audit_many([self._audit_doc(school, caller, "students.unarchive", doc["_id"], doc, after, request.reason)])  # type: ignore[attr-defined]
        self._emit("students", school, "unarchive", [doc["_id"]], [student_id])  # type: ignore[attr-defined]
        self.dispatch(events.STUDENT_UNARCHIVED, events.archived(school, [student_id]))
        return _json_safe(domain.view(TYPES["students"], after))

    # --- for the backup service (portfolio download, retention purge) ---

    @rpc
    def archived_students(self, school_id: str) -> list[dict]:
        """Every archived student: student_id, status, left_on (ISO date), archived_at."""
        self._internal(school_id, Permission.SCHOOL_ARCHIVE_READ)  # type: ignore[attr-defined]
        docs = self.store.find(
            "students",
            school_id,
            {"status": {"$in": sorted(rules.ARCHIVED_STATUSES)}},
            projection={"student_id": 1, "status": 1, "left_on": 1, "archived_at": 1, "updated_at": 1},
            sort=[("student_id", 1)],
        )
        return [
            {
                "student_id": d["student_id"],
                "status": d["status"],
                # archived before left_on existed: the last change of the record stands in for the leaving day
                "left_on": d.get("left_on") or (d.get("archived_at") or d["updated_at"]).date().isoformat(),
            }
            for d in docs
        ]

    @rpc
    def portfolio_of_student(self, school_id: str, student_id: str) -> dict:
        """Everything records holds for one student (masked ID), by record type, with every statement version."""
        self._internal(school_id, Permission.SCHOOL_ARCHIVE_READ)  # type: ignore[attr-defined]
        student = self.store.find_one("students", school_id, {"student_id": student_id}) if isinstance(student_id, str) else None
        if student is None:
            raise StudentNotFound(f"找不到學號 {student_id}", "student not found")
        records = {
            t.key: [domain.view(t, d) for d in self.store.find(t.key, school_id, {"student_id": student_id}, sort=[("_id", 1)])]
            for t in STUDENT_TYPES
        }
        records["competitions"] = [
            {**domain.view(TYPES["competitions"], d), "results": [r for r in d.get("results", []) if r["student_id"] == student_id]}
            for d in self.store.find("competitions", school_id, {"results.student_id": student_id, "status": "published"})
        ]
        statements = self.store.statement_versions(school_id, [student_id], None)
        return _json_safe(
            {
                "student": domain.view(TYPES["students"], student),
                "records": records,
                "statements": [{k: v for k, v in d.items() if k not in {"school_id"}} for d in statements],
                "labels": {t.key: t.label for t in TYPES.values()},
                "columns": {t.key: list(t.columns) for t in STUDENT_TYPES},
            }
        )

    @rpc
    def purge_students(self, school_id: str, student_ids: list[str], dry_run: bool = True) -> dict:
        """Remove every record of archived students (and their audit images); counts per collection.

        Refuses students that are not archived. Idempotent: a second run finds nothing more to remove.
        """
        self._internal(school_id, Permission.SCHOOL_ARCHIVE_PURGE)  # type: ignore[attr-defined]
        wanted = sorted({s for s in student_ids if isinstance(s, str)})
        found = self.store.find("students", school_id, {"student_id": {"$in": wanted}}, projection={"student_id": 1, "status": 1})
        active = sorted(d["student_id"] for d in found if not domain.is_archived(d))
        if active:
            raise NotArchived("未封存的學生不能清除：" + "、".join(active[:20]), "not archived, cannot purge: " + ", ".join(active[:20]))
        counts: dict[str, int] = {}
        ids: list[str] = []
        by_student = {"student_id": {"$in": wanted}}
        for key in ("students", *(t.key for t in STUDENT_TYPES)):
            docs = self.store.find(key, school_id, by_student, projection={"_id": 1})
            counts[key] = len(docs)
            ids += [d["_id"] for d in docs]
            if not dry_run and docs:
                self.store.records[key].delete_many(school_id, by_student)
        statements = self.store.statements.find(school_id, by_student, projection={"_id": 1})
        counts["statements"] = len(statements)
        ids += [d["_id"] for d in statements]
        competitions = self.store.find("competitions", school_id, {"results.student_id": {"$in": wanted}}, projection={"_id": 1})
        counts["competition_results"] = len(competitions)
        reopenings = self.store.reopenings.count(school_id, by_student)
        counts["reopenings"] = reopenings
        audit_filter = {"target": {"$in": ids}}  # every change of a record is audited under the record's id (indexed)
        counts["audit"] = self.store.audit.collection.count(school_id, audit_filter) if wanted else 0
        if not dry_run and wanted:
            self.store.statements.delete_many(school_id, by_student)
            self.store.reopenings.delete_many(school_id, by_student)
            for doc in competitions:
                self.store.records["competitions"].update_one(
                    school_id, {"_id": doc["_id"]}, {"$pull": {"results": {"student_id": {"$in": wanted}}}}
                )
            self.store.audit.collection.delete_many(school_id, audit_filter)
        return {"service": "records", "students": len(found), "counts": counts, "dry_run": bool(dry_run)}


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
