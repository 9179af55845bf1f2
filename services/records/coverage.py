"""Coverage as offices count it: of the students now enrolled whom the caller reaches, how many have at
least one record of a type in a semester ("出缺勤 已登錄 1,180 / 1,200 位學生"), for the school and per
class, so an office sees which classes it has not finished.

One read of the enrolled students (class only); which of them have a record comes from the list
tallies' per-partition sets (services/records/list_store.py), so only partitions written since the
last look are read again (else one read of the type's student ids in that semester). The answer
names classes by code and counts, never a student. Without a year and term it counts the current
semester (409 with the step to take when the school has none yet).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from services.records import domain
from services.records.access import Context, students_in_scope, today, type_of
from services.records.errors import UnknownRecordType
from services.records.store import ENROLLED
from shared.errors import ValidationFailed, no_semester_yet


def coverage(ctx: Context, type_key: str, year: Any, term: Any = None) -> dict[str, Any]:
    type_ = type_of(type_key)
    caller, school = ctx.school_caller(type_.read)
    if not type_.countable:
        raise UnknownRecordType(f"{type_.label}不是逐位學生登錄的資料", f"{type_.key} is not recorded per student")
    if year in (None, "") and term in (None, ""):
        current = domain.current_semester(ctx.store.list_semesters(school), today())
        if current is None:
            raise no_semester_yet()
        year, term = current["year"], current["term"]
    year_n, term_n = _semester(year, term, type_.semester)
    reach = students_in_scope(ctx, school, caller, type_.readers)
    students = ctx.store.find("students", school, dict(ENROLLED), projection={"student_id": 1, "class_code": 1})
    if reach is not None:
        allowed = set(reach)
        students = [s for s in students if s["student_id"] in allowed]
    recorded = ctx.store.recorded_students(type_.key, school, year_n, term_n if type_.semester else None)
    if recorded is None:
        where: dict[str, Any] = {"year": year_n} | ({"term": term_n} if type_.semester else {})
        recorded = {d.get("student_id") for d in ctx.store.find(type_.key, school, where, projection={"student_id": 1})}
    enrolled = Counter(s.get("class_code") or "" for s in students)
    done = Counter(s.get("class_code") or "" for s in students if s["student_id"] in recorded)
    classes = [{"class_code": c, "students": n, "recorded": done.get(c, 0)} for c, n in sorted(enrolled.items())]
    return {
        "record_type": type_.key,
        "label": type_.label,
        "year": year_n,
        "term": term_n if type_.semester else None,
        "students": len(students),
        "recorded": sum(done.values()),
        "classes": classes,
    }


def _semester(year: Any, term: Any, has_term: bool) -> tuple[int, int | None]:
    try:
        year_n = int(year)
        term_n = int(term) if has_term else None
    except (TypeError, ValueError):
        raise ValidationFailed("請指定學年度與學期", "year (and term) are required") from None
    if not 100 <= year_n <= 200 or (has_term and term_n not in (1, 2)):
        raise ValidationFailed("學年度或學期不正確", "year must be 100-200 and term 1 or 2")
    return year_n, term_n
