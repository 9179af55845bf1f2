"""Roster workbooks: exact sheet names and column order, text cells, and a lossless round trip."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from shared.national.findings import RosterFormatError
from shared.national.roster_io import read_roster, write_roster
from shared.national.rules import rules_for
from shared.national.validator import validate_rows
from tests.national.samples import student_id, valid_row, valid_sheets

RULES = rules_for(113)


def _strip_meta(sheets: dict) -> dict:
    return {name: [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows] for name, rows in sheets.items()}


@pytest.mark.parametrize("roster", RULES.roster_codes())
def test_round_trip_of_every_roster(roster):
    semester = RULES.roster(roster).semesters[-1]
    sheets = valid_sheets(RULES, roster)
    data = write_roster(RULES, "123456", semester, roster, sheets)
    parsed = read_roster(data)
    assert (parsed.school_code, parsed.year, parsed.semester, parsed.roster_code) == ("123456", 113, semester, roster)
    assert parsed.findings == []
    assert _strip_meta(parsed.sheets) == sheets
    assert [r["_row"] for r in next(iter(parsed.sheets.values()))] == [2, 3]
    assert validate_rows(roster, parsed.sheets, rules=RULES).ok


def test_exact_sheet_names_column_order_text_cells_and_frozen_header():
    data = write_roster(RULES, "012345", 0, 25, {"作品成果紀錄": [valid_row(RULES, 25, "作品成果紀錄", student_id(1), 出生日期="0800116")]})
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["封面", *RULES.roster(25).sheet_names]
    cover = book["封面"]
    assert [c.value for c in cover[1]] == ["學校代碼", "學年度", "學期", "名冊別"]
    assert [c.value for c in cover[2]] == ["012345", "113", "0", "25"]
    assert all(c.number_format == "@" for c in cover[2])
    sheet = book["作品成果紀錄"]
    assert [c.value for c in sheet[1]] == ["身分證號", "出生日期", "名稱", "日期", "內容簡述", "證明文件", "影音檔案", "影音檔案外部連結"]
    assert sheet["B2"].value == "0800116" and sheet["B2"].number_format == "@"
    assert sheet.freeze_panes == "A2"
    assert book["其他多元表現紀錄"].max_row == 1  # empty sheets keep their header


def test_writer_refuses_unknown_sheets_and_columns_and_skips_metadata():
    row = valid_row(RULES, 24, "幹部經歷紀錄", student_id(1))
    with pytest.raises(ValueError):
        write_roster(RULES, "123456", 1, 24, {"幹部": [row]})
    with pytest.raises(ValueError):
        write_roster(RULES, "123456", 1, 24, {"幹部經歷紀錄": [{**row, "備註": "x"}]})
    data = write_roster(RULES, "123456", 1, 24, {"幹部經歷紀錄": [{**row, "_certified": True}]})
    assert "_certified" not in read_roster(data).sheets["幹部經歷紀錄"][0]


def _book(cover_title: str, cover: list[list], sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.active.title = cover_title
    for row in cover:
        book.active.append(row)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


COVER = [["學校代碼", "學年度", "學期", "名冊別"], ["123456", "113", "1", "24"]]
CADRE = ["身分證號", "出生日期", "單位名稱", "開始日期", "結束日期", "擔任職務", "幹部等級"]


def test_reader_accepts_template_quirks_tab_and_trailing_space_and_old_cover_name():
    data = _book(
        "校內幹部經歷名冊封面", COVER, {"幹部經歷紀錄 ": [CADRE, [student_id(1), "0920304", "班級", "1130901", "1140131", "班長", "2"]]}
    )
    parsed = read_roster(data)
    assert parsed.findings == [] and parsed.sheets["幹部經歷紀錄"][0]["擔任職務"] == "班長"
    students = [["身分證號", "出生日期", "性別代碼", "部別代碼", "群別代碼", "科班學程別代碼", "年級", "班級名稱", "座號", "學籍狀態"]]
    cover = [COVER[0], ["123456", "113", "1", "1"]]
    parsed = read_roster(_book("封面", cover, {"學生資料_x0009_": students, "學生借讀資料": [RULES.roster(1).sheets[1].column_names]}))
    assert parsed.findings == [] and parsed.sheets["學生資料"] == []


@pytest.mark.parametrize(
    "sheets,code",
    [
        ({"幹部經歷紀錄": [CADRE[::-1]]}, "columns"),
        ({"幹部經歷紀錄": [CADRE[:-1]]}, "columns"),
        ({"幹部經歷紀錄": [CADRE, [student_id(1), "0920304", "班級", "1130901", "1140131", "班長", "2", "多"]]}, "extra_cells"),
        ({"幹部經歷紀錄": [CADRE], "競賽參與紀錄": [["x"]]}, "sheet_unknown"),
        ({}, "sheet_missing"),
    ],
)
def test_reader_reports_sheet_problems_as_whole_file_findings(sheets, code):
    parsed = read_roster(_book("封面", COVER, sheets))
    assert [f.code for f in parsed.findings] == [code] and parsed.findings[0].whole_file


@pytest.mark.parametrize(
    "data,code",
    [
        (b"PK\x03\x04 not a zip", "not_xlsx"),
        (_book("封面", [["學校代碼", "學年度"], ["123456", "113"]], {}), "cover"),
        (_book("封面", [COVER[0], ["123456", "九十", "1", "24"]], {}), "cover"),
        (_book("Sheet", COVER, {}), "cover"),
        (_book("封面", [COVER[0], ["123456", "99", "1", "24"]], {}), "year"),
        (_book("封面", [COVER[0], ["123456", "113", "1", "5"]], {}), "roster_code"),
    ],
)
def test_unreadable_rosters_raise_with_a_reason(data, code):
    with pytest.raises(RosterFormatError) as caught:
        read_roster(data)
    assert [f.code for f in caught.value.findings] == [code]
