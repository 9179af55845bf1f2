"""The division table (登錄分工表 of the seed regulation): each record type, who writes and reads it, how far.

Who may read or write, and how far each role reaches (whole school, own class, assigned students,
own courses, self, own items), is stated once in the permission table (shared/permissions.py); a
record type names its read and write permissions and takes its readers and writers from there.
What differs between record types is data or a small hook here, never a branch on the type's key.

Spelling: the record types and their URLs are `counselling` and `counsellor_assignments`, while the
role and the person fields are `counselor`/`counselor_id`; competitions store `organiser_id` for the
`contest_organizer` role. These names are the public API and stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from services.records import rules, schemas
from shared.caller import Caller
from shared.permissions import Permission, Scope, scopes
from shared.roles import Role

__all__ = ["RecordType", "Scope", "TYPES", "WINDOW_TYPES", "STATEMENTS_READERS", "STATEMENTS_CHECKERS", "record_type"]

Derive = Callable[[dict[str, Any], Caller], None]


@dataclass(frozen=True)
class RecordType:
    key: str
    label: str  # zh-TW
    model: type[BaseModel]
    read: Permission
    write: Permission
    natural_key: tuple[str, ...] = ()  # empty: every save is a new record
    semester: bool = True  # has year/term, and entry is gated by the semester's window for `key`
    student_field: str | None = "student_id"
    owner_field: str | None = None
    columns: tuple[tuple[str, str], ...] = ()  # (field, zh-TW header) for import and export
    importable: bool = False
    extra_columns: tuple[tuple[str, str], ...] = field(default=())  # export-only columns
    class_field: str | None = None  # the field a `class_code` list filter matches (else: the class's students)
    derive: Derive | None = None  # fields a record derives from its content and its writer on save
    student_register: bool = False  # the students' basic data: national IDs, status, leaving (archive)
    course_link: bool = False  # names a course offering (code, class, semester): resolved and copied on save
    credits_within_course: bool = False  # credits_counted may not exceed the linked course's credits
    keeps_source: bool = False  # `source_key` says where the record came from (a claim) and never changes
    frozen_status: str | None = None  # once `status` has this value the record can no longer change
    scoped_reads: dict[str, Any] = field(default_factory=dict)  # what callers scoped by student see of it only

    @property
    def readers(self) -> dict[Role, Scope]:
        return scopes(self.read)

    @property
    def countable(self) -> bool:
        """Recorded per student and per school year (出缺勤, 幹部, 多元表現...): offices see how many
        enrolled students have one (登錄進度, services/records/coverage.py)."""
        return self.student_field == "student_id" and not self.student_register and "year" in self.model.model_fields

    @property
    def sortable(self) -> tuple[str, ...]:
        """The columns a list may be ordered by on the server: the type's own stored fields (a name shown
        beside an id is not stored; a 身分證號 is stored encrypted, its order means nothing)."""
        return (*(n for n in self.model.model_fields if n != "national_id"), "updated_at")

    @property
    def writers(self) -> dict[Role, Scope]:
        return scopes(self.write)

    @property
    def has_year(self) -> bool:
        return "year" in self.model.model_fields

    def students_of(self, doc: dict[str, Any]) -> list[str]:
        """The students a stored record is about (competitions: every student in the results)."""
        if self.student_field is None:
            return []
        if "." in self.student_field:
            array, name = self.student_field.split(".", 1)
            return [r[name] for r in doc.get(array, [])]
        return [doc[self.student_field]] if doc.get(self.student_field) else []

    def is_frozen(self, doc: dict[str, Any]) -> bool:
        return self.frozen_status is not None and doc.get("status") == self.frozen_status


def course_code_parts(code: str) -> dict[str, str]:
    parts, at = {}, 0
    for name, width in rules.COURSE_CODE_SPLIT:
        parts[name] = code[at : at + width]
        at += width
    return parts


def _class_grade(content: dict[str, Any], caller: Caller) -> None:
    content["grade"] = int(content["code"][0])


def _course_parts(content: dict[str, Any], caller: Caller) -> None:
    content["grade"] = int(content["class_code"][0])
    content["code_parts"] = course_code_parts(content["code"])


def _counselled_by_caller(content: dict[str, Any], caller: Caller) -> None:
    content["counselor_id"] = caller.user_id


def _performance_source(content: dict[str, Any], caller: Caller) -> None:
    content.setdefault("source_key", None)  # a manual entry; the writer names it after its id


def _organised_by_caller(content: dict[str, Any], caller: Caller) -> None:
    content["organiser_id"] = caller.user_id
    content["status"] = "draft"


_SEM = (("year", "學年度"), ("term", "學期"))

TYPES: dict[str, RecordType] = {
    t.key: t
    for t in (
        RecordType(
            "classes",
            "班級",
            schemas.ClassIn,
            Permission.SCHOOL_CLASSES_READ,
            Permission.SCHOOL_CLASSES_WRITE,
            natural_key=("year", "code"),
            semester=False,
            student_field=None,
            class_field="code",
            derive=_class_grade,
            columns=(
                ("year", "學年度"),
                ("code", "班級代碼"),
                ("name", "班級名稱"),
                ("department_code", "科別代碼"),
                ("program_code", "科班學程別代碼"),
                ("homeroom_teacher_id", "導師帳號編號"),
            ),
            importable=True,
        ),
        RecordType(
            "students",
            "學生基本資料",
            schemas.StudentIn,
            Permission.SCHOOL_STUDENTS_READ,
            Permission.SCHOOL_STUDENTS_WRITE,
            natural_key=("student_id",),
            semester=False,
            class_field="class_code",
            student_register=True,
            columns=(
                ("student_id", "學號"),
                ("national_id", "身分證號"),
                ("name", "姓名"),
                ("birth_date", "出生日期"),
                ("gender", "性別"),
                ("class_code", "班級"),
                ("seat_no", "座號"),
                ("status", "學籍狀態"),
                ("enrolled_year", "入學學年度"),
                ("division", "部別代碼"),
            ),
            importable=True,
        ),
        RecordType(
            "courses",
            "開課課程",
            schemas.CourseIn,
            Permission.SCHOOL_COURSES_READ,
            Permission.SCHOOL_COURSES_WRITE,
            natural_key=("year", "term", "code", "class_code"),
            student_field=None,
            class_field="class_code",
            derive=_course_parts,
            columns=(
                *_SEM,
                ("code", "課程代碼"),
                ("name", "課程名稱"),
                ("credits", "學分"),
                ("class_code", "開課班級"),
                ("teacher_ids", "任課教師帳號編號"),
                ("elective", "選修"),
            ),
            importable=True,
        ),
        RecordType(
            "selections",
            "選修紀錄",
            schemas.SelectionIn,
            Permission.SCHOOL_SELECTIONS_READ,
            Permission.SCHOOL_SELECTIONS_WRITE,
            natural_key=("year", "term", "student_id", "course_code", "course_class"),
            course_link=True,
            columns=(*_SEM, ("student_id", "學號"), ("course_code", "課程代碼"), ("course_class", "開課班級")),
            importable=True,
        ),
        RecordType(
            "grades",
            "修課成績",
            schemas.GradeIn,
            Permission.SCHOOL_GRADES_READ,
            Permission.SCHOOL_GRADES_WRITE,
            natural_key=("year", "term", "student_id", "course_code", "course_class"),
            course_link=True,
            credits_within_course=True,
            columns=(
                *_SEM,
                ("student_id", "學號"),
                ("course_code", "課程代碼"),
                ("course_class", "開課班級"),
                ("score", "學期學業成績"),
                ("passed", "成績及格"),
                ("makeup_score", "補考成績"),
                ("makeup_passed", "補考及格"),
                ("credits_counted", "採計學分"),
                ("description", "質性文字描述"),
            ),
            importable=True,
        ),
        # 註冊組's special grades and 借讀: the course is named by code, name, grade and credits (often
        # offered in another term or school), so these do not link to a course offering of ours.
        RecordType(
            "makeup_grades",
            "補修成績",
            schemas.MakeupGradeIn,
            Permission.SCHOOL_GRADES_READ,
            Permission.SCHOOL_GRADES_WRITE,
            natural_key=("year", "term", "student_id", "course_code"),
            columns=(
                *_SEM,
                ("student_id", "學號"),
                ("due_year", "應修課學年度"),
                ("due_term", "應修課學期"),
                ("course_code", "課程代碼"),
                ("course_name", "科目名稱"),
                ("grade_level", "開課年級"),
                ("credits", "修課學分"),
                ("score", "補修成績"),
                ("passed", "補修及格"),
                ("makeup_score", "補考成績"),
                ("makeup_passed", "補考及格"),
                ("method", "補修方式"),
                ("credits_counted", "是否採計學分"),
                ("description", "質性文字描述"),
            ),
            importable=True,
        ),
        RecordType(
            "retake_grades",
            "重修成績",
            schemas.RetakeGradeIn,
            Permission.SCHOOL_GRADES_READ,
            Permission.SCHOOL_GRADES_WRITE,
            natural_key=("year", "term", "student_id", "original_year", "original_term", "original_course_code"),
            columns=(
                *_SEM,
                ("student_id", "學號"),
                ("original_year", "原修課學年度"),
                ("original_term", "原修課學期"),
                ("original_course_code", "原修課課程代碼"),
                ("original_course_name", "原修課科目名稱"),
                ("original_grade_level", "原修課開課年級"),
                ("original_credits", "原修課修課學分"),
                ("method", "重修方式"),
                ("score", "重修成績"),
                ("passed", "重修及格"),
                ("description", "質性文字描述"),
            ),
            importable=True,
        ),
        RecordType(
            "repeat_grades",
            "重讀成績",
            schemas.RepeatGradeIn,
            Permission.SCHOOL_GRADES_READ,
            Permission.SCHOOL_GRADES_WRITE,
            natural_key=("year", "term", "student_id", "course_code"),
            columns=(
                *_SEM,
                ("student_id", "學號"),
                ("course_code", "課程代碼"),
                ("course_name", "科目名稱"),
                ("grade_level", "開課年級"),
                ("credits", "修課學分"),
                ("score", "重讀成績"),
                ("passed", "成績及格"),
                ("makeup_score", "補考成績"),
                ("makeup_passed", "補考及格"),
                ("repeat_note", "重讀註記"),
                ("credits_counted", "是否採計學分"),
                ("description", "質性文字描述"),
            ),
            importable=True,
        ),
        RecordType(
            "transfer_grades",
            "轉學轉科生成績",
            schemas.TransferGradeIn,
            Permission.SCHOOL_GRADES_READ,
            Permission.SCHOOL_GRADES_WRITE,
            natural_key=("year", "term", "student_id", "mapped_year", "mapped_term", "course_code"),
            columns=(
                *_SEM,
                ("student_id", "學號"),
                ("former_school_code", "原修課學校代碼"),
                ("former_course_code", "原修課課程代碼"),
                ("former_course_name", "原修課科目名稱"),
                ("mapped_year", "對應學年度"),
                ("mapped_term", "對應學期"),
                ("course_code", "課程代碼"),
                ("course_name", "科目名稱"),
                ("grade_level", "對應年級"),
                ("credits", "修課學分"),
                ("periods", "修課節數"),
                ("identity", "身分別"),
                ("score", "抵免後成績"),
                ("passed", "成績及格"),
                ("credits_counted", "是否採計學分"),
                ("description", "質性文字描述"),
            ),
            importable=True,
        ),
        RecordType(
            "guest_study",
            "學生借讀資料",
            schemas.GuestStudyIn,
            Permission.SCHOOL_STUDENTS_READ,
            Permission.SCHOOL_STUDENTS_WRITE,
            natural_key=("year", "term", "student_id", "host_school_code"),
            columns=(
                *_SEM,
                ("student_id", "學號"),
                ("host_school_code", "借讀學校代碼"),
                ("group_code", "群別"),
                ("program_code", "借讀科班學程別"),
                ("guest_code", "借讀代碼"),
                ("start_date", "申請開始日期"),
                ("end_date", "申請結束日期"),
            ),
            importable=True,
        ),
        RecordType(
            "attendance",
            "出缺勤",
            schemas.AttendanceIn,
            Permission.SCHOOL_ATTENDANCE_READ,
            Permission.SCHOOL_ATTENDANCE_WRITE,
            natural_key=("year", "term", "student_id", "absence_type"),
            columns=(*_SEM, ("student_id", "學號"), ("absence_type", "假別"), ("periods", "節數")),
            importable=True,
        ),
        RecordType(
            "cadres",
            "幹部經歷",
            schemas.CadreIn,
            Permission.SCHOOL_CADRES_READ,
            Permission.SCHOOL_CADRES_WRITE,
            natural_key=("year", "term", "student_id", "unit", "position"),
            columns=(
                *_SEM,
                ("student_id", "學號"),
                ("level", "幹部等級"),
                ("unit", "單位名稱"),
                ("position", "擔任職務"),
                ("start_date", "開始日期"),
                ("end_date", "結束日期"),
            ),
            importable=True,
        ),
        RecordType(
            "clubs",
            "社團",
            schemas.ClubIn,
            Permission.SCHOOL_CLUBS_READ,
            Permission.SCHOOL_CLUBS_WRITE,
            natural_key=("year", "term", "student_id", "club"),
            columns=(*_SEM, ("student_id", "學號"), ("club", "社團名稱"), ("role", "社團職務")),
            importable=True,
        ),
        RecordType(
            "service_learning",
            "服務學習",
            schemas.ServiceLearningIn,
            Permission.SCHOOL_SERVICE_LEARNING_READ,
            Permission.SCHOOL_SERVICE_LEARNING_WRITE,
            natural_key=("year", "term", "student_id", "name", "start_date"),
            columns=(
                *_SEM,
                ("student_id", "學號"),
                ("name", "服務名稱"),
                ("organisation", "服務單位"),
                ("start_date", "開始日期"),
                ("end_date", "結束日期"),
                ("hours", "時數"),
                ("proof", "證明"),
            ),
            importable=True,
        ),
        RecordType(
            "course_evaluations",
            "修課評估",
            schemas.CourseEvaluationIn,
            Permission.SCHOOL_COURSE_EVALUATIONS_READ,
            Permission.SCHOOL_COURSE_EVALUATIONS_WRITE,
            natural_key=("year", "term", "student_id"),
            columns=(*_SEM, ("student_id", "學號"), ("academic_groups", "學群"), ("exploration", "學群探索"), ("career_plan", "就業規劃")),
        ),
        RecordType(
            "counselling",
            "課程諮詢紀錄",
            schemas.CounsellingIn,
            Permission.SCHOOL_COUNSELLING_READ,
            Permission.SCHOOL_COUNSELLING_WRITE,
            owner_field="counselor_id",
            derive=_counselled_by_caller,
            columns=(
                *_SEM,
                ("student_id", "學號"),
                ("date", "日期"),
                ("time", "時間"),
                ("place", "地點"),
                ("content", "諮詢內容"),
                ("advice", "意見"),
                ("counselor_id", "課程諮詢教師"),
            ),
        ),
        RecordType(
            "counsellor_assignments",
            "課程諮詢教師分配",
            schemas.AssignmentIn,
            Permission.SCHOOL_COUNSELLOR_ASSIGNMENTS_READ,
            Permission.SCHOOL_COUNSELLOR_ASSIGNMENTS_WRITE,
            natural_key=("counselor_id", "student_id"),
            semester=False,
            owner_field="counselor_id",
            columns=(("counselor_id", "課程諮詢教師帳號編號"), ("student_id", "學號")),
            importable=True,
        ),
        RecordType(
            "performances",
            "多元表現",
            schemas.PerformanceIn,
            Permission.SCHOOL_PERFORMANCES_READ,
            Permission.SCHOOL_PERFORMANCES_WRITE,
            derive=_performance_source,
            keeps_source=True,
            columns=(
                *_SEM,
                ("student_id", "學號"),
                ("category", "類別代碼"),
                ("summary", "內容簡述"),
                ("fields", "欄位"),
                ("video_url", "影音檔案外部連結"),
            ),
        ),
        RecordType(
            "competitions",
            "校內競賽",
            schemas.CompetitionIn,
            Permission.SCHOOL_COMPETITIONS_READ,
            Permission.SCHOOL_COMPETITIONS_WRITE,
            student_field="results.student_id",
            owner_field="organiser_id",
            derive=_organised_by_caller,
            frozen_status="published",
            scoped_reads={"status": "published"},
            columns=(
                *_SEM,
                ("name", "競賽名稱"),
                ("item", "項目"),
                ("level", "競賽等級"),
                ("published_on", "結果公布日期"),
                ("status", "狀態"),
            ),
        ),
    )
}

# Statements (自傳/學習計畫) are versioned documents with their own routes; their division is declared here too.
STATEMENTS_READERS = scopes(Permission.SCHOOL_STATEMENTS_READ)
STATEMENTS_CHECKERS = scopes(Permission.SCHOOL_STATEMENTS_CHECK)

# Window types: every semester record type, plus the student uploads that other services gate.
WINDOW_TYPES: tuple[str, ...] = tuple(k for k, t in TYPES.items() if t.semester)


def record_type(key: str) -> RecordType | None:
    return TYPES.get(key) if isinstance(key, str) else None
