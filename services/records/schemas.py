"""Records' request and response models, shared with the gateway (validation, imports, OpenAPI)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

from services.records import rules
from shared import national_id
from shared.clock import utcnow
from shared.tabular import ImportRowError
from shared.validation import StrictModel, Text, iso_date_pattern

# --- value types -------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{2,4})[-/.](\d{1,2})[-/.](\d{1,2})$")


def _to_date(value: Any) -> Any:
    """ISO / yyyy/mm/dd (Gregorian, 4-digit year), ROC 7 digits (1130915) or ROC 113/9/15 (2-3 digit year)."""
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if re.fullmatch(r"\d{7}", text):
            return date(int(text[:3]) + 1911, int(text[3:5]), int(text[5:]))
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        match = _DATE.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            if len(match.group(1)) <= 3:
                year += 1911  # an ROC year has at most 3 digits
            return date(year, month, day)
    except ValueError:
        raise ValueError("日期不存在|no such date") from None
    raise ValueError("日期格式不正確（西元 2024-09-15 或民國 1130915、113/09/15）|use 2024-09-15 or the ROC 1130915")


PLAUSIBLE_YEARS = (1990, 2100)
BIRTH_AGES = (10, 40)  # a senior high student's birth year lies this many years back


def _plausible(day: date) -> date:
    if day.year < PLAUSIBLE_YEARS[0] or day.year > PLAUSIBLE_YEARS[1]:
        raise ValueError(
            f"日期 {day.isoformat()} 不合理，可能混用民國年與西元年（西元年須 4 碼，民國年 2 至 3 碼）|"
            f"{day.isoformat()} is implausible: ROC and Gregorian years mixed up?"
        )
    return day


def _plausible_birth(day: date) -> date:
    today = utcnow().date()
    if not (today.year - BIRTH_AGES[1] <= day.year <= today.year - BIRTH_AGES[0]):
        raise ValueError(
            f"出生日期 {day.isoformat()} 不合理，可能混用民國年與西元年|birth date {day.isoformat()} is implausible: ROC/Gregorian mix-up?"
        )
    return day


def _date_schema(first_year: int, last_year: int) -> WithJsonSchema:
    # The published form is the ISO one within the plausible years; the ROC forms are accepted as well.
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": iso_date_pattern(first_year, last_year),
            "description": f"YYYY-MM-DD, {first_year}-{last_year} (民國 1130915 or 113/09/15 accepted as well)",
        },
        mode="validation",
    )


SchoolDate = Annotated[date, BeforeValidator(_to_date), AfterValidator(_plausible), _date_schema(*PLAUSIBLE_YEARS)]
_THIS_YEAR = utcnow().year
BirthDate = Annotated[
    date,
    BeforeValidator(_to_date),
    AfterValidator(_plausible_birth),
    _date_schema(_THIS_YEAR - BIRTH_AGES[1], _THIS_YEAR - BIRTH_AGES[0]),
]


def _to_bool(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"是", "y", "yes", "true", "1", "及格", "v"}:
            return True
        if text in {"否", "n", "no", "false", "0", "不及格", ""}:
            return False
    return value


YesNo = Annotated[bool, BeforeValidator(_to_bool)]


def _blank_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _national_id(value: str) -> str:
    try:
        national_id.classify(value)
    except national_id.InvalidNationalId as exc:
        raise ValueError(str(exc)) from None
    return national_id.normalise(value)


def _course_code(value: str) -> str:
    value = value.strip().upper()
    if len(value) != rules.COURSE_CODE_LENGTH:
        raise ValueError(
            f"課程代碼須為 {rules.COURSE_CODE_LENGTH} 碼（目前 {len(value)} 碼）|"
            f"a course code has {rules.COURSE_CODE_LENGTH} characters, not {len(value)}"
        )
    if any(ch not in rules.COURSE_CODE_CHARSET for ch in value):
        raise ValueError("課程代碼只能含英文大寫字母與數字|a course code holds only A-Z and 0-9")
    return value


class _OneOf:
    """A code from a fixed list: checked with our zh-TW message, and published as the schema's enum."""

    def __init__(self, options: Any, label: str) -> None:
        self.options, self.label = options, label

    def _check(self, value: str) -> str:
        if value not in self.options:
            raise ValueError(f"{self.label}不在允許的選項中（{'、'.join(self.options)}）|unknown {self.label}: {value}")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {**handler(schema), "enum": list(self.options)}


def _in(options: Any, label: str) -> Any:
    return _OneOf(options, label)


def _blank_default(default: str):
    """An empty import cell means the default (a column left blank for most rows)."""

    def fill(value: Any) -> Any:
        return default if value is None or (isinstance(value, str) and not value.strip()) else value

    return fill


def _gender(value: Any) -> Any:
    return {"男": "1", "女": "2", "M": "1", "F": "2", "m": "1", "f": "2"}.get(value, value) if isinstance(value, str) else value


def _summary(value: str) -> str:
    if len(value) > rules.SUMMARY_MAX_CHARS:  # characters, not bytes
        raise ValueError(
            f"簡述最多 {rules.SUMMARY_MAX_CHARS} 個字（目前 {len(value)} 個字）|"
            f"at most {rules.SUMMARY_MAX_CHARS} characters ({len(value)} given)"
        )
    return value


# No spaces, quotes or angle brackets, and no control characters (the request parser refuses them anyway).
VIDEO_URL = r"^https?://[^\s<>\"\u0000-\u001f\u007f-\u009f]{3,500}$"


def _url(value: str) -> str:
    if not re.fullmatch(VIDEO_URL, value):
        raise ValueError("影音連結須為 http(s) 網址|the video link must be an http(s) URL")
    return value


AcademicYear = Annotated[int, Field(ge=100, le=200, description="學年度 (ROC), e.g. 113")]
Term = Annotated[int, Field(ge=1, le=2, description="學期 1 or 2")]
StudentId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,20}$", description="學號 (the school's student number)")]
AccountId = Annotated[str, Field(min_length=1, max_length=64)]
ClassCode = Annotated[str, Field(pattern=r"^[1-3][0-9]{2}$", description="班級代碼: 年級 + 班序, e.g. 101")]
_CODE_CHARS = rules.COURSE_CODE_CHARSET + rules.COURSE_CODE_CHARSET.lower()  # lower case is upper-cased
CourseCode = Annotated[
    str,
    AfterValidator(_course_code),
    Field(description="23-character 課程代碼", json_schema_extra={"pattern": f"^[{_CODE_CHARS}]{{{rules.COURSE_CODE_LENGTH}}}$"}),
]
ShortText = Annotated[Text, Field(min_length=1, max_length=100)]
LongText = Annotated[Text, Field(max_length=2000)]
Summary = Annotated[Text, AfterValidator(_summary), Field(json_schema_extra={"maxLength": rules.SUMMARY_MAX_CHARS})]
Score = Annotated[Decimal, Field(ge=rules.SCORE_MIN, le=rules.SCORE_MAX, max_digits=5, decimal_places=2)]
OptionalScore = Annotated[Score | None, BeforeValidator(_blank_none)]
Hours = Annotated[Decimal, Field(ge=0, le=2000, max_digits=6, decimal_places=1)]
VideoUrl = Annotated[str, AfterValidator(_url), Field(json_schema_extra={"pattern": VIDEO_URL})]


class SemesterKey(StrictModel):
    year: AcademicYear
    term: Term


# --- calendar ----------------------------------------------------------------------------------


class Window(StrictModel):
    """closes_at is after opens_at."""

    opens_at: datetime
    closes_at: datetime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.closes_at <= self.opens_at:
            raise ValueError("關閉時間須晚於開放時間|closes_at must be after opens_at")
        return self


class SemesterIn(SemesterKey):
    """The semester ends after it starts; the closing ceremony (休業式) falls within it."""

    starts_on: SchoolDate
    ends_on: SchoolDate
    closing_ceremony: SchoolDate = Field(description="休業式")
    national_deadlines: dict[Annotated[str, Field(pattern=r"^[0-9]{1,2}$")], SchoolDate] = Field(
        default_factory=dict, description="名冊別 -> national upload deadline"
    )
    internal_deadline: SchoolDate | None = Field(None, description="default: earliest national deadline - 14 days (seed)")
    student_upload_deadline: SchoolDate | None = Field(None, description="default: 休業式 + 14 days")
    teacher_certification_deadline: SchoolDate | None = Field(None, description="default: 休業式 + 21 days")
    windows: dict[str, Window] = Field(default_factory=dict, description="record type -> entry window")

    @model_validator(mode="after")
    def _dates(self) -> SemesterIn:
        if not (self.starts_on < self.ends_on):
            raise ValueError("學期結束日須晚於開始日|ends_on must be after starts_on")
        if not (self.starts_on <= self.closing_ceremony <= self.ends_on):
            raise ValueError("休業式須在學期期間內|the closing ceremony must fall within the semester")
        return self


class SemesterPatch(StrictModel):
    starts_on: SchoolDate | None = None
    ends_on: SchoolDate | None = None
    closing_ceremony: SchoolDate | None = None
    national_deadlines: dict[Annotated[str, Field(pattern=r"^[0-9]{1,2}$")], SchoolDate] | None = None
    internal_deadline: SchoolDate | None = None
    student_upload_deadline: SchoolDate | None = None
    teacher_certification_deadline: SchoolDate | None = None
    windows: dict[str, Window] | None = None


class Semester(BaseModel):
    id: str
    year: int
    term: int
    starts_on: date
    ends_on: date
    closing_ceremony: date
    national_deadlines: dict[str, date]
    internal_deadline: date | None
    batch_deadlines: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="高三 梯次 (1, 2) -> label, earliest national deadline of its rosters, internal deadline"
    )
    student_upload_deadline: date
    teacher_certification_deadline: date
    windows: dict[str, dict[str, Any]] = Field(description="every window type with opens_at, closes_at, open_now")


class ReopenIn(StrictModel):
    student_id: StudentId
    record_type: str
    until: datetime
    reason: Annotated[Text, Field(min_length=2, max_length=500)]


class Reopening(BaseModel):
    id: str
    semester_id: str
    student_id: str
    record_type: str
    until: datetime
    reason: str
    by: str
    at: datetime


# --- unit records --------------------------------------------------------------------------------


class ClassIn(StrictModel):
    year: AcademicYear
    code: ClassCode
    name: Annotated[Text, Field(max_length=30)] | None = None
    department_code: Annotated[str, Field(pattern=r"^[0-9A-Z]{1,10}$"), BeforeValidator(_blank_none)] | None = None
    program_code: Annotated[str, Field(pattern=r"^[0-9A-Z]{1,10}$", description="科班學程別代碼"), BeforeValidator(_blank_none)] | None = (
        None
    )
    homeroom_teacher_id: Annotated[AccountId | None, BeforeValidator(_blank_none)] = None

    @property
    def grade(self) -> int:
        return int(self.code[0])


class StudentIn(StrictModel):
    student_id: StudentId
    national_id: Annotated[
        str,
        AfterValidator(_national_id),
        Field(description="身分證號或居留證號 (checksum validated)", json_schema_extra={"pattern": "^[A-Za-z][0-9A-Za-z][0-9]{8}$"}),
    ]
    name: Annotated[Text, Field(min_length=1, max_length=50)]
    birth_date: BirthDate
    gender: Annotated[str, BeforeValidator(_gender), _in(rules.GENDERS, "性別")]
    class_code: ClassCode
    seat_no: Annotated[int, Field(ge=1, le=99)]
    status: Annotated[str, _in(rules.STUDENT_STATUSES, "學籍狀態")] = "在學"
    enrolled_year: AcademicYear | None = None
    division: Annotated[str, BeforeValidator(_blank_default(rules.DAY_DIVISION)), _in(rules.DIVISIONS, "部別")] = Field(
        rules.DAY_DIVISION, description="部別代碼 (1 日間部 ... 5 進修部): 進修部 students go to the 進修學校 rosters"
    )


class CourseIn(SemesterKey):
    code: CourseCode
    name: Annotated[Text, Field(min_length=1, max_length=50)]
    credits: Annotated[int, Field(ge=0, le=rules.MAX_CREDITS)]
    class_code: ClassCode
    teacher_ids: Annotated[list[AccountId], Field(max_length=10)] = Field(default_factory=list)
    elective: YesNo = False

    @field_validator("teacher_ids", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v for v in re.split(r"[,;、\s]+", value) if v]
        return value


class CourseRef(SemesterKey):
    student_id: StudentId
    course_code: CourseCode
    course_class: ClassCode = Field(description="the course's 開課班級")


class SelectionIn(CourseRef):
    pass


class GradeIn(CourseRef):
    score: Score
    passed: YesNo | None = Field(None, description=f"default: score >= {rules.PASS_MARK}")
    makeup_score: OptionalScore = None
    makeup_passed: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    credits_counted: Annotated[int, Field(ge=0, le=rules.MAX_CREDITS)]
    description: Annotated[Text, Field(max_length=200)] = ""

    @model_validator(mode="after")
    def _defaults(self) -> GradeIn:
        if self.passed is None:
            self.passed = self.score >= rules.PASS_MARK
        if self.makeup_score is not None and self.makeup_passed is None:
            self.makeup_passed = self.makeup_score >= rules.PASS_MARK
        return self


# --- 註冊組's special grades: 補修, 重修, 重讀, 轉學轉科, 借讀 ------------------------------------------
# These name courses by code, name, grade and credits as the national sheets do, because the course
# was often offered in another term or at another school (no course offering of ours to link to).
# Codes whose national tables were never found (補修方式, 重修方式, 身分別, 借讀代碼) are short free codes.

GradeLevel = Annotated[int, Field(ge=1, le=4, description="開課年級")]
Credits = Annotated[Decimal, Field(ge=0, le=rules.MAX_CREDITS, max_digits=4, decimal_places=1)]
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


class AttendanceIn(SemesterKey):
    student_id: StudentId
    absence_type: Annotated[str, _in(rules.ABSENCE_TYPES, "假別")]
    periods: Annotated[int, Field(ge=0, le=2000, description="節數")]


class CadreIn(SemesterKey):
    """end_date, when given, is not before start_date."""

    student_id: StudentId
    level: Annotated[str, _in(rules.CADRE_LEVELS, "幹部等級")]
    unit: ShortText = Field(description="單位名稱")
    position: ShortText = Field(description="擔任職務")
    start_date: SchoolDate
    end_date: Annotated[SchoolDate | None, BeforeValidator(_blank_none)] = None

    @model_validator(mode="after")
    def _ordered(self) -> CadreIn:
        if self.end_date and self.end_date < self.start_date:
            raise ValueError("結束日期不可早於開始日期|end_date before start_date")
        return self


class ClubIn(SemesterKey):
    student_id: StudentId
    club: ShortText
    role: Annotated[str, _in(rules.CLUB_ROLES, "社團職務")] = "社員"


class ServiceLearningIn(SemesterKey):
    student_id: StudentId
    name: ShortText = Field(description="服務名稱")
    organisation: ShortText = Field(description="服務單位")
    start_date: SchoolDate
    end_date: Annotated[SchoolDate | None, BeforeValidator(_blank_none)] = None
    hours: Hours
    proof: Annotated[Text, Field(max_length=200)] = Field("", description="證明 (evidence id or document number)")
    proof_evidence_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(None, description="證明文件 e-file")


class CourseEvaluationIn(SemesterKey):
    student_id: StudentId
    academic_groups: Annotated[list[Annotated[str, _in(rules.ACADEMIC_GROUPS, "學群")]], Field(max_length=3)] = Field(default_factory=list)
    exploration: LongText = Field("", description="學群(類群)探索")
    career_plan: LongText = Field("", description="就業規劃 / 進路發展")


class CounsellingIn(SemesterKey):
    student_id: StudentId
    date: SchoolDate
    time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    place: ShortText
    content: Annotated[Text, Field(min_length=1, max_length=2000)]
    advice: LongText = ""


class AssignmentIn(StrictModel):
    counselor_id: AccountId
    student_id: StudentId


_FREE_TEXT = "[^\\u0000-\\u001f\\u007f-\\u009f]"


def _category_field_schema(spec: rules.FieldSpec) -> dict[str, Any]:
    if spec.kind == "text":  # a required text is not blank
        pattern = f"^{_FREE_TEXT}*[^\\s\\u0000-\\u001f\\u007f-\\u009f]{_FREE_TEXT}*$" if spec.required else f"^{_FREE_TEXT}*$"
        return {"type": "string", "maxLength": spec.max_chars, "pattern": pattern}
    if spec.kind == "date":
        return {"type": "string", "pattern": iso_date_pattern(*PLAUSIBLE_YEARS)}
    if spec.kind == "code":
        return {"enum": list(spec.codes or {})}
    return {"type": "integer" if spec.kind == "int" else "number", "minimum": 0, "maximum": 100000}


def _categories_schema() -> dict[str, Any]:
    """Each category with its own `fields` (what check_category_fields enforces), one branch each."""
    branches = []
    for code, category in rules.CATEGORIES.items():
        fields = {
            "type": "object",
            "propertyNames": {"enum": [f.name for f in category.fields]},
            "required": [f.name for f in category.fields if f.required],
            "properties": {f.name: _category_field_schema(f) for f in category.fields},
        }
        branches.append({"required": ["fields"], "properties": {"category": {"const": code}, "fields": fields}})
    return {"anyOf": branches}  # the category's const keeps the branches apart


class PerformanceIn(SemesterKey):
    """`fields` are the category's own (names, kinds and which are required: GET /api/v1/records/rules)."""

    model_config = ConfigDict(json_schema_extra=_categories_schema())
    student_id: StudentId | None = Field(None, description="students omit it: their own")
    category: str = Field(description="1..10, see GET /api/v1/records/rules", json_schema_extra={"enum": list(rules.CATEGORIES)})
    fields: dict[str, Any] = Field(default_factory=dict)
    summary: Annotated[Summary, Field(min_length=1)]
    evidence_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=10)] = Field(default_factory=list)
    video_url: VideoUrl | None = None

    @model_validator(mode="after")
    def _category_fields(self) -> PerformanceIn:
        category = rules.CATEGORIES.get(self.category)
        if category is None:
            raise ValueError(f"未知的多元表現類別代碼 {self.category}（1 至 10）|unknown category code {self.category}")
        self.fields = check_category_fields(category, self.fields)
        return self


def check_category_fields(category: rules.Category, given: dict[str, Any]) -> dict[str, Any]:
    known = {f.name: f for f in category.fields}
    unknown = [k for k in given if k not in known]
    if unknown:
        raise ValueError(f"{category.sheet}沒有欄位：{'、'.join(unknown)}|unknown fields for {category.sheet}: {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for spec in category.fields:
        value = given.get(spec.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                raise ValueError(f"{spec.name}為必填|{spec.name} is required")
            continue
        if spec.kind == "text":
            text = str(value).strip()
            if len(text) > spec.max_chars:
                raise ValueError(f"{spec.name}最多 {spec.max_chars} 個字|{spec.name}: at most {spec.max_chars} characters")
            out[spec.name] = text
        elif spec.kind == "date":
            out[spec.name] = _plausible(_to_date(value)).isoformat()
        elif spec.kind == "code":
            code = str(value).strip()
            if code not in (spec.codes or {}):
                raise ValueError(f"{spec.name}代碼 {code} 不在允許的選項中|unknown {spec.name} code {code}")
            out[spec.name] = code
        else:
            try:
                number = Decimal(str(value).strip())
            except Exception:
                raise ValueError(f"{spec.name}須為數字|{spec.name} must be a number") from None
            if number < 0 or number > 100000 or (spec.kind == "int" and number != number.to_integral_value()):
                raise ValueError(f"{spec.name}數值不合理|{spec.name} is out of range")
            out[spec.name] = int(number) if spec.kind == "int" else float(number)
    return out


class CompetitionResult(StrictModel):
    student_id: StudentId
    award: ShortText = Field(description="獎項")
    team: Annotated[str, _in(rules.TEAM_CODES, "團體參與")] = "1"


class CompetitionIn(SemesterKey):
    name: ShortText = Field(description="競賽名稱")
    item: Annotated[Text, Field(max_length=100)] = Field("", description="項目")
    level: Annotated[str, _in(rules.COMPETITION_LEVELS, "競賽等級")] = "1"
    published_on: SchoolDate = Field(description="結果公布日期")
    summary: Annotated[Summary, Field(min_length=1)]
    proof_evidence_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(None, description="簽呈/證明文件 e-file")
    results: Annotated[list[CompetitionResult], Field(max_length=500)] = Field(default_factory=list)


class ClaimIn(StrictModel):
    summary: Annotated[Summary, Field(min_length=1)] | None = None
    video_url: VideoUrl | None = None


class StatementIn(StrictModel):
    fields: dict[str, Annotated[Text, Field(max_length=rules.STATEMENT_FIELD_MAX_CHARS)]]


class CheckIn(StrictModel):
    student_id: StudentId
    version: Annotated[int, Field(ge=1)]
    comment: Annotated[Text, Field(max_length=500)] = ""
    # "revise" sends the version back to the student (請修改) with the comment saying what to change
    decision: Literal["checked", "revise"] = "checked"


class RecheckIn(SemesterKey):
    student_ids: Annotated[list[StudentId], Field(min_length=1, max_length=5000)]


# --- responses -----------------------------------------------------------------------------------


class ArchiveIn(StrictModel):
    """Archive (封存) students who left: named students, or whole classes (a graduating year's classes)."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["student_ids"], "properties": {"student_ids": {"type": "array", "minItems": 1}}},
                {"required": ["class_codes"], "properties": {"class_codes": {"type": "array", "minItems": 1}}},
            ]
        }
    )

    student_ids: list[StudentId] | None = Field(default=None, max_length=5000)
    class_codes: list[ClassCode] | None = Field(default=None, max_length=100)
    status: Literal["畢業", "轉出"] = "畢業"
    left_on: SchoolDate | None = Field(default=None, description="離校日期 (default: today)")

    @model_validator(mode="after")
    def _some(self) -> ArchiveIn:
        if not self.student_ids and not self.class_codes:
            raise ValueError("請指定學號或班級|name students or classes")
        return self


class UnarchiveIn(StrictModel):
    reason: Annotated[Text, Field(min_length=2, max_length=200, description="解除封存原因（例如誤設畢業）")]


class RecordList(BaseModel):
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int


class ImportReport(BaseModel):
    """An import job: queued, running (validating, then writing), done, or rejected (nothing written)."""

    import_id: str
    record_type: str
    status: Literal["queued", "running", "done", "rejected", "failed"]
    phase: Literal["queued", "validating", "writing", "finished"] = "queued"
    rows: int = Field(description="data rows of the file (total)")
    validated: int
    inserted: int
    updated: int
    unchanged: int
    processed: int = Field(description="rows written so far (progress of a running import)")
    errors: list[ImportRowError] = Field(description="per row and column, zh-TW and English; at most 1000")
    error_count: int = 0
    already_imported: bool = Field(False, description="the same file (same bytes) was imported before: nothing was done")
    url: str = ""


class SaveResult(BaseModel):
    record: dict[str, Any]
    created: bool


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    actor_name: str
    action: str
    target: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    note: str = ""


class ProblemReportIn(StrictModel):
    """問題回報: what went wrong, on which page (its path and title), and the browser it happened in."""

    page: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^/[A-Za-z0-9/_\-.?=&%]*$")]
    page_title: Annotated[Text, Field(max_length=100)] = ""
    message: Annotated[Text, Field(min_length=1, max_length=1000)]
    client: Annotated[Text, Field(max_length=300)] = ""


class ProblemAnswerIn(StrictModel):
    answer: Annotated[Text, Field(min_length=1, max_length=1000)]
