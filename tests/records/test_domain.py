"""Records rules without I/O: every validator's good and bad cases, semester defaults, windows, import rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.records import domain, rules
from services.records.division import TYPES
from services.records.errors import WindowClosed
from services.records.schemas import (
    CompetitionIn,
    CourseIn,
    GradeIn,
    PerformanceIn,
    SemesterIn,
    StudentIn,
)
from shared.errors import ValidationFailed
from shared.national.rules import rules_for

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

CODE = "1130000001000000000000A"
STUDENT = {
    "student_id": "S1",
    "national_id": "A123456789",
    "name": "王小明",
    "birth_date": "2009-01-16",
    "gender": "1",
    "class_code": "101",
    "seat_no": 1,
}


def messages(exc: ValidationError) -> str:
    return " ".join(str(e.get("ctx", {}).get("error", e["msg"])) for e in exc.errors())


@pytest.mark.parametrize("value", ["2009-01-16", "2009/1/16", "20090116", "0980116", "98/01/16", "098-1-16", "98.01.16"])
def test_birth_dates_accept_gregorian_and_roc_forms(value):
    assert StudentIn.model_validate({**STUDENT, "birth_date": value}).birth_date == date(2009, 1, 16)


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("0098-01-16", "民國"),  # ROC year written as a 4-digit Gregorian year
        ("1980-01-16", "不合理"),  # too old for a senior high student
        ("2098-01-16", "不合理"),
        ("1130230", "不存在"),  # ROC date that does not exist
        ("16/01/2009", "格式"),
        ("yesterday", "格式"),
    ],
)
def test_birth_dates_refuse_roc_gregorian_mixups_and_nonsense(value, hint):
    with pytest.raises(ValidationError) as exc:
        StudentIn.model_validate({**STUDENT, "birth_date": value})
    assert hint in messages(exc.value)


@pytest.mark.parametrize("bad", ["A123456788", "A12345678", "1234567890", "AZ12345678"])
def test_student_refuses_bad_national_ids(bad):
    with pytest.raises(ValidationError) as exc:
        StudentIn.model_validate({**STUDENT, "national_id": bad})
    assert "身分證號" in messages(exc.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gender", "3"),
        ("class_code", "401"),
        ("seat_no", 0),
        ("status", "失蹤"),
        ("name", ""),
        ("student_id", "S 1"),
        ("name", "王\u200b明"),
    ],
)
def test_student_refuses_bad_fields(field, value):
    with pytest.raises(ValidationError):
        StudentIn.model_validate({**STUDENT, field: value})


def test_student_normalises_gender_and_id():
    student = StudentIn.model_validate({**STUDENT, "gender": "女", "national_id": "a123456789"})
    assert student.gender == "2" and student.national_id == "A123456789"


COURSE = {"year": 113, "term": 1, "code": CODE, "name": "國語文", "credits": 4, "class_code": "101"}


@pytest.mark.parametrize(
    ("code", "hint"), [(CODE[:-1], "23 碼"), (CODE + "1", "23 碼"), (CODE[:-1] + "-", "英文"), (CODE[:-1] + "é", "英文")]
)
def test_course_code_length_and_charset(code, hint):
    with pytest.raises(ValidationError) as exc:
        CourseIn.model_validate({**COURSE, "code": code})
    assert hint in messages(exc.value)


def test_course_code_is_upper_cased_and_split_by_configuration():
    course = CourseIn.model_validate({**COURSE, "code": CODE.lower(), "teacher_ids": "t1、t2"})
    assert course.code == CODE and course.teacher_ids == ["t1", "t2"]
    parts = domain.course_code_parts(CODE)
    assert sum(w for _, w in rules.COURSE_CODE_SPLIT) == 23 and "".join(parts.values()) == CODE


GRADE = {"year": 113, "term": 1, "student_id": "S1", "course_code": CODE, "course_class": "101", "score": "75.5", "credits_counted": 4}


@pytest.mark.parametrize(
    ("field", "value"),
    [("score", "100.5"), ("score", "-1"), ("score", "abc"), ("makeup_score", "101"), ("credits_counted", 21), ("score", "60.123")],
)
def test_grades_out_of_range(field, value):
    with pytest.raises(ValidationError):
        GradeIn.model_validate({**GRADE, field: value})


def test_grade_pass_flags_default_from_scores():
    assert GradeIn.model_validate({**GRADE, "score": "59.99"}).passed is False
    grade = GradeIn.model_validate({**GRADE, "score": "40", "makeup_score": "60", "passed": "否"})
    assert grade.passed is False and grade.makeup_passed is True


PERFORMANCE = {
    "year": 113,
    "term": 1,
    "category": "2",
    "fields": {"競賽名稱": "全國科展", "競賽等級": "3", "獎項": "佳作", "結果公布日期": "1130915", "團體參與": "1"},
    "summary": "我",
}


def test_summary_counts_characters_not_bytes():
    assert PerformanceIn.model_validate({**PERFORMANCE, "summary": "字" * 100}).summary == "字" * 100  # 300 bytes in UTF-8
    with pytest.raises(ValidationError) as exc:
        PerformanceIn.model_validate({**PERFORMANCE, "summary": "字" * 101})
    assert "101" in messages(exc.value)


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        ({"category": "11"}, "類別代碼"),
        ({"category": "0"}, "類別代碼"),
        ({"fields": {**PERFORMANCE["fields"], "競賽等級": "9"}}, "競賽等級"),
        ({"fields": {**PERFORMANCE["fields"], "顏色": "紅"}}, "沒有欄位"),
        ({"fields": {k: v for k, v in PERFORMANCE["fields"].items() if k != "獎項"}}, "獎項"),
        ({"fields": {**PERFORMANCE["fields"], "結果公布日期": "0113-09-15"}}, "民國"),
        ({"video_url": "javascript:alert(1)"}, "網址"),
        ({"summary": ""}, ""),
    ],
)
def test_performance_refuses_unknown_codes_and_fields(change, hint):
    with pytest.raises(ValidationError) as exc:
        PerformanceIn.model_validate({**PERFORMANCE, **change})
    assert hint in messages(exc.value)


def test_performance_fields_are_normalised_per_category():
    item = PerformanceIn.model_validate(PERFORMANCE)
    assert item.fields["結果公布日期"] == "2024-09-15"
    service = PerformanceIn.model_validate(
        {**PERFORMANCE, "category": "4", "fields": {"服務名稱": "淨灘", "服務單位": "環保局", "開始日期": "2024-09-01", "時數": "3.5"}}
    )
    assert service.fields["時數"] == 3.5


def test_ten_categories_are_the_national_performance_sheets():
    national = [sheet.name for sheet in rules_for(114).roster(25).sheets]  # 學生自填多元表現, shared/national data
    assert [c.sheet for c in rules.CATEGORIES.values()] == national and len(national) == 10


def test_competition_needs_known_level_and_team_codes():
    base = {"year": 113, "term": 1, "name": "英語演講", "published_on": "2024-10-01", "summary": "校內英語演講比賽"}
    assert CompetitionIn.model_validate(base).level == "1"
    with pytest.raises(ValidationError):
        CompetitionIn.model_validate({**base, "results": [{"student_id": "S1", "award": "第一名", "team": "3"}]})


SEMESTER = {"year": 113, "term": 1, "starts_on": "2024-08-01", "ends_on": "2025-01-31", "closing_ceremony": "2025-01-20"}


def test_semester_defaults_follow_the_seed():
    doc = domain.semester_document(SemesterIn.model_validate({**SEMESTER, "national_deadlines": {"1": "2025-03-15", "26": "2025-03-01"}}))
    assert doc["internal_deadline"] == "2025-02-15"  # two weeks before the earliest national deadline
    assert doc["student_upload_deadline"] == "2025-02-03"  # 休業式 + 14 days
    assert doc["teacher_certification_deadline"] == "2025-02-10"  # 休業式 + 21 days


@pytest.mark.parametrize(
    "change",
    [{"ends_on": "2024-07-01"}, {"closing_ceremony": "2025-03-01"}, {"starts_on": "0113-08-01"}, {"year": 99}, {"term": 3}],
)
def test_semester_refuses_bad_dates(change):
    with pytest.raises(ValidationError):
        SemesterIn.model_validate({**SEMESTER, **change})


def test_semester_refuses_unknown_window_types():
    window = {"opens_at": "2024-08-01T00:00:00+08:00", "closes_at": "2024-09-01T00:00:00+08:00"}
    with pytest.raises(ValidationFailed):
        domain.semester_document(SemesterIn.model_validate({**SEMESTER, "windows": {"lunch": window}}))


def test_window_defaults_and_error_names_the_window_and_its_close():
    doc = {**domain.semester_document(SemesterIn.model_validate({**SEMESTER, "internal_deadline": "2025-02-15"}))}
    opens, closes = domain.window_of(doc, "grades")
    assert opens == datetime(2024, 7, 31, 16, 0, tzinfo=UTC) and closes == datetime(2025, 2, 15, 15, 59, 59, tzinfo=UTC)
    after = closes + timedelta(seconds=1)
    assert not domain.is_open(opens, closes, after)
    error = domain.window_error(doc, TYPES["grades"], after)
    assert isinstance(error, WindowClosed) and "修課成績" in error.detail and "2025-02-15 23:59" in error.detail
    assert "尚未開放" in domain.window_error(doc, TYPES["grades"], opens - timedelta(days=1)).detail


def test_reopening_counts_only_for_its_student_until_its_end():
    now = datetime(2025, 3, 1, tzinfo=UTC)
    reopenings = [{"student_id": "S1", "until": now + timedelta(days=1)}, {"student_id": "S2", "until": now - timedelta(days=1)}]
    assert (
        domain.reopened(reopenings, "S1", now) and not domain.reopened(reopenings, "S2", now) and not domain.reopened(reopenings, "S3", now)
    )


def test_current_semester_is_the_one_containing_today():
    docs = [{"starts_on": "2024-08-01", "ends_on": "2025-01-31", "n": 1}, {"starts_on": "2025-02-01", "ends_on": "2025-07-31", "n": 2}]
    assert domain.current_semester(docs, date(2025, 3, 1))["n"] == 2
    assert domain.current_semester(docs, date(2025, 9, 1))["n"] == 2
    assert domain.current_semester(docs, date(2024, 1, 1))["n"] == 1


def test_import_headers_zh_or_english_and_refusals():
    type_ = TYPES["attendance"]
    good, errors = domain.validate_rows(
        type_,
        [
            {"學年度": "113", "學期": "1", "學號": "S1", "假別": "病假", "節數": "3"},
            {"學年度": "113", "學期": "1", "學號": "S1", "假別": "病假", "節數": "4"},  # duplicate natural key
            {"學年度": "113", "學期": "1", "學號": "S2", "假別": "翹課", "節數": "-1"},
        ],
    )
    assert len(good) == 1
    assert [(e["row"], e["code"]) for e in errors] == [(3, "duplicate"), (4, "value_error"), (4, "greater_than_equal")]
    assert errors[1]["field"] == "假別" and "假別" in errors[1]["message"]
    with pytest.raises(ValidationFailed) as exc:
        domain.validate_rows(type_, [{"year": "113", "term": "1", "學號": "S1", "假別": "病假", "顏色": "紅"}])
    codes = {e["code"] for e in exc.value.errors}
    assert codes == {"unknown_column", "missing_column"}


def test_senior_batches_have_their_own_deadlines_and_leave_the_terms_alone():
    from services.records.schemas import SemesterIn

    request = SemesterIn.model_validate(
        {
            "year": 114,
            "term": 2,
            "starts_on": "2026-02-01",
            "ends_on": "2026-07-31",
            "closing_ceremony": "2026-07-15",
            "national_deadlines": {"1": "2026-08-31", "34": "2026-03-20", "36": "2026-03-25", "74": "2026-05-10"},
        }
    )
    doc = domain.semester_document(request)
    assert doc["internal_deadline"] == "2026-08-17"  # the term's: two weeks before roster 1, not the 梯次
    assert doc["batch_deadlines"] == {
        "1": {"label": "高三第一梯次", "national": "2026-03-20", "internal": "2026-03-06"},
        "2": {"label": "高三第二梯次", "national": "2026-05-10", "internal": "2026-04-26"},
    }
