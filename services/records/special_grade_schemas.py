"""註冊組's special grades (補修, 重修, 重讀, 轉學轉科, 借讀): their request models."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import (
    BeforeValidator,
    Field,
    model_validator,
)

from services.records import rules
from services.records.value_types import (
    AcademicYear,
    CourseCode,
    OptionalScore,
    SchoolDate,
    Score,
    SemesterKey,
    StudentId,
    Term,
    YesNo,
    _blank_none,
    _in,
    decimal_places,
)
from shared.validation import Text

# --- 註冊組's special grades: 補修, 重修, 重讀, 轉學轉科, 借讀 ------------------------------------------
# These name courses by code, name, grade and credits as the national sheets do, because the course
# was often offered in another term or at another school (no course offering of ours to link to).
# Codes whose national tables were never found (補修方式, 重修方式, 身分別, 借讀代碼) are short free codes.

GradeLevel = Annotated[int, Field(ge=1, le=4, description="開課年級")]
Credits = Annotated[Decimal, Field(ge=0, le=rules.MAX_CREDITS, max_digits=4, decimal_places=1), decimal_places(1)]
CourseName = Annotated[Text, Field(min_length=1, max_length=50)]
FreeCode = Annotated[Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,4}$")] | None, BeforeValidator(_blank_none)]
SchoolCode = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{6}$", description="6-character 學校代碼")]
Remark = Annotated[Text, Field(max_length=200)]
OptionalCode = Annotated[Annotated[str, Field(pattern=r"^[0-9A-Z]{1,10}$")] | None, BeforeValidator(_blank_none)]


def _passed(score: Decimal | None, given: bool | None) -> bool | None:
    if given is not None or score is None:
        return given
    return score >= rules.PASS_MARK


class MakeupGradeIn(SemesterKey):
    """補修成績: a course the student should have passed earlier (應修課學年度/學期), taken this term."""

    student_id: StudentId
    due_year: AcademicYear = Field(description="應修課學年度")
    due_term: Term = Field(description="應修課學期")
    course_code: CourseCode
    course_name: CourseName
    grade_level: GradeLevel
    credits: Credits
    score: Score
    passed: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    makeup_score: OptionalScore = None
    makeup_passed: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    method: FreeCode = Field(None, description="補修方式")
    credits_counted: YesNo = True
    description: Remark = ""

    @model_validator(mode="after")
    def _defaults(self) -> MakeupGradeIn:
        self.passed = _passed(self.score, self.passed)
        self.makeup_passed = _passed(self.makeup_score, self.makeup_passed)
        return self


class RetakeGradeIn(SemesterKey):
    """重修成績: a failed course retaken this term; the original course's term (before this one), code and credits."""

    student_id: StudentId
    original_year: AcademicYear = Field(description="原修課學年度")
    original_term: Term = Field(description="原修課學期")
    original_course_code: CourseCode = Field(description="原修課課程代碼")
    original_course_name: CourseName = Field(description="原修課科目名稱")
    original_grade_level: GradeLevel = Field(description="原修課開課年級")
    original_credits: Credits = Field(description="原修課修課學分")
    method: FreeCode = Field(None, description="重修方式")
    score: Score
    passed: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    description: Remark = ""

    @model_validator(mode="after")
    def _defaults(self) -> RetakeGradeIn:
        self.passed = _passed(self.score, self.passed)
        return self

    @model_validator(mode="after")
    def _earlier(self) -> RetakeGradeIn:
        if (self.original_year, self.original_term) >= (self.year, self.term):
            raise ValueError("原修課學期須早於重修學期|the original term must be before the retake")
        return self


class RepeatGradeIn(SemesterKey):
    """重讀成績: a course of a year the student repeats."""

    student_id: StudentId
    course_code: CourseCode
    course_name: CourseName
    grade_level: GradeLevel
    credits: Credits
    score: Score
    passed: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    makeup_score: OptionalScore = None
    makeup_passed: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    repeat_note: Annotated[str, _in(rules.REPEAT_NOTES, "重讀註記")] = Field("1", description="重讀註記 (1/2, unverified)")
    credits_counted: YesNo = True
    description: Remark = ""

    @model_validator(mode="after")
    def _defaults(self) -> RepeatGradeIn:
        self.passed = _passed(self.score, self.passed)
        self.makeup_passed = _passed(self.makeup_score, self.makeup_passed)
        return self


class TransferGradeIn(SemesterKey):
    """轉學轉科生成績: a grade a transfer student brings, mapped to our term and course after 抵免."""

    student_id: StudentId
    former_school_code: SchoolCode = Field(description="原修課學校代碼")
    former_course_code: CourseCode = Field(description="原修課課程代碼")
    former_course_name: Annotated[Text, Field(max_length=50)] = Field("", description="原修課科目名稱")
    mapped_year: AcademicYear = Field(description="對應學年度")
    mapped_term: Term = Field(description="對應學期")
    course_code: CourseCode
    course_name: CourseName
    grade_level: GradeLevel = Field(description="對應年級")
    credits: Credits
    periods: Annotated[Annotated[int, Field(ge=0, le=2000)] | None, BeforeValidator(_blank_none)] = Field(
        None, description="修課節數（進修部）"
    )
    identity: FreeCode = Field(None, description="身分別")
    score: Score = Field(description="抵免後成績")
    passed: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    credits_counted: YesNo = True
    description: Remark = ""

    @model_validator(mode="after")
    def _defaults(self) -> TransferGradeIn:
        self.passed = _passed(self.score, self.passed)
        return self


class GuestStudyIn(SemesterKey):
    """學生借讀資料: a student of ours studying at another school for a period (end_date not before start_date)."""

    student_id: StudentId
    host_school_code: SchoolCode = Field(description="借讀學校代碼")
    group_code: OptionalCode = Field(None, description="群別")
    program_code: OptionalCode = Field(None, description="借讀科班學程別")
    guest_code: FreeCode = Field(None, description="借讀代碼")
    start_date: SchoolDate = Field(description="申請開始日期")
    end_date: SchoolDate = Field(description="申請結束日期")

    @model_validator(mode="after")
    def _ordered(self) -> GuestStudyIn:
        if self.end_date < self.start_date:
            raise ValueError("結束日期不可早於開始日期|end_date before start_date")
        return self
