"""班級進度 rows from a class's outcomes: per student what is uploaded, certified, ticked and missing (no I/O)."""

from __future__ import annotations

from collections import Counter
from typing import Any


def rows(students: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    out = []
    for s in students:
        states = Counter(o["state"] for o in s["outcomes"] if o["state"] != "withdrawn")
        ticked = sum(1 for o in s["outcomes"] if o.get("selected") and o["state"] == "certified")
        missing = []
        if not states:
            missing.append("尚未上傳")
        elif not states.get("certified"):
            missing.append("尚無已認證成果")
        if states.get("certified") and not ticked:
            missing.append("尚未勾選")
        if states.get("draft"):
            missing.append(f"{states['draft']} 件未送出")
        out.append(
            {
                "id": s["id"],
                "name": s.get("name", ""),
                "seat_no": s.get("seat_no"),
                "uploaded": sum(states.values()),
                "submitted": states.get("submitted", 0),
                "certified": states.get("certified", 0),
                "returned": states.get("returned", 0),
                "ticked": ticked,
                "performances": len(s.get("performance_ids", [])),
                "missing": "、".join(missing) or "—",
            }
        )
    totals = {
        "not_uploaded": sum(1 for r in out if r["uploaded"] == 0),
        "certified": sum(r["certified"] for r in out),
        "ticked": sum(r["ticked"] for r in out),
    }
    return out, totals
