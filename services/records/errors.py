"""Records' errors; each maps to HTTP through its base class (shared/errors.py)."""

from shared.errors import Conflict, NotFound, ValidationFailed


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


class CourseNotFound(NotFound):
    code = "course_not_found"
    title = "找不到此課程"
    title_en = "Course not found"


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


class Archived(Conflict):
    code = "archived"
    title = "學生已畢業或轉出，學習歷程已封存唯讀"
    title_en = "The student has left (graduated or transferred out); the portfolio is archived and read-only"


class NotArchived(Conflict):
    code = "not_archived"
    title = "學生尚未封存"
    title_en = "The student is not archived"


class AlreadyPublished(Conflict):
    code = "already_published"
    title = "競賽結果已公告，不可修改"
    title_en = "The results are published and can no longer change"


class NotPublished(Conflict):
    code = "not_published"
    title = "競賽結果尚未公告"
    title_en = "The results are not published yet"


class AlreadyClaimed(Conflict):
    code = "already_claimed"
    title = "已登錄過此競賽成績"
    title_en = "Already claimed"


class ImportRejected(ValidationFailed):
    code = "import_rejected"
    title = "匯入檔有錯誤，未匯入任何資料"
    title_en = "The file has errors; nothing was imported"
