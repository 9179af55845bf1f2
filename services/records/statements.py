"""Statements (自傳 / 學習計畫): versioned documents a student writes and 輔導室 or the homeroom teacher checks."""

from __future__ import annotations

from typing import Any

from services.records import domain, rules
from services.records.access import Context, refuse_archived, students_in_scope
from services.records.division import STATEMENTS_CHECKERS, STATEMENTS_READERS
from services.records.errors import RecordNotFound, StudentNotFound
from services.records.schemas import CheckIn, StatementIn
from shared.clock import utcnow
from shared.errors import Forbidden, ValidationFailed, field_error
from shared.jsonable import jsonable
from shared.permissions import Permission
from shared.roles import Role
from shared.validation import parse


def _kind(kind: str) -> str:
    if kind not in rules.STATEMENT_KINDS:
        raise RecordNotFound(f"沒有 {kind} 這種文件（autobiography 或 study_plan）", "unknown statement kind")
    return kind


def view(doc: dict[str, Any]) -> dict[str, Any]:
    out = jsonable({k: v for k, v in doc.items() if k not in {"_id", "school_id"}})
    out["id"] = doc["_id"]
    # The latest check decides: 已檢核, or 請修改 (sent back with a comment for the student).
    last = (doc.get("checks") or [None])[-1]
    out["needs_revision"] = bool(last and last.get("decision") == "revise")
    out["checked"] = bool(last) and not out["needs_revision"]
    return out


def save(ctx: Context, kind: str, payload: dict) -> dict:
    caller, school = ctx.school_caller(Permission.SCHOOL_STATEMENTS_WRITE)
    kind = _kind(kind)
    if not caller.student_id:
        raise Forbidden("此學生帳號尚未連結學號，請洽註冊組", "this student account has no student_id")
    request = parse(StatementIn, payload)
    refuse_archived(ctx, school, [caller.student_id])
    allowed = rules.STATEMENT_FIELDS[kind]
    unknown = [k for k in request.fields if k not in allowed]
    if unknown or not any(v.strip() for v in request.fields.values()):
        raise ValidationFailed(
            f"可填欄位：{'、'.join(allowed)}",
            f"fields: {', '.join(allowed)}",
            [field_error(f"fields.{k}", "不接受此欄位", "unknown field", "unknown_field") for k in unknown]
            or [field_error("fields", "至少填寫一個欄位", "fill at least one field", "missing")],
        )
    fields = {k: request.fields.get(k, "") for k in allowed}
    latest = ctx.store.latest_statement(school, caller.student_id, kind)
    if latest is not None and latest["fields"] == fields:
        return view(latest)
    doc = {
        "_id": domain.new_id(),
        "student_id": caller.student_id,
        "kind": kind,
        "version": (latest["version"] + 1) if latest else 1,
        "fields": fields,
        "checks": [],
        "created_at": utcnow(),
        "created_by": caller.user_id,
    }
    ctx.store.insert_statement(school, doc)
    ctx.changed(school, "statements", "create", [doc["_id"]], [caller.student_id], [ctx.entry("statements.save", doc["_id"], latest, doc)])
    return view(doc)


def list_versions(ctx: Context, student_id: str | None, kind: str | None, all_versions: bool) -> list[dict]:
    caller, school = ctx.school_caller(Permission.SCHOOL_STATEMENTS_READ)
    allowed = students_in_scope(ctx, school, caller, STATEMENTS_READERS)
    students = allowed
    if student_id:
        if allowed is not None and student_id not in allowed:
            raise StudentNotFound("找不到此學生", "student not found")
        students = [student_id]
    docs = ctx.store.statement_versions(school, students, kind if kind in rules.STATEMENT_KINDS else None)
    if not all_versions:
        latest: dict[tuple, dict[str, Any]] = {}
        for d in docs:
            latest.setdefault((d["student_id"], d["kind"]), d)
        docs = list(latest.values())
    return [view(d) for d in docs]


def check(ctx: Context, kind: str, payload: dict) -> dict:
    caller, school = ctx.school_caller(Permission.SCHOOL_STATEMENTS_CHECK)
    kind = _kind(kind)
    request = parse(CheckIn, payload)
    allowed = students_in_scope(ctx, school, caller, STATEMENTS_CHECKERS)
    if allowed is not None and request.student_id not in allowed:
        raise StudentNotFound("找不到此學生", "student not found")
    refuse_archived(ctx, school, [request.student_id])
    versions = ctx.store.statement_versions(school, [request.student_id], kind)
    target = next((d for d in versions if d["version"] == request.version), None)
    if target is None:
        raise RecordNotFound(f"找不到第 {request.version} 版", "version not found")
    role = next(r for r in (Role.GUIDANCE, Role.HOMEROOM) if caller.has(r))
    if request.decision == "revise" and not request.comment.strip():
        raise ValidationFailed(
            "請修改時請說明要修改什麼",
            "say what to revise",
            [field_error("comment", "請說明要學生修改什麼", "a comment is required to send back", "missing")],
        )
    stamp = {"by": caller.user_id, "by_name": caller.username, "role": str(role), "comment": request.comment, "at": utcnow()}
    stamp["decision"] = request.decision
    after = ctx.store.check_statement(school, target["_id"], stamp)
    ctx.changed(
        school, "statements", "check", [target["_id"]], [request.student_id], [ctx.entry("statements.check", target["_id"], target, after)]
    )
    return view(after)
