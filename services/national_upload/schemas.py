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


# deadline console (issue 10)
class PauseUploads(StrictModel):
    paused: bool = Field(description="true: the workers hold this school's items (nothing sent) until set back to false")
