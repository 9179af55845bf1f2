"""Certification's errors; each maps to HTTP through its base class (shared/errors.py)."""

from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.errors import CourseNotFound as CourseNotFound  # shared with records
from shared.errors import StudentArchived as StudentArchived  # shared with records and evidence


class OutcomeNotFound(NotFound):
    code = "outcome_not_found"
    title = "找不到此學習成果"
    title_en = "Outcome not found"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "學習成果目前的狀態不能執行此操作"
    title_en = "Not possible in the outcome's current state"


class DeadlinePassed(Forbidden):
    code = "deadline_passed"
    title = "已超過截止時間"
    title_en = "The deadline has passed"


class CapReached(Conflict):
    code = "cap_reached"
    title = "已達上限"
    title_en = "The limit is reached"


class NotCourseTeacher(OutcomeNotFound):
    """A teacher who neither teaches the course nor stands in for its teacher sees no such outcome."""


class SelectionLocked(Conflict):
    code = "selection_locked"
    title = "勾選已鎖定"
    title_en = "The selection is locked"


class NotSelectable(Conflict):
    code = "not_selectable"
    title = "此學習成果尚未認證，不能勾選"
    title_en = "Only certified outcomes can be selected"


class BadEvidence(ValidationFailed):
    code = "bad_evidence"
    title = "佐證檔案不正確"
    title_en = "The evidence files are not valid"


class StudentNotLinked(NotFound):
    code = "student_not_linked"
    title = "找不到此帳號的學生資料"
    title_en = "No student record is linked to this account"


class PerformanceNotFound(NotFound):
    code = "performance_not_found"
    title = "找不到此多元表現"
    title_en = "Performance not found"
