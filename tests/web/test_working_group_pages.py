"""The working group's pages in Chromium: the dashboard's server-drawn charts, and a meeting refused field by field."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import expect

from tests.records.conftest import PASSWORD
from tests.web.conftest import log_in
from tests.working_group.conftest import wg  # noqa: F401  (the seeded working group school)

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_secretary_sees_the_charts_and_a_meeting_outside_the_semester_is_refused_beside_its_field(page, wg):  # noqa: F811
    log_in(page, wg.rec.code, "w-working-group", PASSWORD)
    expect(page.get_by_role("link", name="成效評核").first).to_be_visible()
    page.goto("/working-group/dashboard")
    expect(page.locator("#dashboard")).to_contain_text("尚無上傳")
    expect(page.locator("#dashboard svg")).to_have_count(4)
    expect(page.locator("#dashboard")).to_contain_text("訓育組")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "working-group-dashboard.png"), full_page=True)

    page.goto("/working-group")
    form = page.locator("#meeting-form")
    expect(form.locator("input[name=attendee_ids]").first).to_be_attached()
    form.get_by_label("學年度").fill(str(wg.rec.year))
    form.get_by_label("學期").select_option(str(wg.rec.term))
    before = date.fromisoformat(wg.semester["starts_on"]) - timedelta(days=1)
    form.get_by_label("會議日期").fill(before.isoformat())
    form.get_by_label("校長（召集人） 王校長").check()
    form.get_by_label("議程（每行一項）").fill("期程")
    form.get_by_role("button", name="登錄").click()
    expect(form.locator(".field-error").first).to_contain_text("會議日期須在學期期間")
    expect(form.get_by_label("會議日期")).to_have_attribute("aria-invalid", "true")


def test_a_student_cannot_open_the_dashboard_page(page, wg):  # noqa: F811
    log_in(page, wg.rec.code, "w-stu-s001", PASSWORD)
    expect(page.get_by_role("link", name="成效評核")).to_have_count(0)
    response = page.goto("/working-group/dashboard")
    assert response.status == 404


def test_a_session_is_held_and_ticked_on_the_trainings_page(page, wg):  # noqa: F811
    today = date.fromisoformat(wg.semester["starts_on"]) + timedelta(days=1)
    body = {"kind": "student_training", "year": wg.rec.year, "title": "瀏覽器點名場次", "planned_on": today.isoformat()}
    session = wg.secretary.post("/api/v1/working-group/trainings", json=body).json()
    log_in(page, wg.rec.code, "w-working-group", PASSWORD)
    page.goto("/working-group/trainings")
    form = page.locator("#held-form")
    form.get_by_label("場次").select_option(session["id"])
    expect(form.get_by_label("101 學生2")).to_be_visible()
    form.get_by_label("101 學生2").check()
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".field-error").first).to_contain_text("尚未辦理")  # not held yet: nobody can be ticked
    form.get_by_label("實際辦理日期").fill(today.isoformat())
    form.get_by_label("101 學生2").check()
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_have_text("已儲存")
    assert wg.secretary.get(f"/api/v1/working-group/trainings/{session['id']}").json()["attendee_ids"] == ["S002"]
