"""Every rule of the validator has a passing case and a failing case, with zh-TW and English messages."""

from __future__ import annotations

import pytest

from shared.national.rules import rules_for
from shared.national.validator import EvidenceInfo, validate_cover, validate_rows
from tests.national.samples import PDF_SHA, student_id, valid_row, valid_sheets

RULES = rules_for(113)
SID = student_id(1)
MEDIA_SHA = "b" * 64
BIG_SHA = "c" * 64
GIF_SHA = "d" * 64
KNOWN = {
    PDF_SHA: EvidenceInfo("報告.pdf", 1000),
    MEDIA_SHA: EvidenceInfo("影片.mp4", 1000),
    BIG_SHA: EvidenceInfo("大檔.pdf", 4 * 1024 * 1024 + 1),
    GIF_SHA: EvidenceInfo("圖.gif", 10),
}


def codes(report) -> list[str]:
    return [f.code for f in report.findings]


def one_row(roster: int, sheet: str, **overrides) -> dict:
    return {sheet: [valid_row(RULES, roster, sheet, SID, **overrides)]}


@pytest.mark.parametrize("roster", RULES.roster_codes())
def test_valid_rows_of_every_roster_pass(roster):
    report = validate_rows(roster, valid_sheets(RULES, roster), rules=RULES, evidence=KNOWN.get)
    assert report.ok, report.to_list()


@pytest.mark.parametrize(
    "roster,sheet,overrides,code,column",
    [
        (1, "學生資料", {"出生日期": ""}, "required", "出生日期"),
        (1, "學生資料", {"身分證號": "a123456789"}, "student_id", "身分證號"),
        (1, "學生資料", {"身分證號": "A123456788"}, "student_id", "身分證號"),
        (1, "學生資料", {"出生日期": "800116"}, "roc_date", "出生日期"),
        (1, "學生資料", {"出生日期": "1131301"}, "roc_date", "出生日期"),
        (1, "學生資料", {"性別代碼": "3"}, "code", "性別代碼"),
        (1, "學生資料", {"年級": "5"}, "integer", "年級"),
        (1, "學生借讀資料", {"借讀學校代碼": "12345"}, "school_code", "借讀學校代碼"),
        (3, "缺勤紀錄", {"缺勤種類代碼": "13"}, "code", "缺勤種類代碼"),
        (3, "缺勤紀錄", {"缺勤起始日期": "1130910", "缺勤結束日期": "1130909"}, "date_order", "缺勤結束日期"),
        (2, "學期成績", {"課程代碼": "113123456111011"}, "course_code", "課程代碼"),
        (2, "學期成績", {"課程代碼": "1131234561110110d110101"}, "course_code", "課程代碼"),
        (2, "學期成績", {"學期學業成績": "100.5"}, "number", "學期學業成績"),
        (2, "學期成績", {"學期學業成績": "85.125"}, "number", "學期學業成績"),
        (2, "學期成績", {"修課學分": "-2"}, "number", "修課學分"),
        (2, "補修成績", {"應修課學年度": "abc"}, "roc_year", "應修課學年度"),
        (24, "幹部經歷紀錄", {"幹部等級": "9"}, "code", "幹部等級"),
        (24, "幹部經歷紀錄", {"開始日期": ""}, "required", "開始日期"),
        (24, "幹部經歷紀錄", {"開始日期": "1130901", "結束日期": "1130801"}, "date_order", "結束日期"),
        (25, "競賽參與紀錄", {"競賽等級代碼": "5"}, "code", "競賽等級代碼"),
        (25, "競賽參與紀錄", {"團體參與代碼": "3"}, "code", "團體參與代碼"),
        (25, "檢定證照紀錄", {"註1": "4"}, "code", "註1"),
        (25, "檢定證照紀錄", {"證照代碼": ""}, "required", "證照代碼"),
        (25, "作品成果紀錄", {"內容簡述": "字" * 101}, "summary_too_long", "內容簡述"),
        (25, "作品成果紀錄", {"內容簡述": ""}, "required", "內容簡述"),
        (25, "作品成果紀錄", {"影音檔案外部連結": "ftp://x.org/a"}, "url", "影音檔案外部連結"),
        (25, "作品成果紀錄", {"證明文件": "not-a-sha"}, "evidence_ref", "證明文件"),
        (25, "彈性學習時間紀錄", {"彈性學習時間類別(種類)代碼": "6"}, "code", "彈性學習時間類別(種類)代碼"),
        (25, "團體活動時間紀錄", {"團體活動時間類別代碼": "7"}, "code", "團體活動時間類別代碼"),
        (25, "職場學習紀錄", {"職場學習類別代碼": "5"}, "code", "職場學習類別代碼"),
        (26, "學期課程學習成果", {"成果簡述": "a" * 101}, "summary_too_long", "成果簡述"),
        (26, "學期課程學習成果", {"成果檔案": ""}, "required", "成果檔案"),
        (26, "學期課程學習成果", {"成果檔案": "e" * 64}, "evidence_missing", "成果檔案"),
        (26, "學期課程學習成果", {"成果檔案": MEDIA_SHA}, "evidence_kind", "成果檔案"),
        (26, "學期課程學習成果", {"影音檔案": PDF_SHA}, "evidence_kind", "影音檔案"),
        (26, "學期課程學習成果", {"成果檔案": BIG_SHA}, "file_size", "成果檔案"),
        (26, "學期課程學習成果", {"成果檔案": GIF_SHA}, "file_type", "成果檔案"),
        (26, "學期課程學習成果", {"實際修課學期": "3"}, "code", "實際修課學期"),
        (26, "學期課程學習成果", {"備註": "x"}, "unknown_column", "備註"),
    ],
)
def test_each_rule_rejects_its_bad_value(roster, sheet, overrides, code, column):
    report = validate_rows(roster, one_row(roster, sheet, **overrides), rules=RULES, evidence=KNOWN.get)
    assert codes(report) == [code], report.to_list()
    finding = report.findings[0]
    assert (finding.sheet, finding.row, finding.column) == (sheet, 2, column)
    assert finding.message and finding.message_en and finding.message != finding.message_en
    assert report.rejected_students == {overrides.get("身分證號", SID)}


def test_summary_counts_characters_not_bytes():
    report = validate_rows(25, one_row(25, "作品成果紀錄", 內容簡述="𠀾" * 100), rules=RULES)
    assert report.ok


def test_id_numbers_are_masked_in_findings():
    report = validate_rows(1, one_row(1, "學生資料", 身分證號="A123456788"), rules=RULES)
    assert report.findings[0].value == "A12****788" and "student" not in report.to_list()[0]


def test_certification_is_required_when_we_check_our_own_rows():
    rows = one_row(26, "學期課程學習成果")
    assert codes(validate_rows(26, rows, rules=RULES, check_certification=True)) == ["certification_missing"]
    rows["學期課程學習成果"][0]["_certified"] = True
    assert validate_rows(26, rows, rules=RULES, check_certification=True).ok
    assert validate_rows(25, one_row(25, "作品成果紀錄"), rules=RULES, check_certification=True).ok


def test_three_outcomes_per_semester_to_the_national_side():
    rows = [valid_row(RULES, 26, "學期課程學習成果", SID, 實際修課學期=s) for s in "11112"]
    report = validate_rows(26, {"學期課程學習成果": rows}, rules=RULES)
    assert codes(report) == ["cap_exceeded"] and report.findings[0].row == 5
    ok = [valid_row(RULES, 26, "學期課程學習成果", SID, 實際修課學期=s) for s in "111222"]
    ok.append(valid_row(RULES, 26, "學期課程學習成果", student_id(2), 實際修課學期="1"))
    assert validate_rows(26, {"學期課程學習成果": ok}, rules=RULES).ok


def test_cap_counts_across_sheets():
    sheets = {
        "學期課程學習成果": [valid_row(RULES, 26, "學期課程學習成果", SID, 實際修課學期="1") for _ in range(2)],
        "補修課程學習成果": [valid_row(RULES, 26, "補修課程學習成果", SID, 實際修課學期="1") for _ in range(2)],
    }
    report = validate_rows(26, sheets, rules=RULES)
    assert codes(report) == ["cap_exceeded"] and report.findings[0].sheet == "補修課程學習成果"


def test_ten_performances_per_year():
    sheets = valid_sheets(RULES, 25, students=1)
    assert validate_rows(25, sheets, rules=RULES).ok
    sheets["其他多元表現紀錄"].append(valid_row(RULES, 25, "其他多元表現紀錄", student_id(0)))
    report = validate_rows(25, sheets, rules=RULES)
    assert codes(report) == ["cap_exceeded"] and "10" in report.findings[0].message


def test_unknown_sheet_is_a_whole_file_finding():
    report = validate_rows(24, {"幹部經歷": []}, rules=RULES)
    assert codes(report) == ["sheet_unknown"] and report.file_rejected


@pytest.mark.parametrize(
    "school,semester,roster,kwargs,code",
    [
        ("12345", 1, 24, {}, "school_code"),
        ("123456", 1, 24, {"expected_school": "654321"}, "school_mismatch"),
        ("123456", 1, 5, {}, "roster_code"),
        ("123456", 1, 26, {}, "semester"),
        ("123456", 0, 24, {}, "semester"),
        ("123456", 0, 25, {"filename": "roster.xlsx"}, "file_name"),
        ("123456", 0, 25, {"filename": "123456_113_0_26_20250121_00_05_09.xlsx"}, "file_name_mismatch"),
        ("123456", 0, 25, {"filename": "123456_114_0_25_20250121_00_05_09.xlsx"}, "file_name_mismatch"),
    ],
)
def test_cover_rules(school, semester, roster, kwargs, code):
    findings = validate_cover(RULES, school, semester, roster, **kwargs)
    assert [f.code for f in findings] == [code]
    assert findings[0].whole_file


def test_cover_that_follows_the_rules():
    assert validate_cover(RULES, "123456", 0, 25, expected_school="123456", filename="123456_113_0_25_20250121_00_05_09.xlsx") == []
    assert validate_cover(RULES, "123456", 2, 24) == []
