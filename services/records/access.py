"""Who is asking and what they may reach: the caller's school, permission and scope of each record type.

`Context` is what every records module works with (the store, the caller, the audit-and-event unit,
the national ID cipher); the service builds one per call. Scopes come from the permission table
(shared/permissions.py) through the division table; a record outside the caller's scope is 404, never 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from services.records import domain, events
from services.records.division import RecordType, Scope, record_type
from services.records.errors import Archived, RecordNotFound, SemesterNotFound, UnknownRecordType
from services.records.query import NOTHING, OneOf, Visible, Where
from services.records.store import RecordsStore
from shared.audit import batch_entry, entry
from shared.caller import Caller
from shared.changes import Changes
from shared.clock import to_taipei, utcnow
from shared.errors import Forbidden
from shared.jsonable import jsonable
from shared.national_id import NationalIdCipher
from shared.permissions import Permission, is_allowed, require
from shared.roles import Role
from shared.tenancy import acting_school


@dataclass
class Context:
    store: RecordsStore
    caller: Caller | None
    changes: Changes
    field_key: str

    @cached_property
    def cipher(self) -> NationalIdCipher:
        return NationalIdCipher(self.field_key)

    # --- the caller ---

    def school_caller(self, permission: Permission) -> tuple[Caller, str]:
        caller = require(self.caller, permission)
        return caller, caller.require_school()

    def internal(self, school_id: str, permission: Permission | None = None) -> None:
        """RPCs for other services: the system caller, or a caller of that school holding the permission."""
        acting_school(self.caller, school_id)
        if not self.caller.is_system and permission is not None and not is_allowed(self.caller.roles, permission):
            raise Forbidden("您的角色不能執行此操作", "not allowed")

    # --- audit and events ---

    def changed(
        self, school: str, type_key: str, action: str, ids: list[str], student_ids: list[str], entries: list[dict[str, Any]]
    ) -> None:
        """Audit entries of a change, then `records.changed` for it."""
        self.changes.record_many(school, entries, (events.CHANGED, events.changed(type_key, school, action, ids, student_ids)))

    def entry(self, action: str, target: str, before=None, after=None, note: str = "") -> dict[str, Any]:
        return entry(self.caller, action, target, before=before, after=after, note=note)

    def batch_entry(self, action: str, target: str, rows: list[dict[str, Any]], note: str = "") -> dict[str, Any]:
        return batch_entry(self.caller, action, target, rows, note=note)

    def announce_archived(self, school: str, student_ids: list[str], status: str | None, left_on: str | None) -> None:
        self.changes.emit((events.STUDENT_ARCHIVED, events.archived(school, student_ids, status, left_on)))


def type_of(key: str) -> RecordType:
    type_ = record_type(key)
    if type_ is None:
        raise UnknownRecordType(f"沒有資料類別 {key}", f"unknown record type {key}")
    return type_


def today() -> date:
    return to_taipei(utcnow()).date()


def semester_or_404(ctx: Context, school: str, semester_id: str) -> dict[str, Any]:
    doc = ctx.store.semester(school, semester_id)
    if doc is None:
        raise SemesterNotFound(f"找不到 {semester_id} 學期", f"no semester {semester_id}")
    return doc


# --- scopes -----------------------------------------------------------------------------------------


def students_for(ctx: Context, school: str, caller: Caller, scope: Scope) -> set[str]:
    """The students a narrow scope covers for this caller."""
    store = ctx.store
    if scope is Scope.SELF:
        return {caller.student_id} if caller.student_id else set()
    if scope is Scope.ASSIGNED:
        return store.assigned_students(school, caller.user_id)
    if scope is Scope.CLASS:
        codes = store.homeroom_classes(school, caller.user_id)
        return store.students_of_classes(school, codes) if codes else set()
    if scope is Scope.COURSE:
        courses = store.courses_taught_by(school, caller.user_id)
        found = store.students_of_classes(school, sorted({c["class_code"] for c in courses if not c.get("elective")}))
        return found | store.students_selecting(school, [c["_id"] for c in courses])
    return set()


def visible(ctx: Context, school: str, caller: Caller, type_: RecordType, grants: dict[Role, Scope]) -> Visible:
    """What of a record type the caller reaches under these readers/writers."""
    alternatives: list[Where] = []
    for role in sorted(caller.roles):
        scope = grants.get(role)
        if scope is None:
            continue
        if scope is Scope.SCHOOL:
            return Visible(None)
        if scope is Scope.OWN and type_.owner_field:
            alternatives.append({type_.owner_field: caller.user_id})
        elif type_.student_field:
            alternatives.append({type_.student_field: OneOf(students_for(ctx, school, caller, scope)), **type_.scoped_reads})
    return Visible(tuple(alternatives)) if alternatives else NOTHING


def students_in_scope(ctx: Context, school: str, caller: Caller, grants: dict[Role, Scope]) -> list[str] | None:
    """The students the caller reaches under these grants (None: the whole school)."""
    allowed: set[str] = set()
    for role in caller.roles:
        scope = grants.get(role)
        if scope is Scope.SCHOOL:
            return None
        if scope is not None:
            allowed |= students_for(ctx, school, caller, scope)
    return sorted(allowed)


def scoped_record(ctx: Context, school: str, caller: Caller, type_: RecordType, record_id: str, grants: dict[Role, Scope]):
    """The record if it is within the caller's scope for these readers/writers; otherwise 404, never 403."""
    doc = ctx.store.get(type_.key, school, record_id, visible(ctx, school, caller, type_, grants))
    if doc is None:
        raise RecordNotFound(f"找不到此筆{type_.label}", "record not found")
    return doc


def refuse_archived(ctx: Context, school: str, student_ids: list[str | None]) -> None:
    """A student who left is archived: read-only for every role."""
    wanted = sorted({s for s in student_ids if s})
    if not wanted:
        return
    found = ctx.store.archived_among(school, wanted)
    if found:
        ids = "、".join(found[:20])
        raise Archived(f"學號 {ids} 已離校（畢業或轉出），學習歷程已封存唯讀", f"archived (read-only) students: {ids}")


def semester_view(doc: dict[str, Any]) -> dict[str, Any]:
    return jsonable(domain.semester_view({**doc, "_id": doc["semester_id"]}, utcnow()))
