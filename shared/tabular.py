"""Reading uploaded tables (CSV or XLSX) into rows of text, for every bulk import.

A file that cannot be read at all raises `ValidationFailed` before any row is looked at, so a
malformed file never leads to a partial import.
"""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook
from pydantic import BaseModel

from shared.errors import PayloadTooLarge, ValidationFailed, field_error

MAX_ROWS = 5000  # an import answered within its request
JOB_MAX_ROWS = 200_000  # an import run as a job (a whole term's file of a large school)


class ImportRowError(BaseModel):
    """One problem of one row of an import file (row 2 is the first data row), as every import reports it."""

    row: int
    field: str
    code: str
    message: str
    message_en: str


MAX_BYTES = 5 * 1024 * 1024
JOB_MAX_BYTES = 12 * 1024 * 1024  # as large as the gateway takes a request body by default


def _clean(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rows_to_dicts(rows: list[list[str]], max_rows: int = MAX_ROWS) -> list[dict[str, str]]:
    rows = [r for r in rows if any(cell for cell in r)]
    if not rows:
        raise ValidationFailed("檔案沒有任何資料列", "the file has no rows")
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    if not any(header) or len(set(h for h in header if h)) != len([h for h in header if h]):
        raise ValidationFailed("第一列須為不重複的欄位名稱", "the first row must hold distinct column names")
    if len(rows) - 1 > max_rows:
        raise PayloadTooLarge(f"一次最多匯入 {max_rows} 列", f"at most {max_rows} rows per import")
    # Control characters (but tab and line breaks) are never text; PostgreSQL refuses NUL outright.
    bad = [
        field_error(f"第 {number} 列第 {column} 欄", "不可含控制字元", "must not contain control characters", "control_character")
        for number, row in enumerate(rows, start=1)
        for column, cell in enumerate(row, start=1)
        if any((ord(ch) < 32 and ch not in "\t\n\r") or 127 <= ord(ch) < 160 for ch in cell)
    ]
    if bad:
        raise ValidationFailed("匯入檔含有控制字元", "the file holds control characters", bad[:50])
    return [{h: (row[i] if i < len(row) else "") for i, h in enumerate(header) if h} for row in rows[1:]]


def read_csv(data: bytes, max_rows: int = MAX_ROWS) -> list[dict[str, str]]:
    for encoding in ("utf-8-sig", "cp950"):  # Excel in Taiwan often saves CSV as Big5 (cp950)
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed("CSV 檔案編碼無法辨識（請用 UTF-8）", "the CSV file is not UTF-8 or Big5")
    if "\x00" in text:
        raise ValidationFailed("CSV 檔案內容不正確", "the CSV file holds binary data")
    try:
        rows = [[_clean(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""), strict=True)]
    except csv.Error as exc:
        raise ValidationFailed("CSV 檔案格式不正確", f"malformed CSV: {exc}") from None
    return _rows_to_dicts(rows, max_rows)


def read_xlsx(data: bytes, max_rows: int = MAX_ROWS) -> list[dict[str, str]]:
    try:
        # data_only=False: a formula is refused, never imported as its (possibly stale or missing) cached value
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ValidationFailed("XLSX 檔案無法開啟", f"the XLSX file cannot be read: {type(exc).__name__}") from None
    try:
        sheet = workbook.worksheets[0]
        rows, formulas = [], []
        for number, row in enumerate(sheet.iter_rows(max_row=max_rows + 2), start=1):
            for cell in row:
                if getattr(cell, "data_type", None) == "f" and len(formulas) < 50:
                    formulas.append(
                        field_error(f"{getattr(cell, 'column_letter', '?')}{number}", "儲存格含公式", "the cell holds a formula", "formula")
                    )
            rows.append([_clean(getattr(c, "value", None)) for c in row])
    finally:
        workbook.close()
    if formulas:
        raise ValidationFailed("匯入檔不可含公式，請將公式轉為數值後再匯入", "the file holds formulas; paste them as values", formulas)
    return _rows_to_dicts(rows, max_rows)


def read_table(filename: str, data: bytes, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> list[dict[str, str]]:
    if len(data) > max_bytes:
        mb = max_bytes // (1024 * 1024)
        raise PayloadTooLarge(f"匯入檔案不可超過 {mb} MB", f"an import file may not exceed {mb} MB")
    name = filename.lower()
    if name.endswith(".csv"):
        return read_csv(data, max_rows)
    if name.endswith(".xlsx"):
        return read_xlsx(data, max_rows)
    raise ValidationFailed(
        "只接受 CSV 或 XLSX 檔案",
        "only CSV or XLSX files are accepted",
        [field_error("file", "只接受 .csv 或 .xlsx", "use .csv or .xlsx", "file_type")],
    )
