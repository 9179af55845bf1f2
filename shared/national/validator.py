"""Rows of a roster checked against the year's rules: per-row findings in zh-TW and English.

Used twice: by our national upload before it sends (with `check_certification=True` and a lookup of
our own evidence), and by the simulator on what it receives (with a lookup of what it holds).
Rows are plain dicts keyed by column name; keys starting with "_" are our metadata and never
written to the roster (`_row`: spreadsheet row number, `_certified`: teacher certification done).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from shared.clock import parse_roc_date
from shared.national.findings import Finding
from shared.national.ids import id_kind, mask
from shared.national.rules import Column, Roster, UnknownRoster, YearRules, parse_roster_filename, rules_for

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_DATE_PAIRS = (("開始日期", "結束日期"), ("缺勤起始日期", "缺勤結束日期"), ("申請開始日期", "申請結束日期"))


@dataclass(frozen=True)
class EvidenceInfo:
    """What the receiver knows of a file a row refers to by SHA-256."""

    filename: str
    size: int


EvidenceLookup = Callable[[str], EvidenceInfo | None]


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def file_rejected(self) -> bool:
        return any(f.whole_file for f in self.findings)

    @property
    def rejected_students(self) -> set[str]:
        return {f.student for f in self.findings if f.student}

    def to_list(self) -> list[dict]:
        return [f.to_dict() for f in self.findings]


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class _RowChecker:
    def __init__(self, rules: YearRules, roster: Roster, evidence: EvidenceLookup | None, check_certification: bool) -> None:
        self.rules = rules
        self.roster = roster
        self.evidence = evidence
        self.check_certification = check_certification

    def check(self, sheet_name: str, columns: tuple[Column, ...], known: frozenset[str], row: dict, row_no: int) -> list[Finding]:
        student = str(row.get("身分證號", "") or "")
        out: list[Finding] = []

        def add(code: str, message: str, message_en: str, column: str = "", value: str = "") -> None:
            out.append(Finding(code, message, message_en, sheet_name, row_no, column, value, student))

        for key in row:
            if not key.startswith("_") and key not in known:
                add("unknown_column", f"工作表「{sheet_name}」沒有欄位「{key}」", f"sheet {sheet_name} has no column {key}", key)
        for column in columns:
            value = row.get(column.name)
            text = "" if value is None else str(value).strip()
            if not text:
                if column.required:
                    add("required", f"「{column.name}」為必填", f"{column.name} is required", column.name)
                continue
            self._check_value(column, text, add)
        for start, end in _DATE_PAIRS:
            a, b = str(row.get(start) or ""), str(row.get(end) or "")
            if len(a) == 7 and len(b) == 7 and a.isdigit() and b.isdigit() and a > b:
                add("date_order", f"「{start}」不可晚於「{end}」", f"{start} may not be after {end}", end, f"{a} > {b}")
        if self.check_certification and self.roster.certified and not row.get("_certified"):
            add("certification_missing", "課程學習成果尚未經任課教師認證", "the course learning outcome is not certified by its teacher")
        return out

    def _check_value(self, column: Column, text: str, add) -> None:
        name, kind = column.name, column.type
        if kind == "student_id":
            if id_kind(text) is None:
                add(
                    "student_id",
                    "身分證號（居留證號）格式或檢查碼錯誤，首字須大寫",
                    "the ID (or resident certificate) number has a wrong format or check digit; the first letter must be upper case",
                    name,
                    mask(text),
                )
        elif kind == "roc_date":
            try:
                parse_roc_date(text)
            except ValueError:
                add(
                    "roc_date",
                    f"「{name}」須為民國年 7 碼日期，例如 1130915",
                    f"{name} must be a 7-digit ROC date such as 1130915",
                    name,
                    text,
                )
        elif kind == "code":
            table = self.rules.code_table(column.table or "")
            if not table.accepts(text):
                allowed = "、".join(table.values)
                add(
                    "code",
                    f"「{name}」代碼 {text} 不在代碼表內（可用：{allowed}）",
                    f"{name}: code {text} is not in the code table ({allowed})",
                    name,
                    text,
                )
        elif kind == "course_code":
            if not self.rules.course_code_ok(text):
                n = self.rules.course_code_length
                add("course_code", f"「{name}」須為 {n} 碼英數字（大寫）", f"{name} must be {n} upper-case letters or digits", name, text)
        elif kind == "summary":
            limit = self.rules.summary_max_chars
            if len(text) > limit:
                add(
                    "summary_too_long",
                    f"「{name}」最多 {limit} 字（目前 {len(text)} 字）",
                    f"{name} has {len(text)} characters; at most {limit}",
                    name,
                )
        elif kind == "integer":
            number = _number(text)
            low, high = column.min, column.max
            if (
                number is None
                or number != number.to_integral_value()
                or (low is not None and number < low)
                or (high is not None and number > high)
            ):
                span = f"{low:g}–{high:g} " if low is not None and high is not None else ""
                add("integer", f"「{name}」須為 {span}的整數", f"{name} must be a whole number {span}".strip(), name, text)
        elif kind in {"number", "score", "score_open"}:
            number = _number(text)
            bad = number is None or (number < 0 and number != -1) or (kind == "score" and number > 100)
            if not bad and kind == "score" and number.as_tuple().exponent < -2:
                bad = True
            if bad:
                rng = "0–100（最多兩位小數）" if kind == "score" else "不小於 0 的數字"
                rng_en = "0–100 with at most two decimals" if kind == "score" else "a number not below 0"
                add("number", f"「{name}」須為 {rng}，無資料填 -1", f"{name} must be {rng_en}, or -1 when missing", name, text)
        elif kind == "roc_year":
            if not (text.isdigit() and 2 <= len(text) <= 3 and 1 <= int(text) <= 200):
                add("roc_year", f"「{name}」須為民國學年度，例如 113", f"{name} must be an ROC school year such as 113", name, text)
        elif kind == "school_code":
            if not self.rules.school_code_ok(text):
                add("school_code", f"「{name}」須為 6 碼學校代碼", f"{name} must be a 6-character school code", name, text)
        elif kind == "url":
            if not _URL.match(text) or len(text) > 2000:
                add("url", f"「{name}」須為 http(s) 連結", f"{name} must be an http(s) link", name, text[:80])
        elif kind == "evidence":
            self._check_evidence(column, text, add)

    def _check_evidence(self, column: Column, text: str, add) -> None:
        name = column.name
        if not _SHA256.match(text):
            add(
                "evidence_ref",
                f"「{name}」須為檔案的 SHA-256（64 個小寫十六進位字元）",
                f"{name} must be a file's SHA-256 (64 lower-case hex)",
                name,
                text[:80],
            )
            return
        if self.evidence is None:
            return
        info = self.evidence(text)
        if info is None:
            add("evidence_missing", f"「{name}」所指的檔案尚未上傳", f"the file {name} refers to has not been uploaded", name, text)
            return
        kind = self.rules.file_kind_for(info.filename)
        if kind is None:
            add("file_type", f"「{name}」檔案類型不符", f"{name}: file type not accepted", name, info.filename)
        elif column.kind and kind.name != column.kind:
            wanted = "文件（PDF/JPG/PNG）" if column.kind == "document" else "影音（MP3/MP4）"
            add("evidence_kind", f"「{name}」須為{wanted}", f"{name} must be a {column.kind} file", name, info.filename)
        elif info.size > kind.max_bytes:
            mb = kind.max_bytes // (1024 * 1024)
            add(
                "file_size",
                f"「{name}」檔案超過 {mb} MB",
                f"{name}: the file exceeds {mb} MB",
                name,
                f"{info.filename} ({info.size} bytes)",
            )


def _cap_findings(rules: YearRules, roster: Roster, rows: Iterable[tuple[str, int, dict]]) -> list[Finding]:
    cap = roster.cap
    if cap is None:
        return []
    counts: dict[tuple[str, str], int] = {}
    out = []
    for sheet_name, row_no, row in rows:
        student = str(row.get("身分證號", "") or "")
        period = next((str(row[c]) for c in cap.per if row.get(c) not in (None, "")), "")
        key = (student, period)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] > cap.limit:
            if cap.per:
                message = f"課程學習成果每學期最多 {cap.limit} 件（第 {period} 學期已超過）"
                message_en = f"at most {cap.limit} course learning outcomes per semester (semester {period} exceeds it)"
            else:
                message = f"多元表現每學年最多 {cap.limit} 件"
                message_en = f"at most {cap.limit} multiple-performance items per school year"
            out.append(Finding("cap_exceeded", message, message_en, sheet_name, row_no, "", str(counts[key]), student))
    return out


def validate_rows(
    roster_code: int,
    sheets: dict[str, list[dict]],
    *,
    rules: YearRules | None = None,
    year: int | None = None,
    evidence: EvidenceLookup | None = None,
    check_certification: bool = False,
) -> Report:
    """Check every row of every sheet (keyed by sheet name) and the roster's cap per student."""
    if rules is None:
        if year is None:
            raise TypeError("give rules or year")
        rules = rules_for(year)
    roster = rules.roster(roster_code)
    checker = _RowChecker(rules, roster, evidence, check_certification)
    report = Report()
    in_order: list[tuple[str, int, dict]] = []
    for given_name, rows in sheets.items():
        sheet = roster.sheet(given_name)
        if sheet is None:
            report.findings.append(
                Finding(
                    "sheet_unknown",
                    f"名冊別 {roster.code} 沒有工作表「{given_name}」",
                    f"roster {roster.code} has no sheet {given_name}",
                    given_name,
                )
            )
            continue
        for index, row in enumerate(rows):
            row_no = int(row.get("_row") or index + 2)
            report.findings.extend(checker.check(sheet.name, sheet.columns, sheet.known_columns, row, row_no))
            in_order.append((sheet.name, row_no, row))
    report.findings.extend(_cap_findings(rules, roster, in_order))
    return report


def validate_cover(
    rules: YearRules,
    school_code: str,
    semester: int | str,
    roster_code: int | str,
    *,
    expected_school: str | None = None,
    filename: str | None = None,
) -> list[Finding]:
    """The 封面 values (學年度 is `rules.year`), the uploader's school, and the file name rule."""
    out: list[Finding] = []
    if not rules.school_code_ok(str(school_code)):
        out.append(
            Finding(
                "school_code",
                "封面學校代碼須為 6 碼",
                "the cover's school code must have 6 characters",
                "封面",
                0,
                "學校代碼",
                str(school_code),
            )
        )
    elif expected_school is not None and str(school_code) != expected_school:
        out.append(
            Finding(
                "school_mismatch",
                "封面學校代碼與上傳學校不符",
                "the cover's school code is not the uploading school",
                "封面",
                0,
                "學校代碼",
                str(school_code),
            )
        )
    try:
        roster = rules.roster(roster_code)
    except (UnknownRoster, ValueError):
        out.append(
            Finding(
                "roster_code", f"名冊別 {roster_code} 不存在", f"unknown roster type {roster_code}", "封面", 0, "名冊別", str(roster_code)
            )
        )
        return out
    if str(semester) not in {str(s) for s in roster.semesters}:
        allowed = "、".join(str(s) for s in roster.semesters)
        out.append(
            Finding(
                "semester",
                f"名冊別 {roster.code} 的學期須為 {allowed}",
                f"roster {roster.code} needs 學期 {allowed}",
                "封面",
                0,
                "學期",
                str(semester),
            )
        )
    if filename is not None:
        try:
            parts = parse_roster_filename(filename)
        except ValueError:
            out.append(
                Finding(
                    "file_name",
                    "檔名須為 學校代碼_學年度_學期_名冊別_yyyyMMdd_HH_mm_ss",
                    "the file name must be {school}_{year}_{semester}_{roster}_{yyyyMMdd_HH_mm_ss}",
                    "",
                    0,
                    "",
                    filename,
                )
            )
        else:
            if (parts["school_code"], parts["year"], str(parts["semester"]), parts["roster_code"]) != (
                str(school_code),
                rules.year,
                str(semester),
                int(roster_code),
            ):
                out.append(
                    Finding("file_name_mismatch", "檔名與封面內容不符", "the file name does not match the cover sheet", "", 0, "", filename)
                )
    return out
