"""Request models of the documents service, so the gateway validates and the API document states them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from shared.validation import StrictModel


class PortfolioChoice(StrictModel):
    kind: Literal["outcome", "performance"] = Field(description="課程學習成果 (outcome) or 多元表現 (performance)")
    id: Annotated[str, Field(min_length=1, max_length=64)]


class BuildPortfolio(StrictModel):
    """The chosen items in the order the PDF shows them (the caps are checked by the service: its answer
    names the cap that was passed)."""

    items: list[PortfolioChoice] = Field(json_schema_extra={"minItems": 1})

    @field_validator("items")
    @classmethod
    def _chosen(cls, items: list[PortfolioChoice]) -> list[PortfolioChoice]:
        if not items:  # the page's own words for an empty choice, not the generic "項目不足"
            raise ValueError("請至少選擇一項|choose at least one item")
        return items


class AcknowledgeConfirmation(StrictModel):
    """A parent acknowledges the 確認單 it was shown: the semester and the sheet's fingerprint as shown
    (a sheet that changed since is refused, so what is recorded is what was read)."""

    year: Annotated[int, Field(ge=100, le=200, description="學年度")]
    term: Annotated[int, Field(ge=1, le=2, description="學期")]
    fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="the sheet's SHA-256 fingerprint as shown")]
    seen: Literal[True] = Field(description="the parent ticked 我已看過 (never pre-ticked)")

    @field_validator("seen", mode="before")
    @classmethod
    def _ticked(cls, value: object) -> object:
        if value is not True:
            raise ValueError("請先勾選「我已看過此確認單」|tick that you have read the sheet")
        return value
