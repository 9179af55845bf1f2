"""The 勾選確認單: what one student ticked for the national database, as it stands now (no I/O).

A printed 確認單 carries a version: the same ticks print as the same version, and any change to what
is ticked (an outcome or performance added or removed, a file replaced) makes a new one. The
fingerprint is over exactly what the paper shows, so the student page can say a print is stale.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from services.records.rules import CATEGORIES


def certified_on(outcome: dict[str, Any]) -> str | None:
    """When the outcome was (last) certified, from its history."""
    moments = [h["at"] for h in outcome.get("history", []) if h.get("action") == "certify"]
    return max(moments) if moments else None


def files_shown(ids: list[str], evidence: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"filename": evidence[i]["filename"], "sha256": evidence[i]["sha256"]}
        if i in evidence
        else {"filename": "（檔案不存在）", "sha256": ""}
        for i in ids
    ]


def category_name(code: Any) -> str:
    category = CATEGORIES.get(str(code))
    return category.sheet if category else str(code)


def sheet(
    student: dict[str, Any],
    outcomes: list[dict[str, Any]],
    performances: list[dict[str, Any]],
    evidence: dict[str, dict[str, Any]],
    names: dict[str, str],
    year: int,
    term: int,
) -> dict[str, Any]:
    """One student's sheet: ticked, certified outcomes of the semester and ticked 多元表現 of the year."""
    ticked = [o for o in outcomes if o.get("selected") and o.get("state") == "certified"]
    return {
        "student": {
            "id": student.get("student_id") or student.get("id", ""),
            "name": student.get("name", ""),
            "class_code": student.get("class_code", ""),
            "seat_no": student.get("seat_no"),
        },
        "year": year,
        "term": term,
        "outcomes": [
            {
                "course_name": o["course_name"],
                "summary": o["summary"],
                "teachers": "、".join(names.get(t, "") for t in o.get("teacher_ids", []) if names.get(t)) or "—",
                "certified_on": certified_on(o),
                "files": files_shown(o.get("evidence_ids", []), evidence),
            }
            for o in sorted(ticked, key=lambda o: (o["course_name"], o["id"]))
        ],
        "performances": [
            {
                "category": category_name(p.get("category")),
                "summary": p.get("summary", ""),
                "term": p.get("term"),
                "files": files_shown(p.get("evidence_ids", []), evidence),
            }
            for p in sorted(performances, key=lambda p: (str(p.get("category")), p.get("id", "")))
        ],
    }


def fingerprint(page: dict[str, Any]) -> str:
    """SHA-256 over what the sheet shows (not when it was printed)."""
    shown = {k: v for k, v in page.items() if k not in ("version", "printed_at")}
    return hashlib.sha256(json.dumps(shown, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def evidence_ids(outcomes: list[dict[str, Any]], performances: list[dict[str, Any]]) -> list[str]:
    ids = [i for o in outcomes if o.get("selected") for i in o.get("evidence_ids", [])]
    return list(dict.fromkeys(ids + [i for p in performances for i in p.get("evidence_ids", [])]))
