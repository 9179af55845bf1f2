"""Roster workbooks (XLSX): the 封面 cover sheet, then one sheet per record type, exact names and order.

`write_roster` builds the workbook our national upload sends; `read_roster` parses one back into
rows (the simulator uses it on what it receives). Every cell is written as text, so leading zeros
of ROC dates and codes (0800116, 01) survive; the header row is frozen as in the public templates.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from openpyxl import load_workbook

from shared.national.findings import Finding, RosterFormatError
from shared.national.rules import UnknownRoster, UnknownYear, YearRules, normalise_sheet_name, rules_for
from shared.xlsx import SheetRows, workbook

MAX_ROWS_PER_SHEET = 200_000


@dataclass
class RosterFile:
    school_code: str
    year: int
    semester: int
    roster_code: int
    sheets: dict[str, list[dict[str, str]]]  # canonical sheet name -> rows; each row has "_row"
    findings: list[Finding] = field(default_factory=list)  # sheet-level problems (whole file)

    @property
    def rules(self) -> YearRules:
        return rules_for(self.year)


def _cells(rows: list[dict], names: list[str]) -> Iterator[list[object]]:
    for row in rows:  # a text sheet writes every value as text and a missing one as an empty cell
        yield [row.get(h) for h in names]


def write_roster(rules: YearRules, school_code: str, semester: int, roster_code: int, sheets: dict[str, list[dict]]) -> bytes:
    """The workbook bytes. Every sheet of the roster is written (empty ones keep their header).

    Unknown sheet names or columns are programming errors (ValueError), not data findings; keys
    starting with "_" (our metadata) are left out.
    """
    roster = rules.roster(roster_code)
    by_sheet: dict[str, list[dict]] = {}
    for name, rows in sheets.items():
        sheet = roster.sheet(name)
        if sheet is None:
            raise ValueError(f"roster {roster_code} has no sheet {name!r}")
        by_sheet[sheet.name] = rows
        for row in rows:
            unknown = [k for k in row if not k.startswith("_") and k not in sheet.known_columns]
            if unknown:
                raise ValueError(f"sheet {sheet.name!r} has no column(s) {unknown}")
    sheets_out = [SheetRows(rules.cover_sheet, list(rules.cover_columns), [[school_code, rules.year, semester, roster_code]], as_text=True)]
    for sheet in roster.sheets:
        names = list(sheet.column_names)
        sheets_out.append(SheetRows(sheet.name, names, _cells(by_sheet.get(sheet.name, []), names), as_text=True))
    return workbook(sheets_out)


def _clean(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _whole_file(code: str, message: str, message_en: str, sheet: str = "", column: str = "", value: str = "") -> Finding:
    return Finding(code, message, message_en, sheet, 0, column, value)


def read_roster(data: bytes) -> RosterFile:
    """Parse a roster workbook. RosterFormatError when it is not one at all; sheet-level problems
    (a missing or unknown sheet, a header not exactly the expected columns) come back as findings."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise RosterFormatError(
            [_whole_file("not_xlsx", "檔案不是有效的 XLSX 活頁簿", f"not a readable XLSX workbook ({type(exc).__name__})")]
        ) from None
    try:
        return _read_book(book)
    finally:
        book.close()


def _read_book(book) -> RosterFile:
    if not book.worksheets:
        raise RosterFormatError([_whole_file("cover_missing", "缺少封面工作表", "the cover sheet is missing")])
    cover_ws = book.worksheets[0]
    cover_rows = [[_clean(c) for c in row] for row in cover_ws.iter_rows(values_only=True, max_row=2)]
    header = cover_rows[0] if cover_rows else []
    values = cover_rows[1] if len(cover_rows) > 1 else []
    wanted = ["學校代碼", "學年度", "學期", "名冊別"]
    if header[:4] != wanted or len(values) < 4 or not all(values[:4]):
        raise RosterFormatError(
            [
                _whole_file(
                    "cover",
                    "封面第 1 列須為 學校代碼、學年度、學期、名冊別，第 2 列為其值",
                    "the cover needs 學校代碼, 學年度, 學期, 名冊別 in row 1 and values in row 2",
                    cover_ws.title,
                )
            ]
        )
    school, year_text, semester_text, code_text = values[:4]
    if not (year_text.isdigit() and semester_text.isdigit() and code_text.isdigit()):
        raise RosterFormatError(
            [
                _whole_file(
                    "cover", "封面學年度、學期、名冊別須為數字", "學年度, 學期 and 名冊別 on the cover must be numbers", cover_ws.title
                )
            ]
        )
    try:
        rules = rules_for(int(year_text))
    except UnknownYear:
        raise RosterFormatError(
            [
                _whole_file(
                    "year",
                    f"不受理 {year_text} 學年度的名冊",
                    f"rosters of school year {year_text} are not accepted",
                    "封面",
                    "學年度",
                    year_text,
                )
            ]
        ) from None
    if not rules.is_cover_sheet(cover_ws.title):
        raise RosterFormatError(
            [
                _whole_file(
                    "cover", f"第一張工作表須為「{rules.cover_sheet}」", f"the first sheet must be {rules.cover_sheet}", cover_ws.title
                )
            ]
        )
    try:
        roster = rules.roster(int(code_text))
    except UnknownRoster:
        raise RosterFormatError(
            [_whole_file("roster_code", f"名冊別 {code_text} 不存在", f"unknown roster type {code_text}", "封面", "名冊別", code_text)]
        ) from None

    result = RosterFile(school, rules.year, int(semester_text), roster.code, {})
    for ws in book.worksheets[1:]:
        sheet = roster.sheet(ws.title)
        if sheet is None:
            result.findings.append(
                _whole_file(
                    "sheet_unknown",
                    f"名冊別 {roster.code} 沒有工作表「{normalise_sheet_name(ws.title)}」",
                    f"roster {roster.code} has no sheet {ws.title!r}",
                    ws.title,
                )
            )
            continue
        if sheet.name in result.sheets:
            result.findings.append(
                _whole_file("sheet_duplicate", f"工作表「{sheet.name}」重複", f"sheet {sheet.name} appears twice", sheet.name)
            )
            continue
        result.sheets[sheet.name] = _read_sheet(ws, sheet.name, sheet.column_names, result.findings)
    for sheet in roster.sheets:
        if sheet.name not in result.sheets and not any(f.sheet == sheet.name for f in result.findings):
            result.findings.append(
                _whole_file("sheet_missing", f"缺少工作表「{sheet.name}」", f"the sheet {sheet.name} is missing", sheet.name)
            )
    return result


def _read_sheet(ws, name: str, columns: list[str], findings: list[Finding]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    if (ws.max_row or 0) > MAX_ROWS_PER_SHEET + 1:
        findings.append(
            _whole_file(
                "too_many_rows",
                f"工作表「{name}」超過 {MAX_ROWS_PER_SHEET} 列",
                f"sheet {name} has more than {MAX_ROWS_PER_SHEET} rows",
                name,
            )
        )
        return rows
    iterator = ws.iter_rows(values_only=True, max_row=MAX_ROWS_PER_SHEET + 1)
    header_cells = next(iterator, ())
    header = [_clean(c) for c in header_cells]
    while header and not header[-1]:
        header.pop()
    if header != columns:
        findings.append(
            _whole_file(
                "columns",
                f"工作表「{name}」的欄位須依序為：{'、'.join(columns)}",
                f"sheet {name} must have exactly these columns in this order: {', '.join(columns)}",
                name,
                value="、".join(header)[:300],
            )
        )
        return []
    for number, cells in enumerate(iterator, start=2):
        texts = [_clean(c) for c in cells]
        if not any(texts):
            continue
        if any(texts[len(columns) :]):
            findings.append(
                _whole_file(
                    "extra_cells",
                    f"工作表「{name}」第 {number} 列有多餘的欄位",
                    f"sheet {name} row {number} has cells beyond the last column",
                    name,
                )
            )
        row = {column: (texts[i] if i < len(texts) else "") for i, column in enumerate(columns)}
        row["_row"] = number
        rows.append(row)
    return rows
