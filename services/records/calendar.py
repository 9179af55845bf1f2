"""The school calendar: semesters with their deadlines and entry windows, and per-student reopenings."""

from __future__ import annotations

from typing import Any

from services.records import domain, rules
from services.records.access import Context, refuse_archived, semester_or_404, semester_view, today
from services.records.division import TYPES, WINDOW_TYPES
from services.records.errors import SemesterNotFound, StudentNotFound
from services.records.schemas import ReopenIn, SemesterIn, SemesterPatch
from shared.clock import utcnow
from shared.errors import ValidationFailed, field_error
from shared.jsonable import jsonable
from shared.permissions import Permission, require
from shared.validation import parse


def catalogue(ctx: Context) -> dict[str, Any]:
    require(ctx.caller, Permission.SCHOOL_RECORD_RULES_READ)
    return {**rules.catalogue(), "window_types": list(WINDOW_TYPES), "record_types": {k: t.label for k, t in TYPES.items()}}


def create_semester(ctx: Context, payload: dict) -> dict:
    caller, school = ctx.school_caller(Permission.SCHOOL_CALENDAR_WRITE)
    doc = domain.semester_document(parse(SemesterIn, payload))
    doc = {**doc, "semester_id": doc.pop("_id"), "_id": domain.new_id(), "created_at": utcnow(), "created_by": caller.user_id}
    ctx.store.insert_semester(school, doc)
    ctx.changed(school, "semesters", "create", [doc["semester_id"]], [], [ctx.entry("semester.create", doc["semester_id"], after=doc)])
    return semester_view(doc)


def update_semester(ctx: Context, semester_id: str, payload: dict) -> dict:
    caller, school = ctx.school_caller(Permission.SCHOOL_CALENDAR_WRITE)
    before = semester_or_404(ctx, school, semester_id)
    patch = parse(SemesterPatch, payload).model_dump(mode="json", exclude_unset=True)
    merged = domain.semester_document(domain.merge_semester({**before, "_id": semester_id}, patch))
    merged.pop("_id")
    after = ctx.store.replace_semester(school, semester_id, {**merged, "updated_at": utcnow(), "updated_by": caller.user_id})
    ctx.changed(school, "semesters", "update", [semester_id], [], [ctx.entry("semester.update", semester_id, before, after)])
    return semester_view(after)


def list_semesters(ctx: Context) -> list[dict]:
    _, school = ctx.school_caller(Permission.SCHOOL_CALENDAR_READ)
    return [semester_view(d) for d in ctx.store.list_semesters(school)]


def semester(ctx: Context, semester_id: str) -> dict:
    _, school = ctx.school_caller(Permission.SCHOOL_CALENDAR_READ)
    if semester_id == "current":
        doc = domain.current_semester(ctx.store.list_semesters(school), today())
        if doc is None:
            raise SemesterNotFound("尚未建立任何學期", "no semester yet")
        return semester_view(doc)
    return semester_view(semester_or_404(ctx, school, semester_id))


def _reopening_view(doc: dict[str, Any]) -> dict[str, Any]:
    return jsonable({**{k: v for k, v in doc.items() if k not in {"_id", "school_id"}}, "id": doc["_id"]})


def reopen_window(ctx: Context, semester_id: str, payload: dict) -> dict:
    """The registrar reopens one record type's window for one named student, with a reason (audited)."""
    caller, school = ctx.school_caller(Permission.SCHOOL_WINDOWS_REOPEN)
    semester_or_404(ctx, school, semester_id)
    request = parse(ReopenIn, payload)
    if request.record_type not in WINDOW_TYPES:
        raise ValidationFailed(
            "此資料類別沒有登錄時段",
            "not a window type",
            [field_error("record_type", "不是可設定時段的資料類別", "not a window type", "unknown_window")],
        )
    if ctx.store.student(school, request.student_id) is None:
        raise StudentNotFound(f"找不到學號 {request.student_id}", "student not found")
    refuse_archived(ctx, school, [request.student_id])
    doc = {
        "_id": domain.new_id(),
        "semester_id": semester_id,
        "student_id": request.student_id,
        "record_type": request.record_type,
        "until": domain.aware(request.until),
        "reason": request.reason,
        "by": caller.user_id,
        "at": utcnow(),
    }
    ctx.store.add_reopening(school, doc)
    target = f"{semester_id}/{request.record_type}/{request.student_id}"
    ctx.changed(school, "reopenings", "create", [doc["_id"]], [request.student_id], [ctx.entry("window.reopen", target, after=doc)])
    return _reopening_view(doc)


def list_reopenings(ctx: Context, semester_id: str) -> list[dict]:
    _, school = ctx.school_caller(Permission.SCHOOL_WINDOWS_REOPEN)
    semester_or_404(ctx, school, semester_id)
    return [_reopening_view(d) for d in ctx.store.reopenings_for(school, semester_id)]


def check_old_window(ctx: Context, school: str, type_, existing: dict[str, Any]) -> None:
    """Changing a stored record needs its own semester's window open (or reopened for its student)."""
    if not type_.semester:
        return
    sid = domain.semester_id(existing["year"], existing["term"])
    semester_doc = ctx.store.semester(school, sid)
    now = utcnow()
    if semester_doc is None:
        return
    opens, closes = domain.window_of(semester_doc, type_.key)
    if domain.is_open(opens, closes, now):
        return
    if domain.reopened(ctx.store.reopenings_for(school, sid, type_.key), existing.get("student_id"), now):
        return
    raise domain.window_error({**semester_doc, "_id": sid}, type_, now)
