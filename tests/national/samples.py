"""Valid roster rows built from the rules themselves, so every roster and sheet can be exercised."""

from __future__ import annotations

import hashlib

from shared.national.ids import with_check_digit
from shared.national.rules import Column, YearRules

COURSE_CODE = "1131234561110110D110101"
PDF = b"%PDF-1.4\n% test document\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
PDF_SHA = hashlib.sha256(PDF).hexdigest()


def student_id(n: int) -> str:
    """A valid 身分證號 for test student number n (n < 10**7)."""
    return with_check_digit(f"A1{n:07d}")


def sample_value(rules: YearRules, column: Column, sid: str, evidence_sha: str = PDF_SHA) -> str:
    if column.type == "student_id":
        return sid
    if column.type == "roc_date":
        return {"出生日期": "0920304"}.get(column.name) or ("1131231" if "結束" in column.name else "1130901")
    if column.type == "code":
        values = list(rules.code_table(column.table or "").values)
        return values[0] if values else "X01"
    if column.type == "course_code":
        return COURSE_CODE
    if column.type == "summary":
        return "上課報告與心得"
    if column.type == "integer":
        return str(int(column.min or 1))
    if column.type in {"number", "score", "score_open"}:
        return "85"
    if column.type == "roc_year":
        return "113"
    if column.type == "school_code":
        return "654321"
    if column.type == "url":
        return "https://video.example.org/watch/1"
    if column.type == "evidence":
        return evidence_sha if column.kind == "document" else ""
    return "文字"


def valid_row(rules: YearRules, roster_code: int, sheet_name: str, sid: str, **overrides: str) -> dict:
    sheet = rules.roster(roster_code).sheet(sheet_name)
    assert sheet is not None, sheet_name
    row = {c.name: sample_value(rules, c, sid) for c in sheet.columns}
    row.update(overrides)
    return row


def valid_sheets(rules: YearRules, roster_code: int, students: int = 2) -> dict[str, list[dict]]:
    """One valid row per student in every sheet of the roster (within any cap)."""
    roster = rules.roster(roster_code)
    sheets = {}
    for index, sheet in enumerate(roster.sheets):
        # Spread course outcomes over both semesters so that six sheets stay within 3 per semester.
        semester = {c: "1" if index < 3 else "2" for c in (roster.cap.per if roster.cap else ()) if c in sheet.column_names}
        sheets[sheet.name] = [valid_row(rules, roster_code, sheet.name, student_id(i), **semester) for i in range(students)]
    return sheets
