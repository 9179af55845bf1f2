"""The national rules as data: every year loads, every reference resolves, a new year is a data change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.national.rules import UnknownRoster, UnknownYear, known_years, parse_roster_filename, rules_for, rules_with

ROSTER_CODES = [1, 2, 3, 4, 6, 7, 24, 25, 26, 27, 28, 34, 35, 36, 38, 74, 75, 76, 78]
PERFORMANCE_SHEETS = [
    "幹部經歷暨事蹟紀錄",
    "競賽參與紀錄",
    "檢定證照紀錄",
    "服務學習紀錄",
    "彈性學習時間紀錄",
    "團體活動時間紀錄",
    "職場學習紀錄",
    "作品成果紀錄",
    "大學及技專校院先修課程紀錄",
    "其他多元表現紀錄",
]


def test_years_113_to_115_are_defined():
    assert {113, 114, 115} <= set(known_years())


@pytest.mark.parametrize("year", [113, 114, 115])
def test_every_column_code_table_and_cap_limit_resolves(year):
    rules = rules_for(year)
    assert rules.roster_codes() == ROSTER_CODES
    for code in rules.roster_codes():
        roster = rules.roster(code)
        assert roster.sheets and len(set(roster.sheet_names)) == len(roster.sheets)
        for sheet in roster.sheets:
            assert len(set(sheet.column_names)) == len(sheet.column_names), sheet.name
            for column in sheet.columns:
                if column.type == "code":
                    rules.code_table(column.table)
                if column.type == "evidence":
                    assert column.kind in {"document", "media"}


def test_caps_sizes_types_and_summary_limit():
    rules = rules_for(113)
    assert rules.national_outcomes_per_semester == 3
    assert rules.school_outcomes_per_semester == (1, 6)
    assert rules.performances_per_year == 10
    assert rules.summary_max_chars == 100
    kinds = {k.name: k for k in rules.file_kinds()}
    assert set(kinds["document"].extensions) >= {"pdf", "jpg", "png"} and kinds["document"].max_bytes == 4 * 1024 * 1024
    assert set(kinds["media"].extensions) == {"mp3", "mp4"} and kinds["media"].max_bytes == 10 * 1024 * 1024
    assert rules.file_kind_for("報告.PDF").name == "document"
    assert rules.file_kind_for("a.gif") is None


def test_rosters_names_periods_caps_and_certification():
    rules = rules_for(114)
    assert rules.roster(25).sheet_names == PERFORMANCE_SHEETS
    assert rules.roster(25).cap.limit == 10 and rules.roster(25).cap.per == ()
    assert rules.roster(26).cap.limit == 3 and rules.roster(26).certified
    assert rules.roster(25).semesters == (0,) and rules.roster(26).semesters == (0,)
    assert rules.roster(24).semesters == (1, 2) and rules.roster(1).semesters == (1, 2)
    assert rules.roster(35).sheet_names == PERFORMANCE_SHEETS and rules.roster(35).name == "第一梯次多元學習表現"
    assert rules.roster(2).sheet("補修成績 ").name == "補修成績"
    assert rules.roster(1).sheet("學生資料_x0009_").name == "學生資料"
    assert rules.roster(24).sheet("幹部經歷紀錄").column_names == [
        "身分證號",
        "出生日期",
        "單位名稱",
        "開始日期",
        "結束日期",
        "擔任職務",
        "幹部等級",
    ]
    assert rules.cover_sheet == "封面" and rules.cover_columns == ["學校代碼", "學年度", "學期", "名冊別"]
    with pytest.raises(UnknownRoster):
        rules.roster(5)


def test_code_tables_from_the_docs():
    rules = rules_for(113)
    assert rules.code_table("cadre_level").values["1"] == "校級幹部" and set(rules.code_table("cadre_level").values) == set("12345")
    assert set(rules.code_table("competition_level").values) == {"1", "2", "3", "4"}
    assert set(rules.code_table("participation").values) == {"1", "2"}
    assert set(rules.code_table("license_note").values) == {"1", "2", "3"}
    assert rules.code_table("gender").values == {"1": "男", "2": "女"}
    assert rules.code_table("absence").values["12"] == "曠課"
    assert rules.code_table("enrolment_status").open


def test_uncertain_facts_are_flagged_for_the_admin_page():
    paths = {u["path"] for u in rules_for(113).uncertainties()}
    assert {"course_code", "codes.cadre_level", "codes.license_note", "rosters.27", "files.size_unit"} <= paths
    assert all(u["note"] and u["note_en"] for u in rules_for(113).uncertainties())
    assert "limits.summary_max_chars" not in paths


def test_course_code_is_23_characters_split_by_configurable_widths():
    rules = rules_for(113)
    parts = rules.course_code_parts("1131234561110110D110101")
    assert parts["適用入學年度"] == "113" and parts["學校代碼"] == "123456" and "".join(parts.values()) == "1131234561110110D110101"
    resplit = rules_with(113, {"course_code": {"split": [["前段", 9], ["後段", 14]]}})
    assert resplit.course_code_parts("1131234561110110D110101") == {"前段": "113123456", "後段": "1110110D110101"}
    with pytest.raises(ValueError):
        rules.course_code_parts("113123456")


def test_a_new_years_rule_is_a_data_override():
    changed = rules_with(115, {"limits": {"performances_per_year": {"value": 12}}, "codes": {"cadre_level": {"values": {"9": "其他幹部"}}}})
    assert changed.performances_per_year == 12 and changed.roster(25).cap.limit == 12
    assert "9" in changed.code_table("cadre_level").values and "1" in changed.code_table("cadre_level").values
    assert rules_for(115).performances_per_year == 10


def test_unknown_year_is_refused():
    with pytest.raises(UnknownYear):
        rules_for(99)


def test_file_name_rule_uses_taipei_time_and_parses_back():
    rules = rules_for(113)
    name = rules.roster_filename("123456", 0, 26, datetime(2025, 1, 20, 16, 5, 9, tzinfo=UTC))
    assert name == "123456_113_0_26_20250121_00_05_09.xlsx"
    parts = parse_roster_filename(name)
    assert (parts["school_code"], parts["year"], parts["semester"], parts["roster_code"]) == ("123456", 113, 0, 26)
    for bad in ["123456_113_0_26.xlsx", "12345_113_0_26_20250121_00_05_09.xlsx", "123456_113_3_26_20250121_00_05_09.xlsx", "x.xlsx"]:
        with pytest.raises(ValueError):
            parse_roster_filename(bad)
