"""The backup service's published request bodies (the gateway validates against these)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.validation import StrictModel

MAX_RETENTION_YEARS = 30


class RetentionIn(StrictModel):
    retention_years: Annotated[int, Field(ge=0, le=MAX_RETENTION_YEARS, description="離校後保存年數 (0: purge as soon as they left)")]


class PurgeIn(StrictModel):
    dry_run: bool = Field(default=True, description="true: only list what would be removed")
    student_ids: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,20}$")]] | None = Field(
        default=None, max_length=5000, description="only these students (each must be past retention); default: every one due"
    )
