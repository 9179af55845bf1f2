"""Picker look-ups: people, students, courses and the caller's files chosen by name, never typed as ids.

Each answers at most 20 suggestions `{id, label, ...}` scoped to the caller's school and rights (the
services apply the same scope as their lists); `ids=` (comma separated) resolves stored values to names
so an edit form shows "王小明" and not an id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, request

from gateway.auth import current_caller
from gateway.endpoints import endpoint
from gateway.services import rpc
from shared.clock import to_taipei
from shared.permissions import Permission

bp = Blueprint("lookups", __name__, url_prefix="/api/v1/lookup")

LIMIT = 20
_Q = {"q": "search text (name, 學號, 班級, 科目)", "ids": "comma-separated ids to resolve to names"}


def _ids(name: str = "ids") -> list[str]:
    return [v for v in request.args.get(name, "").split(",") if v][:200]


def _int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


# Every school member may resolve ids to names (a student sees their teachers); identity allows the search to staff only.
@endpoint(
    bp,
    "/staff",
    "GET",
    summary="教職員搜尋（選擇器）/ staff picker",
    permission=Permission.SCHOOL_RECORD_RULES_READ,
    query={**_Q, "role": "only this role, e.g. teacher"},
)
def staff():
    with rpc() as services:
        return jsonify(services.identity.lookup_staff(request.args.get("q", ""), request.args.get("role") or None, _ids() or None))


@endpoint(
    bp, "/students", "GET", summary="學生搜尋（學號、姓名、班級）/ student picker", permission=Permission.SCHOOL_STUDENTS_READ, query=_Q
)
def students():
    with rpc() as services:
        return jsonify(services.records.lookup_students(request.args.get("q", ""), _ids() or None))


def course_label(course: dict[str, Any], names: dict[str, str]) -> str:
    teachers = "、".join(names.get(t, "（未指定）") for t in course.get("teacher_ids", [])) or "未指定教師"
    return f"{course['name']} · {course['class_code']} · {teachers}"


@endpoint(
    bp,
    "/courses",
    "GET",
    summary="課程搜尋（科目、班級、任課教師）/ course picker",
    permission=Permission.SCHOOL_COURSES_READ,
    query={**_Q, "year": "學年度", "term": "學期", "codes": "comma-separated 課程代碼 to resolve"},
)
def courses():
    with rpc() as services:
        found = services.records.lookup_courses(
            request.args.get("q", ""), _int("year"), _int("term"), _ids() or None, _ids("codes") or None
        )
        teacher_ids = sorted({t for c in found for t in c["teacher_ids"]})
        names = {a["id"]: a["name"] for a in services.identity.lookup_staff("", None, teacher_ids)} if teacher_ids else {}
    for course in found:
        course["teachers"] = [names.get(t, "") for t in course["teacher_ids"]]
        course["label"] = course_label(course, names)
    return jsonify(found)


@endpoint(
    bp,
    "/evidence",
    "GET",
    summary="我的檔案搜尋（選擇器）/ the caller's files",
    permission=Permission.SCHOOL_EVIDENCE_READ,
    query={"q": "part of the file name"},
)
def evidence():
    needle = request.args.get("q", "").strip().lower()
    with rpc() as services:
        files = services.evidence.list_evidence(None)
    wanted = set(_ids())
    me = current_caller().user_id  # the caller's own files only, even for a registrar who may read every file
    picked = [f for f in files if f["uploaded_by"] == me and (f["id"] in wanted if wanted else needle in f["filename"].lower())]
    picked.sort(key=lambda f: f["created_at"], reverse=True)
    out = []
    for f in picked[: (200 if wanted else LIMIT)]:
        at = to_taipei_text(f["created_at"])
        out.append({"id": f["id"], "label": f"{f['filename']}（{at}）", "name": f["filename"]})
    return jsonify(out)


def to_taipei_text(value: str) -> str:
    """115/11/20 14:30 from an ISO time (民國 date, Asia/Taipei)."""
    at = to_taipei(datetime.fromisoformat(value))
    return f"{at.year - 1911}/{at.month:02d}/{at.day:02d} {at:%H:%M}"
