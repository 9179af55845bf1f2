"""The students' register beyond plain records: the registrar's per-semester re-check of basic data."""

from __future__ import annotations

from services.records import domain
from services.records.access import Context, refuse_archived, semester_or_404
from services.records.errors import StudentNotFound
from services.records.schemas import RecheckIn
from shared.clock import utcnow
from shared.permissions import Permission
from shared.validation import parse


def recheck(ctx: Context, payload: dict) -> dict:
    caller, school = ctx.school_caller(Permission.SCHOOL_STUDENTS_WRITE)
    request = parse(RecheckIn, payload)
    sid = domain.semester_id(request.year, request.term)
    semester_or_404(ctx, school, sid)
    stamp = {"by": caller.user_id, "by_name": caller.username, "at": utcnow()}
    found = ctx.store.students_among(school, request.student_ids, projection={"student_id": 1})
    missing = sorted(set(request.student_ids) - {d["student_id"] for d in found})
    if missing:
        raise StudentNotFound("找不到學號：" + "、".join(missing[:20]), "unknown students: " + ", ".join(missing[:20]))
    refuse_archived(ctx, school, request.student_ids)
    key = sid.replace("-", "_")
    ctx.store.stamp_rechecks(school, [d["_id"] for d in found], key, stamp)
    entries = [ctx.entry("students.recheck", d["_id"], None, {"semester": sid, **stamp}) for d in found]
    ctx.changed(school, "students", "recheck", [d["_id"] for d in found], [d["student_id"] for d in found], entries)
    return {"semester_id": sid, "confirmed": len(found), "not_yet_rechecked": ctx.store.not_rechecked(school, key)}
