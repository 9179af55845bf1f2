"""One problem found in a roster or a file, in zh-TW and English, with where it is."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Finding:
    code: str
    message: str  # zh-TW
    message_en: str
    sheet: str = ""
    row: int = 0  # spreadsheet row, header = 1; 0 = the file as a whole
    column: str = ""
    value: str = ""  # never a full ID number: callers mask those
    student: str = ""  # the row's 身分證號 (for grouping; not shown: see to_dict)

    @property
    def whole_file(self) -> bool:
        return self.row == 0

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("student")
        return data


class RosterFormatError(ValueError):
    """The file cannot be read as a roster at all (not XLSX, no cover, unknown year or 名冊別)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f.message_en for f in findings))
        self.findings = findings


def national_errors(findings: list[Finding], roster_name: str) -> list[dict]:
    """Findings grouped per row in the shape of the national status reply (錯誤訊息 entries)."""
    grouped: dict[tuple[str, int], list[Finding]] = {}
    for f in findings:
        grouped.setdefault((f.sheet, f.row), []).append(f)
    out = []
    for (sheet, row), items in grouped.items():
        out.append(
            {
                "錯誤名冊": roster_name,
                "錯誤工作表": sheet,
                "錯誤行數": row,
                "詳細資訊": {
                    "狀態": "錯誤",
                    "錯誤代碼": [f.code for f in items],
                    "錯誤說明": [f.message for f in items],
                    "錯誤說明_en": [f.message_en for f in items],
                    "錯誤欄位": [f.column for f in items],
                },
                "錯誤資料": [f.value for f in items],
            }
        )
    return out
