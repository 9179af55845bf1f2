"""National upload's request and response models, shared with the gateway."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.validation import StrictModel


class Credentials(StrictModel):
    token: Annotated[str, Field(min_length=8, max_length=300, description="the school's national database credential")]
    receipt_password: Annotated[str | None, Field(min_length=4, max_length=100, description="收訖明細 ZIP password")] = None


class ReceiptAnswer(StrictModel):
    """A report needs a message saying what is wrong."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"answer": {"const": "confirm"}}},
                {"required": ["message"], "properties": {"message": {"minLength": 1}}},
            ]
        }
    )
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
    batch: int | None = None  # a 高三 梯次 upload (1 or 2); None: the term's rosters
    # a 梯次's label, rosters (code, name, rows), grade-3 students carried and whether their 勾選 is locked
    batch_summary: dict | None = None
    created_at: datetime | None = None
    # a roster check (state checking, then draft or check_failed): the step it is at, and why it failed
    phase: str | None = None
    phase_zh: str | None = None
    error: dict | None = None


class StartUpload(StrictModel):
    year: Annotated[int, Field(ge=100, le=200, description="學年度 (ROC)")]
    term: Annotated[int, Field(ge=1, le=2, description="學期")]
    draft_id: Annotated[str | None, Field(max_length=80, description="a checked draft to send (default: check again now)")] = None
    student_ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=20)]] | None,
        Field(max_length=5000, description="resubmit these students only (after receipt error reports)"),
    ] = None
    batch: Literal[1, 2] | None = Field(None, description="高三 梯次: 1 (rosters 34-38) or 2 (74-78), grade-3 students only")


class PrepareRosters(StrictModel):
    year: Annotated[int, Field(ge=100, le=200, description="學年度 (ROC)")]
    term: Annotated[int, Field(ge=1, le=2, description="學期")]
    student_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=20)]] | None, Field(max_length=5000)] = None
    batch: Literal[1, 2] | None = Field(None, description="高三 梯次: 1 (rosters 34-38) or 2 (74-78), grade-3 students only")


# deadline console
class PauseUploads(StrictModel):
    paused: bool = Field(description="true: the workers hold this school's items (nothing sent) until set back to false")


# --- the deadline console ---


BATCH_LABELS = {1: "高三第一梯次", 2: "高三第二梯次"}


def batch_deadlines_text(semester: dict | None) -> str:
    """The 高三 梯次 deadlines of a semester for the console, in 民國 dates: 校內 and 國教署 per 梯次."""

    def roc(iso: str) -> str:
        y, m, d = (int(p) for p in iso[:10].split("-"))
        return f"{y - 1911}/{m:02d}/{d:02d}"

    entries = ((semester or {}).get("batch_deadlines") or {}).values()
    return "；".join(f"{e['label']} 校內 {roc(e['internal'])}／國教署 {roc(e['national'])}" for e in entries)


def batch_deadline_list(semester: dict | None) -> list[dict[str, str]]:
    """The same deadlines as rows (ISO dates: the pages show them as 民國 dates), one per 梯次."""
    entries = ((semester or {}).get("batch_deadlines") or {}).items()
    return [{"label": e["label"], "internal": e["internal"][:10], "national": e["national"][:10]} for _, e in sorted(entries)]


def school_row(school_id: str, progress: dict | None, retries: int, paused: bool = False, batch_deadlines: str = "") -> dict:
    """One console row: the latest upload's counts, its share finished, retries and dead letters,
    which roster set it was (the term's or a 高三 梯次) and the semester's 梯次 deadlines."""
    if progress is None:
        return {
            "school_id": school_id,
            "upload_id": None,
            "state": "not_started",
            "state_zh": "尚未上傳",
            "percent": 0,
            "paused": paused,
            "batch_deadlines": batch_deadlines,
        }
    counts, total = progress["counts"], progress["total"]
    ended = counts.get("accepted", 0) + counts.get("rejected", 0) + counts.get("dead", 0)
    state = "done" if progress["done"] else ("paused" if paused else "running")
    return {
        "school_id": school_id,
        "upload_id": progress["upload_id"],
        "year": progress["year"],
        "term": progress["term"],
        "total": total,
        "accepted": counts.get("accepted", 0),
        "rejected": counts.get("rejected", 0),
        "dead": counts.get("dead", 0),
        "waiting": counts.get("queued", 0) + counts.get("retrying", 0),
        "sending": counts.get("sending", 0),
        "retries": retries,
        "percent": round(100 * ended / total, 1) if total else 100.0,
        "state": state,
        "state_zh": {"done": "已完成", "paused": "已暫停", "running": "上傳中"}[state],
        "paused": paused,
        "batch": progress.get("batch"),
        "batch_zh": BATCH_LABELS.get(progress.get("batch") or 0, "學期名冊"),
        "batch_deadlines": batch_deadlines,
    }
