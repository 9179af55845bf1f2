"""Records' errors; each maps to HTTP through its base class (shared/errors.py)."""

from shared.errors import Conflict, NotFound, StudentArchived
from shared.errors import CourseNotFound as CourseNotFound  # shared with certification

Archived = StudentArchived  # shared with certification and evidence (shared/errors.py)


class RecordNotFound(NotFound):
    code = "record_not_found"
    title = "找不到此筆資料"
    title_en = "Record not found"


class SemesterNotFound(NotFound):
    code = "semester_not_found"
    title = "找不到此學期"
    title_en = "Semester not found"


class StudentNotFound(NotFound):
    code = "student_not_found"
    title = "找不到此學生"
    title_en = "Student not found"


class UnknownRecordType(NotFound):
    code = "unknown_record_type"
    title = "沒有此資料類別"
    title_en = "Unknown record type"


class RecordExists(Conflict):
    code = "record_exists"
    title = "資料重複"
    title_en = "Duplicate record"


class WindowClosed(Conflict):
    """Outside the entry window: the detail names the window and when it closes/closed."""

    code = "window_closed"
    title = "不在登錄時段內"
    title_en = "Outside the entry window"


class NotArchived(Conflict):
    code = "not_archived"
    title = "學生尚未封存"
    title_en = "The student is not archived"


class AlreadyPublished(Conflict):
    code = "already_published"
    title = "競賽結果已公告，不可修改"
    title_en = "The results are published and can no longer change"


class AlreadyClaimed(Conflict):
    code = "already_claimed"
    title = "已登錄過此競賽成績"
    title_en = "Already claimed"


class ProblemReportNotFound(NotFound):
    code = "problem_report_not_found"
    title = "找不到此問題回報"
    title_en = "Problem report not found"


class TooManyOpenReports(Conflict):
    code = "too_many_open_reports"
    title = "待處理的回報過多"
    title_en = "Too many unanswered reports"
