"""The 高三 梯次 in Chromium: a grade-3 student sees the 梯次's internal deadline and what is left to tick;
the registrar prepares, previews and starts the 第一梯次 (its rosters, its grade-3 students, the lock);
the district admin's console shows each 梯次's national and internal deadline; afterwards the student's
pages show the lock and the student confirms the 梯次's receipt. Screenshots at 1366 and 360 px."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from services.identity.bootstrap import ensure_district_admin
from services.identity.store import IdentityStore
from shared.clock import to_taipei, utcnow
from shared.roles import Role
from tests.national_upload.test_cycle_flow import _certified_outcome
from tests.records.conftest import COURSE_A, PASSWORD, _account, fresh_school, national_id
from tests.web.conftest import log_in

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CODE = "W00021"
# what a page must never show: English states, raw flags, internal ids
RAW = re.compile(r"\b(batch|locked|true|false|null|undefined|draft|pending|confirmed)\b|[0-9a-f]{24,}", re.IGNORECASE)


def roc(day: date) -> str:
    return f"{day.year - 1911}/{day.month:02d}/{day.day:02d}"


@pytest.fixture(scope="module")
def school(system, district):
    return fresh_school(system, district, CODE, "辛高中", "sb")


@pytest.fixture(scope="module")
def senior(system, school):
    """A 高三 class with T001, two certified outcomes of which one is ticked; both 梯次 deadlines set."""
    registrar, year, term = school.registrar, school.year, school.term
    today = to_taipei(utcnow()).date()
    deadlines = {"1": (today + timedelta(days=120)).isoformat(), "36": (today + timedelta(days=40)).isoformat()}
    deadlines["76"] = (today + timedelta(days=80)).isoformat()
    patched = registrar.patch(f"/api/v1/records/semesters/{year}-{term}", json={"national_deadlines": deadlines})
    assert patched.status_code == 200, patched.text
    assert registrar.post("/api/v1/records/classes", json={"year": year, "code": "301", "name": "三年一班"}).status_code in (200, 201)
    student = {
        "student_id": "T001",
        "national_id": national_id(7021),
        "name": "高三生",
        "birth_date": "2007-04-05",
        "gender": "1",
        "class_code": "301",
        "seat_no": 1,
    }
    assert registrar.post("/api/v1/records/students", json=student).status_code in (200, 201)
    school.students["T001"], _ = _account(
        registrar, system.base_url, school.code, "sb-stu-t001", ["student"], student_id="T001", class_code="301"
    )
    course = {"year": year, "term": term, "code": COURSE_A, "name": "國語文", "credits": 4, "class_code": "301"}
    course["teacher_ids"] = [school.ids[Role.TEACHER]]
    assert school.clients[Role.CURRICULUM].post("/api/v1/records/courses", json=course).status_code in (200, 201)
    ticked = _certified_outcome(school, "T001", COURSE_A, "301", "高三閱讀報告")
    second = _certified_outcome(school, "T001", COURSE_A, "301", "高三寫作練習")
    assert school.students["T001"].delete(f"/api/v1/outcomes/{second}/selection").status_code == 200
    return {"today": today, "ticked": ticked, "second": second}


def _no_raw_text(page, selector: str = "main") -> None:
    shown = page.locator(selector).inner_text()
    assert not RAW.search(shown), RAW.search(shown)


def _shots(page, name: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})
    page.screenshot(path=str(SHOTS / f"{name}-360.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_a_senior_sees_the_batch_deadline_and_what_is_left_to_tick(page, school, senior):
    SHOTS.mkdir(parents=True, exist_ok=True)
    internal = senior["today"] + timedelta(days=26)
    log_in(page, CODE, "sb-stu-t001", PASSWORD)
    todo = page.locator("#todo-list")
    expect(todo).to_contain_text("高三第一梯次：還可勾選 1 件已認證成果（已勾選 1 / 3 件）；註冊組上傳後即鎖定")
    expect(todo).to_contain_text(f"截止 {roc(internal)}")
    expect(todo).to_contain_text("高三第二梯次")
    _no_raw_text(page)
    _shots(page, "senior-batch-1-student-todo")
    page.goto("/student/portfolio#outcomes")
    expect(page.locator("#outcome-caps")).to_contain_text(f"高三第一梯次：請於 {roc(internal)}（校內截止）前完成勾選")
    expect(page.locator("#outcome-items")).to_contain_text("勾選上傳")
    _no_raw_text(page, "#outcomes")
    _shots(page, "senior-batch-2-student-selection")


def test_the_registrar_previews_and_starts_the_first_batch(page, school, senior, national_sim, upload_worker):
    credentials = {"token": national_sim.token(CODE), "receipt_password": national_sim.receipt_password(CODE)}
    assert school.registrar.put("/api/v1/national/credentials", json=credentials).status_code == 200
    log_in(page, CODE, "registrar", school.registrar_password)
    today = senior["today"]
    expect(page.locator("#todo-list")).to_contain_text("高三第一梯次：完成高三學生的校內作業與勾選")
    page.goto("/registrar/calendar")
    detail = page.locator("#semester-detail")
    expect(detail).to_contain_text(
        f"高三第一梯次校內截止{roc(today + timedelta(days=26))}（國教署截止 {roc(today + timedelta(days=40))} 前兩週）"
    )
    expect(detail).to_contain_text("第二梯次學生課程學習成果")
    _shots(page, "senior-batch-3a-registrar-calendar")
    page.goto("/registrar/national")
    page.get_by_label("學年度").fill(str(school.year))
    page.get_by_label("學期").select_option(str(school.term))
    page.get_by_label("名冊批次").select_option("1")
    expect(page.locator("#batch-note")).to_contain_text("高三第一梯次只含高三學生：34 第一梯次高三校內幹部經歷名冊")
    expect(page.locator("#batch-note")).to_contain_text("38 第一梯次進修部學生課程學習成果")
    page.get_by_role("button", name="產生並檢查").click()
    batch = page.locator("#report-batch")
    expect(batch).to_contain_text("高三第一梯次：高三學生 1 位")
    expect(batch).to_contain_text("36 第一梯次學生課程學習成果")
    expect(batch).to_contain_text("開始上傳後，這 1 位學生本學年的課程學習成果與多元表現勾選即鎖定")
    _no_raw_text(page)
    _shots(page, "senior-batch-3-registrar-preview")
    page.get_by_role("button", name="2. 開始上傳高三第一梯次").click()
    expect(page.locator("#start-status")).to_contain_text("1 位學生的勾選已鎖定")
    expect(page.locator("#detail-progress")).to_contain_text("已完成", timeout=90_000)
    expect(page.locator("#detail-id")).to_contain_text("高三第一梯次")
    page.get_by_role("button", name="向國教署取回收訖明細並核對").click()
    expect(page.locator("#detail-receipts")).to_contain_text("核對無誤")
    expect(page.locator("#detail-receipts")).to_contain_text("第一梯次學生課程學習成果")
    expect(page.locator("#uploads")).to_contain_text("高三第一梯次（1 位學生勾選已鎖定）")
    _no_raw_text(page)
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shots(page, "senior-batch-4-registrar-sent")


def test_the_district_console_shows_every_batch_deadline(page, school, senior, identity_db):
    password = "Pw-" + secrets.token_urlsafe(10)
    ensure_district_admin(IdentityStore(identity_db), "district-sb", password)
    log_in(page, "", "district-sb", password)
    page.goto("/national/deadline")
    today = senior["today"]
    expect(page.locator("#deadline-schools tr", has_text=CODE)).to_contain_text("高三第一梯次")  # the set it sent last
    for label, internal, national in (("高三第一梯次", 26, 40), ("高三第二梯次", 66, 80)):
        row = page.locator("#deadline-batches tr", has_text=label).filter(has_text=CODE)
        expect(row).to_contain_text("辛高中")
        expect(row).to_contain_text(roc(today + timedelta(days=internal)))
        expect(row).to_contain_text(roc(today + timedelta(days=national)))
    _no_raw_text(page)
    _shots(page, "senior-batch-5-district-console")


def test_after_the_batch_the_student_sees_the_lock_and_confirms_its_receipt(page, school, senior):
    refused = school.students["T001"].post(f"/api/v1/outcomes/{senior['second']}/selection")
    assert refused.status_code == 409 and refused.json()["detail"] == "本學年勾選已隨高三第一梯次上傳至國教署，不能再更改", refused.text
    log_in(page, CODE, "sb-stu-t001", PASSWORD)
    expect(page.locator("#todo-list")).to_contain_text("本學年勾選已隨高三第一梯次上傳至國教署，不能再更改（已鎖定）")
    page.goto("/student/portfolio#outcomes")
    expect(page.locator("#selection-lock")).to_contain_text("本學年勾選已隨高三第一梯次上傳至國教署，不能再更改")
    expect(page.locator("#outcome-items")).to_contain_text("高三閱讀報告")
    expect(page.locator("#outcome-items button")).to_have_count(0)  # nothing left to tick or untick
    _no_raw_text(page, "#outcomes")
    _shots(page, "senior-batch-6-student-locked")
    page.goto("/student/outcomes")
    expect(page.locator("#outcomes-summary")).to_contain_text("本學年勾選已隨高三第一梯次上傳至國教署，不能再更改")
    expect(page.locator("#outcome-list")).to_contain_text("高三寫作練習")
    expect(page.get_by_role("button", name="勾選上傳")).to_have_count(0)
    expect(page.get_by_role("button", name="取消勾選")).to_have_count(0)
    page.goto("/student/receipts")
    receipts = page.locator("#receipts")
    expect(receipts).to_contain_text("第一梯次學生課程學習成果")
    expect(receipts).to_contain_text("高三閱讀報告")
    page.get_by_role("button", name="確認無誤").first.click()
    expect(receipts).to_contain_text("已確認無誤")
    _no_raw_text(page)
    _shots(page, "senior-batch-7-student-confirms")
