"""收訖明細 for people: what the national database holds of one student, with codes as their names,
7-digit ROC dates as 民國 dates and file digests as the files' titles (no I/O)."""

from __future__ import annotations

from typing import Any

from services.documents.dates import roc_short
from shared.national.rules import UnknownYear, rules_for

_HIDDEN = {"root", "身分證號", "出生日期"}  # the student's identity is on the page once, not per row


def _is_sha(text: str) -> bool:
    stem = text.split(".", 1)[0]
    return len(stem) == 64 and all(c in "0123456789abcdef" for c in stem)


def readable(column: str, value: Any, year: int | None, files: dict[str, str]) -> str:
    """One receipt value as printed: 性別代碼 1 -> 男, 1150915 -> 115/09/15, <sha256>.pdf -> 期末報告.pdf."""
    if value is None:
        return ""
    text = str(value)
    if _is_sha(text):
        return files.get(text.split(".", 1)[0], "（本校已無此檔案）")
    try:
        spec = rules_for(int(year or 0)).data["column_types"].get(column, {})
    except UnknownYear:
        spec = {}
    if spec.get("type") == "roc_date" and len(text) == 7 and text.isdigit():
        return roc_short(text)
    if spec.get("type") == "code" and spec.get("table"):
        try:
            name = rules_for(int(year or 0)).code_table(spec["table"]).values.get(text)
        except (UnknownYear, KeyError):
            name = None
        return f"{name}（{text}）" if name else text
    return text


def tables(entry: dict[str, Any], files: dict[str, str]) -> list[dict[str, Any]]:
    """The entry's records as tables: one per national sheet, columns in the order received."""
    out: list[dict[str, Any]] = []
    for group in entry.get("records", []):
        scalars = {k: v for k, v in group.items() if k not in _HIDDEN and not isinstance(v, list)}
        if scalars:
            out.append(_table(group.get("root", ""), [scalars], entry.get("year"), files))
        for sheet, rows in group.items():
            if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
                out.append(_table(sheet, [{k: v for k, v in r.items() if k not in _HIDDEN} for r in rows], entry.get("year"), files))
    return out


def _table(name: str, rows: list[dict[str, Any]], year: int | None, files: dict[str, str]) -> dict[str, Any]:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return {
        "name": name,
        "columns": columns,
        "rows": [[readable(c, r.get(c), year, files) for c in columns] for r in rows],
    }
