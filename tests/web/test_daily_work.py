"""Each unit's daily work in Chromium without typing an id or a code: pickers, names, zh-TW codes, 民國 dates."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from shared.roles import Role
from tests.evidence import files
from tests.records.bodies import write_body
from tests.records.conftest import COURSE_B, PASSWORD, rec_a  # noqa: F401  (school A with a semester, courses, students)
from tests.web.conftest import log_in
from tests.web.test_unit_pages import shot

HEX_ID = r"[0-9a-f]{32}"


def pick(page, field, text: str, option: str) -> None:
    """Type into a picker and choose the suggestion that contains `option` (by keyboard-free click)."""
    field.fill(text)
    page.get_by_role("option", name=option).first.click()


def test_curriculum_picks_the_teachers_of_a_course_by_name(page, rec_a):  # noqa: F811
    log_in(page, rec_a.code, "a-curriculum", PASSWORD)
    page.goto("/records/courses")
    form = page.locator("#record-form")
    expect(form.get_by_label("任課教師")).to_be_visible()
    form.get_by_label("課程代碼").fill("11300000010000000000009")
    form.get_by_label("課程名稱").fill("數學")
    form.get_by_label("學分").fill("4")
    form.get_by_label("開課班級").fill("101")
    form.get_by_label("選修").select_option("false")
    pick(page, form.get_by_label("任課教師"), "a-teach", "a-teacher")
    expect(form.locator(".picker-chips")).to_contain_text("a-teacher")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已")
    row = page.locator("#record-list tr", has_text="數學")
    expect(row).to_contain_text("a-teacher")
    expect(page.locator("#record-list")).not_to_contain_text(rec_a.ids[Role.TEACHER])
    stored = rec_a.clients[Role.CURRICULUM].get("/api/v1/records/courses", params={"course_code": "11300000010000000000009"}).json()
    assert stored["items"][0]["teacher_ids"] == [rec_a.ids[Role.TEACHER]]
    row.get_by_role("button", name="編輯").click()
    expect(page.locator("#record-form-title")).to_contain_text("編輯")
    expect(form.locator(".picker-chips")).to_contain_text("a-teacher")
    shot(page, "curriculum-course-teacher-picker")


def test_curriculum_records_an_elective_by_student_and_course_names(page, rec_a):  # noqa: F811
    log_in(page, rec_a.code, "a-curriculum", PASSWORD)
    page.goto("/records/selections")
    form = page.locator("#record-form")
    pick(page, form.get_by_label("學生"), "學生3", "S003 學生3")
    pick(page, form.get_by_label("課程"), "探究", "探究與實作 · 102 · a-teacher")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已")
    row = page.locator("#record-list tr", has_text="S003")
    expect(row).to_contain_text("學生3")  # the name beside the 學號
    expect(row).to_contain_text("探究與實作")  # the subject beside the 課程代碼
    stored = rec_a.clients[Role.CURRICULUM].get("/api/v1/records/selections", params={"student_id": "S003"}).json()["items"]
    assert any(s["course_code"] == COURSE_B and s["course_class"] == "102" for s in stored)


def test_a_competition_opens_for_editing_with_its_winners(page, rec_a, tmp_path):  # noqa: F811
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    proof = tmp_path / "證明.pdf"
    proof.write_bytes(files.pdf(6000))
    log_in(page, rec_a.code, "a-contest-organizer", PASSWORD)
    page.goto("/records/competitions")
    form = page.locator("#record-form")
    form.get_by_label("競賽名稱").fill("校內作文比賽")
    form.get_by_label("結果公布日期").fill(f"{rec_a.year + 1911}-10-02")
    form.get_by_label("內容簡述").fill("高一作文")
    form.get_by_label("得獎名單").fill("S002,佳作")
    form.get_by_label("簽呈或證明文件").set_input_files(str(proof))
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已新增")
    page.locator("#record-list tr", has_text="校內作文比賽").last.get_by_role("button", name="編輯").click()
    expect(page.locator("#record-form-title")).to_have_text("編輯校內競賽")
    expect(form.get_by_label("得獎名單")).to_have_value(re.compile(r"^S002,佳作"))
    expect(form.locator("[data-attached='proof_evidence_id']")).to_contain_text("已附 1 個檔案")
    assert not errors, errors
    form.get_by_label("項目").fill("高一組")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已修改")
    row = page.locator("#record-list tr", has_text="校內作文比賽").last
    expect(row).to_contain_text("草稿")
    expect(row).to_contain_text("校內")  # 競賽等級 by its name, not its code


def test_the_semester_recheck_starts_unticked(page, rec_a, school_a):  # noqa: F811
    log_in(page, rec_a.code, "registrar", school_a.registrar_password)
    page.goto("/registrar/calendar")
    recheck = page.locator("#recheck")
    expect(recheck.locator("input[type=checkbox]").first).to_be_visible()
    assert recheck.locator("input[type=checkbox]:checked").count() == 0
    button = recheck.get_by_role("button", name="確認勾選的學生資料無誤")
    expect(button).to_be_disabled()
    recheck.get_by_label("S002", exact=False).check()
    expect(button).to_be_enabled()
    expect(button).to_contain_text("1 位")


def test_account_import_takes_zh_tw_role_names_and_names_the_column(page, rec_a, school_a, tmp_path):  # noqa: F811
    log_in(page, rec_a.code, "registrar", school_a.registrar_password)
    page.goto("/registrar/accounts")
    upload = page.locator("form[data-upload='/api/v1/accounts/import']")
    bad = tmp_path / "bad.csv"
    bad.write_text("帳號,姓名,角色,班級\nzh-t1,張老師,任課教師、導師,101\nzh-t2,李老師,巫師,\n", encoding="utf-8")
    upload.get_by_label("選擇檔案").set_input_files(str(bad))
    upload.get_by_role("button", name="匯入").click()
    report = upload.locator(".report")
    expect(report).to_contain_text("角色")
    expect(report).to_contain_text("沒有「巫師」這個角色")
    expect(report).not_to_contain_text("roles.0")
    good = tmp_path / "good.csv"
    good.write_text("帳號,姓名,角色,班級\nzh-t1,張老師,任課教師、導師,101\n", encoding="utf-8")
    upload.get_by_label("選擇檔案").set_input_files(str(good))
    upload.get_by_role("button", name="匯入").click()
    expect(upload.locator(".status")).to_contain_text("已匯入 1 / 1 筆")


def test_backups_say_who_backs_up_and_what_to_do(page, rec_a, school_a):  # noqa: F811
    log_in(page, rec_a.code, "registrar", school_a.registrar_password)
    page.goto("/registrar/backups")
    expect(page.locator("main")).to_contain_text("縣市系統管理者")
    expect(page.get_by_role("button", name="複製狀態給系統管理者")).to_be_visible()
    expect(page.locator("#backup-status")).not_to_contain_text("請儘速備份")


def test_the_proxy_is_picked_by_name(page, rec_a):  # noqa: F811
    log_in(page, rec_a.code, "a-teacher", PASSWORD)
    page.goto("/teacher/certification")
    proxy = page.locator("#proxy-form")
    pick(page, proxy.get_by_label("代理人"), "a-coun", "a-counselor")
    proxy.get_by_label("開始時間").fill("2031-01-01T08:00")
    proxy.get_by_label("結束時間").fill("2031-02-01T08:00")
    proxy.get_by_role("button", name="指定").click()
    expect(proxy.locator(".status")).to_contain_text("已指定代理人")


def test_pickers_never_suggest_another_schools_people(rec_a):  # noqa: F811
    curriculum = rec_a.clients[Role.CURRICULUM]
    found = curriculum.get("/api/v1/lookup/staff", params={"q": "b-"}).json()
    assert found == []
    teachers = curriculum.get("/api/v1/lookup/staff", params={"q": "a-teach", "role": "teacher"}).json()
    assert [t["id"] for t in teachers] == [rec_a.ids[Role.TEACHER]]
    student = rec_a.students["S001"]
    assert student.get("/api/v1/lookup/staff", params={"q": "a-"}).status_code in (403, 404)
    mine = student.get("/api/v1/lookup/students", params={"q": "S00"}).json()
    assert [s["id"] for s in mine] == ["S001"]
    homeroom = rec_a.clients[Role.HOMEROOM].get("/api/v1/lookup/students", params={"q": "S"}).json()
    assert {s["id"] for s in homeroom} == {"S001", "S002"}  # class 101 only


def test_a_students_course_list_is_their_own_classes_courses_with_teachers(rec_a):  # noqa: F811
    courses = rec_a.students["S003"].get("/api/v1/lookup/courses").json()
    assert {c["class_code"] for c in courses} <= {"102"}
    assert all("a-teacher" in c["label"] for c in courses)


def test_a_send_back_with_a_comment_reaches_the_student_and_the_count_follows(page, rec_a):  # noqa: F811
    saved = rec_a.students["S002"].put("/api/v1/records/statements/autobiography", json={"fields": {"自傳": "我喜歡科學"}})
    assert saved.status_code == 200, saved.text
    log_in(page, rec_a.code, "a-homeroom", PASSWORD)
    page.goto("/homeroom/class")
    box = page.locator("#statements")
    expect(box).to_contain_text("待檢核")
    before = box.locator("p").first.inner_text()
    entry = page.locator("[data-statement='S002-autobiography']")
    entry.locator("summary").click()
    expect(entry.locator("summary")).to_contain_text("學生2")  # the name beside the 學號
    entry.get_by_role("button", name="請修改").click()
    expect(entry.locator(".status")).to_contain_text("請說明")  # a send-back says what to change
    entry.get_by_label("S002 自傳的檢核留言").fill("請補充高中想做的科展題目")
    entry.get_by_role("button", name="請修改").click()
    expect(entry.locator("summary")).to_contain_text("請修改")
    expect(box.locator("p").first).not_to_have_text(before)  # the 待檢核 count updated on the spot
    expect(box.locator("p").first).to_contain_text("請修改 ")
    page.get_by_role("button", name="登出").click()

    log_in(page, rec_a.code, "a-stu-s002", PASSWORD)
    expect(page.locator("#todo-list")).to_contain_text("老師請您修改")
    page.goto("/student/portfolio")
    form = page.locator("form.statement[data-kind='autobiography']")
    expect(form).to_contain_text("請補充高中想做的科展題目")
    expect(form).to_contain_text("a-homeroom")
    expect(form.locator("[data-version]")).to_contain_text("請修改")


def test_the_students_course_choice_is_their_own_classes_courses_with_class_and_teacher(page, rec_a):  # noqa: F811
    log_in(page, rec_a.code, "a-stu-s001", PASSWORD)
    page.goto("/student/outcomes")
    select = page.locator("#new-outcome").get_by_label("課程")
    expect(select.locator("option", has_text="國語文 · 101 · a-teacher")).to_have_count(1)
    labels = select.locator("option").all_inner_texts()
    assert not any("102" in text for text in labels), labels  # another class's course is not offered


def test_dates_outside_the_term_and_a_pass_that_contradicts_the_score_are_refused_beside_the_field(page, rec_a, school_a):  # noqa: F811
    assign = {"counselor_id": rec_a.ids[Role.COUNSELOR], "student_id": "S001"}
    assert rec_a.clients[Role.GUIDANCE].post("/api/v1/records/counsellor_assignments", json=assign).status_code in (200, 201)
    log_in(page, rec_a.code, "a-counselor", PASSWORD)
    page.goto("/records/counselling")
    form = page.locator("#record-form")
    pick(page, form.get_by_label("學生"), "S001", "S001")
    form.get_by_label("日期").fill("2030-10-01")
    form.get_by_label("時間").fill("12:10")
    form.get_by_label("地點").fill("輔導室")
    form.get_by_label("諮詢內容").fill("選課討論")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".field-error")).to_contain_text("學期內")
    expect(form.get_by_label("日期")).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="登出").click()

    log_in(page, rec_a.code, "registrar", school_a.registrar_password)
    page.goto("/records/grades")
    form = page.locator("#record-form")
    pick(page, form.get_by_label("學生"), "S002", "S002")
    pick(page, form.get_by_label("課程"), "國語", "國語文 · 101")
    form.get_by_label("學期學業成績").fill("85")
    form.get_by_label("成績及格").select_option("false")
    form.get_by_label("採計學分").fill("4")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".field-error")).to_contain_text("應為及格")
    expect(form.get_by_label("成績及格")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("成績及格").select_option("true")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已")
    expect(form.locator(".field-error")).to_have_count(0)  # old errors disappear after success


def test_one_message_per_problem_beside_its_field(page, rec_a):  # noqa: F811
    log_in(page, rec_a.code, "a-activities", PASSWORD)
    page.goto("/records/cadres")
    form = page.locator("#record-form")
    pick(page, form.get_by_label("學生"), "S001", "S001")
    form.get_by_label("幹部等級").select_option(index=1)
    form.get_by_label("單位名稱").fill("101班")
    form.get_by_label("擔任職務").fill("副班長")
    form.get_by_label("開始日期").fill(f"{rec_a.year + 1911}-10-01")
    form.get_by_label("結束日期").fill(f"{rec_a.year + 1911}-09-01")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".field-error")).to_have_count(1)
    assert form.inner_text().count("結束日期不可早於開始日期") == 1
    expect(form.get_by_label("結束日期")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("結束日期").fill("")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已")
    expect(form.locator(".field-error")).to_have_count(0)
    expect(form.locator(".status")).not_to_contain_text("結束日期")


def test_the_homeroom_teacher_sees_the_classes_performance_progress(page, rec_a):  # noqa: F811
    created = rec_a.students["S002"].post("/api/v1/records/performances", json=write_body(rec_a, "performances"))
    assert created.status_code in (200, 201), created.text
    log_in(page, rec_a.code, "a-homeroom", PASSWORD)
    page.goto("/homeroom/class")
    box = page.locator("#performance-progress")
    expect(box).to_contain_text("位學生")
    expect(box.locator("tr", has_text="S002")).to_contain_text("已登錄")
    expect(box).not_to_contain_text("S003")  # another class
    shot(page, "homeroom-performance-progress")


def test_a_service_learning_proof_is_a_file(page, rec_a, tmp_path):  # noqa: F811
    proof = tmp_path / "服務證明.pdf"
    proof.write_bytes(files.pdf(5000))
    log_in(page, rec_a.code, "a-activities", PASSWORD)
    page.goto("/records/service_learning")
    form = page.locator("#record-form")
    pick(page, form.get_by_label("學生"), "S002", "S002")
    form.get_by_label("服務名稱").fill("社區淨灘")
    form.get_by_label("服務單位").fill("環保局")
    form.get_by_label("開始日期").fill(f"{rec_a.year + 1911}-09-20")
    form.get_by_label("時數").fill("3")
    form.get_by_label("服務證明文件").set_input_files(str(proof))
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已")
    stored = rec_a.clients[Role.ACTIVITIES].get("/api/v1/records/service_learning", params={"student_id": "S002"}).json()["items"]
    assert any(item.get("proof_evidence_id") for item in stored if item["name"] == "社區淨灘")
    page.locator("#record-list tr", has_text="社區淨灘").first.get_by_role("button", name="編輯").click()
    expect(form.locator("[data-attached='proof_evidence_id']")).to_contain_text("已附 1 個檔案")


def test_the_students_portfolio_names_codes(page, rec_a):  # noqa: F811
    created = rec_a.clients[Role.ACTIVITIES].post("/api/v1/records/cadres", json=write_body(rec_a, "cadres"))
    assert created.status_code in (200, 201), created.text
    log_in(page, rec_a.code, "a-stu-s001", PASSWORD)
    page.goto("/student/portfolio")
    cadres = page.locator("[data-portfolio='cadres']")
    expect(cadres).to_contain_text("班長")
    expect(cadres.locator("tbody tr", has_text="班長").first.locator("td").nth(2)).not_to_have_text("")
    levels = cadres.locator("tbody tr td:nth-child(3)").all_inner_texts()  # 幹部等級 by its name, never the code
    assert levels and all(level in ("校級", "班級", "社團", "實習", "其他") for level in levels), levels
    text = page.locator("main").inner_text()
    assert "[object Object]" not in text and not re.search(HEX_ID, text)


def test_a_long_list_pages_on_the_server_and_keeps_its_filters_in_the_address(page, rec_a, school_a):  # noqa: F811
    old_year = rec_a.year - 5  # a year of its own: 55 classes nobody else lists
    rows = "學年度,班級代碼,班級名稱\n" + "".join(f"{old_year},{300 + n},{300 + n} 班\n" for n in range(55))
    imported = rec_a.registrar.post("/api/v1/records/classes/import", files={"file": ("classes.csv", rows.encode(), "text/csv")})
    assert imported.status_code == 200, imported.text
    log_in(page, rec_a.code, "registrar", school_a.registrar_password)
    page.goto(f"/records/classes?year={old_year}")
    listing = page.locator("#record-list")
    expect(listing).to_contain_text("共 55 筆，顯示第 1–50 筆")
    listing.get_by_role("button", name="下一頁").click()
    expect(listing).to_contain_text("顯示第 51–55 筆")
    assert f"year={old_year}" in page.url and "page=2" in page.url  # bookmarkable
    page.reload()
    expect(page.locator("#record-list")).to_contain_text("顯示第 51–55 筆")


def test_the_registrar_finds_the_teachers_accounts_by_role_on_a_paged_list(page, rec_a, school_a):  # noqa: F811
    log_in(page, rec_a.code, "registrar", school_a.registrar_password)
    page.goto("/registrar/accounts")
    listing = page.locator("#accounts")
    expect(listing).to_contain_text("共")
    page.get_by_role("search", name="帳號篩選").get_by_label("角色").select_option(label="任課教師")
    page.get_by_role("search", name="帳號篩選").get_by_role("button", name="查詢").click()
    expect(listing).to_contain_text("a-teacher")
    expect(listing).not_to_contain_text("a-stu-s001")


def test_meeting_attachments_are_picked_from_the_callers_own_files(rec_a):  # noqa: F811
    group = rec_a.clients[Role.WORKING_GROUP]
    params = {"kind": "document", "purpose": "working_group", "filename": "期初會議簽到表.pdf"}
    stored = group.post("/api/v1/evidence/proxy-upload", params=params, data=files.pdf(3000), headers={"Content-Type": "application/pdf"})
    assert stored.status_code in (200, 201), stored.text
    found = group.get("/api/v1/lookup/evidence", params={"q": "簽到"}).json()
    assert [f["id"] for f in found] == [stored.json()["id"]]
    assert "期初會議簽到表.pdf" in found[0]["label"] and not re.search(HEX_ID, found[0]["label"])
    assert rec_a.registrar.get("/api/v1/lookup/evidence", params={"q": "簽到"}).json() == []  # not the registrar's own file
