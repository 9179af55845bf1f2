"""Request models of the documents service, so the gateway validates and the API document states them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.validation import StrictModel


class PortfolioChoice(StrictModel):
    kind: Literal["outcome", "performance"] = Field(description="課程學習成果 (outcome) or 多元表現 (performance)")
    id: Annotated[str, Field(min_length=1, max_length=64)]


class BuildPortfolio(StrictModel):
    """The chosen items in the order the PDF shows them (the caps are checked by the service: its answer
    names the cap that was passed)."""

    items: list[PortfolioChoice] = Field(min_length=1)
