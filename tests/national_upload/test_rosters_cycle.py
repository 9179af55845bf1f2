"""The whole national cycle's sheets without any server: 補修, 重修, 重讀, 轉學轉科, 借讀 and 進修部.

Each new sheet's exact headers (as written to the workbook), its codes and 7-digit ROC dates, the
部別 deciding 2/26 or 7/28, and a held-back row for each kind of refusal the national side makes.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from services.national_upload.preparation import prepare
from services.national_upload.rosters import RosterBuilder, TermInput
from shared.national.roster_io import read_roster
from shared.national.rules import rules_for
from shared.national.validator import validate_rows
from tests.national.samples import COURSE_CODE, PDF_SHA, student_id

pytestmark = pytest.mark.unit

RULES = rules_for(114)
NOW = datetime(2026, 1, 20, 2, 0, tzinfo=UTC)
OTHER_CODE = "1131234561110110D110202"
FORMER_CODE = "1130133011110110D110303"  # a course of the former school 013301
SCHOOL = "123456"


def _student(n: int, division: str = "1", klass: str = "201") -> dict:
    return {
        "student_id": f"S00{n}",
        "national_id": student_id(n),
        "name": f"學生{n}",
        "birth_date": "2009-03-04",
        "gender": "1",
        "class_code": klass,
        "seat_no": n,
        "status": "在學",
        "division": division,
    }


def _records() -> dict:
    sem = {"year": 114, "term": 1}
    return {
        "semester": {"starts_on": "2025-08-01", "ends_on": "2026-01-31"},
        # S001 day, S002 transfer (day), S003 進修部, S004 on 借讀, S005 repeats a year
        "students": [_student(1), _student(2), _student(3, "5", "211"), _student(4), _student(5, klass="101")],
        "classes": [
            {"code": "201", "name": "二年一班", "department_code": "11", "program_code": "101"},
            {"code": "211", "name": "進修部二年甲班", "department_code": "11", "program_code": "101"},
            {"code": "101", "name": "一年一班", "department_code": "11", "program_code": "101"},
        ],
        "courses": [
            {"id": "c1", "code": COURSE_CODE, "name": "國語文", "credits": 4, "class_code": "201"},
            {"id": "c3", "code": OTHER_CODE, "name": "數學", "credits": 3, "class_code": "211"},
        ],
        "grades": [
            {"student_id": "S001", "course_code": COURSE_CODE, "course_class": "201", "score": 72, "passed": True, "credits_counted": 4},
            {
                "student_id": "S003",
                "course_code": OTHER_CODE,
                "course_class": "211",
                "score": 50,
                "passed": False,
                "makeup_score": 66,
                "makeup_passed": True,
                "credits_counted": 3,
            },
        ],
        "makeup_grades": [
            {
                **sem,
                "student_id": "S001",
                "due_year": 113,
                "due_term": 2,
                "course_code": OTHER_CODE,
                "course_name": "數學",
                "grade_level": 1,
                "credits": 3.0,
                "score": 55.0,
                "passed": False,
                "makeup_score": 61.0,
                "makeup_passed": True,
                "method": "1",
                "credits_counted": True,
                "description": "",
            }
        ],
        "retake_grades": [
            {
                **sem,
                "student_id": "S001",
                "original_year": 113,
                "original_term": 1,
                "original_course_code": COURSE_CODE,
                "original_course_name": "國語文",
                "original_grade_level": 1,
                "original_credits": 4.0,
                "method": "2",
                "score": 64.5,
                "passed": True,
                "description": "",
            }
        ],
        "repeat_grades": [
            {
                **sem,
                "student_id": "S005",
                "course_code": COURSE_CODE,
                "course_name": "國語文",
                "grade_level": 1,
                "credits": 4.0,
                "score": 45.0,
                "passed": False,
                "makeup_score": 70.0,
                "makeup_passed": True,
                "repeat_note": "1",
                "credits_counted": True,
                "description": "",
            }
        ],
        "transfer_grades": [
            {
                **sem,
                "student_id": sid,
                "former_school_code": "013301",
                "former_course_code": FORMER_CODE,
                "mapped_year": 113,
                "mapped_term": 2,
                "course_code": COURSE_CODE,
                "course_name": "國語文",
                "grade_level": 1,
                "credits": 4.0,
                "periods": periods,
                "identity": "1",
                "score": 80.0,
                "passed": True,
                "credits_counted": True,
                "description": "",
            }
            for sid, periods in (("S002", None), ("S003", 72))
        ],
        "guest_study": [
            {
                **sem,
                "student_id": "S004",
                "host_school_code": "013302",
                "group_code": "11",
                "program_code": "101",
                "guest_code": "1",
                "start_date": "2025-09-01",
                "end_date": "2026-01-20",
            }
        ],
        "attendance": [],
        "cadres": [],
        "performances": [],
    }


def _outcome(**overrides) -> dict:
    return {
        "id": "o1",
        "student_id": "S003",
        "course_id": "c3",
        "course_name": "數學",
        "year": 114,
        "term": 1,
        "summary": "函數報告",
        "evidence_ids": ["e1"],
        "state": "certified",
    } | overrides


EVIDENCE = {"e1": {"id": "e1", "kind": "document", "sha256": PDF_SHA, "filename": "report.pdf", "size": 2000}}


def _build(records: dict | None = None, outcomes: list | None = None):
    data = TermInput(114, 1, records or _records(), outcomes if outcomes is not None else [_outcome()], {}, EVIDENCE, school_code=SCHOOL)
    builder = RosterBuilder(RULES, data)
    return builder, {r.code: r for r in builder.build()}


def _headers(data: bytes) -> dict[str, list[str]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return {ws.title: [c.value for c in next(ws.iter_rows(max_row=1))] for ws in book.worksheets}
    finally:
        book.close()


EXPECTED_HEADERS = {
    (1, "學生借讀資料"): [
        "身分證號", "出生日期", "所屬學校代碼", "借讀學校代碼", "群別", "借讀科班學程別", "借讀代碼", "申請開始日期", "申請結束日期",
    ],
    (2, "補修成績"): [
        "身分證號", "出生日期", "應修課學年度", "應修課學期", "課程代碼", "科目名稱", "開課年級", "修課學分", "補修成績", "補修及格",
        "補考成績", "補考及格", "補修方式", "是否採計學分", "質性文字描述",
    ],
    (2, "轉學轉科成績"): [
        "身分證號", "出生日期", "對應學年度", "對應學期", "課程代碼", "科目名稱", "對應年級", "修課學分", "身分別", "抵免後成績",
        "成績及格", "是否採計學分", "質性文字描述",
    ],
    (6, "重修成績"): [
        "身分證號", "出生日期", "原修課學年度", "原修課學期", "原修課課程代碼", "原修課科目名稱", "原修課開課年級", "原修課修課學分",
        "重修方式", "重修成績", "重修及格", "質性文字描述",
    ],
    (6, "重讀成績"): [
        "身分證號", "出生日期", "課程代碼", "科目名稱", "開課年級", "修課學分", "重讀成績", "成績及格", "補考成績", "補考及格",
        "重讀註記", "是否採計學分", "質性文字描述",
    ],
    (7, "學期成績"): [
        "身分證號", "出生日期", "課程代碼", "科目名稱", "開課年級", "修課節數", "學期學業成績", "成績及格", "學年學業成績", "學年及格",
        "是否採計學時", "質性文字描述",
    ],
    (7, "補考成績"): [
        "身分證號", "出生日期", "課程代碼", "科目名稱", "開課年級", "第一學期開設修課節數", "第二學期開設修課節數", "第一次補考成績",
        "第一次及格", "第二次補考成績", "第二次及格",
    ],
    (7, "轉學轉科成績"): [
        "身分證號", "出生日期", "對應學年度", "對應學期", "課程代碼", "科目名稱", "對應年級", "修課節數", "身分別", "抵免後成績",
        "成績及格", "是否採計學時", "質性文字描述",
    ],
    (28, "學期課程學習成果"): [
        "身分證號", "出生日期", "實際修課學期", "課程代碼", "科目名稱", "開課年級", "修課節數", "成果簡述", "成果檔案", "影音檔案",
    ],
}  # fmt: skip


def test_every_new_sheet_is_written_with_its_exact_national_headers():
    builder, rosters = _build()
    prepared = prepare(RULES, SCHOOL, list(rosters.values()), list(builder.evidence_refs.values()), {}, NOW)
    assert prepared.report["ok"], prepared.report
    files = {f.code: f for f in prepared.files}
    assert set(files) == {1, 2, 4, 6, 7, 26, 28} - {26}  # the only outcome is a 進修部 student's
    for (code, sheet), headers in EXPECTED_HEADERS.items():
        assert _headers(files[code].data)[sheet] == headers, (code, sheet)
    assert files[28].filename == "123456_114_0_28_20260120_10_00_00.xlsx"


def test_division_decides_between_the_day_and_the_continuing_rosters():
    _, rosters = _build()
    divisions = {r["_student"]: r["部別代碼"] for r in rosters[1].sheets["學生資料"]}
    assert divisions == {"S001": "1", "S002": "1", "S003": "5", "S004": "1", "S005": "1"}
    assert [r["_student"] for r in rosters[2].sheets["學期成績"]] == ["S001"]
    assert [r["_student"] for r in rosters[2].sheets["轉學轉科成績"]] == ["S002"]
    assert [r["_student"] for r in rosters[7].sheets["學期成績"]] == ["S003"]
    assert [r["_student"] for r in rosters[7].sheets["轉學轉科成績"]] == ["S003"]
    assert [r["_student"] for r in rosters[28].sheets["學期課程學習成果"]] == ["S003"]
    assert 26 not in rosters


def test_codes_numbers_and_roc_dates_of_each_sheet():
    _, rosters = _build()
    [guest] = rosters[1].sheets["學生借讀資料"]
    assert (guest["所屬學校代碼"], guest["借讀學校代碼"], guest["申請開始日期"], guest["申請結束日期"], guest["出生日期"]) == (
        SCHOOL,
        "013302",
        "1140901",
        "1150120",
        "0980304",
    )
    [makeup] = rosters[2].sheets["補修成績"]
    assert (makeup["應修課學年度"], makeup["應修課學期"], makeup["修課學分"], makeup["補修成績"], makeup["補修及格"]) == (
        "113",
        "2",
        "3",
        "55",
        "0",
    )
    assert (makeup["補考成績"], makeup["補考及格"], makeup["補修方式"], makeup["是否採計學分"]) == ("61", "1", "1", "1")
    [transfer] = rosters[2].sheets["轉學轉科成績"]
    assert (transfer["對應學年度"], transfer["對應學期"], transfer["對應年級"], transfer["抵免後成績"], transfer["修課學分"]) == (
        "113",
        "2",
        "1",
        "80",
        "4",
    )
    [retake] = rosters[6].sheets["重修成績"]
    assert (retake["原修課學年度"], retake["原修課學期"], retake["原修課課程代碼"], retake["重修成績"], retake["重修及格"]) == (
        "113",
        "1",
        COURSE_CODE,
        "64.5",
        "1",
    )
    [repeat] = rosters[6].sheets["重讀成績"]
    assert (repeat["重讀成績"], repeat["成績及格"], repeat["補考成績"], repeat["補考及格"], repeat["重讀註記"]) == (
        "45",
        "0",
        "70",
        "1",
        "1",
    )
    [evening] = rosters[7].sheets["學期成績"]
    assert (evening["修課節數"], evening["學期學業成績"], evening["成績及格"], evening["是否採計學時"]) == ("3", "50", "0", "1")
    [makeup7] = rosters[7].sheets["補考成績"]
    assert (makeup7["第一學期開設修課節數"], makeup7["第二學期開設修課節數"], makeup7["第一次補考成績"], makeup7["第一次及格"]) == (
        "3",
        "",
        "66",
        "1",
    )
    [transfer7] = rosters[7].sheets["轉學轉科成績"]
    assert (transfer7["修課節數"], transfer7["是否採計學時"]) == ("72", "1")
    [outcome28] = rosters[28].sheets["學期課程學習成果"]
    assert (outcome28["修課節數"], outcome28["實際修課學期"], outcome28["成果檔案"]) == ("3", "1", PDF_SHA)


def _broken(key: str, **changes) -> dict:
    records = _records()
    records[key][0].update(changes)
    return records


# (records, roster, sheet, finding code, column): one row the national side would refuse, held back
REFUSALS = [
    (_broken("guest_study", host_school_code="12"), 1, "學生借讀資料", "school_code", "借讀學校代碼"),
    (_broken("guest_study", start_date="2026-02-01"), 1, "學生借讀資料", "date_order", "申請結束日期"),
    (_broken("makeup_grades", course_code="SHORT"), 2, "補修成績", "course_code", "課程代碼"),
    (_broken("makeup_grades", due_term=3), 2, "補修成績", "code", "應修課學期"),
    (_broken("transfer_grades", score=101), 2, "轉學轉科成績", "number", "抵免後成績"),
    (_broken("transfer_grades", grade_level=5), 2, "轉學轉科成績", "integer", "對應年級"),
    (_broken("retake_grades", original_year=2024), 6, "重修成績", "roc_year", "原修課學年度"),
    (_broken("retake_grades", original_course_code=""), 6, "重修成績", "required", "原修課課程代碼"),
    (_broken("repeat_grades", student_id="S001", course_code="X" * 22), 6, "重讀成績", "course_code", "課程代碼"),
    (_broken("students", national_id="a123456789"), 1, "學生資料", "student_id", "身分證號"),
]


@pytest.mark.parametrize(("records", "code", "sheet", "finding", "column"), REFUSALS, ids=lambda v: v if isinstance(v, str) else None)
def test_a_row_the_national_side_refuses_is_held_back_and_reported(records, code, sheet, finding, column):
    builder, rosters = _build(records)
    students = {s["student_id"]: s for s in records["students"]}
    prepared = prepare(RULES, SCHOOL, list(rosters.values()), list(builder.evidence_refs.values()), students, NOW)
    problems = [p for e in prepared.report["students"] for p in e["problems"]]
    match = [p for p in problems if p["roster"] == code and p["sheet"] == sheet and p["code"] == finding]
    assert match and match[0]["column"] == column and match[0]["message"] and match[0]["unit"], problems
    workbook = next(f for f in prepared.files if f.code == code)
    assert workbook.held_back >= 1
    sent = read_roster(workbook.data).sheets.get(sheet, [])
    assert len(sent) == len(rosters[code].sheets[sheet]) - workbook.held_back
    # what we hold back, the simulator's check (the same validator and rules data) refuses
    assert any(f.code == finding for f in validate_rows(code, {sheet: rosters[code].sheets[sheet]}, rules=RULES).findings)


def test_an_uncertified_continuing_outcome_is_held_back_from_28():
    builder, rosters = _build(outcomes=[_outcome(state="submitted")])
    prepared = prepare(RULES, SCHOOL, list(rosters.values()), list(builder.evidence_refs.values()), {}, NOW)
    [entry] = prepared.report["students"]
    assert entry["problems"][0]["code"] == "certification_missing" and entry["problems"][0]["roster"] == 28


HOST_CODE = "1130133021110110D110404"  # a course of the host school 013302 (its 學校代碼 part)


def test_outcomes_of_special_courses_go_to_their_own_sheets():
    records = _records()
    records["courses"] += [
        {"id": "c5", "code": FORMER_CODE, "name": "國文", "credits": 4, "class_code": "201"},
        {"id": "c6", "code": HOST_CODE, "name": "程式設計", "credits": 2, "class_code": "201"},
    ]
    outcomes = [
        _outcome(id="o-makeup", student_id="S001", course_id="c3"),  # S001's 補修 of OTHER_CODE
        _outcome(id="o-retake", student_id="S001", course_id="c1"),  # S001 retakes COURSE_CODE
        _outcome(id="o-repeat", student_id="S005", course_id="c1"),  # S005 repeats COURSE_CODE
        _outcome(id="o-transfer", student_id="S002", course_id="c5"),  # S002 brings FORMER_CODE
        _outcome(id="o-guest", student_id="S004", course_id="c6"),  # S004 at the host school
        _outcome(id="o-evening", student_id="S003", course_id="c5"),  # 進修部 transfer: roster 28
    ]
    builder, rosters = _build(records, outcomes)
    sheets = rosters[26].sheets
    assert {name: [r["_outcome"] for r in rows] for name, rows in sheets.items()} == {
        "補修課程學習成果": ["o-makeup"],
        "重修課程學習成果": ["o-retake"],
        "重讀課程學習成果": ["o-repeat"],
        "轉學轉科課程學習成果": ["o-transfer"],
        "借讀課程學習成果": ["o-guest"],
    }
    [makeup] = sheets["補修課程學習成果"]
    assert (makeup["應修課學年度"], makeup["應修課學期"], makeup["實際修課學期"], makeup["補修方式"], makeup["課程代碼"]) == (
        "113",
        "2",
        "1",
        "1",
        OTHER_CODE,
    )
    [retake] = sheets["重修課程學習成果"]
    assert (retake["原修課學年度"], retake["原修課學期"], retake["原修課課程代碼"], retake["原修課修課學分"], retake["重修方式"]) == (
        "113",
        "1",
        COURSE_CODE,
        "4",
        "2",
    )
    [transfer] = sheets["轉學轉科課程學習成果"]
    assert (transfer["原修課學校代碼"], transfer["原修課課程代碼"], transfer["原修課學年度"], transfer["原修課學期"]) == (
        "013301",
        FORMER_CODE,
        "113",
        "2",
    )
    [guest] = sheets["借讀課程學習成果"]
    assert (guest["借讀學校代碼"], guest["借讀修課學年度"], guest["借讀修課學期"], guest["借讀校課程代碼"], guest["借讀校修課學分"]) == (
        "013302",
        "114",
        "1",
        HOST_CODE,
        "2",
    )
    [evening] = rosters[28].sheets["轉學轉科課程學習成果"]
    assert evening["_outcome"] == "o-evening" and evening["原修課修課節數"] == "4" and "原修課修課學分" not in evening
    assert 27 not in rosters  # 114: 重修/重讀 outcomes are in 26 (the rules data retires 27 after 107)
    prepared = prepare(RULES, SCHOOL, list(rosters.values()), list(builder.evidence_refs.values()), {}, NOW)
    assert prepared.report["ok"], prepared.report
    headers = _headers(next(f for f in prepared.files if f.code == 26).data)
    for name in sheets:
        assert headers[name] == RULES.roster(26).sheet(name).column_names, name
    assert headers["轉學轉科課程學習成果"][2:5] == ["原修課學校代碼", "原修課學年度", "原修課學期"]


def test_the_cap_counts_special_outcomes_by_their_own_semester_column():
    outcomes = [_outcome(id=f"o{n}", student_id="S001", course_id="c1") for n in range(4)]  # 4 retake outcomes
    builder, rosters = _build(None, outcomes)
    prepared = prepare(RULES, SCHOOL, list(rosters.values()), list(builder.evidence_refs.values()), {}, NOW)
    [entry] = prepared.report["students"]
    assert [p["code"] for p in entry["problems"]] == ["cap_exceeded"] and entry["problems"][0]["sheet"] == "重修課程學習成果"


def test_a_year_whose_rules_keep_roster_27_sends_retake_outcomes_there():
    from shared.national.rules import rules_with

    old = rules_with(114, {"rosters": {"27": {"in_use_until_year": 114}}})
    data = TermInput(114, 1, _records(), [_outcome(student_id="S001", course_id="c1")], {}, EVIDENCE, school_code=SCHOOL)
    rosters = {r.code: r for r in RosterBuilder(old, data).build()}
    assert list(rosters[27].sheets) == ["重修課程學習成果"] and 26 not in rosters


@pytest.mark.parametrize(("batch", "codes"), [(1, {34: 1, 36: 0, 38: 0}), (2, {74: 1, 76: 0, 78: 0})])
def test_a_senior_batch_carries_grade_3_students_only_under_its_own_codes(batch, codes):
    records = _records()
    records["students"] += [_student(6, klass="301"), _student(7, "5", "311")]
    records["classes"] += [{"code": "301", "name": "三年一班"}, {"code": "311", "name": "進修部三年甲班"}]
    records["courses"] += [
        {"id": "c7", "code": COURSE_CODE, "name": "國語文", "credits": 4, "class_code": "301"},
        {"id": "c8", "code": OTHER_CODE, "name": "數學", "credits": 3, "class_code": "311"},
    ]
    records["cadres"] = [
        {"student_id": sid, "unit": "班聯會", "position": "會長", "level": "1", "start_date": "2025-09-01", "end_date": "2026-01-10"}
        for sid in ("S001", "S006")
    ]
    outcomes = [
        _outcome(id="o-senior", student_id="S006", course_id="c7"),
        _outcome(id="o-senior-evening", student_id="S007", course_id="c8"),
        _outcome(id="o-junior", student_id="S001", course_id="c1"),
    ]
    data = TermInput(114, 1, records, outcomes, {}, EVIDENCE, school_code=SCHOOL, batch=batch)
    builder = RosterBuilder(RULES, data)
    rosters = {r.code: r for r in builder.build()}
    assert {code: r.semester for code, r in rosters.items()} == codes
    first, outcome, evening = sorted(codes)
    assert [r["_student"] for _, r in rosters[first].rows()] == ["S006"]
    assert [r["_outcome"] for _, r in rosters[outcome].rows()] == ["o-senior"]
    assert [r["_outcome"] for r in rosters[evening].sheets["學期課程學習成果"]] == ["o-senior-evening"]
    assert not builder.unknown_students  # the other grades are simply not in a 梯次
    prepared = prepare(RULES, SCHOOL, list(rosters.values()), list(builder.evidence_refs.values()), {}, NOW)
    assert prepared.report["ok"], prepared.report
    names = {f.code: f.filename for f in prepared.files}
    assert names[outcome] == f"123456_114_0_{outcome}_20260120_10_00_00.xlsx"
    assert read_roster(next(f for f in prepared.files if f.code == first).data).roster_code == first
