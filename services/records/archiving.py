"""Archiving (封存): students who left are archived, read-only, and purged after retention.

Records owns the student's status, so it decides who is archived: a status of 畢業 or 轉出 (saved,
imported, or set by the registrar's archive call for students or whole classes) archives the student,
stamps `left_on` (the start of the retention period) and emits `records.student_archived`, which
certification and evidence project to refuse writes. The calls at the end serve the backup service's
portfolio download and retention purge (it orchestrates; each service removes its own data).
"""

from __future__ import annotations

from typing import Any

from services.records import domain, events
from services.records.access import Context
from services.records.division import TYPES, RecordType
from services.records.errors import NotArchived, StudentNotFound
from services.records.schemas import ArchiveIn, UnarchiveIn
from shared.clock import utcnow
from shared.jsonable import jsonable
from shared.permissions import Permission
from shared.validation import parse

STUDENTS = TYPES["students"]
COMPETITIONS = TYPES["competitions"]
# Record types that hold one student's data, by the field naming the student.
STUDENT_TYPES: tuple[RecordType, ...] = tuple(t for t in TYPES.values() if t.student_field == "student_id" and not t.student_register)


def archive_students(ctx: Context, payload: dict) -> dict:
    """Archive named students or whole classes (e.g. a graduating year): status 畢業/轉出, left_on, event."""
    caller, school = ctx.school_caller(Permission.SCHOOL_ARCHIVE_WRITE)
    request = parse(ArchiveIn, payload)
    docs: list[dict[str, Any]] = []
    if request.student_ids:
        docs = ctx.store.students_among(school, sorted(set(request.student_ids)))
        missing = sorted(set(request.student_ids) - {d["student_id"] for d in docs})
        if missing:
            raise StudentNotFound("找不到學號：" + "、".join(missing[:20]), "unknown students: " + ", ".join(missing[:20]))
    if request.class_codes:
        known = {d["student_id"] for d in docs}
        more = ctx.store.enrolled_in_classes(school, sorted(set(request.class_codes)), status="在學")
        docs += [d for d in more if d["student_id"] not in known]
    now = utcnow()
    stamp = {"status": request.status, **domain.leaving_stamp(caller.user_id, now, request.left_on), "updated_at": now}
    archived, already, entries = [], [], []
    for doc in docs:
        if domain.is_archived(doc):
            already.append(doc["student_id"])
            continue
        after = ctx.store.update(STUDENTS.key, school, doc["_id"], {**stamp, "updated_by": caller.user_id})
        entries.append(ctx.entry("students.archive", doc["_id"], doc, after))
        archived.append(doc["student_id"])
    if archived:
        ctx.changed(school, STUDENTS.key, "archive", [d["_id"] for d in docs if d["student_id"] in archived], archived, entries)
        ctx.announce_archived(school, archived, request.status, stamp["left_on"])
    if already:  # announced again: a listener that missed the event (or started later) catches up
        ctx.announce_archived(school, already, None, None)
    return {"archived": sorted(archived), "already_archived": sorted(already), "status": request.status, "left_on": stamp["left_on"]}


def unarchive_student(ctx: Context, student_id: str, payload: dict) -> dict:
    """Undo an archive set by mistake (back to 在學), with a reason; audited. Purged students are gone."""
    caller, school = ctx.school_caller(Permission.SCHOOL_ARCHIVE_WRITE)
    request = parse(UnarchiveIn, payload)
    doc = ctx.store.student(school, student_id)
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
    after = ctx.store.update(STUDENTS.key, school, doc["_id"], changes)
    entries = [ctx.entry("students.unarchive", doc["_id"], doc, after, request.reason)]
    ctx.changed(school, STUDENTS.key, "unarchive", [doc["_id"]], [student_id], entries)
    ctx.changes.emit((events.STUDENT_UNARCHIVED, events.archived(school, [student_id])))
    return jsonable(domain.view(STUDENTS, after))


# --- for the backup service (portfolio download, retention purge) ---


def archived_students(ctx: Context, school_id: str) -> list[dict]:
    ctx.internal(school_id, Permission.SCHOOL_ARCHIVE_READ)
    return [
        {
            "student_id": d["student_id"],
            "status": d["status"],
            # archived before left_on existed: the last change of the record stands in for the leaving day
            "left_on": d.get("left_on") or (d.get("archived_at") or d["updated_at"]).date().isoformat(),
        }
        for d in ctx.store.archived_students(school_id)
    ]


def portfolio_of_student(ctx: Context, school_id: str, student_id: str) -> dict:
    ctx.internal(school_id, Permission.SCHOOL_ARCHIVE_READ)
    student = ctx.store.student(school_id, student_id)
    if student is None:
        raise StudentNotFound(f"找不到學號 {student_id}", "student not found")
    records = {
        t.key: [domain.view(t, d) for d in ctx.store.find(t.key, school_id, {"student_id": student_id}, sort=[("_id", 1)])]
        for t in STUDENT_TYPES
    }
    records[COMPETITIONS.key] = [
        {**domain.view(COMPETITIONS, d), "results": [r for r in d.get("results", []) if r["student_id"] == student_id]}
        for d in ctx.store.published_competitions_of(school_id, student_id)
    ]
    statements = ctx.store.statement_versions(school_id, [student_id], None)
    return jsonable(
        {
            "student": domain.view(STUDENTS, student),
            "records": records,
            "statements": [{k: v for k, v in d.items() if k not in {"school_id"}} for d in statements],
            "labels": {t.key: t.label for t in TYPES.values()},
            "columns": {t.key: list(t.columns) for t in STUDENT_TYPES},
        }
    )


def purge_students(ctx: Context, school_id: str, student_ids: list[str], dry_run: bool) -> dict:
    ctx.internal(school_id, Permission.SCHOOL_ARCHIVE_PURGE)
    wanted = sorted({s for s in student_ids if isinstance(s, str)})
    found = ctx.store.students_among(school_id, wanted, projection={"student_id": 1, "status": 1})
    active = sorted(d["student_id"] for d in found if not domain.is_archived(d))
    if active:
        raise NotArchived("未封存的學生不能清除：" + "、".join(active[:20]), "not archived, cannot purge: " + ", ".join(active[:20]))
    counts = ctx.store.purge_students(school_id, wanted, [STUDENTS.key, *(t.key for t in STUDENT_TYPES)], bool(dry_run))
    return {"service": "records", "students": len(found), "counts": counts, "dry_run": bool(dry_run)}
