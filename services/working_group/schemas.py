"""The working group's request and response models, shared with the gateway (validation and OpenAPI)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.working_group.domain import Position, TrainingKind
from shared.validation import StrictModel, Text

Id = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[Text, Field(min_length=1, max_length=50)]
Short = Annotated[Text, Field(max_length=200)]
Long = Annotated[Text, Field(max_length=2000)]
AcademicYear = Annotated[int, Field(ge=100, le=200, description="ROC academic year, e.g. 113")]
Term = Annotated[int, Field(ge=1, le=2)]


class MemberIn(StrictModel):
    """A subject chair (and only one) names the subject; the term does not end before it starts."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["subject"], "properties": {"position": {"const": Position.SUBJECT_CHAIR.value}, "subject": {"minLength": 1}}},
                {"properties": {"position": {"not": {"const": Position.SUBJECT_CHAIR.value}}, "subject": {"maxLength": 0}}},
            ]
        }
    )
    position: Position
    name: Name
    subject: Annotated[Text, Field(max_length=30)] = Field("", description="教研會科別, required for subject_chair")
    account_id: Id | None = Field(None, description="the member's account, when they have one (staff)")
    term_starts: date
    term_ends: date | None = Field(None, description="omitted: until replaced")

    @model_validator(mode="after")
    def _shape(self) -> MemberIn:
        if self.position is Position.SUBJECT_CHAIR and not self.subject:
            raise ValueError("教研會召集人須填寫科別|a subject chair needs the subject")
        if self.position is not Position.SUBJECT_CHAIR and self.subject:
            raise ValueError("只有教研會召集人填寫科別|only subject chairs have a subject")
        if self.term_ends is not None and self.term_ends < self.term_starts:
            raise ValueError("任期結束不可早於開始|the term cannot end before it starts")
        return self


class MemberPatch(StrictModel):
    # may be left out, never cleared: a member always has a name (account_id and term_ends may be null)
    name: Name = None  # type: ignore[assignment]
    account_id: Id | None = None
    term_ends: date | None = None


class Member(BaseModel):
    id: str
    position: Position
    position_name: str
    name: str
    subject: str = ""
    account_id: str | None = None
    term_starts: date
    term_ends: date | None = None


class Decisions(StrictModel):
    """§3(2): the meeting decides how the portfolio is built: methods, people, schedule and content."""

    methods: Long = ""
    people: Long = ""
    schedule: Long = ""
    content: Long = ""


class MeetingIn(StrictModel):
    year: AcademicYear
    term: Term
    held_on: date
    chair_id: Id = Field(description="the convener (校長) chairs")
    attendee_ids: Annotated[list[Id], Field(min_length=1, max_length=100)]
    agenda: Annotated[list[Annotated[Text, Field(min_length=1, max_length=200)]], Field(min_length=1, max_length=30)]
    minutes: Annotated[Text, Field(max_length=20000)] = ""
    decisions: Decisions = Field(default_factory=Decisions)
    attachment_ids: Annotated[list[Id], Field(max_length=20)] = Field(
        default_factory=list, description="evidence ids (purpose working_group)"
    )


class Meeting(BaseModel):
    id: str
    year: int
    term: int
    held_on: date
    chair_id: str
    attendee_ids: list[str]
    agenda: list[str]
    minutes: str
    decisions: dict[str, str]
    attachment_ids: list[str]


class TrainingIn(StrictModel):
    kind: TrainingKind
    year: AcademicYear
    title: Annotated[Text, Field(min_length=1, max_length=100)]
    planned_on: date
    place: Short = ""
    note: Long = ""


class TrainingPatch(StrictModel):
    title: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    planned_on: date | None = None
    held_on: date | None = Field(None, description="set when the session took place")
    place: Short | None = None
    note: Long | None = None


class Attendance(StrictModel):
    attendee_ids: Annotated[list[Id], Field(max_length=5000)] = Field(
        description="學號 for student training, account ids for teacher workshops, names for parent briefings"
    )


class Training(BaseModel):
    id: str
    kind: TrainingKind
    kind_name: str
    organiser: str
    year: int
    title: str
    planned_on: date
    held_on: date | None = None
    place: str = ""
    note: str = ""
    attendee_ids: list[str] = []


class Proposal(StrictModel):
    year: AcademicYear
    term: Term


class Decision(StrictModel):
    key: Id
    approved: bool
    award: Annotated[Text, Field(max_length=20)] = Field("", description="e.g. 嘉獎一次")


class Decide(StrictModel):
    meeting_id: Id = Field(description="the meeting that decided")
    decisions: Annotated[list[Decision], Field(min_length=1, max_length=500)]


# what a commendation candidate is, by its zh-TW name (pages, exports and printed lists)
CANDIDATE_KINDS_ZH = {"unit": "單位", "person": "登錄人員", "teacher": "認證教師"}
