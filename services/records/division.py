"""The division table (登錄分工表 of the seed regulation): who writes and who reads each record type, and how far.

The gateway's permission table (shared/permissions.py) grants the coarse right; this table adds the
scope the service enforces (whole school, own class, assigned students, own courses, self, own items).
tests/records/test_division.py checks that both agree and generates the permission matrix from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel

from services.records import schemas as s
from shared.permissions import Permission as P
from shared.roles import Role as R


class Scope(StrEnum):
    SCHOOL = "school"  # the whole school
    CLASS = "class"  # students of classes where the caller is the homeroom teacher
    ASSIGNED = "assigned"  # students assigned to the caller (課程諮詢教師)
    COURSE = "course"  # students of the caller's courses (任課教師)
    SELF = "self"  # the caller's own student record
    OWN = "own"  # items the caller owns (owner_field == caller.user_id)


@dataclass(frozen=True)
class RecordType:
    key: str
    label: str  # zh-TW
    model: type[BaseModel]
    read: P
    write: P
    readers: dict[R, Scope]
    writers: dict[R, Scope]
    natural_key: tuple[str, ...] = ()  # empty: every save is a new record
    semester: bool = True  # has year/term, and entry is gated by the semester's window for `key`
    student_field: str | None = "student_id"
    owner_field: str | None = None
    columns: tuple[tuple[str, str], ...] = ()  # (field, zh-TW header) for import and export
    importable: bool = False
    extra_columns: tuple[tuple[str, str], ...] = field(default=())  # export-only columns


_SEM = (("year", "學年度"), ("term", "學期"))
_STAFF_WIDE = {
    R.REGISTRAR: Scope.SCHOOL,
    R.GUIDANCE: Scope.SCHOOL,
    R.COUNSELOR: Scope.ASSIGNED,
    R.HOMEROOM: Scope.CLASS,
    R.STUDENT: Scope.SELF,
}
_EVERY_SCHOOL_ROLE = {r: Scope.SCHOOL for r in R if r is not R.DISTRICT_ADMIN}

TYPES: dict[str, RecordType] = {
    t.key: t
    for t in (
        RecordType(
            "classes",
            "班級",
            s.ClassIn,
            P.SCHOOL_CLASSES_READ,
            P.SCHOOL_CLASSES_WRITE,
            _EVERY_SCHOOL_ROLE,
            {R.REGISTRAR: Scope.SCHOOL},
            natural_key=("year", "code"),
            semester=False,
            student_field=None,
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
            s.StudentIn,
            P.SCHOOL_STUDENTS_READ,
            P.SCHOOL_STUDENTS_WRITE,
            {
                R.REGISTRAR: Scope.SCHOOL,
                R.CURRICULUM: Scope.SCHOOL,
                R.GUIDANCE: Scope.SCHOOL,
                R.DISCIPLINE: Scope.SCHOOL,
                R.ACTIVITIES: Scope.SCHOOL,
                R.COUNSELOR: Scope.ASSIGNED,
                R.HOMEROOM: Scope.CLASS,
                R.TEACHER: Scope.COURSE,
                R.STUDENT: Scope.SELF,
            },
            {R.REGISTRAR: Scope.SCHOOL},
            natural_key=("student_id",),
            semester=False,
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
            ),
            importable=True,
        ),
        RecordType(
            "courses",
            "開課課程",
            s.CourseIn,
            P.SCHOOL_COURSES_READ,
            P.SCHOOL_COURSES_WRITE,
            _EVERY_SCHOOL_ROLE,
            {R.CURRICULUM: Scope.SCHOOL},
            natural_key=("year", "term", "code", "class_code"),
            student_field=None,
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
            s.SelectionIn,
            P.SCHOOL_SELECTIONS_READ,
            P.SCHOOL_SELECTIONS_WRITE,
            {
                R.REGISTRAR: Scope.SCHOOL,
                R.CURRICULUM: Scope.SCHOOL,
                R.GUIDANCE: Scope.SCHOOL,
                R.COUNSELOR: Scope.ASSIGNED,
                R.HOMEROOM: Scope.CLASS,
                R.TEACHER: Scope.COURSE,
                R.STUDENT: Scope.SELF,
            },
            {R.CURRICULUM: Scope.SCHOOL},
            natural_key=("year", "term", "student_id", "course_code", "course_class"),
            columns=(*_SEM, ("student_id", "學號"), ("course_code", "課程代碼"), ("course_class", "開課班級")),
            importable=True,
        ),
        RecordType(
            "grades",
            "修課成績",
            s.GradeIn,
            P.SCHOOL_GRADES_READ,
            P.SCHOOL_GRADES_WRITE,
            {R.CURRICULUM: Scope.SCHOOL, **_STAFF_WIDE},
            {R.REGISTRAR: Scope.SCHOOL},
            natural_key=("year", "term", "student_id", "course_code", "course_class"),
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
        RecordType(
            "attendance",
            "出缺勤",
            s.AttendanceIn,
            P.SCHOOL_ATTENDANCE_READ,
            P.SCHOOL_ATTENDANCE_WRITE,
            {
                R.REGISTRAR: Scope.SCHOOL,
                R.DISCIPLINE: Scope.SCHOOL,
                R.GUIDANCE: Scope.SCHOOL,
                R.HOMEROOM: Scope.CLASS,
                R.STUDENT: Scope.SELF,
            },
            {R.DISCIPLINE: Scope.SCHOOL},
            natural_key=("year", "term", "student_id", "absence_type"),
            columns=(*_SEM, ("student_id", "學號"), ("absence_type", "假別"), ("periods", "節數")),
            importable=True,
        ),
        RecordType(
            "cadres",
            "幹部經歷",
            s.CadreIn,
            P.SCHOOL_CADRES_READ,
            P.SCHOOL_CADRES_WRITE,
            {R.ACTIVITIES: Scope.SCHOOL, **_STAFF_WIDE},
            {R.ACTIVITIES: Scope.SCHOOL},
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
            s.ClubIn,
            P.SCHOOL_CLUBS_READ,
            P.SCHOOL_CLUBS_WRITE,
            {R.ACTIVITIES: Scope.SCHOOL, **_STAFF_WIDE},
            {R.ACTIVITIES: Scope.SCHOOL},
            natural_key=("year", "term", "student_id", "club"),
            columns=(*_SEM, ("student_id", "學號"), ("club", "社團名稱"), ("role", "社團職務")),
            importable=True,
        ),
        RecordType(
            "service_learning",
            "服務學習",
            s.ServiceLearningIn,
            P.SCHOOL_SERVICE_LEARNING_READ,
            P.SCHOOL_SERVICE_LEARNING_WRITE,
            {R.ACTIVITIES: Scope.SCHOOL, **_STAFF_WIDE},
            {R.ACTIVITIES: Scope.SCHOOL},
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
            s.CourseEvaluationIn,
            P.SCHOOL_COURSE_EVALUATIONS_READ,
            P.SCHOOL_COURSE_EVALUATIONS_WRITE,
            dict(_STAFF_WIDE),
            {R.GUIDANCE: Scope.SCHOOL},
            natural_key=("year", "term", "student_id"),
            columns=(*_SEM, ("student_id", "學號"), ("academic_groups", "學群"), ("exploration", "學群探索"), ("career_plan", "就業規劃")),
        ),
        RecordType(
            "counselling",
            "課程諮詢紀錄",
            s.CounsellingIn,
            P.SCHOOL_COUNSELLING_READ,
            P.SCHOOL_COUNSELLING_WRITE,
            dict(_STAFF_WIDE),
            {R.COUNSELOR: Scope.ASSIGNED},
            owner_field="counselor_id",
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
            s.AssignmentIn,
            P.SCHOOL_COUNSELLOR_ASSIGNMENTS_READ,
            P.SCHOOL_COUNSELLOR_ASSIGNMENTS_WRITE,
            {R.REGISTRAR: Scope.SCHOOL, R.GUIDANCE: Scope.SCHOOL, R.COUNSELOR: Scope.OWN},
            {R.REGISTRAR: Scope.SCHOOL, R.GUIDANCE: Scope.SCHOOL},
            natural_key=("counselor_id", "student_id"),
            semester=False,
            owner_field="counselor_id",
            columns=(("counselor_id", "課程諮詢教師帳號編號"), ("student_id", "學號")),
            importable=True,
        ),
        RecordType(
            "performances",
            "多元表現",
            s.PerformanceIn,
            P.SCHOOL_PERFORMANCES_READ,
            P.SCHOOL_PERFORMANCES_WRITE,
            dict(_STAFF_WIDE),
            {R.STUDENT: Scope.SELF},
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
            s.CompetitionIn,
            P.SCHOOL_COMPETITIONS_READ,
            P.SCHOOL_COMPETITIONS_WRITE,
            {R.REGISTRAR: Scope.SCHOOL, R.ACTIVITIES: Scope.SCHOOL, R.CONTEST_ORGANIZER: Scope.OWN, R.STUDENT: Scope.SELF},
            {R.CONTEST_ORGANIZER: Scope.OWN},
            student_field="results.student_id",
            owner_field="organiser_id",
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
STATEMENTS_READERS = {R.GUIDANCE: Scope.SCHOOL, R.COUNSELOR: Scope.ASSIGNED, R.HOMEROOM: Scope.CLASS, R.STUDENT: Scope.SELF}
STATEMENTS_CHECKERS = {R.GUIDANCE: Scope.SCHOOL, R.HOMEROOM: Scope.CLASS}

# Window types: every semester record type, plus the student uploads that other services gate.
WINDOW_TYPES: tuple[str, ...] = tuple(k for k, t in TYPES.items() if t.semester)


def record_type(key: str) -> RecordType | None:
    return TYPES.get(key) if isinstance(key, str) else None
