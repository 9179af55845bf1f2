"""Lists ordered on the server by a column the user picks (`sort=name`, `sort=-seat_no`): the whole
list is in that order across pages; a column that is not stored (a name shown beside an id) or not
the type's is a 422 naming `sort`."""

from __future__ import annotations

import pytest

from shared.national_id import with_check_digit
from tests.records.conftest import RecordsSchool, fresh_school
from tests.support.api import assert_problem
from tests.support.system import wait_until

HEADER = "學號,身分證號,姓名,出生日期,性別,班級,座號,學籍狀態"
NAMES = "王陳林張李黃吳劉蔡楊許鄭謝洪郭邱曾廖賴徐"


def sixty_students(registrar, class_code: str = "103") -> None:
    """60 students in one class (more than a page of 50), imported as a school would."""
    lines = [HEADER]
    for i in range(60):
        name = NAMES[i % 20] + "同學" + "一二三"[i // 20]
        lines.append(f"T{i:03d},{with_check_digit(f'E1{40_000 + i:07d}')},{name},0970501,1,{class_code},{i + 1},在學")
    data = ("\n".join(lines) + "\n").encode()
    started = registrar.post("/api/v1/records/students/import", files={"file": ("s.csv", data, "text/csv")})
    assert started.status_code in (200, 201, 202), started.text
    url = started.json().get("url")
    if url:
        wait_until(lambda: registrar.get(url).json()["status"] in ("done", "failed", "rejected"), 120, "the import")
        assert registrar.get(url).json()["status"] == "done"


@pytest.fixture(scope="module")
def school(system, district) -> RecordsSchool:
    school = fresh_school(system, district, "K00043", "排序高中", "ks")
    sixty_students(school.registrar)
    return school


def _all_pages(client, **params) -> list[dict]:
    rows, page = [], 1
    while True:
        answer = client.get("/api/v1/records/students", params={"class_code": "103", "per_page": 25, "page": page, **params})
        assert answer.status_code == 200, answer.text
        rows += answer.json()["items"]
        if page * 25 >= answer.json()["total"]:
            return rows
        page += 1


def test_a_list_is_in_the_chosen_order_across_its_pages(school):
    by_seat_desc = _all_pages(school.registrar, sort="-seat_no")
    assert [r["seat_no"] for r in by_seat_desc] == list(range(60, 0, -1))
    by_name = _all_pages(school.registrar, sort="name")
    assert [r["name"] for r in by_name] == sorted(r["name"] for r in by_name)
    assert len({r["student_id"] for r in by_name}) == 60  # every row once


def test_a_column_that_is_not_stored_or_not_the_types_cannot_order_a_list(school):
    for wrong in ("student_name", "score", "-", "national_id"):
        body = assert_problem(school.registrar.get("/api/v1/records/students", params={"sort": wrong}), 422, "validation_failed")
        assert body["errors"][0]["field"] == "sort"
