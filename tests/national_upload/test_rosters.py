"""Roster building and checking without any server: records in, national rows and a zh-TW report out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.national_upload.preparation import prepare
from services.national_upload.rosters import RosterBuilder, TermInput
from shared.national.roster_io import read_roster
from shared.national.rules import rules_for
from tests.national.samples import COURSE_CODE, PDF_SHA, student_id

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

RULES = rules_for(114)
NOW = datetime(2026, 1, 20, 2, 0, tzinfo=UTC)


def _records() -> dict:
    return {
        "semester": {"starts_on": "2025-08-01", "ends_on": "2026-01-31"},
        "students": [
            {
                "student_id": f"S00{n}",
                "national_id": student_id(n),
                "name": f"學生{n}",
                "birth_date": "2009-03-04",
                "gender": "2",
                "class_code": "201",
                "seat_no": n,
                "status": "在學",
            }
            for n in (1, 2)
        ],
        "classes": [{"code": "201", "name": "二年一班", "department_code": "11", "program_code": "101"}],
        "courses": [{"id": "c1", "code": COURSE_CODE, "name": "國語文", "credits": 4, "class_code": "201"}],
        "grades": [
            {"student_id": "S001", "course_code": COURSE_CODE, "course_class": "201", "score": 72, "passed": True, "credits_counted": 4}
        ],
        "attendance": [
            {"student_id": "S001", "absence_type": "病假", "periods": 2},
            {"student_id": "S001", "absence_type": "遲到", "periods": 5},  # school-internal: not reported
            {"student_id": "S002", "absence_type": "事假", "periods": 0},  # nothing to report
        ],
        "cadres": [
            {
                "student_id": "S002",
                "unit": "二年一班",
                "position": "班長",
                "level": "2",
                "start_date": "2025-09-01",
                "end_date": "2026-01-20",
            }
        ],
        "performances": [
            {
                "id": "p1",
                "student_id": "S002",
                "category": "2",
                "summary": "全國科展佳作",
                "fields": {"競賽名稱": "全國科展", "競賽等級": "3", "獎項": "佳作", "結果公布日期": "2025-11-02", "團體參與": "1"},
                "evidence_ids": ["e2"],
                "video_url": None,
            },
        ],
    }


def _outcome(**overrides) -> dict:
    return {
        "id": "o1",
        "student_id": "S001",
        "course_id": "c1",
        "course_name": "國語文",
        "year": 114,
        "term": 1,
        "summary": "閱讀報告",
        "evidence_ids": ["e1"],
        "state": "certified",
    } | overrides


EVIDENCE = {
    "e1": {"id": "e1", "kind": "document", "sha256": PDF_SHA, "filename": "report.pdf", "size": 2000},
    "e2": {"id": "e2", "kind": "document", "sha256": "ab" * 32, "filename": "award.pdf", "size": 3000},
}


def _build(outcomes=None, only=None):
    data = TermInput(114, 1, _records(), outcomes if outcomes is not None else [_outcome()], {"S002": ["p1"]}, EVIDENCE, only)
    builder = RosterBuilder(RULES, data)
    return builder, {r.code: r for r in builder.build()}


def test_each_roster_gets_the_national_columns_codes_and_roc_dates():
    builder, rosters = _build()
    assert set(rosters) == {1, 2, 3, 4, 24, 25, 26}
    [s1, s2] = rosters[1].sheets["學生資料"]
    assert (s1["出生日期"], s1["性別代碼"], s1["年級"], s1["班級名稱"], s1["群別代碼"], s1["科班學程別代碼"]) == (
        "0980304",
        "2",
        "2",
        "二年一班",
        "11",
        "101",
    )
    [grade] = rosters[2].sheets["學期成績"]
    assert (grade["科目名稱"], grade["修課學分"], grade["學期學業成績"], grade["成績及格"], grade["開課年級"]) == (
        "國語文",
        "4",
        "72",
        "1",
        "2",
    )
    [absence] = rosters[3].sheets["缺勤紀錄"]
    assert (absence["缺勤種類代碼"], absence["缺勤起始日期"], absence["缺勤結束日期"], absence["缺勤節數"]) == (
        "03",
        "1140801",
        "1150131",
        "2",
    )
    [cadre] = rosters[24].sheets["幹部經歷紀錄"]
    assert (cadre["開始日期"], cadre["結束日期"], cadre["幹部等級"]) == ("1140901", "1150120", "2")
    [competition] = rosters[25].sheets["競賽參與紀錄"]
    assert (competition["競賽等級代碼"], competition["團體參與代碼"], competition["結果公布日期"], competition["證明文件"]) == (
        "3",
        "1",
        "1141102",
        "ab" * 32,
    )
    [outcome] = rosters[26].sheets["學期課程學習成果"]
    assert (outcome["實際修課學期"], outcome["課程代碼"], outcome["成果檔案"], outcome["成果簡述"]) == (
        "1",
        COURSE_CODE,
        PDF_SHA,
        "閱讀報告",
    )
    assert rosters[25].semester == rosters[26].semester == 0 and rosters[1].semester == 1
    assert {ref.evidence_id for ref in builder.evidence_refs.values()} == {"e1", "e2"}


def test_a_clean_term_is_sent_whole_and_the_workbook_reads_back():
    builder, rosters = _build()
    prepared = prepare(RULES, "123456", list(rosters.values()), list(builder.evidence_refs.values()), {}, NOW)
    assert prepared.report["ok"] and prepared.report["held_back_rows"] == 0
    workbook = next(f for f in prepared.files if f.code == 26)
    assert workbook.filename == "123456_114_0_26_20260120_10_00_00.xlsx" and workbook.students == ["S001"]
    assert read_roster(workbook.data).sheets["學期課程學習成果"][0]["成果檔案"] == PDF_SHA


@pytest.mark.parametrize(
    ("outcomes", "code", "column"),
    [
        ([_outcome(evidence_ids=[])], "required", "成果檔案"),  # no document: the national side needs one
        ([_outcome(state="submitted")], "certification_missing", ""),  # not certified by the teacher
        ([_outcome(summary="長" * 101)], "summary_too_long", "成果簡述"),  # over 100 characters
        ([_outcome(id=f"o{n}") for n in range(4)], "cap_exceeded", ""),  # 4 outcomes in one semester
    ],
)
def test_faulty_rows_are_held_back_and_reported_per_student_in_zh_tw(outcomes, code, column):
    builder, rosters = _build(outcomes)
    students = {"S001": {"name": "學生1", "class_code": "201", "seat_no": 1, "national_id": student_id(1)}}
    prepared = prepare(RULES, "123456", list(rosters.values()), list(builder.evidence_refs.values()), students, NOW)
    assert not prepared.report["ok"]
    [entry] = prepared.report["students"]
    assert entry["student_id"] == "S001" and entry["name"] == "學生1" and "*" in entry["national_id"]
    problem = next(p for p in entry["problems"] if p["code"] == code)
    assert problem["column"] == column and problem["roster"] == 26 and problem["unit"].startswith("學生") and problem["message"]
    workbook = next(f for f in prepared.files if f.code == 26)
    sent = read_roster(workbook.data).sheets["學期課程學習成果"]
    assert len(sent) == len(outcomes) - workbook.held_back


def test_resubmission_of_some_students_leaves_the_others_and_the_course_list_out():
    _, rosters = _build(only=frozenset({"S002"}))
    assert 4 not in rosters and 26 not in rosters  # S002 has no outcome; 科目 goes with whole uploads only
    assert [r["_student"] for r in rosters[1].sheets["學生資料"]] == ["S002"]


def test_records_of_a_student_without_basic_data_are_reported_not_sent():
    builder, rosters = _build([_outcome(student_id="S404")])
    prepared = prepare(RULES, "123456", list(rosters.values()), list(builder.evidence_refs.values()), {}, NOW, builder.unknown_students)
    [entry] = prepared.report["students"]
    assert entry["student_id"] == "S404" and entry["problems"][0]["code"] == "student_unknown"
