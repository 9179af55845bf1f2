"""Pages that list a school's rows: the accounts page searches on the server, the certification queue
loads in one call (its files described in it), at 1366 and 360 px (var/screenshots/lists-*)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from shared.roles import Role
from tests.records.conftest import PASSWORD, rec_a, rec_b  # noqa: F401  (school A with a semester, courses, students)
from tests.web.conftest import log_in
from tests.web.test_unit_pages import _submitted_outcome

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shots(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 900), (360, 780)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"lists-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_the_registrar_finds_a_teachers_account_by_part_of_the_name(page, rec_a, school_a):  # noqa: F811
    log_in(page, rec_a.code, "registrar", school_a.registrar_password)
    page.goto("/registrar/accounts")
    listing = page.locator("#accounts")
    expect(listing).to_contain_text("共")
    search = page.get_by_role("search", name="帳號篩選")
    search.get_by_label("姓名或帳號").fill("teach")
    with page.expect_response(lambda r: "/api/v1/accounts?" in r.url and "q=teach" in r.url) as answered:
        search.get_by_role("button", name="查詢").click()
    assert answered.value.status == 200
    found = answered.value.json()
    assert found["total"] == len(found["items"]) >= 1
    assert all("teach" in a["username"].lower() or "teach" in a["display_name"].lower() for a in found["items"])
    expect(listing).to_contain_text("a-teacher")
    expect(listing).not_to_contain_text("a-stu-s001")
    shots(page, "accounts-search")


def test_the_certification_queue_loads_in_one_call_with_each_file_described(page, rec_a):  # noqa: F811
    first = _submitted_outcome(rec_a, "S001", "一次載入的報告一")
    second = _submitted_outcome(rec_a, "S002", "一次載入的報告二")
    log_in(page, rec_a.code, "a-teacher", PASSWORD)
    calls: list[str] = []  # answered calls: a read the page tried again after a 503 counts once
    page.on("response", lambda r: calls.append(r.url) if "/api/v1/" in r.url and r.status < 500 else None)
    page.goto("/teacher/certification")
    for outcome_id in (first, second):
        card = page.locator(f"[data-outcome='{outcome_id}']")
        expect(card.get_by_role("button", name="預覽")).to_contain_text("KB")
    queue_calls = [u for u in calls if "/api/v1/teacher/queue" in u]
    per_file = [u for u in calls if "/api/v1/evidence/" in u]
    assert len(queue_calls) == 1 and per_file == [], calls
    shots(page, "certification-queue")


def test_an_office_sees_how_many_students_it_has_recorded_and_which_classes_are_behind(page, rec_a):  # noqa: F811
    discipline = rec_a.clients[Role.DISCIPLINE]
    body = {"year": rec_a.year, "term": rec_a.term, "student_id": "S003", "absence_type": "公假", "periods": 1}
    assert discipline.post("/api/v1/records/attendance", json=body).status_code in (200, 201)
    counted = discipline.get("/api/v1/records/attendance/coverage", params={"year": rec_a.year, "term": rec_a.term}).json()
    log_in(page, rec_a.code, "a-discipline", PASSWORD)
    page.goto("/records/attendance")
    box = page.locator("#record-coverage")
    semester = f"{rec_a.year} 學年度第 {rec_a.term} 學期"
    expect(box).to_contain_text(f"{semester}出缺勤：已登錄 {counted['recorded']:,} / {counted['students']:,} 位在學學生")
    box.get_by_text("各班進度").click()
    expect(box.get_by_role("table")).to_contain_text("102")
    behind = [c for c in counted["classes"] if c["recorded"] < c["students"]]
    if behind:
        expect(box.locator("tbody tr").first).to_contain_text(f"尚缺 {behind[0]['students'] - behind[0]['recorded']:,} 位")
    shots(page, "attendance-coverage")


@pytest.fixture(scope="module")
def sorted_school(system, district):
    from tests.records.conftest import fresh_school
    from tests.records.test_list_sort import sixty_students

    school = fresh_school(system, district, "K00044", "排序網頁高中", "kw")
    sixty_students(school.registrar)
    return school


def test_a_paged_list_is_sorted_by_the_server_when_a_column_header_is_clicked(page, sorted_school):
    log_in(page, sorted_school.code, "registrar", sorted_school.registrar_password)
    page.goto("/records/students?class_code=103")
    box = page.locator("#record-list")
    expect(box).to_contain_text("共 60 筆")
    expect(box.get_by_role("navigation", name="分頁")).to_contain_text("第 1 / 2 頁")
    seat = box.get_by_role("button", name="座號")
    with page.expect_response(lambda r: "sort=seat_no" in r.url):
        seat.click()
    expect(box.locator("th[data-key=seat_no]")).to_have_attribute("aria-sort", "ascending")
    expect(box.locator("tbody tr").first.locator("td[data-label=座號]")).to_have_text("1")
    with page.expect_response(lambda r: "sort=-seat_no" in r.url):
        box.get_by_role("button", name="座號").click()
    expect(box.locator("th[data-key=seat_no]")).to_have_attribute("aria-sort", "descending")
    expect(box.locator("tbody tr").first.locator("td[data-label=座號]")).to_have_text("60")
    # the next page goes on in that order (the whole list is sorted, not the page)
    box.get_by_role("button", name="下一頁").click()
    expect(box.locator("tbody tr").first.locator("td[data-label=座號]")).to_have_text("10")
    # 姓名 beside 學號 is not stored: on a paged list it is a label, not a sort button
    shots(page, "students-sorted")


def test_on_a_phone_the_cards_are_ordered_from_a_list(page, sorted_school):
    """Cards have no headers to click: the 排序 list above them gives the same server-side orders."""
    log_in(page, sorted_school.code, "registrar", sorted_school.registrar_password)
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto("/records/students?class_code=103")
    box = page.locator("#record-list")
    expect(box).to_contain_text("共 60 筆")
    chooser = box.get_by_label("排序")
    expect(chooser).to_be_visible()
    with page.expect_response(lambda r: "sort=-seat_no" in r.url):
        chooser.select_option(label="座號（遞減）")
    expect(box.locator("tbody tr").first.locator("td[data-label=座號]")).to_have_text("60")
    expect(box.get_by_label("排序")).to_have_value("-seat_no")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "lists-students-phone-sorted-360.png"), full_page=True)
    with page.expect_response(lambda r: "sort=" not in r.url and "/api/v1/records/students" in r.url):
        box.get_by_label("排序").select_option(label="預設順序")
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(box.get_by_label("排序")).to_be_hidden()  # the headers sort on a wide screen
