"""National upload's request and response models, shared with the gateway."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from shared.validation import StrictModel


class Credentials(StrictModel):
    token: Annotated[str, Field(min_length=8, max_length=300, description="the school's national database credential")]


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
