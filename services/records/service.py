"""RecordsService: calendar and windows, unit records by the division table, imports, statements, competitions.

Entrypoints only: parse, check the caller's scope (division table), check the window, write, audit, emit.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from nameko.events import EventDispatcher
from nameko.rpc import rpc
from pydantic import BaseModel

from services.records import consistency, domain, events, lookup, rules
from services.records.archiving import ArchiveMixin
from services.records.division import STATEMENTS_CHECKERS, STATEMENTS_READERS, TYPES, WINDOW_TYPES, RecordType, Scope, record_type
from services.records.errors import (
    AlreadyClaimed,
    AlreadyPublished,
    Archived,
    CourseNotFound,
    RecordExists,
    RecordNotFound,
    SemesterNotFound,
    StudentNotFound,
    UnknownRecordType,
    WindowClosed,
)
from services.records.schemas import (
    AuditEntry,
    CheckIn,
    ClaimIn,
    RecheckIn,
    ReopenIn,
    SemesterIn,
    SemesterPatch,
    StatementIn,
)
from services.records.store import RecordsStore
from shared.caller import Caller
from shared.clock import to_taipei, utcnow
from shared.errors import Forbidden, Unauthenticated, ValidationFailed, field_error
from shared.mongo import StoreProvider
from shared.national_id import NationalIdCipher
from shared.permissions import Permission, is_allowed, require
from shared.roles import Role
from shared.service_base import CallerProvider, HealthMixin, SettingsProvider
from shared.validation import parse

CHUNK = 500
ACTIVE: dict[str, Any] = {"status": {"$nin": sorted(rules.ARCHIVED_STATUSES)}}  # students still here
MAX_PAGE = 10000
_IMPORT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _plain(value: Any) -> Any:
    """JSON-safe values for storage: Decimal -> float, date -> ISO text (datetimes stay native)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return value


def _archived_row(row: int, labels: dict[str, str], student: str) -> dict[str, Any]:
    return domain.row_error(
        row,
        labels.get("student_id", "學號"),
        f"學號 {student} 已離校（畢業或轉出），學習歷程已封存唯讀",
        f"student {student} is archived",
        "archived",
    )


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class RecordsService(ArchiveMixin, HealthMixin):
    name = "records"

    store: RecordsStore = StoreProvider("records", RecordsStore)
    caller: Caller | None = CallerProvider()
    settings = SettingsProvider()
    dispatch = EventDispatcher()

    # ------------------------------------------------------------------ helpers: who and where

    def _cipher(self) -> NationalIdCipher:
        return NationalIdCipher(self.settings.field_key)

    def _type(self, key: str) -> RecordType:
        type_ = record_type(key)
        if type_ is None:
            raise UnknownRecordType(f"沒有資料類別 {key}", f"unknown record type {key}")
        return type_

    def _emit(self, type_key: str, school_id: str, action: str, ids: list[str], student_ids: list[str]) -> None:
        self.dispatch(events.CHANGED, events.changed(type_key, school_id, action, ids, student_ids))

    def _students_for(self, school: str, caller: Caller, scope: Scope) -> set[str]:
        if scope is Scope.SELF:
            return {caller.student_id} if caller.student_id else set()
        if scope is Scope.ASSIGNED:
            docs = self.store.find("counsellor_assignments", school, {"counselor_id": caller.user_id}, projection={"student_id": 1})
            return {d["student_id"] for d in docs}
        if scope is Scope.CLASS:
            classes = self.store.find("classes", school, {"homeroom_teacher_id": caller.user_id}, projection={"year": 1, "code": 1})
            if not classes:
                return set()
            latest = max(c["year"] for c in classes)
            codes = [c["code"] for c in classes if c["year"] == latest]
            return {
                d["student_id"]
                for d in self.store.find("students", school, {"class_code": {"$in": codes}, **ACTIVE}, projection={"student_id": 1})
            }
        if scope is Scope.COURSE:
            courses = self.store.find(
                "courses", school, {"teacher_ids": caller.user_id}, projection={"class_code": 1, "elective": 1, "_id": 1}
            )
            class_codes = sorted({c["class_code"] for c in courses if not c.get("elective")})
            found = {
                d["student_id"]
                for d in self.store.find("students", school, {"class_code": {"$in": class_codes}, **ACTIVE}, projection={"student_id": 1})
            }
            course_ids = [c["_id"] for c in courses]
            found |= {
                d["student_id"]
                for d in self.store.find("selections", school, {"course_id": {"$in": course_ids}}, projection={"student_id": 1})
            }
            return found
        return set()

    def _scope_filter(self, school: str, caller: Caller, type_: RecordType, grants: dict[Role, Scope]) -> dict[str, Any]:
        """A filter that limits a query to what the caller may see ({} = the whole school)."""
        alternatives: list[dict[str, Any]] = []
        for role in sorted(caller.roles):
            scope = grants.get(role)
            if scope is None:
                continue
            if scope is Scope.SCHOOL:
                return {}
            if scope is Scope.OWN and type_.owner_field:
                alternatives.append({type_.owner_field: caller.user_id})
            elif type_.student_field:
                alt: dict[str, Any] = {type_.student_field: {"$in": sorted(self._students_for(school, caller, scope))}}
                if type_.key == "competitions":
                    alt["status"] = "published"
                alternatives.append(alt)
        if not alternatives:
            return {"_id": {"$in": []}}
        return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}

    def _school_caller(self, permission: Permission) -> tuple[Caller, str]:
        caller = require(self.caller, permission)
        return caller, caller.require_school()

    def _internal(self, school_id: str, permission: Permission | None = None) -> None:
        """RPCs for other services: the system caller, or a caller of that school holding the permission."""
        caller = self.caller
        if caller is None:
            raise Unauthenticated("請先登入", "authentication required")
        if caller.user_id == "system":
            return
        if caller.school_id != school_id or (permission is not None and not is_allowed(caller.roles, permission)):
            raise Forbidden("您的角色不能執行此操作", "not allowed")

    def _audit_doc(self, school: str, caller: Caller, action: str, target: str, before, after, note: str = "") -> dict[str, Any]:
        def scrub(image):
            return None if image is None else {k: v for k, v in image.items() if k not in {"_id", "national_id_enc", "national_id_hash"}}

        return {
            "_id": uuid.uuid4().hex,
            "school_id": school,
            "at": utcnow(),
            "actor": caller.user_id,
            "actor_name": caller.username,
            "request_id": caller.request_id,
            "action": action,
            "target": target,
            "before": scrub(before),
            "after": scrub(after),
            "note": note,
        }

    def _semester_or_404(self, school: str, semester_id: str) -> dict[str, Any]:
        doc = self.store.semester(school, semester_id)
        if doc is None:
            raise SemesterNotFound(f"找不到 {semester_id} 學期", f"no semester {semester_id}")
        return doc

    # ------------------------------------------------------------------ calendar

    @rpc
    def rules(self) -> dict:
        require(self.caller, Permission.SCHOOL_RECORD_RULES_READ)
        return {**rules.catalogue(), "window_types": list(WINDOW_TYPES), "record_types": {k: t.label for k, t in TYPES.items()}}

    @rpc
    def create_semester(self, payload: dict) -> dict:
        caller, school = self._school_caller(Permission.SCHOOL_CALENDAR_WRITE)
        doc = domain.semester_document(parse(SemesterIn, payload))
        doc = {**doc, "semester_id": doc.pop("_id"), "_id": domain.new_id(), "created_at": utcnow(), "created_by": caller.user_id}
        self.store.insert_semester(school, doc)
        self.store.audit.record(school, caller, "semester.create", doc["semester_id"], after=doc)
        self._emit("semesters", school, "create", [doc["semester_id"]], [])
        return self._semester_view(doc)

    @rpc
    def update_semester(self, semester_id: str, payload: dict) -> dict:
        caller, school = self._school_caller(Permission.SCHOOL_CALENDAR_WRITE)
        before = self._semester_or_404(school, semester_id)
        patch = parse(SemesterPatch, payload).model_dump(mode="json", exclude_unset=True)
        current = {**before, "_id": semester_id}
        merged = domain.semester_document(domain.merge_semester(current, patch))
        merged.pop("_id")
        after = self.store.replace_semester(school, semester_id, {**merged, "updated_at": utcnow(), "updated_by": caller.user_id})
        self.store.audit.record(school, caller, "semester.update", semester_id, before=before, after=after)
        self._emit("semesters", school, "update", [semester_id], [])
        return self._semester_view(after)

    @rpc
    def list_semesters(self) -> list[dict]:
        _, school = self._school_caller(Permission.SCHOOL_CALENDAR_READ)
        return [self._semester_view(d) for d in self.store.list_semesters(school)]

    @rpc
    def semester(self, semester_id: str) -> dict:
        _, school = self._school_caller(Permission.SCHOOL_CALENDAR_READ)
        if semester_id == "current":
            doc = domain.current_semester(self.store.list_semesters(school), self._today())
            if doc is None:
                raise SemesterNotFound("尚未建立任何學期", "no semester yet")
            return self._semester_view(doc)
        return self._semester_view(self._semester_or_404(school, semester_id))

    def _today(self) -> date:
        return to_taipei(utcnow()).date()

    def _semester_view(self, doc: dict[str, Any]) -> dict[str, Any]:
        return _json(domain.semester_view({**doc, "_id": doc["semester_id"]}, utcnow()))

    @rpc
    def reopen_window(self, semester_id: str, payload: dict) -> dict:
        """The registrar reopens one record type's window for one named student, with a reason (audited)."""
        caller, school = self._school_caller(Permission.SCHOOL_WINDOWS_REOPEN)
        self._semester_or_404(school, semester_id)
        request = parse(ReopenIn, payload)
        if request.record_type not in WINDOW_TYPES:
            raise ValidationFailed(
                "此資料類別沒有登錄時段",
                "not a window type",
                [field_error("record_type", "不是可設定時段的資料類別", "not a window type", "unknown_window")],
            )
        if self.store.find_one("students", school, {"student_id": request.student_id}) is None:
            raise StudentNotFound(f"找不到學號 {request.student_id}", "student not found")
        self._refuse_archived(school, [request.student_id])
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
        self.store.add_reopening(school, doc)
        self.store.audit.record(school, caller, "window.reopen", f"{semester_id}/{request.record_type}/{request.student_id}", after=doc)
        self._emit("reopenings", school, "create", [doc["_id"]], [request.student_id])
        return _json({**{k: v for k, v in doc.items() if k not in {"_id", "school_id"}}, "id": doc["_id"]})

    @rpc
    def list_reopenings(self, semester_id: str) -> list[dict]:
        _, school = self._school_caller(Permission.SCHOOL_WINDOWS_REOPEN)
        self._semester_or_404(school, semester_id)
        return [
            _json({**{k: v for k, v in d.items() if k not in {"_id", "school_id"}}, "id": d["_id"]})
            for d in self.store.reopenings_for(school, semester_id)
        ]

    # ------------------------------------------------------------------ generic records: read

    @rpc
    def list_records(self, type_key: str, filters: dict | None = None, page: int = 1, per_page: int = 50) -> dict:
        type_ = self._type(type_key)
        caller, school = self._school_caller(type_.read)
        query = self._filters(school, type_, filters or {})
        query = self._and(query, self._scope_filter(school, caller, type_, type_.readers))
        page, per_page = max(1, int(page)), min(max(1, int(per_page)), MAX_PAGE)
        sort = [(k, 1) for k in (type_.natural_key or ("year", "term", type_.student_field or "_id"))]
        docs = self.store.find(type_.key, school, query, sort=sort, skip=(page - 1) * per_page, limit=per_page)
        return {
            "items": [_json(domain.view(type_, d)) for d in docs],
            "total": self.store.count(type_.key, school, query),
            "page": page,
            "per_page": per_page,
        }

    @staticmethod
    def _and(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        if not a:
            return b
        if not b:
            return a
        return {"$and": [a, b]}

    def _filters(self, school: str, type_: RecordType, filters: dict[str, Any]) -> dict[str, Any]:
        query: dict[str, Any] = {}
        for name in ("year", "term"):
            value = str(filters.get(name) or "")
            if value.isdigit() and (type_.semester or (name == "year" and type_.key == "classes")):
                query[name] = int(value)
        for name in ("student_id", "course_code", "category", "status", "code", "counselor_id"):
            value = filters.get(name)
            if isinstance(value, str) and value and name in type_.model.model_fields | {"status": None}:
                query[name] = value
        class_code = filters.get("class_code")
        if isinstance(class_code, str) and class_code:
            if "class_code" in type_.model.model_fields:
                query["class_code"] = class_code
            elif type_.key == "classes":
                query["code"] = class_code
            elif type_.student_field == "student_id":
                students = self.store.find("students", school, {"class_code": class_code, **ACTIVE}, projection={"student_id": 1})
                query["student_id"] = {"$in": [d["student_id"] for d in students]}
        if type_.key == "students" and "status" not in query and "student_id" not in query:
            archived = filters.get("archived")  # lists: only students still here, unless asked (one student_id is a look-up)
            if archived == "only":
                query["status"] = {"$in": sorted(rules.ARCHIVED_STATUSES)}
            elif archived != "include":
                query.update(ACTIVE)
        unchecked = filters.get("unchecked")
        if type_.key == "students" and isinstance(unchecked, str) and re.fullmatch(r"\d{3}-[12]", unchecked):
            query[f"rechecks.{unchecked.replace('-', '_')}"] = {"$exists": False}
            query["status"] = {"$in": sorted(rules.ACTIVE_STATUSES)}
        return query

    def _scoped_record(self, school: str, caller: Caller, type_: RecordType, record_id: str, grants: dict[Role, Scope]) -> dict[str, Any]:
        """The record if it is within the caller's scope for these readers/writers; otherwise 404, never 403."""
        doc = self.store.get(type_.key, school, record_id, self._scope_filter(school, caller, type_, grants))
        if doc is None:
            raise RecordNotFound(f"找不到此筆{type_.label}", "record not found")
        return doc

    @rpc
    def get_record(self, type_key: str, record_id: str) -> dict:
        type_ = self._type(type_key)
        caller, school = self._school_caller(type_.read)
        doc = self._scoped_record(school, caller, type_, record_id, type_.readers)
        return _json(domain.view(type_, doc))

    # ------------------------------------------------------------------ generic records: write

    def _fill_self(self, caller: Caller, type_: RecordType, payload: Any) -> Any:
        if isinstance(payload, dict) and type_.writers.get(Role.STUDENT) is Scope.SELF and caller.has(Role.STUDENT):
            if not caller.student_id:
                raise Forbidden("此學生帳號尚未連結學號，請洽註冊組", "this student account has no student_id")
            if payload.get("student_id") not in (None, caller.student_id):
                raise StudentNotFound("只能登錄自己的資料", "students enter only their own records")
            return {**payload, "student_id": caller.student_id}
        return payload

    def _prepare(
        self,
        school: str,
        caller: Caller,
        type_: RecordType,
        items: list[tuple[int, dict[str, Any]]],
        *,
        existing_ids: dict[int, str] | None = None,
    ) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
        """Scope, referenced students and courses, windows and type rules for a batch; returns (ready, row errors)."""
        errors: list[dict[str, Any]] = []
        labels = dict(type_.columns)
        now = utcnow()
        # who may write for which students
        write_scope = self._scope_filter(school, caller, type_, type_.writers)
        allowed_students: set[str] | None = None
        if write_scope and type_.student_field == "student_id":
            allowed_students = set()
            for alt in write_scope.get("$or", [write_scope]):
                allowed_students |= set(alt.get("student_id", {}).get("$in", []))
        students_needed = sorted({c["student_id"] for _, c in items if c.get("student_id")} | self._result_students(items))
        known_students: set[str] = set()
        archived: dict[str, dict[str, Any]] = {}
        if students_needed:
            projection = None if type_.key == "students" else {"student_id": 1, "status": 1}
            found = self.store.find("students", school, {"student_id": {"$in": students_needed}}, projection=projection)
            known_students = {d["student_id"] for d in found}
            # A student who left is archived, read-only for every role (DESIGN.md section 2, issue 9).
            archived = {d["student_id"]: d for d in found if domain.is_archived(d)}
        courses = self._courses_for(school, type_, items)
        semesters: dict[str, dict[str, Any] | None] = {}
        reopenings: dict[str, list[dict[str, Any]]] = {}
        national_hashes = self._hash_owners(school, type_, items)
        cipher = self._cipher() if type_.key == "students" else None
        ready = []
        for row, content in items:
            student = content.get("student_id")
            problems: list[dict[str, Any]] = []
            if type_.key != "students" and type_.student_field == "student_id" and student is not None:
                if student not in known_students and not (caller.has(Role.STUDENT) and student == caller.student_id):
                    problems.append(
                        domain.row_error(
                            row, labels.get("student_id", "學號"), f"找不到學號 {student}", "unknown student", "student_not_found"
                        )
                    )
                elif student in archived:
                    problems.append(_archived_row(row, labels, student))
                elif allowed_students is not None and student not in allowed_students:
                    problems.append(
                        domain.row_error(
                            row, labels.get("student_id", "學號"), f"找不到學號 {student}", "not your student", "student_not_found"
                        )
                    )
            for result in content.get("results", []) if type_.key == "competitions" else []:
                if result["student_id"] not in known_students:
                    problems.append(
                        domain.row_error(row, "results", f"找不到學號 {result['student_id']}", "unknown student", "student_not_found")
                    )
                elif result["student_id"] in archived:
                    problems.append(_archived_row(row, {"student_id": "results"}, result["student_id"]))
            if type_.key in ("selections", "grades"):
                course = courses.get((content["year"], content["term"], content["course_code"], content["course_class"]))
                if course is None:
                    problems.append(
                        domain.row_error(
                            row,
                            labels["course_code"],
                            f"{content['year']}-{content['term']} 沒有 {content['course_class']} 班的課程 {content['course_code']}",
                            "no such course in that semester and class",
                            "course_not_found",
                        )
                    )
                else:
                    content["course_id"], content["course_name"], content["credits"] = course["_id"], course["name"], course["credits"]
                    if type_.key == "grades" and content["credits_counted"] > course["credits"]:
                        problems.append(
                            domain.row_error(
                                row,
                                labels["credits_counted"],
                                f"採計學分不可超過課程學分 {course['credits']}",
                                "more than the course's credits",
                                "too_many_credits",
                            )
                        )
            if type_.key == "students":
                owner = national_hashes.get(cipher.lookup_hash(content["national_id"]))
                if owner is not None and owner != student:
                    problems.append(
                        domain.row_error(
                            row, labels["national_id"], f"此身分證號已登錄於學號 {owner}", "the ID belongs to another student", "duplicate"
                        )
                    )
            if type_.semester and not problems:
                sid = domain.semester_id(content["year"], content["term"])
                if sid not in semesters:
                    semesters[sid] = self.store.semester(school, sid)
                semester = semesters[sid]
                if semester is None:
                    problems.append(domain.row_error(row, "學年度", f"尚未建立 {sid} 學期", f"no semester {sid}", "semester_not_found"))
                else:
                    for name, message, message_en, code in consistency.problems(type_, content, semester):
                        problems.append(domain.row_error(row, name, message, message_en, code))
                    opens, closes = domain.window_of(semester, type_.key)
                    if not domain.is_open(opens, closes, now):
                        if sid not in reopenings:
                            reopenings[sid] = self.store.reopenings_for(school, sid, type_.key)
                        if not domain.reopened(reopenings[sid], student, now):
                            error = domain.window_error({**semester, "_id": sid}, type_, now)
                            problems.append(domain.row_error(row, "學期", error.detail, error.detail_en, "window_closed"))
            if problems:
                errors.extend(problems)
                continue
            finished = self._finish(type_, caller, content, cipher)
            before = archived.get(student) if type_.key == "students" else None
            if before is not None and not domain.same_student(before, finished):
                errors.append(_archived_row(row, labels, student))
                continue
            ready.append((row, finished))
        return ready, errors

    @staticmethod
    def _result_students(items: list[tuple[int, dict[str, Any]]]) -> set[str]:
        return {r["student_id"] for _, c in items for r in c.get("results", []) if isinstance(r, dict)}

    def _courses_for(self, school: str, type_: RecordType, items: list[tuple[int, dict[str, Any]]]) -> dict[tuple, dict[str, Any]]:
        if type_.key not in ("selections", "grades") or not items:
            return {}
        terms = sorted({(c["year"], c["term"]) for _, c in items})
        docs = []
        for year, term in terms:
            docs += self.store.find(
                "courses",
                school,
                {"year": year, "term": term},
                projection={"year": 1, "term": 1, "code": 1, "class_code": 1, "name": 1, "credits": 1},
            )
        return {(d["year"], d["term"], d["code"], d["class_code"]): d for d in docs}

    def _hash_owners(self, school: str, type_: RecordType, items: list[tuple[int, dict[str, Any]]]) -> dict[str, str]:
        if type_.key != "students":
            return {}
        cipher = self._cipher()
        hashes = sorted({cipher.lookup_hash(c["national_id"]) for _, c in items})
        owners = {
            d["national_id_hash"]: d["student_id"]
            for d in self.store.find(
                "students", school, {"national_id_hash": {"$in": hashes}}, projection={"national_id_hash": 1, "student_id": 1}
            )
        }
        # within the batch: the first row owning an ID wins; later rows with other student ids are duplicates
        for _, c in items:
            owners.setdefault(cipher.lookup_hash(c["national_id"]), c["student_id"])
        return owners

    def _finish(self, type_: RecordType, caller: Caller, content: dict[str, Any], cipher: NationalIdCipher | None) -> dict[str, Any]:
        if type_.key == "students":
            assert cipher is not None
            content = domain.student_content(content, cipher)
        elif type_.key == "classes":
            content["grade"] = int(content["code"][0])
        elif type_.key == "courses":
            content["grade"] = int(content["class_code"][0])
            content["code_parts"] = domain.course_code_parts(content["code"])
        elif type_.key == "counselling":
            content["counselor_id"] = caller.user_id
        elif type_.key == "performances":
            content.setdefault("source_key", None)
        elif type_.key == "competitions":
            content["organiser_id"] = caller.user_id
            content["status"] = "draft"
        return content

    def _raise_first(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0]
        cls = {
            "window_closed": WindowClosed,
            "student_not_found": StudentNotFound,
            "course_not_found": CourseNotFound,
            "semester_not_found": SemesterNotFound,
            "duplicate": RecordExists,
            "archived": Archived,
        }.get(first["code"])
        if cls is not None:
            raise cls(first["message"], first["message_en"])
        errs = [{k: v for k, v in e.items() if k != "row"} for e in errors]
        raise ValidationFailed("部分欄位不正確", "some fields are invalid", errs)

    def _parse_one(self, caller: Caller, type_: RecordType, payload: Any) -> dict[str, Any]:
        return _plain(parse(type_.model, self._fill_self(caller, type_, payload)))

    @rpc
    def save_record(self, type_key: str, payload: dict) -> dict:
        """Create, or update the record with the same natural key (idempotent)."""
        type_ = self._type(type_key)
        caller, school = self._school_caller(type_.write)
        content = self._parse_one(caller, type_, payload)
        ready, errors = self._prepare(school, caller, type_, [(1, content)])
        if errors:
            self._raise_first(errors)
        content = ready[0][1]
        natural = domain.natural_filter(type_, content)
        existing = self.store.find_one(type_.key, school, natural) if natural else None
        if existing is not None:
            return {"record": self._apply_update(school, caller, type_, existing, content), "created": False}
        return {"record": self._insert(school, caller, type_, content), "created": True}

    def _insert(self, school: str, caller: Caller, type_: RecordType, content: dict[str, Any]) -> dict[str, Any]:
        leaving = self._leaving(type_, None, content, caller)
        now = utcnow()
        doc = {
            **content,
            "_id": domain.new_id(),
            "created_at": now,
            "created_by": caller.user_id,
            "updated_at": now,
            "updated_by": caller.user_id,
        }
        if type_.key == "performances" and not doc.get("source_key"):
            doc["source_key"] = f"manual:{doc['_id']}"
        clear = doc.pop("national_id_clear", None)
        if clear is not None:
            doc["national_id_enc"] = self._cipher().encrypt(clear)
        self.store.insert(type_.key, school, doc)
        self.store.audit_many([self._audit_doc(school, caller, f"{type_.key}.create", doc["_id"], None, doc)])
        self._emit(type_.key, school, "create", [doc["_id"]], self._students_of(type_, doc))
        if leaving:
            self._announce_archived(school, [doc["student_id"]], doc["status"], doc["left_on"])
        return _json(domain.view(type_, doc))

    def _apply_update(
        self, school: str, caller: Caller, type_: RecordType, existing: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        if type_.key == "competitions" and existing.get("status") == "published":
            raise AlreadyPublished("競賽結果已公告，不可修改", "published results cannot change")
        school_wide = any(type_.writers.get(r) is Scope.SCHOOL for r in caller.roles)
        if type_.owner_field and not school_wide and existing.get(type_.owner_field) not in (None, caller.user_id):
            raise RecordNotFound(f"找不到此筆{type_.label}", "record not found")
        if type_.key == "performances":
            content["source_key"] = existing.get("source_key")
        leaving = self._leaving(type_, existing, content, caller)
        clear = content.pop("national_id_clear", None)
        if domain.content_of(existing) == {**domain.content_of(existing), **content} and not self._id_changed(type_, existing, content):
            return _json(domain.view(type_, existing))
        changes = {**content, "updated_at": utcnow(), "updated_by": caller.user_id}
        if clear is not None:
            changes["national_id_enc"] = self._cipher().encrypt(clear)
        after = self.store.update(type_.key, school, existing["_id"], changes)
        self.store.audit_many([self._audit_doc(school, caller, f"{type_.key}.update", existing["_id"], existing, after)])
        self._emit(type_.key, school, "update", [existing["_id"]], self._students_of(type_, after))
        if leaving:
            self._announce_archived(school, [after["student_id"]], after["status"], after["left_on"])
        return _json(domain.view(type_, after))

    @staticmethod
    def _id_changed(type_: RecordType, existing: dict[str, Any], content: dict[str, Any]) -> bool:
        return type_.key == "students" and existing.get("national_id_hash") != content.get("national_id_hash")

    @staticmethod
    def _students_of(type_: RecordType, doc: dict[str, Any]) -> list[str]:
        if type_.key == "competitions":
            return [r["student_id"] for r in doc.get("results", [])]
        return [doc["student_id"]] if doc.get("student_id") else []

    @rpc
    def replace_record(self, type_key: str, record_id: str, payload: dict) -> dict:
        type_ = self._type(type_key)
        caller, school = self._school_caller(type_.write)
        existing = self._scoped_record(school, caller, type_, record_id, type_.writers)
        if type_.key != "students":
            self._refuse_archived(school, self._students_of(type_, existing))
        content = self._parse_one(caller, type_, payload)
        self._check_old_window(school, caller, type_, existing)
        ready, errors = self._prepare(school, caller, type_, [(1, content)])
        if errors:
            self._raise_first(errors)
        return self._apply_update(school, caller, type_, existing, ready[0][1])

    def _check_old_window(self, school: str, caller: Caller, type_: RecordType, existing: dict[str, Any]) -> None:
        if not type_.semester:
            return
        sid = domain.semester_id(existing["year"], existing["term"])
        semester = self.store.semester(school, sid)
        now = utcnow()
        if semester is None:
            return
        opens, closes = domain.window_of(semester, type_.key)
        if domain.is_open(opens, closes, now):
            return
        if domain.reopened(self.store.reopenings_for(school, sid, type_.key), existing.get("student_id"), now):
            return
        raise domain.window_error({**semester, "_id": sid}, type_, now)

    @rpc
    def delete_record(self, type_key: str, record_id: str) -> None:
        type_ = self._type(type_key)
        caller, school = self._school_caller(type_.write)
        existing = self._scoped_record(school, caller, type_, record_id, type_.writers)
        if type_.key == "competitions" and existing.get("status") == "published":
            raise AlreadyPublished("競賽結果已公告，不可刪除", "published results cannot be deleted")
        self._refuse_archived(school, self._students_of(type_, existing))
        self._check_old_window(school, caller, type_, existing)
        self.store.delete(type_.key, school, record_id)
        self.store.audit_many([self._audit_doc(school, caller, f"{type_.key}.delete", record_id, existing, None)])
        self._emit(type_.key, school, "delete", [record_id], self._students_of(type_, existing))

    # ------------------------------------------------------------------ imports

    @rpc
    def import_records(self, type_key: str, rows: list, import_id: str | None = None) -> dict:
        """Validate every row first; any error imports nothing. Re-importing the same file changes nothing.

        Rows are written in chunks of CHUNK; the import-job document records progress, so a client that
        chose `import_id` can poll GET .../imports/<import_id> while this call runs.
        """
        type_ = self._type(type_key)
        caller, school = self._school_caller(type_.write)
        if not type_.importable:
            raise UnknownRecordType(f"{type_.label}不提供批次匯入", f"{type_.key} cannot be imported")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValidationFailed("匯入檔沒有資料列", "the import has no rows")
        if import_id is not None and (not isinstance(import_id, str) or not _IMPORT_ID.match(import_id)):
            raise ValidationFailed("匯入編號格式不正確", "import_id: 8-64 letters, digits, _ or -")
        import_id = import_id or domain.new_id()
        job = {
            "_id": domain.new_id(),
            "import_id": import_id,
            "record_type": type_.key,
            "status": "running",
            "rows": len(rows),
            "validated": 0,
            "inserted": 0,
            "updated": 0,
            "unchanged": 0,
            "processed": 0,
            "errors": [],
            "created_by": caller.user_id,
            "created_at": utcnow(),
        }
        self.store.start_import(school, job)
        try:
            report = self._run_import(school, caller, type_, rows, job)
        except ValidationFailed as exc:  # a file-level problem (headers): nothing imported
            errors = [{"row": 1, **e} for e in exc.errors] or [{"row": 1, **field_error("file", exc.detail, exc.detail_en, exc.code)}]
            self.store.update_import(school, import_id, {"status": "rejected", "errors": errors, "finished_at": utcnow()})
            raise
        return report

    def _run_import(self, school: str, caller: Caller, type_: RecordType, rows: list[dict], job: dict[str, Any]) -> dict[str, Any]:
        import_id = job["import_id"]
        good, errors = domain.validate_rows(type_, rows)
        items = [(row, _plain(model)) for row, model in good]
        items = [(row, self._fill_self(caller, type_, content)) for row, content in items]
        ready, more = self._prepare(school, caller, type_, items)
        errors = sorted(errors + more, key=lambda e: e["row"])
        counts = {"validated": len(rows) - len({e["row"] for e in errors}), "inserted": 0, "updated": 0, "unchanged": 0, "processed": 0}
        if errors:
            final = {**counts, "status": "rejected", "errors": errors[:1000], "finished_at": utcnow()}
            self.store.update_import(school, import_id, final)
            return self._report(job, final)
        self.store.update_import(school, import_id, {"validated": counts["validated"]})
        existing = self._existing_by_key(school, type_, [c for _, c in ready])
        cipher = self._cipher() if type_.key == "students" else None
        now = utcnow()
        for chunk in domain.chunks(ready, CHUNK):
            inserts, updates, audits, ids, students = [], [], [], [], []
            leavers: dict[str, list[str]] = {}
            for _, content in chunk:
                clear = content.pop("national_id_clear", None)
                before = existing.get(domain.natural_tuple(type_, content))
                if self._leaving(type_, before, content, caller):
                    leavers.setdefault(content["status"], []).append(content["student_id"])
                if before is not None:
                    same = {**domain.content_of(before), **content} == domain.content_of(before)
                    if same:
                        counts["unchanged"] += 1
                        continue
                    changes = {**content, "updated_at": now, "updated_by": caller.user_id, "import_id": import_id}
                    if cipher is not None:
                        changes["national_id_enc"] = cipher.encrypt(clear)
                    updates.append((before["_id"], changes))
                    audits.append(
                        self._audit_doc(
                            school, caller, f"{type_.key}.import_update", before["_id"], before, {**before, **changes}, import_id
                        )
                    )
                    ids.append(before["_id"])
                    counts["updated"] += 1
                else:
                    doc = {
                        **content,
                        "_id": domain.new_id(),
                        "created_at": now,
                        "created_by": caller.user_id,
                        "updated_at": now,
                        "updated_by": caller.user_id,
                        "import_id": import_id,
                    }
                    if cipher is not None:
                        doc["national_id_enc"] = cipher.encrypt(clear)
                    inserts.append(doc)
                    audits.append(self._audit_doc(school, caller, f"{type_.key}.import_create", doc["_id"], None, doc, import_id))
                    ids.append(doc["_id"])
                    counts["inserted"] += 1
                if content.get("student_id"):
                    students.append(content["student_id"])
            self.store.bulk_upsert(type_.key, school, inserts, updates)
            self.store.audit_many(audits)
            counts["processed"] += len(chunk)
            self.store.update_import(school, import_id, dict(counts))
            if ids:
                self._emit(type_.key, school, "import", ids, students)
            for status, leaving in leavers.items():
                self._announce_archived(school, leaving, status, None)
        final = {**counts, "status": "done", "errors": [], "finished_at": utcnow()}
        self.store.update_import(school, import_id, final)
        self.store.audit.record(
            school, caller, f"{type_.key}.import", import_id, note=str({k: counts[k] for k in ("inserted", "updated", "unchanged")})
        )
        return self._report(job, final)

    def _existing_by_key(self, school: str, type_: RecordType, contents: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
        if not type_.natural_key:
            return {}
        if type_.semester:
            docs = []
            for year, term in sorted({(c["year"], c["term"]) for c in contents}):
                docs += self.store.find(type_.key, school, {"year": year, "term": term})
        else:
            first = type_.natural_key[0]
            docs = self.store.find(type_.key, school, {first: {"$in": sorted({c[first] for c in contents})}})
        return {domain.natural_tuple(type_, d): d for d in docs}

    @staticmethod
    def _report(job: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        merged = {**job, **state}
        return {
            "import_id": merged["import_id"],
            "record_type": merged["record_type"],
            **{k: merged[k] for k in ("status", "rows", "validated", "inserted", "updated", "unchanged", "processed")},
            "errors": merged["errors"],
        }

    @rpc
    def get_import(self, import_id: str) -> dict:
        caller, school = self._school_caller(Permission.SCHOOL_RECORD_IMPORTS_READ)
        job = self.store.import_job(school, import_id)
        if job is None or (job["created_by"] != caller.user_id and not caller.has(Role.REGISTRAR)):
            raise RecordNotFound("找不到此匯入工作", "import not found")
        return self._report(job, {})

    # ------------------------------------------------------------------ students: the semester re-check

    @rpc
    def recheck_students(self, payload: dict) -> dict:
        caller, school = self._school_caller(Permission.SCHOOL_STUDENTS_WRITE)
        request = parse(RecheckIn, payload)
        sid = domain.semester_id(request.year, request.term)
        self._semester_or_404(school, sid)
        stamp = {"by": caller.user_id, "by_name": caller.username, "at": utcnow()}
        found = self.store.find("students", school, {"student_id": {"$in": request.student_ids}}, projection={"student_id": 1})
        missing = sorted(set(request.student_ids) - {d["student_id"] for d in found})
        if missing:
            raise StudentNotFound("找不到學號：" + "、".join(missing[:20]), "unknown students: " + ", ".join(missing[:20]))
        self._refuse_archived(school, request.student_ids)
        key = f"rechecks.{sid.replace('-', '_')}"
        audits = []
        for doc in found:
            self.store.update("students", school, doc["_id"], {key: stamp})
            audits.append(self._audit_doc(school, caller, "students.recheck", doc["_id"], None, {"semester": sid, **stamp}))
        self.store.audit_many(audits)
        self._emit("students", school, "recheck", [d["_id"] for d in found], [d["student_id"] for d in found])
        remaining = self.store.count("students", school, {key: {"$exists": False}, "status": {"$in": sorted(rules.ACTIVE_STATUSES)}})
        return {"semester_id": sid, "confirmed": len(found), "not_yet_rechecked": remaining}

    # ------------------------------------------------------------------ competitions

    @rpc
    def publish_competition(self, competition_id: str) -> dict:
        type_ = TYPES["competitions"]
        caller, school = self._school_caller(Permission.SCHOOL_COMPETITIONS_WRITE)
        doc = self.store.get(type_.key, school, competition_id, {"organiser_id": caller.user_id})
        if doc is None:
            raise RecordNotFound("找不到此競賽", "competition not found")
        if doc["status"] == "published":
            return _json(domain.view(type_, doc))
        if not doc.get("proof_evidence_id") or not doc.get("results"):
            raise ValidationFailed(
                "公告前須附簽呈或證明文件，並至少有一筆得獎名單",
                "publishing needs the signed proof document and at least one result",
                [field_error("proof_evidence_id", "請附證明文件", "proof required", "missing")],
            )
        self._check_old_window(school, caller, type_, doc)
        after = self.store.update(type_.key, school, competition_id, {"status": "published", "published_at": utcnow()}, {"status": "draft"})
        if after is None:
            raise AlreadyPublished("競賽結果已公告", "already published")
        self.store.audit_many([self._audit_doc(school, caller, "competitions.publish", competition_id, doc, after)])
        self._emit(type_.key, school, "publish", [competition_id], self._students_of(type_, after))
        return _json(domain.view(type_, after))

    @rpc
    def claim_competition(self, competition_id: str, payload: dict) -> dict:
        """A winner claims a published in-school result into their 多元表現 (競賽參與紀錄) without re-typing."""
        caller, school = self._school_caller(Permission.SCHOOL_COMPETITIONS_CLAIM)
        request = parse(ClaimIn, payload)
        student = caller.student_id
        doc = self.store.get("competitions", school, competition_id, {"results.student_id": student or "", "status": "published"})
        if doc is None:
            raise RecordNotFound("找不到此競賽或您不在得獎名單中", "competition not found for you")
        result = next(r for r in doc["results"] if r["student_id"] == student)
        content = {
            "year": doc["year"],
            "term": doc["term"],
            "student_id": student,
            "category": "2",
            "fields": {
                "競賽名稱": doc["name"],
                **({"項目": doc["item"]} if doc.get("item") else {}),
                "競賽等級": doc["level"],
                "獎項": result["award"],
                "結果公布日期": doc["published_on"],
                "團體參與": result["team"],
            },
            "summary": request.summary or doc["summary"],
            "evidence_ids": [doc["proof_evidence_id"]],
            "video_url": request.video_url,
        }
        type_ = TYPES["performances"]
        content = self._parse_one(caller, type_, content)
        ready, errors = self._prepare(school, caller, type_, [(1, content)])
        if errors:
            self._raise_first(errors)
        content = {**ready[0][1], "source_key": f"competition:{competition_id}"}
        if self.store.find_one("performances", school, {"student_id": student, "source_key": content["source_key"]}):
            raise AlreadyClaimed("已登錄過此競賽成績", "already claimed")
        try:
            record = self._insert(school, caller, type_, content)
        except RecordExists:
            raise AlreadyClaimed("已登錄過此競賽成績", "already claimed") from None
        return record

    # ------------------------------------------------------------------ statements (自傳 / 學習計畫)

    def _statement_kind(self, kind: str) -> str:
        if kind not in rules.STATEMENT_KINDS:
            raise RecordNotFound(f"沒有 {kind} 這種文件（autobiography 或 study_plan）", "unknown statement kind")
        return kind

    @rpc
    def save_statement(self, kind: str, payload: dict) -> dict:
        caller, school = self._school_caller(Permission.SCHOOL_STATEMENTS_WRITE)
        kind = self._statement_kind(kind)
        if not caller.student_id:
            raise Forbidden("此學生帳號尚未連結學號，請洽註冊組", "this student account has no student_id")
        request = parse(StatementIn, payload)
        self._refuse_archived(school, [caller.student_id])
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
        latest = self.store.latest_statement(school, caller.student_id, kind)
        if latest is not None and latest["fields"] == fields:
            return self._statement_view(latest)
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
        self.store.insert_statement(school, doc)
        self.store.audit_many([self._audit_doc(school, caller, "statements.save", doc["_id"], latest, doc)])
        self._emit("statements", school, "create", [doc["_id"]], [caller.student_id])
        return self._statement_view(doc)

    @staticmethod
    def _statement_view(doc: dict[str, Any]) -> dict[str, Any]:
        view = _json({k: v for k, v in doc.items() if k not in {"_id", "school_id"}})
        view["id"] = doc["_id"]
        # The latest check decides: 已檢核, or 請修改 (sent back with a comment for the student).
        last = (doc.get("checks") or [None])[-1]
        view["needs_revision"] = bool(last and last.get("decision") == "revise")
        view["checked"] = bool(last) and not view["needs_revision"]
        return view

    def _statement_students(self, school: str, caller: Caller, grants: dict[Role, Scope]) -> list[str] | None:
        allowed: set[str] = set()
        for role in caller.roles:
            scope = grants.get(role)
            if scope is Scope.SCHOOL:
                return None
            if scope is not None:
                allowed |= self._students_for(school, caller, scope)
        return sorted(allowed)

    @rpc
    def list_statements(self, student_id: str | None = None, kind: str | None = None, all_versions: bool = False) -> list[dict]:
        caller, school = self._school_caller(Permission.SCHOOL_STATEMENTS_READ)
        allowed = self._statement_students(school, caller, STATEMENTS_READERS)
        students = allowed
        if student_id:
            if allowed is not None and student_id not in allowed:
                raise StudentNotFound("找不到此學生", "student not found")
            students = [student_id]
        docs = self.store.statement_versions(school, students, kind if kind in rules.STATEMENT_KINDS else None)
        if not all_versions:
            latest: dict[tuple, dict[str, Any]] = {}
            for d in docs:
                latest.setdefault((d["student_id"], d["kind"]), d)
            docs = list(latest.values())
        return [self._statement_view(d) for d in docs]

    @rpc
    def check_statement(self, kind: str, payload: dict) -> dict:
        caller, school = self._school_caller(Permission.SCHOOL_STATEMENTS_CHECK)
        kind = self._statement_kind(kind)
        request = parse(CheckIn, payload)
        allowed = self._statement_students(school, caller, STATEMENTS_CHECKERS)
        if allowed is not None and request.student_id not in allowed:
            raise StudentNotFound("找不到此學生", "student not found")
        self._refuse_archived(school, [request.student_id])
        versions = self.store.statement_versions(school, [request.student_id], kind)
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
        check = {"by": caller.user_id, "by_name": caller.username, "role": str(role), "comment": request.comment, "at": utcnow()}
        check["decision"] = request.decision
        after = self.store.check_statement(school, target["_id"], check)
        self.store.audit_many([self._audit_doc(school, caller, "statements.check", target["_id"], target, after)])
        self._emit("statements", school, "check", [target["_id"]], [request.student_id])
        return self._statement_view(after)

    # ------------------------------------------------------------------ audit

    @rpc
    def list_audit(self, target: str | None = None, limit: int = 100) -> list[dict]:
        _, school = self._school_caller(Permission.SCHOOL_RECORDS_AUDIT_READ)
        entries = self.store.audit.list(school, target=target or None, limit=min(max(1, int(limit)), 500))
        return [AuditEntry.model_validate(e).model_dump(mode="json") for e in entries]

    # ------------------------------------------------------------------ RPCs for other services

    @rpc
    def get_semester(self, school_id: str, year: int, term: int) -> dict | None:
        """A semester with its deadlines and every window (None when not created)."""
        self._internal(school_id)
        doc = self.store.semester(school_id, domain.semester_id(year, term))
        return self._semester_view(doc) if doc else None

    @rpc
    def current_semester(self, school_id: str) -> dict | None:
        self._internal(school_id)
        doc = domain.current_semester(self.store.list_semesters(school_id), self._today())
        return self._semester_view(doc) if doc else None

    @rpc
    def window_open(self, school_id: str, year: int, term: int, record_type: str, student_id: str | None = None) -> dict:
        """Is `record_type`'s window open now (for this student, counting reopenings)? With the closing time."""
        self._internal(school_id)
        sid = domain.semester_id(year, term)
        semester = self.store.semester(school_id, sid)
        if semester is None:
            return {"open": False, "reason": "no_semester", "opens_at": None, "closes_at": None}
        now = utcnow()
        opens, closes = domain.window_of(semester, record_type)
        is_open = domain.is_open(opens, closes, now) or domain.reopened(
            self.store.reopenings_for(school_id, sid, record_type), student_id, now
        )
        return _json({"open": is_open, "opens_at": opens, "closes_at": closes})

    @rpc
    def get_course(self, school_id: str, course_id: str) -> dict | None:
        """One course offering with its teacher_ids (None when unknown in that school)."""
        self._internal(school_id)
        doc = self.store.get("courses", school_id, course_id)
        return _json(domain.view(TYPES["courses"], doc)) if doc else None

    @rpc
    def list_courses_of_student(self, school_id: str, student_id: str, year: int, term: int) -> list[dict]:
        """The student's courses in a semester: their class's required courses plus their elective selections."""
        self._internal(school_id)
        student = self.store.find_one("students", school_id, {"student_id": student_id})
        if student is None:
            return []
        selected = [
            d["course_id"] for d in self.store.find("selections", school_id, {"student_id": student_id, "year": year, "term": term})
        ]
        docs = self.store.find(
            "courses",
            school_id,
            {"year": year, "term": term, "$or": [{"class_code": student["class_code"], "elective": False}, {"_id": {"$in": selected}}]},
            sort=[("code", 1)],
        )
        return [_json(domain.view(TYPES["courses"], d)) for d in docs]

    @rpc
    def homeroom_classes(self, school_id: str, teacher_id: str) -> list[str]:
        """The class codes a teacher is now homeroom teacher (導師) of (their latest year's classes)."""
        self._internal(school_id)
        classes = self.store.find("classes", school_id, {"homeroom_teacher_id": teacher_id}, projection={"year": 1, "code": 1})
        if not classes:
            return []
        latest = max(c["year"] for c in classes)
        return sorted(c["code"] for c in classes if c["year"] == latest)

    @rpc
    def students_of_class(self, school_id: str, class_code: str) -> list[dict]:
        """Students now in a class (masked IDs), by seat number."""
        self._internal(school_id)
        docs = self.store.find("students", school_id, {"class_code": class_code, **ACTIVE}, sort=[("seat_no", 1)])
        return [_json(domain.view(TYPES["students"], d)) for d in docs]

    @rpc
    def get_student(self, school_id: str, student_id: str) -> dict | None:
        self._internal(school_id)
        doc = self.store.find_one("students", school_id, {"student_id": student_id})
        return _json(domain.view(TYPES["students"], doc)) if doc else None

    @rpc
    def roster_students(self, school_id: str, status: str | None = None, include_archived: bool = False) -> list[dict]:
        """Students' basic data for the national roster, WITH the clear national ID (registrar or system only).

        Active students only unless a status is named or include_archived is set (archived students left).
        """
        self._internal(school_id, Permission.SCHOOL_NATIONAL_ROSTER_READ)
        cipher = self._cipher()
        filter_ = {"status": status} if status else ({} if include_archived else dict(ACTIVE))
        docs = self.store.find("students", school_id, filter_, sort=[("class_code", 1), ("seat_no", 1)])
        out = []
        for d in docs:
            view = _json(domain.view(TYPES["students"], d))
            view["national_id"] = cipher.decrypt(d["national_id_enc"])
            out.append(view)
        if self.caller and self.caller.user_id != "system":
            self.store.audit.record(school_id, self.caller, "students.roster_read", school_id, note=f"{len(out)} clear IDs")
        return out

    @rpc
    def records_of_student(
        self, school_id: str, type_key: str, student_id: str, year: int | None = None, term: int | None = None
    ) -> list[dict]:
        """Any student-linked record type for one student (e.g. performances for the national roster)."""
        self._internal(school_id)
        type_ = self._type(type_key)
        filter_: dict[str, Any] = {type_.student_field or "student_id": student_id}
        if year is not None and type_.semester:
            filter_["year"] = int(year)
        if term is not None and type_.semester:
            filter_["term"] = int(term)
        return [_json(domain.view(type_, d)) for d in self.store.find(type_.key, school_id, filter_, sort=[("_id", 1)])]

    @rpc
    def performances_of_student(self, school_id: str, student_id: str, year: int | None = None) -> list[dict]:
        return self.records_of_student(school_id, "performances", student_id, year)

    @rpc
    def roster_data(self, school_id: str, year: int, term: int) -> dict:
        """Everything the national rosters of one semester need, in one call (2,000 students: one
        round trip, not thousands): students with clear IDs, classes, the semester's courses,
        grades, attendance and cadres, and the year's 多元表現. Registrar or system only."""
        self._internal(school_id, Permission.SCHOOL_NATIONAL_ROSTER_READ)
        year, term = int(year), int(term)
        semester = self.store.semester(school_id, domain.semester_id(year, term))

        def of(key: str, filter_: dict[str, Any]) -> list[dict]:
            return [_json(domain.view(TYPES[key], d)) for d in self.store.find(key, school_id, filter_, sort=[("_id", 1)])]

        term_filter = {"year": year, "term": term}
        view = self._semester_view(semester) if semester else None
        starts = str(view["starts_on"])[:10] if view else ""
        # who was enrolled during the term: active students, and those who left (畢業/轉出) since it began
        students = [
            s
            for s in self.roster_students(school_id, include_archived=True)
            if s.get("status") in rules.ACTIVE_STATUSES or not s.get("left_on") or str(s["left_on"])[:10] >= starts
        ]
        return {
            "semester": view,
            "students": students,
            "classes": of("classes", {"year": year}),
            "courses": of("courses", term_filter),
            "grades": of("grades", term_filter),
            "attendance": of("attendance", term_filter),
            "cadres": of("cadres", term_filter),
            "performances": of("performances", {"year": year}),
        }

    # working group figures (issue 8)

    @rpc
    def entry_timeliness(self, school_id: str, year: int, term: int) -> dict | None:
        """Unit-entered records of a semester, counted as entered by their type's deadline or after it (the
        window's close: the internal deadline unless the registrar set the type's own window), per record type,
        per person (created_by) and per Taipei day. None when the semester is unknown."""
        self._internal(school_id, Permission.SCHOOL_EFFECTIVENESS_READ)
        semester = self.store.semester(school_id, domain.semester_id(year, term))
        if semester is None:
            return None
        types = {}
        for key, type_ in TYPES.items():
            if not type_.semester or Role.STUDENT in type_.writers:
                continue  # students' own entries are not a unit's work
            _, closes = domain.window_of(semester, key)
            counts = {"label": type_.label, "writers": sorted(type_.writers), "on_time": 0, "late": 0, "people": {}, "days": {}}
            docs = self.store.find(key, school_id, {"year": int(year), "term": int(term)}, projection={"created_at": 1, "created_by": 1})
            for doc in docs:
                moment = doc.get("created_at")
                if moment is None:
                    continue
                verdict = "late" if closes is not None and moment > closes else "on_time"
                counts[verdict] += 1
                person = counts["people"].setdefault(doc.get("created_by") or "?", {"on_time": 0, "late": 0})
                person[verdict] += 1
                day = to_taipei(moment).date().isoformat()
                counts["days"][day] = counts["days"].get(day, 0) + 1
            types[key] = counts
        return {
            "year": int(year),
            "term": int(term),
            "internal_deadline": semester.get("internal_deadline"),
            "starts_on": semester["starts_on"],
            "types": types,
        }

    @rpc
    def active_students(self, school_id: str, year: int, term: int) -> list[dict]:
        """Students now enrolled, with class, seat and whether basic data was re-checked in that semester."""
        self._internal(school_id, Permission.SCHOOL_TRAININGS_READ)
        key = domain.semester_id(year, term).replace("-", "_")
        docs = self.store.find(
            "students",
            school_id,
            {"status": {"$in": sorted(rules.ACTIVE_STATUSES)}},
            sort=[("class_code", 1), ("seat_no", 1)],
            projection={"student_id": 1, "name": 1, "class_code": 1, "seat_no": 1, "rechecks": 1},
        )
        return [
            {
                "student_id": d["student_id"],
                "name": d.get("name", ""),
                "class_code": d.get("class_code"),
                "seat_no": d.get("seat_no"),
                "rechecked": key in (d.get("rechecks") or {}),
            }
            for d in docs
        ]

    # ------------------------------------------------------------------ pickers (logic in lookup.py)

    @rpc
    def lookup_students(self, q: str = "", ids: list | None = None) -> list[dict]:
        type_ = TYPES["students"]
        caller, school = self._school_caller(type_.read)
        scope = self._scope_filter(school, caller, type_, type_.readers)
        return lookup.students(self.store, school, scope, q if isinstance(q, str) else "", ids or None)

    @rpc
    def lookup_courses(
        self, q: str = "", year: int | None = None, term: int | None = None, ids: list | None = None, codes: list | None = None
    ) -> list[dict]:
        """Staff: the school's offerings; a student: only their own courses of the semester (class + selections)."""
        type_ = TYPES["courses"]
        caller, school = self._school_caller(type_.read)
        if caller.roles == {Role.STUDENT}:
            semester = domain.current_semester(self.store.list_semesters(school), self._today())
            if not (year and term) and semester is None:
                return []
            year, term = (int(year), int(term)) if year and term else (semester["year"], semester["term"])
            return lookup.courses_of_student(self.store, school, caller.student_id or "", year, term)
        return lookup.courses(self.store, school, {}, q if isinstance(q, str) else "", year, term, ids or None, codes or None)
