"""Request and answer models of the reminders service (the gateway validates with them; the API document states them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from services.reminders.domain import Reason, Status
from shared.validation import StrictModel


class MailSettings(StrictModel):
    """Whether the caller gets reminders by e-mail (to the address the school keeps on the account)."""

    reminders: bool = Field(description="true: 接收提醒信; false: 停止")


class MailSettingsView(BaseModel):
    reminders: bool
    email: str | None = None


class PlanDay(StrictModel):
    """Decide and queue today's reminders now (the daily run does it at LICHENG_REMINDER_HOUR by itself)."""

    day: date | None = Field(None, description="internal work only: the day to plan (default today, Taipei)")


class InvitationMail(StrictModel):
    """A parent invitation to mail (identity sends it when 註冊組 gives the parent's e-mail)."""

    invitation_id: Annotated[str, Field(min_length=1, max_length=64)]
    to: Annotated[str, Field(min_length=3, max_length=254)]
    student_name: Annotated[str, Field(max_length=100)]
    class_code: Annotated[str, Field(max_length=20)] = ""
    school_name: Annotated[str, Field(max_length=100)]
    code: Annotated[str, Field(min_length=8, max_length=20)]
    expires_at: datetime


class PlanResult(BaseModel):
    school_id: str
    day: date
    decided: int = Field(description="reminders due today (after opt-outs)")
    queued: int = Field(description="of those, new today (the rest were decided earlier today)")


class MailLogEntry(BaseModel):
    key: str
    to: str
    name: str
    reason: Reason
    reason_zh: str
    subject: str
    status: Status
    status_zh: str
    attempts: int
    detail: str = Field("", description="the relay's own answer (e.g. 550 5.1.1 ...)")
    explanation: str = Field("", description="what happened and what to do, in zh-TW")
    created_at: datetime
    sent_at: datetime | None = None


class MailLog(BaseModel):
    items: list[MailLogEntry]
    total: int
    page: int
    per_page: int
    counts: dict[str, int] = Field(description="status -> rows of this school")
