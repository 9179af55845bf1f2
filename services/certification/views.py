"""How outcomes and 勾選 locks read in answers: one serialisation for every entry point."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from services.certification import domain
from services.certification.schemas import Outcome

# Kinds of capped slots the store keeps per student and period.
OUTCOMES = "outcomes"  # the school's own cap on 課程學習成果 per semester
SELECTED = "selected:outcomes"  # the national cap on what is ticked (勾選) for upload
PERFORMANCES = "selected:performances"  # 多元表現 ticked for upload: per academic year (term 0)


def plain_history(doc: dict[str, Any]) -> list[dict]:
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in entry.items()} for entry in doc.get("history", [])]


def outcome_view(doc: dict[str, Any], selected: set[str] | None = None) -> dict:
    fields = {**doc, "id": doc["_id"], "selected": doc["_id"] in (selected or set())}
    return Outcome.model_validate(fields).model_dump(mode="json")


def batch_lock_view(lock: dict[str, Any] | None) -> dict | None:
    if lock is None:
        return None
    at = lock.get("locked_at")
    at = at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at  # the store keeps UTC
    return {"batch": int(lock["batch"]), "label": domain.batch_label(int(lock["batch"])), "locked_at": at.isoformat() if at else None}


def lock_reason(registrar_locked: bool, batch_lock: dict[str, Any] | None, period: str) -> str:
    """Why the 勾選 cannot change any more, as the student's page says it (`period`: 本學期 or 本學年,
    what the registrar's lock covers)."""
    if batch_lock is not None:
        return f"本學年勾選已隨{domain.batch_label(int(batch_lock['batch']))}上傳至國教署，不能再更改"
    return f"{period}勾選已由註冊組鎖定" if registrar_locked else ""
