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
    field_validator,
    model_validator,
)

from services.records import rules

# value types and the special grades live in their own modules; they are named here too, because this
# module is records' contract (the gateway imports only schemas)
from services.records.special_grade_schemas import (  # noqa: F401
    CourseName,
    Credits,
    FreeCode,
    GradeLevel,
    GuestStudyIn,
    MakeupGradeIn,
    OptionalCode,
    Remark,
    RepeatGradeIn,
    RetakeGradeIn,
    SchoolCode,
    TransferGradeIn,
    _passed,
)
from services.records.value_types import (  # noqa: F401
    _CODE_CHARS,
    _DATE,
    _THIS_YEAR,
    BIRTH_AGES,
    PLAUSIBLE_YEARS,
    VIDEO_URL,
    AcademicYear,
    AccountId,
    BirthDate,
    ClassCode,
    CourseCode,
    Hours,
    LongText,
    OptionalScore,
    SchoolDate,
    Score,
    SemesterKey,
    ShortText,
    StudentId,
    Summary,
    Term,
    VideoUrl,
    YesNo,
    _blank_default,
    _blank_none,
    _course_code,
    _date_schema,
    _gender,
    _in,
    _national_id,
    _OneOf,
    _plausible,
    _plausible_birth,
    _summary,
    _to_bool,
    _to_date,
    _url,
)
from shared.tabular import ImportRowError
from shared.validation import StrictModel, Text, iso_date_pattern

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


class ClassCoverage(BaseModel):
    class_code: str
    students: int
    recorded: int


class Coverage(BaseModel):
    """Of the enrolled students the caller reaches, how many have a record of the type in the semester."""

    record_type: str
    label: str
    year: int
    term: int | None
    students: int
    recorded: int
    classes: list[ClassCoverage]


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
    count: int | None = Field(default=None, description="an import chunk (action *.import_rows, target the import): rows written")


class ProblemReportIn(StrictModel):
    """問題回報: what went wrong, on which page (its path and title), and the browser it happened in."""

    page: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^/[A-Za-z0-9/_\-.?=&%]*$")]
    page_title: Annotated[Text, Field(max_length=100)] = ""
    message: Annotated[Text, Field(min_length=1, max_length=1000)]
    client: Annotated[Text, Field(max_length=300)] = ""


class ProblemAnswerIn(StrictModel):
    answer: Annotated[Text, Field(min_length=1, max_length=1000)]
