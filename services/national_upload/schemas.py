"""National upload's request and response models, shared with the gateway."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from shared.validation import StrictModel


class Credentials(StrictModel):
    token: Annotated[str, Field(min_length=8, max_length=300, description="the school's national database credential")]
    receipt_password: Annotated[str | None, Field(min_length=4, max_length=100, description="收訖明細 ZIP password")] = None


class ReceiptAnswer(StrictModel):
    answer: Annotated[str, Field(pattern="^(confirm|report)$", description="confirm: 確認無誤; report: 回報錯誤")]
    message: Annotated[str, Field(max_length=500, description="what is wrong (required when reporting)")] = ""

    @model_validator(mode="after")
    def _message_when_reporting(self) -> ReceiptAnswer:
        if self.answer == "report" and not self.message.strip():
            raise ValueError("回報錯誤時請說明哪裡有誤|say what is wrong when reporting an error")
        return self


class Progress(BaseModel):
    upload_id: str
    year: int
    term: int
    total: int
    counts: dict[str, int]
    done: bool
    state: str = "sending"
    published: int = 0
    report: dict | None = None


class StartUpload(StrictModel):
    year: Annotated[int, Field(ge=100, le=200, description="學年度 (ROC)")]
    term: Annotated[int, Field(ge=1, le=2, description="學期")]
    draft_id: Annotated[str | None, Field(max_length=80, description="a checked draft to send (default: check again now)")] = None
    student_ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=20)]] | None,
        Field(max_length=5000, description="resubmit these students only (after receipt error reports)"),
    ] = None


class PrepareRosters(StrictModel):
    year: Annotated[int, Field(ge=100, le=200, description="學年度 (ROC)")]
    term: Annotated[int, Field(ge=1, le=2, description="學期")]
    student_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=20)]] | None, Field(max_length=5000)] = None


# deadline console (issue 10)
class PauseUploads(StrictModel):
    paused: bool = Field(description="true: the workers hold this school's items (nothing sent) until set back to false")
