"""What other services ask records: semesters and windows, courses, classes, students, roster data, figures.

Each call names the school; the caller is the system or a caller of that school (with the permission
where one is named). The shapes are the peer contract in contract.py.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from services.records import domain, rules
from services.records.access import Context, semester_view, today, type_of
from services.records.division import TYPES
from services.records.units import view
from shared.clock import to_taipei, utcnow
from shared.jsonable import jsonable
from shared.permissions import Permission
from shared.roles import Role

STUDENTS = TYPES["students"]
# 註冊組's special grades and 借讀, each feeding its own roster sheet.
SPECIAL_GRADES = ("makeup_grades", "retake_grades", "repeat_grades", "transfer_grades", "guest_study")
COURSES = TYPES["courses"]


def get_semester(ctx: Context, school_id: str, year: int, term: int) -> dict | None:
    ctx.internal(school_id)
    doc = ctx.store.semester(school_id, domain.semester_id(year, term))
    return semester_view(doc) if doc else None


def current_semester(ctx: Context, school_id: str) -> dict | None:
    ctx.internal(school_id)
    doc = domain.current_semester(ctx.store.list_semesters(school_id), today())
    return semester_view(doc) if doc else None


def window_open(ctx: Context, school_id: str, year: int, term: int, record_type: str, student_id: str | None) -> dict:
    ctx.internal(school_id)
    sid = domain.semester_id(year, term)
    semester = ctx.store.semester(school_id, sid)
    if semester is None:
        return {"open": False, "reason": "no_semester", "opens_at": None, "closes_at": None}
    now = utcnow()
    opens, closes = domain.window_of(semester, record_type)
    is_open = domain.is_open(opens, closes, now) or domain.reopened(ctx.store.reopenings_for(school_id, sid, record_type), student_id, now)
    return jsonable({"open": is_open, "opens_at": opens, "closes_at": closes})


def get_course(ctx: Context, school_id: str, course_id: str) -> dict | None:
    ctx.internal(school_id)
    doc = ctx.store.get(COURSES.key, school_id, course_id)
    return view(COURSES, doc) if doc else None


def courses_of_student(ctx: Context, school_id: str, student_id: str, year: int, term: int) -> list[dict]:
    ctx.internal(school_id)
    student = ctx.store.student(school_id, student_id)
    if student is None:
        return []
    return [view(COURSES, d) for d in ctx.store.courses_of_student(school_id, student, year, term)]


def outcome_context(ctx: Context, school_id: str, student_id: str, course_id: str) -> dict:
    """What a student's new 課程學習成果 (course learning outcome) is checked against, in one call instead
    of four: the course, whether the student takes it (get_course and list_courses_of_student's rule),
    its semester with the deadlines, and the student."""
    ctx.internal(school_id)
    course = ctx.store.get(COURSES.key, school_id, course_id)
    student = ctx.store.student(school_id, student_id)
    out: dict[str, Any] = {"course": None, "takes": False, "semester": None, "student": view(STUDENTS, student) if student else None}
    if course is None:
        return out
    year, term = course["year"], course["term"]
    taken = ctx.store.courses_of_student(school_id, student, year, term) if student else []
    semester = ctx.store.semester(school_id, domain.semester_id(year, term))
    out.update(
        course=view(COURSES, course),
        takes=any(d["_id"] == course["_id"] for d in taken),
        semester=semester_view(semester) if semester else None,
    )
    return out


def homeroom_classes(ctx: Context, school_id: str, teacher_id: str) -> list[str]:
    ctx.internal(school_id)
    return ctx.store.homeroom_classes(school_id, teacher_id)


def students_of_class(ctx: Context, school_id: str, class_code: str) -> list[dict]:
    ctx.internal(school_id)
    return [view(STUDENTS, d) for d in ctx.store.students_in_class(school_id, class_code)]


def get_student(ctx: Context, school_id: str, student_id: str) -> dict | None:
    ctx.internal(school_id)
    doc = ctx.store.student(school_id, student_id)
    return view(STUDENTS, doc) if doc else None


def roster_students(ctx: Context, school_id: str, status: str | None, include_archived: bool) -> list[dict]:
    ctx.internal(school_id, Permission.SCHOOL_NATIONAL_ROSTER_READ)
    out = []
    for d in ctx.store.roster(school_id, status, include_archived):
        student = view(STUDENTS, d)
        student["national_id"] = ctx.cipher.decrypt(d["national_id_enc"])
        out.append(student)
    if ctx.caller and ctx.caller.user_id != "system":
        ctx.changes.record(school_id, ctx.caller, "students.roster_read", school_id, note=f"{len(out)} clear IDs")
    return out


def records_of_student(ctx: Context, school_id: str, type_key: str, student_id: str, year: int | None, term: int | None) -> list[dict]:
    ctx.internal(school_id)
    type_ = type_of(type_key)
    where: dict[str, Any] = {type_.student_field or "student_id": student_id}
    if year is not None and type_.semester:
        where["year"] = int(year)
    if term is not None and type_.semester:
        where["term"] = int(term)
    return [view(type_, d) for d in ctx.store.find(type_.key, school_id, where, sort=[("_id", 1)])]


_WHO_AND_WHEN = frozenset({"created_at", "created_by", "updated_at", "updated_by"})


def roster_data(ctx: Context, school_id: str, year: int, term: int) -> dict:
    ctx.internal(school_id, Permission.SCHOOL_NATIONAL_ROSTER_READ)
    year, term = int(year), int(term)
    semester = ctx.store.semester(school_id, domain.semester_id(year, term))

    # who wrote a record and when is no part of a roster: left out, a term's 30,000 grades are a third
    # smaller to turn into JSON here and back in the upload service
    def lean(key: str, doc: dict[str, Any]) -> dict[str, Any]:
        return view(TYPES[key], {k: v for k, v in doc.items() if k not in _WHO_AND_WHEN})

    def of(key: str, where: dict[str, Any]) -> list[dict]:
        return [lean(key, d) for d in ctx.store.find(key, school_id, where, sort=[("_id", 1)])]

    def of_term(key: str) -> list[dict]:
        return [lean(key, d) for d in ctx.store.semester_records(key, school_id, year, term)]

    term_filter = {"year": year, "term": term}
    semester_shown = semester_view(semester) if semester else None
    starts = str(semester_shown["starts_on"])[:10] if semester_shown else ""
    # who was enrolled during the term: active students, and those who left (畢業/轉出) since it began
    students = [
        s
        for s in roster_students(ctx, school_id, None, True)
        if s.get("status") in rules.ACTIVE_STATUSES or not s.get("left_on") or str(s["left_on"])[:10] >= starts
    ]
    return {
        "semester": semester_shown,
        "students": students,
        "classes": of("classes", {"year": year}),
        "courses": of("courses", term_filter),
        "grades": of_term("grades"),
        **{key: of_term(key) for key in SPECIAL_GRADES},
        "attendance": of_term("attendance"),
        "cadres": of_term("cadres"),
        "performances": of("performances", {"year": year}),
    }


def _timeliness(rows: list[dict], closes: datetime | None) -> dict[str, Any]:
    """Entries on time and late (created after the window closed), per person and per Taipei day."""
    found: dict[str, Any] = {"on_time": 0, "late": 0, "people": {}, "days": {}}
    for doc in rows:
        moment = doc.get("created_at")
        if moment is None:
            continue
        verdict = "late" if closes is not None and moment > closes else "on_time"
        found[verdict] += 1
        person = found["people"].setdefault(doc.get("created_by") or "?", {"on_time": 0, "late": 0})
        person[verdict] += 1
        day = to_taipei(moment).date().isoformat()
        found["days"][day] = found["days"].get(day, 0) + 1
    return found


def _add_timeliness(total: dict[str, Any], part: dict[str, Any]) -> None:
    for verdict in ("on_time", "late"):
        total[verdict] += part[verdict]
    for person, c in part["people"].items():
        kept = total["people"].setdefault(person, {"on_time": 0, "late": 0})
        for verdict in ("on_time", "late"):
            kept[verdict] += c[verdict]
    for day, n in part["days"].items():
        total["days"][day] = total["days"].get(day, 0) + n


def entry_timeliness(ctx: Context, school_id: str, year: int, term: int) -> dict | None:
    ctx.internal(school_id, Permission.SCHOOL_EFFECTIVENESS_READ)
    semester = ctx.store.semester(school_id, domain.semester_id(year, term))
    if semester is None:
        return None
    types = {}
    for key, type_ in TYPES.items():
        if not type_.semester or Role.STUDENT in type_.writers:
            continue  # students' own entries are not a unit's work
        _, closes = domain.window_of(semester, key)
        counts: dict[str, Any] = {"label": type_.label, "writers": sorted(type_.writers), "on_time": 0, "late": 0, "people": {}, "days": {}}
        # a tallied type's figures are kept per partition (a term's 30,000 grades: 60 small documents)
        compute = partial(_timeliness, closes=closes)
        params = closes.isoformat() if closes else ""
        for part in ctx.store.semester_figures(key, school_id, int(year), int(term), "timeliness", params, compute):
            _add_timeliness(counts, part)
        types[key] = counts
    return {
        "year": int(year),
        "term": int(term),
        "internal_deadline": semester.get("internal_deadline"),
        "starts_on": semester["starts_on"],
        "types": types,
    }


def active_students(ctx: Context, school_id: str, year: int, term: int) -> list[dict]:
    ctx.internal(school_id, Permission.SCHOOL_TRAININGS_READ)
    key = domain.semester_id(year, term).replace("-", "_")
    return [
        {
            "student_id": d["student_id"],
            "name": d.get("name", ""),
            "class_code": d.get("class_code"),
            "seat_no": d.get("seat_no"),
            "rechecked": key in (d.get("rechecks") or {}),
        }
        for d in ctx.store.enrolled_students(school_id)
    ]
