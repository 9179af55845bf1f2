"""Pickers: students and courses chosen by name, limited to what the caller may read (queries in
lookup_store.py)."""

from __future__ import annotations

from services.records import domain, lookup_store
from services.records.access import Context, students_in_scope, today
from services.records.division import TYPES
from shared.roles import Role


def students(ctx: Context, q: str = "", ids: list | None = None) -> list[dict]:
    type_ = TYPES["students"]
    caller, school = ctx.school_caller(type_.read)
    allowed = students_in_scope(ctx, school, caller, type_.readers)
    return lookup_store.students(ctx.store, school, allowed, q if isinstance(q, str) else "", ids or None)


def courses(
    ctx: Context, q: str = "", year: int | None = None, term: int | None = None, ids: list | None = None, codes: list | None = None
) -> list[dict]:
    """Staff: the school's offerings; a student: only their own courses of the semester (class + selections)."""
    caller, school = ctx.school_caller(TYPES["courses"].read)
    if caller.roles == {Role.STUDENT}:
        semester = domain.current_semester(ctx.store.list_semesters(school), today())
        if not (year and term) and semester is None:
            return []
        year, term = (int(year), int(term)) if year and term else (semester["year"], semester["term"])
        return lookup_store.courses_of_student(ctx.store, school, caller.student_id or "", year, term)
    return lookup_store.courses(ctx.store, school, {}, q if isinstance(q, str) else "", year, term, ids or None, codes or None)
