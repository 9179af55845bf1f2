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
