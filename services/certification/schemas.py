"""Certification's request and response models, shared with the gateway."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from services.certification.domain import SCHOOL_CAP_RANGE, ReturnReason, State
from shared.validation import StrictModel, Text

Summary = Annotated[Text, Field(min_length=1, max_length=100, description="成果簡述, ≤ 100 characters")]
Id = Annotated[str, Field(min_length=1, max_length=64)]


class CreateOutcome(StrictModel):
    course_id: Id
    summary: Summary
    evidence_ids: Annotated[list[Id], Field(min_length=1, max_length=10)]
    video_url: HttpUrl | None = None


class EditOutcome(StrictModel):
    summary: Summary | None = None
    evidence_ids: Annotated[list[Id], Field(min_length=1, max_length=10)] | None = None
    video_url: HttpUrl | None = None


class ReturnOutcome(StrictModel):
    """The reason 其他 (other) needs a comment."""

    # the cross-field rule below, as the published schema states it
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"reason": {"not": {"const": ReturnReason.OTHER.value}}}},
                {"required": ["comment"], "properties": {"comment": {"minLength": 1}}},
            ]
        }
    )
    reason: ReturnReason
    comment: Annotated[Text, Field(max_length=300)] = ""

    @model_validator(mode="after")
    def _other_needs_text(self) -> ReturnOutcome:
        if self.reason is ReturnReason.OTHER and not self.comment:
            raise ValueError("退回原因為「其他」時須說明|a comment is required when the reason is 'other'")
        return self


class BulkCertify(StrictModel):
    outcome_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)]


class NameProxy(StrictModel):
    """The period ends after it starts (ends_at > starts_at)."""

    teacher_id: Id | None = Field(None, description="the teacher being stood in for; omitted = the caller (a teacher)")
    proxy_id: Id
    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def _period(self) -> NameProxy:
        if self.ends_at <= self.starts_at:
            raise ValueError("代理期間的結束須晚於開始|the proxy period must end after it starts")
        return self


class Reminder(StrictModel):
    message: Annotated[Text, Field(min_length=1, max_length=200)]
    student_ids: list[Id] | None = Field(None, description="omitted = every student of the class")


class SchoolCap(StrictModel):
    cap: Annotated[int, Field(ge=min(SCHOOL_CAP_RANGE), le=max(SCHOOL_CAP_RANGE), description="本校每學期課程學習成果上限")]


class HistoryEntry(BaseModel):
    at: datetime
    by: str
    action: str
    state: State
    on_behalf_of: str | None = None
    reason: str | None = None
    comment: str | None = None


class Outcome(BaseModel):
    id: str
    student_id: str
    course_id: str
    course_name: str
    year: int
    term: int
    summary: str
    evidence_ids: list[str]
    video_url: str | None
    state: State
    teacher_ids: list[str]
    certified_by: str | None = None
    certified_for: str | None = None
    selected: bool = False
    history: list[HistoryEntry]
    created_at: datetime
    updated_at: datetime


class BulkResult(BaseModel):
    certified: list[str]
    failed: dict[str, dict[str, str]]
