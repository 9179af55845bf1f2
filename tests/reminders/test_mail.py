"""Reminders by e-mail, end to end: the plan decides, the worker sends to a real SMTP server (aiosmtpd),
and the tests read what arrived in its Maildir: the right people, once each, nobody who opted out,
bounces and failures in the registrar's log, no duplicate after a worker is killed mid-batch."""

from __future__ import annotations

import re
import signal
from datetime import timedelta

import pytest

from shared.clock import to_taipei, utcnow
from shared.roles import Role
from tests.records.conftest import COURSE_A, COURSE_B, fresh_school
from tests.support.api import Client, assert_problem
from tests.support.mail import arrived, arrived_for, mail_log, plan_day, settled
from tests.support.system import wait_until

TODAY = to_taipei(utcnow()).date()
DEADLINE = TODAY + timedelta(days=7)


def _email(rec, username: str, address: str) -> None:
    accounts = rec.registrar.get("/api/v1/accounts", params={"q": username, "per_page": 50}).json()["items"]
    account = next(a for a in accounts if a["username"] == username)
    response = rec.registrar.patch(f"/api/v1/accounts/{account['id']}", json={"email": address})
    assert response.status_code == 200, response.text


def _outcome(student: Client, course_id: str, summary: str) -> dict:
    from tests.documents.seed import _stored
    from tests.evidence import files

    evidence = _stored(student, files.pdf(3000), f"{summary}.pdf")
    response = student.post("/api/v1/outcomes", json={"course_id": course_id, "summary": summary, "evidence_ids": [evidence["id"]]})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def school(system, district):
    """S001 has submitted work (and one outcome waiting for the teacher), S002's outcome was returned,
    S003 has nothing; the upload deadline is a week away and the school's uploads are paused."""
    rec = fresh_school(system, district, "M00071", "郵件高中", "mail")
    semester = f"{rec.year}-{rec.term}"
    assert (
        rec.registrar.patch(f"/api/v1/records/semesters/{semester}", json={"student_upload_deadline": DEADLINE.isoformat()}).status_code
        == 200
    )
    courses = rec.clients[Role.CURRICULUM].get("/api/v1/records/courses", params={"per_page": 200}).json()["items"]
    course_a = next(c["id"] for c in courses if c["code"] == COURSE_A)
    assert next(c["id"] for c in courses if c["code"] == COURSE_B)
    teacher = rec.clients[Role.TEACHER]
    waiting = _outcome(rec.students["S001"], course_a, "國語文讀書心得")
    assert rec.students["S001"].post(f"/api/v1/outcomes/{waiting['id']}/submit").status_code == 200
    returned = _outcome(rec.students["S002"], course_a, "國語文報告")
    assert rec.students["S002"].post(f"/api/v1/outcomes/{returned['id']}/submit").status_code == 200
    assert teacher.post(f"/api/v1/outcomes/{returned['id']}/return", json={"reason": "unreadable_file"}).status_code == 200
    for username, address in (
        ("mail-stu-s001", "s001@school.test"),
        ("mail-stu-s002", "s002@school.test"),
        ("mail-stu-s003", "nobody-s003@school.test"),  # the relay refuses it: a bounce
        ("mail-teacher", "teacher@school.test"),
        ("mail-homeroom", "homeroom@school.test"),
        ("mail-curriculum", "curriculum@school.test"),  # nothing to tell 教學組
    ):
        _email(rec, username, address)
    registrar_me = rec.registrar.get("/api/v1/me").json()
    assert rec.registrar.patch(f"/api/v1/accounts/{registrar_me['id']}", json={"email": "registrar@school.test"}).status_code == 200
    assert rec.registrar.put("/api/v1/national/pause", json={"paused": True}).status_code == 200
    return rec


def test_the_day_a_week_before_the_deadline_reaches_the_right_people_once(system, mail_worker, school):
    planned = plan_day(system, school.code, TODAY)
    assert planned["decided"] == 5 and planned["queued"] == 5, planned  # S002, S003, teacher, 導師, registrar
    again = plan_day(system, school.code, TODAY)
    assert again == {**planned, "queued": 0}  # the same day twice: nothing new
    log = settled(system, school.code, 5)
    by_to = {i["to"]: i for i in log["items"]}
    assert {to: i["status"] for to, i in by_to.items()} == {
        "s002@school.test": "sent",
        "nobody-s003@school.test": "bounced",
        "teacher@school.test": "sent",
        "homeroom@school.test": "sent",
        "registrar@school.test": "sent",
    }
    assert by_to["nobody-s003@school.test"]["status_zh"] == "退信（地址無效）" and "550" in by_to["nobody-s003@school.test"]["detail"]
    assert not arrived_for(system, "s001@school.test") and not arrived_for(system, "curriculum@school.test")
    [student] = arrived_for(system, "s002@school.test")
    assert "7 天後截止" in student["Subject"] and "被老師退回" in student.get_content()
    assert student["List-Unsubscribe"].startswith("<") and student["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [teacher] = arrived_for(system, "teacher@school.test")
    assert "今日待認證：1 件" in teacher["Subject"]
    [homeroom] = arrived_for(system, "homeroom@school.test")
    body = homeroom.get_content()
    assert "101 班（1 人）" in body and "2 號 學生2" in body and "學生1" not in body
    [registrar] = arrived_for(system, "registrar@school.test")
    assert "暫停" in registrar.get_content()


def test_an_unsubscribe_link_works_without_login_and_stops_the_next_days(system, mail_worker, school, anonymous):
    [mail] = arrived_for(system, "s002@school.test")
    link = re.search(r"(/mail/unsubscribe/[A-Za-z0-9_\-.]+)", mail.get_content()).group(1)
    page = anonymous.get(link)
    assert page.status_code == 200 and "停止寄送提醒信" in page.text
    assert anonymous.post(link).status_code == 200
    assert "已停止寄送提醒信給您" in anonymous.get(link).text or "您已停止接收提醒信" in anonymous.get(link).text
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    refused = anonymous.get(tampered)
    assert refused.status_code == 404 and "取消訂閱連結無效" in refused.text
    # the teacher turns reminders off on their page (the API behind it), then back on
    teacher = school.clients[Role.TEACHER]
    assert teacher.put("/api/v1/me/mail-settings", json={"reminders": False}).json() == {"reminders": False, "email": None}
    assert_problem(teacher.put("/api/v1/me/mail-settings", json={"reminders": "maybe"}), 422)
    # three days before: S002 opted out by link, the teacher by setting; S003 bounces again
    day = DEADLINE - timedelta(days=3)
    planned = plan_day(system, school.code, day)
    assert planned["decided"] == 3, planned  # S003, 導師, registrar
    settled(system, school.code, 8)
    assert len(arrived_for(system, "s002@school.test")) == 1 and len(arrived_for(system, "teacher@school.test")) == 1
    assert len(arrived_for(system, "homeroom@school.test")) == 2
    assert teacher.put("/api/v1/me/mail-settings", json={"reminders": True}).json()["reminders"] is True


def test_a_day_without_a_mark_sends_only_the_daily_digests(system, mail_worker, school):
    day = DEADLINE - timedelta(days=5)  # neither 7, 3 nor 1 days before
    planned = plan_day(system, school.code, day)
    assert planned["decided"] == 2, planned  # the teacher's queue, the registrar's alarm
    settled(system, school.code, 10)
    assert len(arrived_for(system, "teacher@school.test")) == 2


def test_the_registrar_sees_the_log_and_others_do_not(system, school):
    registrar = school.registrar
    log = registrar.get("/api/v1/mail/log", params={"status": "bounced"}).json()
    assert log["total"] >= 1 and all(i["status"] == "bounced" for i in log["items"])
    assert log["counts"]["bounced"] >= 1 and log["counts"]["sent"] >= 5
    assert log["items"][0]["explanation"] == "收件地址不存在或拒收（550），請更正帳號的電子郵件"
    problems = registrar.get("/api/v1/mail/log", params={"status": "problems"}).json()
    assert problems["total"] >= log["total"] and {i["status"] for i in problems["items"]} <= {"bounced", "failed", "in_doubt"}
    assert_problem(school.clients[Role.TEACHER].get("/api/v1/mail/log"), 403)
    assert_problem(school.students["S001"].post("/api/v1/mail/plan", json={}), 403)
    assert_problem(registrar.post("/api/v1/mail/plan", json={"day": "someday"}), 422)
    today = registrar.post("/api/v1/mail/plan", json={}).json()  # today, for the caller's own school only
    assert today["school_id"] == school.code


def test_a_relay_that_stays_down_ends_as_failed_in_the_registrar_log(system, mail_worker, school):
    day = DEADLINE - timedelta(days=1)
    with system.paused("smtp"):
        planned = plan_day(system, school.code, day)
        assert planned["queued"] >= 2
        failed = wait_until(
            lambda: [i for i in mail_log(system, school.code)["items"] if i["status"] == "failed"], 30, "the retries running out"
        )
    assert all(i["attempts"] == 3 and i["status_zh"] == "寄送失敗" for i in failed)
    assert "ConnectionRefusedError" in failed[0]["detail"]


def test_a_worker_killed_mid_batch_sends_nothing_twice(system, district, mail_worker):
    rec = fresh_school(system, district, "M00072", "大量高中", "bulk")
    semester = f"{rec.year}-{rec.term}"
    assert (
        rec.registrar.patch(f"/api/v1/records/semesters/{semester}", json={"student_upload_deadline": DEADLINE.isoformat()}).status_code
        == 200
    )
    lines = ["帳號,姓名,角色,學號,電子郵件"] + [f"bulk-{n:03d},學生{n},student,B{n:03d},b{n:03d}@bulk.test" for n in range(60)]
    job = rec.registrar.post(
        "/api/v1/accounts/import", files={"file": ("a.csv", "\n".join(lines).encode())}, headers={"Prefer": "wait=120"}
    )
    assert job.status_code == 200, job.text
    system.stop_process("mail-worker")
    system.start_mail_worker("mail-worker-slow", {"LICHENG_MAIL_PER_MINUTE": "300"})  # five a second
    try:
        planned = plan_day(system, rec.code, TODAY)
        assert planned["queued"] == 60, planned
        wait_until(lambda: len([m for m in arrived(system) if "@bulk.test" in str(m["To"])]) >= 10, 60, "the batch under way")
        system.stop_process("mail-worker-slow", signal.SIGKILL)
        cut = len([m for m in arrived(system) if "@bulk.test" in str(m["To"])])
        assert cut < 60
        system.start_mail_worker("mail-worker")
        log = settled(system, rec.code, 60)
    finally:
        system.stop_process("mail-worker-slow")
        if "mail-worker" not in system.processes:
            system.start_mail_worker("mail-worker")
    keys = [str(m["X-Licheng-Key"]) for m in arrived(system) if "@bulk.test" in str(m["To"])]
    assert len(keys) == len(set(keys)), "a reminder arrived twice"
    statuses = {i["key"]: i["status"] for i in log["items"]}
    in_doubt = [k for k, s in statuses.items() if s == "in_doubt"]
    assert len(in_doubt) <= 1 and all(s in ("sent", "in_doubt") for s in statuses.values())
    assert {k for k, s in statuses.items() if s == "sent"} <= set(keys) <= set(statuses)
    assert len(keys) >= 60 - len(in_doubt)
