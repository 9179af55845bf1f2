"""Look-ups for pickers (queries): a student or a course is chosen by 學號/姓名/班級 or 科目/班級, never
typed as a code.

Each function takes the students the caller may read (None: the whole school, as the lists judge it),
so a picker never suggests what the caller could not read. At most `LIMIT` suggestions; `ids`/`keys` resolve stored values to names.
"""

from __future__ import annotations

import re
from typing import Any

from services.records import rules
from services.records.store import RecordsStore

LIMIT = 20
_ACTIVE: dict[str, Any] = {"status": {"$nin": sorted(rules.ARCHIVED_STATUSES)}}


def _and(*parts: dict[str, Any]) -> dict[str, Any]:
    present = [p for p in parts if p]
    return {} if not present else present[0] if len(present) == 1 else {"$and": present}


def _contains(field: str, needle: str) -> dict[str, Any]:
    return {field: {"$regex": re.escape(needle), "$options": "i"}}


def student_label(doc: dict[str, Any]) -> str:
    return f"{doc['student_id']} {doc.get('name', '')}（{doc.get('class_code', '')}）"


def students(store: RecordsStore, school: str, allowed: list[str] | None, q: str = "", ids: list[str] | None = None) -> list[dict]:
    """Students by 學號 prefix, 姓名 part or 班級 code; `ids` resolves stored 學號 to names."""
    scope: dict[str, Any] = {} if allowed is None else {"student_id": {"$in": allowed}}
    if ids:
        query = {"student_id": {"$in": [i for i in ids if isinstance(i, str)][:200]}}
    else:
        needle = (q or "").strip()[:40]
        query = dict(_ACTIVE)
        if needle:
            query["$or"] = [
                {"student_id": {"$regex": "^" + re.escape(needle), "$options": "i"}},
                _contains("name", needle),
                {"class_code": needle},
            ]
    docs = store.find(
        "students",
        school,
        _and(query, scope),
        projection={"student_id": 1, "name": 1, "class_code": 1, "seat_no": 1},
        sort=[("class_code", 1), ("seat_no", 1), ("student_id", 1)],
        limit=200 if ids else LIMIT,
    )
    return [
        {"id": d["student_id"], "name": d.get("name", ""), "class_code": d.get("class_code", ""), "label": student_label(d)} for d in docs
    ]


def course_view(doc: dict[str, Any]) -> dict[str, Any]:
    """What a picker needs of a course offering; the gateway adds the teachers' names."""
    return {
        "id": doc["_id"],
        "code": doc.get("code", ""),
        "name": doc.get("name", ""),
        "class_code": doc.get("class_code", ""),
        "year": doc.get("year"),
        "term": doc.get("term"),
        "elective": bool(doc.get("elective")),
        "teacher_ids": list(doc.get("teacher_ids") or []),
    }


def courses(
    store: RecordsStore,
    school: str,
    scope: dict[str, Any],
    q: str = "",
    year: int | None = None,
    term: int | None = None,
    ids: list[str] | None = None,
    codes: list[str] | None = None,
) -> list[dict]:
    """Course offerings by 科目名稱 part, 課程代碼 prefix or 開課班級, optionally of one semester."""
    query: dict[str, Any] = {}
    if ids:
        query["_id"] = {"$in": [i for i in ids if isinstance(i, str)][:200]}
    elif codes:
        query["code"] = {"$in": [c for c in codes if isinstance(c, str)][:200]}
    else:
        needle = (q or "").strip()[:40]
        if needle:
            query["$or"] = [_contains("name", needle), {"code": {"$regex": "^" + re.escape(needle)}}, {"class_code": needle}]
    if year:
        query["year"] = int(year)
    if term:
        query["term"] = int(term)
    docs = store.find(
        "courses",
        school,
        _and(query, scope),
        sort=[("year", -1), ("term", -1), ("name", 1), ("class_code", 1)],
        limit=200 if (ids or codes) else LIMIT,
    )
    return [course_view(d) for d in docs]


def courses_of_student(store: RecordsStore, school: str, student_id: str, year: int, term: int) -> list[dict]:
    """A student's own courses of a semester: their class's required courses and their elective selections."""
    student = store.find_one("students", school, {"student_id": student_id})
    if student is None:
        return []
    selected = [d["course_id"] for d in store.find("selections", school, {"student_id": student_id, "year": year, "term": term})]
    query = {"year": year, "term": term, "$or": [{"class_code": student["class_code"], "elective": False}, {"_id": {"$in": selected}}]}
    return [course_view(d) for d in store.find("courses", school, query, sort=[("name", 1), ("code", 1)])]
