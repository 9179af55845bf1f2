"""Records the school's units enter, any type of the division table: list, read, save, replace, delete.

`prepare` is the one gate of every write (a form, an import, a claim): the caller's scope, the
referenced students and courses, the entry window and the type's own rules, row by row.
"""

from __future__ import annotations

import re
from typing import Any

from services.records import consistency, domain, list_names, rules
from services.records.access import Context, refuse_archived, scoped_record, type_of, visible
from services.records.calendar import check_old_window
from services.records.division import RecordType, Scope
from services.records.errors import (
    AlreadyPublished,
    Archived,
    CourseNotFound,
    RecordExists,
    RecordNotFound,
    SemesterNotFound,
    StudentNotFound,
    WindowClosed,
)
from services.records.list_store import PARTITION, natural_order
from services.records.query import ABSENT, OneOf, Where
from services.records.store import ARCHIVED, ENROLLED, STILL_HERE
from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import Forbidden, ValidationFailed, field_error
from shared.jsonable import jsonable, storable
from shared.roles import Role
from shared.validation import parse

MAX_PAGE = 10000
Items = list[tuple[int, dict[str, Any]]]  # (row number, content)


def view(type_: RecordType, doc: dict[str, Any]) -> dict[str, Any]:
    return jsonable(domain.view(type_, doc))


# --- read ---------------------------------------------------------------------------------------


def list_records(ctx: Context, type_key: str, filters: dict | None, page: int, per_page: int, names: bool = True) -> dict:
    type_ = type_of(type_key)
    caller, school = ctx.school_caller(type_.read)
    where = _filters(ctx, school, type_, filters or {})
    seen = visible(ctx, school, caller, type_, type_.readers)
    page, per_page = max(1, int(page)), min(max(1, int(per_page)), MAX_PAGE)
    natural = natural_order(type_.key)
    chosen = _sort_of(type_, (filters or {}).get("sort"))
    sort = [*chosen, *(k for k in natural if k[0] not in {c[0] for c in chosen})]
    docs, total = ctx.store.page(
        type_.key, school, where, visible=seen, sort=sort, skip=(page - 1) * per_page, limit=per_page, natural=not chosen
    )
    items = [view(type_, d) for d in docs]
    if names:  # a page shows names beside the ids; an export has its own columns
        list_names.add_names(ctx.store, school, type_, docs, items)
    return {
        "items": items,
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def _sort_of(type_: RecordType, given: Any) -> list[tuple[str, int]]:
    """`sort=score` or `sort=-score` (descending); none: the type's natural order."""
    if given in (None, ""):
        return []
    name = given[1:] if isinstance(given, str) and given.startswith("-") else given
    if not isinstance(name, str) or name not in type_.sortable:
        wrong = field_error("sort", "不在可排序的欄位中", "not a sortable column", "enum")
        raise ValidationFailed("無法依此欄位排序", "this list cannot be sorted by that column", [wrong])
    return [(name, -1 if given.startswith("-") else 1)]


def _filters(ctx: Context, school: str, type_: RecordType, filters: dict[str, Any]) -> Where:
    where: Where = {}
    for name in ("year", "term"):
        value = str(filters.get(name) or "")
        if value.isdigit() and (type_.semester or (name == "year" and type_.has_year)):
            where[name] = int(value)
    for name in ("student_id", "course_code", "category", "status", "code", "counselor_id"):
        value = filters.get(name)
        if isinstance(value, str) and value and name in type_.model.model_fields | {"status": None}:
            where[name] = value
    class_code = filters.get("class_code")
    if isinstance(class_code, str) and class_code:
        if type_.class_field:
            where[type_.class_field] = class_code
        elif type_.student_field == "student_id":
            where["student_id"] = OneOf(ctx.store.students_of_classes(school, [class_code]))
            if ctx.store.class_partition(type_.key, school):
                where[PARTITION] = class_code  # an equality FerretDB hands to PostgreSQL: one class's rows are read
    if type_.student_register and "status" not in where and "student_id" not in where:
        archived = filters.get("archived")  # lists: only students still here, unless asked (one student_id is a look-up)
        if archived == "only":
            where.update(ARCHIVED)
        elif archived != "include":
            where.update(STILL_HERE)
    unchecked = filters.get("unchecked")
    if type_.student_register and isinstance(unchecked, str) and re.fullmatch(r"\d{3}-[12]", unchecked):
        where[f"rechecks.{unchecked.replace('-', '_')}"] = ABSENT
        where.update(ENROLLED)
    return where


def get_record(ctx: Context, type_key: str, record_id: str) -> dict:
    type_ = type_of(type_key)
    caller, school = ctx.school_caller(type_.read)
    return view(type_, scoped_record(ctx, school, caller, type_, record_id, type_.readers))


# --- the gate of every write ----------------------------------------------------------------------


def fill_self(caller: Caller, type_: RecordType, payload: Any) -> Any:
    """A student writing their own records: the student_id is theirs, whatever the payload said."""
    if isinstance(payload, dict) and type_.writers.get(Role.STUDENT) is Scope.SELF and caller.has(Role.STUDENT):
        if not caller.student_id:
            raise Forbidden("此學生帳號尚未連結學號，請洽註冊組", "this student account has no student_id")
        if payload.get("student_id") not in (None, caller.student_id):
            raise StudentNotFound("只能登錄自己的資料", "students enter only their own records")
        return {**payload, "student_id": caller.student_id}
    return payload


def parse_one(caller: Caller, type_: RecordType, payload: Any) -> dict[str, Any]:
    return storable(parse(type_.model, fill_self(caller, type_, payload)))


def archived_row(row: int, labels: dict[str, str], student: str) -> dict[str, Any]:
    return domain.row_error(
        row,
        labels.get("student_id", "學號"),
        f"學號 {student} 已離校（畢業或轉出），學習歷程已封存唯讀",
        f"student {student} is archived",
        Archived.code,
    )


def prepare(
    ctx: Context, school: str, caller: Caller, type_: RecordType, items: Items, students: list[dict[str, Any]] | None = None
) -> tuple[Items, list[dict[str, Any]]]:
    """Scope, referenced students and courses, windows and type rules for a batch; returns (ready, row errors).
    `students`: the school's students (id, status) when the caller has read them already, as an import does."""
    errors: list[dict[str, Any]] = []
    labels = dict(type_.columns)
    now = utcnow()
    allowed_students: set[str] | None = None
    if type_.student_field == "student_id":
        allowed_students = visible(ctx, school, caller, type_, type_.writers).students("student_id")
    students_needed = sorted({c["student_id"] for _, c in items if c.get("student_id")} | _result_students(items))
    known_students: set[str] = set()
    archived: dict[str, dict[str, Any]] = {}
    if students_needed:
        if students is not None and not type_.student_register:
            wanted = set(students_needed)
            found = [d for d in students if d["student_id"] in wanted]
        else:
            projection = None if type_.student_register else {"student_id": 1, "status": 1}
            found = ctx.store.students_among(school, students_needed, projection=projection)
        known_students = {d["student_id"] for d in found}
        archived = {d["student_id"]: d for d in found if domain.is_archived(d)}  # read-only for every role
    courses = _courses_for(ctx, school, type_, items)
    semesters: dict[str, dict[str, Any] | None] = {}
    reopenings: dict[str, list[dict[str, Any]]] = {}
    national_hashes = _hash_owners(ctx, school, type_, items)
    ready = []
    for row, content in items:
        student = content.get("student_id")
        problems: list[dict[str, Any]] = []
        if not type_.student_register and type_.student_field == "student_id" and student is not None:
            if student not in known_students and not (caller.has(Role.STUDENT) and student == caller.student_id):
                problems.append(
                    domain.row_error(row, labels.get("student_id", "學號"), f"找不到學號 {student}", "unknown student", "student_not_found")
                )
            elif student in archived:
                problems.append(archived_row(row, labels, student))
            elif allowed_students is not None and student not in allowed_students:
                problems.append(
                    domain.row_error(
                        row, labels.get("student_id", "學號"), f"找不到學號 {student}", "not your student", "student_not_found"
                    )
                )
        for result in content.get("results", []) if type_.student_field == "results.student_id" else []:
            if result["student_id"] not in known_students:
                problems.append(
                    domain.row_error(row, "results", f"找不到學號 {result['student_id']}", "unknown student", "student_not_found")
                )
            elif result["student_id"] in archived:
                problems.append(archived_row(row, {"student_id": "results"}, result["student_id"]))
        if type_.course_link:
            problems += _link_course(type_, row, labels, content, courses)
        if type_.student_register:
            owner = national_hashes.get(ctx.cipher.lookup_hash(content["national_id"]))
            if owner is not None and owner != student:
                problems.append(
                    domain.row_error(
                        row, labels["national_id"], f"此身分證號已登錄於學號 {owner}", "the ID belongs to another student", "duplicate"
                    )
                )
        if type_.semester and not problems:
            sid = domain.semester_id(content["year"], content["term"])
            if sid not in semesters:
                semesters[sid] = ctx.store.semester(school, sid)
            if semesters[sid] is not None:
                # rules across fields that need the semester (a date inside it, 及格 agreeing with the score)
                for name, message, message_en, code in consistency.problems(type_, content, semesters[sid]):
                    problems.append(domain.row_error(row, name, message, message_en, code))
            problem = None if problems else _window_problem(ctx, school, type_, row, content, now, semesters, reopenings)
            if problem:
                problems.append(problem)
        if problems:
            errors.extend(problems)
            continue
        finished = _finish(ctx, type_, caller, content)
        before = archived.get(student) if type_.student_register else None
        if before is not None and not domain.same_student(before, finished):
            errors.append(archived_row(row, labels, student))
            continue
        ready.append((row, finished))
    return ready, errors


def _link_course(type_: RecordType, row: int, labels: dict[str, str], content: dict[str, Any], courses) -> list[dict[str, Any]]:
    course = courses.get((content["year"], content["term"], content["course_code"], content["course_class"]))
    if course is None:
        return [
            domain.row_error(
                row,
                labels["course_code"],
                f"{content['year']}-{content['term']} 沒有 {content['course_class']} 班的課程 {content['course_code']}",
                "no such course in that semester and class",
                "course_not_found",
            )
        ]
    content["course_id"], content["course_name"], content["credits"] = course["_id"], course["name"], course["credits"]
    if type_.credits_within_course and content["credits_counted"] > course["credits"]:
        return [
            domain.row_error(
                row,
                labels["credits_counted"],
                f"採計學分不可超過課程學分 {course['credits']}",
                "more than the course's credits",
                "too_many_credits",
            )
        ]
    return []


def _window_problem(ctx: Context, school: str, type_: RecordType, row: int, content, now, semesters, reopenings):
    sid = domain.semester_id(content["year"], content["term"])
    if sid not in semesters:
        semesters[sid] = ctx.store.semester(school, sid)
    semester = semesters[sid]
    if semester is None:
        return domain.row_error(row, "學年度", f"尚未建立 {sid} 學期", f"no semester {sid}", "semester_not_found")
    opens, closes = domain.window_of(semester, type_.key)
    if domain.is_open(opens, closes, now):
        return None
    if sid not in reopenings:
        reopenings[sid] = ctx.store.reopenings_for(school, sid, type_.key)
    if domain.reopened(reopenings[sid], content.get("student_id"), now):
        return None
    error = domain.window_error({**semester, "_id": sid}, type_, now)
    return domain.row_error(row, "學期", error.detail, error.detail_en, "window_closed")


def _result_students(items: Items) -> set[str]:
    return {r["student_id"] for _, c in items for r in c.get("results", []) if isinstance(r, dict)}


def _courses_for(ctx: Context, school: str, type_: RecordType, items: Items) -> dict[tuple, dict[str, Any]]:
    if not type_.course_link or not items:
        return {}
    docs = []
    for year, term in sorted({(c["year"], c["term"]) for _, c in items}):
        docs += ctx.store.find(
            "courses",
            school,
            {"year": year, "term": term},
            projection={"year": 1, "term": 1, "code": 1, "class_code": 1, "name": 1, "credits": 1},
        )
    return {(d["year"], d["term"], d["code"], d["class_code"]): d for d in docs}


def _hash_owners(ctx: Context, school: str, type_: RecordType, items: Items) -> dict[str, str]:
    if not type_.student_register:
        return {}
    cipher = ctx.cipher
    owners = ctx.store.owners_of_id_hashes(school, sorted({cipher.lookup_hash(c["national_id"]) for _, c in items}))
    # within the batch: the first row owning an ID wins; later rows with other student ids are duplicates
    for _, c in items:
        owners.setdefault(cipher.lookup_hash(c["national_id"]), c["student_id"])
    return owners


def _finish(ctx: Context, type_: RecordType, caller: Caller, content: dict[str, Any]) -> dict[str, Any]:
    if type_.student_register:
        content = domain.student_content(content, ctx.cipher)
    if type_.derive is not None:
        type_.derive(content, caller)
    return content


_ROW_ERRORS = {e.code: e for e in (WindowClosed, StudentNotFound, CourseNotFound, SemesterNotFound, Archived)} | {"duplicate": RecordExists}


def raise_first(errors: list[dict[str, Any]]) -> None:
    """A single write answers with its first problem as the matching error; otherwise every field error."""
    first = errors[0]
    cls = _ROW_ERRORS.get(first["code"])
    if cls is not None:
        raise cls(first["message"], first["message_en"])
    errs = [{k: v for k, v in e.items() if k != "row"} for e in errors]
    raise ValidationFailed("部分欄位不正確", "some fields are invalid", errs)


# --- write ----------------------------------------------------------------------------------------


def leaving(type_: RecordType, before: dict[str, Any] | None, content: dict[str, Any], caller: Caller) -> bool:
    """A student whose status becomes 畢業/轉出 is archived by this write: stamp it; announce after the write."""
    if not type_.student_register or content.get("status") not in rules.ARCHIVED_STATUSES:
        return False
    if before is not None and domain.is_archived(before):
        return False
    content.update(domain.leaving_stamp(caller.user_id, utcnow(), None))
    return True


def save_record(ctx: Context, type_key: str, payload: dict) -> dict:
    """Create, or update the record with the same natural key (idempotent)."""
    type_ = type_of(type_key)
    caller, school = ctx.school_caller(type_.write)
    content = parse_one(caller, type_, payload)
    ready, errors = prepare(ctx, school, caller, type_, [(1, content)])
    if errors:
        raise_first(errors)
    content = ready[0][1]
    natural = domain.natural_filter(type_, content)
    existing = ctx.store.find_one(type_.key, school, natural) if natural else None
    if existing is not None:
        return {"record": apply_update(ctx, school, caller, type_, existing, content), "created": False}
    return {"record": insert(ctx, school, caller, type_, content), "created": True}


def insert(ctx: Context, school: str, caller: Caller, type_: RecordType, content: dict[str, Any]) -> dict[str, Any]:
    is_leaving = leaving(type_, None, content, caller)
    now = utcnow()
    doc = {
        **content,
        "_id": domain.new_id(),
        "created_at": now,
        "created_by": caller.user_id,
        "updated_at": now,
        "updated_by": caller.user_id,
    }
    if type_.keeps_source and not doc.get("source_key"):
        doc["source_key"] = f"manual:{doc['_id']}"
    clear = doc.pop("national_id_clear", None)
    if clear is not None:
        doc["national_id_enc"] = ctx.cipher.encrypt(clear)
    ctx.store.insert(type_.key, school, doc)
    ctx.changed(
        school, type_.key, "create", [doc["_id"]], type_.students_of(doc), [ctx.entry(f"{type_.key}.create", doc["_id"], after=doc)]
    )
    if is_leaving:
        ctx.announce_archived(school, [doc["student_id"]], doc["status"], doc["left_on"])
    return view(type_, doc)


def apply_update(ctx: Context, school: str, caller: Caller, type_: RecordType, existing: dict[str, Any], content: dict[str, Any]):
    if type_.is_frozen(existing):
        raise AlreadyPublished("競賽結果已公告，不可修改", "published results cannot change")
    school_wide = any(type_.writers.get(r) is Scope.SCHOOL for r in caller.roles)
    if type_.owner_field and not school_wide and existing.get(type_.owner_field) not in (None, caller.user_id):
        raise RecordNotFound(f"找不到此筆{type_.label}", "record not found")
    if type_.keeps_source:
        content["source_key"] = existing.get("source_key")
    is_leaving = leaving(type_, existing, content, caller)
    clear = content.pop("national_id_clear", None)
    id_changed = type_.student_register and existing.get("national_id_hash") != content.get("national_id_hash")
    if domain.content_of(existing) == {**domain.content_of(existing), **content} and not id_changed:
        return view(type_, existing)
    changes = {**content, "updated_at": utcnow(), "updated_by": caller.user_id}
    if clear is not None:
        changes["national_id_enc"] = ctx.cipher.encrypt(clear)
    after = ctx.store.update(type_.key, school, existing["_id"], changes)
    entries = [ctx.entry(f"{type_.key}.update", existing["_id"], existing, after)]
    ctx.changed(school, type_.key, "update", [existing["_id"]], type_.students_of(after), entries)
    if is_leaving:
        ctx.announce_archived(school, [after["student_id"]], after["status"], after["left_on"])
    return view(type_, after)


def replace_record(ctx: Context, type_key: str, record_id: str, payload: dict) -> dict:
    type_ = type_of(type_key)
    caller, school = ctx.school_caller(type_.write)
    existing = scoped_record(ctx, school, caller, type_, record_id, type_.writers)
    if not type_.student_register:
        refuse_archived(ctx, school, type_.students_of(existing))
    content = parse_one(caller, type_, payload)
    check_old_window(ctx, school, type_, existing)
    ready, errors = prepare(ctx, school, caller, type_, [(1, content)])
    if errors:
        raise_first(errors)
    return apply_update(ctx, school, caller, type_, existing, ready[0][1])


def delete_record(ctx: Context, type_key: str, record_id: str) -> None:
    type_ = type_of(type_key)
    caller, school = ctx.school_caller(type_.write)
    existing = scoped_record(ctx, school, caller, type_, record_id, type_.writers)
    if type_.is_frozen(existing):
        raise AlreadyPublished("競賽結果已公告，不可刪除", "published results cannot be deleted")
    refuse_archived(ctx, school, type_.students_of(existing))
    check_old_window(ctx, school, type_, existing)
    ctx.store.delete(type_.key, school, record_id)
    entries = [ctx.entry(f"{type_.key}.delete", record_id, existing, None)]
    ctx.changed(school, type_.key, "delete", [record_id], type_.students_of(existing), entries)
