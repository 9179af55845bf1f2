"""The day's reminders of one school: asks the services that own the facts, decides with domain.py.

Nothing here sends: the plan becomes outbox rows and queue messages (service.py), and a worker sends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.reminders import compose
from services.reminders.domain import Mail, Reason, WorkLeft, deadline_mark
from shared.clock import roc_slashed, to_taipei
from shared.roles import Role

DISTRICT = "_district"


def _day(value: Any) -> date | None:
    """A deadline as a Taipei date: a stored date, or a moment (ISO text) on that day in Taipei."""
    if not value:
        return None
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    return to_taipei(datetime.fromisoformat(text)).date()


@dataclass
class Peers:
    """The RPC proxies the plan asks (each call is the system's: a timer, or after the caller was checked)."""

    identity: Any
    records: Any
    certification: Any
    national_upload: Any
    backup: Any


class Planner:
    def __init__(self, peers: Peers, site_url: str, unsubscribe_url: Callable[[str, str], str]) -> None:
        self.peers = peers
        self.site = site_url
        self.unsubscribe_url = unsubscribe_url

    def plan(self, school: str, today: date, opted_out: set[str]) -> list[Mail]:
        """Every reminder `school`'s people should get on `today` (the opted-out get none)."""
        recipients = [r for r in self.peers.identity.mail_recipients(school) if r["id"] not in opted_out]
        if not recipients:
            return []
        mails: list[Mail] = []
        semester = self.peers.records.current_semester(school)
        if semester:
            mails += self._semester_mails(school, today, semester, recipients)
        national = self.peers.national_upload.reminder_figures(school)
        mails += self._receipt_mails(school, today, recipients, national)
        mails += self._operations_mails(school, today, recipients, national)
        return mails

    def plan_district(self, today: date, schools: list[str], opted_out: set[str]) -> list[Mail]:
        """The district admins' alarms: every school's, in one mail a day."""
        admins = [r for r in self.peers.identity.mail_recipients(DISTRICT) if r["id"] not in opted_out]
        if not admins:
            return []
        alerts = self._backup_alerts()
        for school in schools:
            alerts += [f"{school}：{a}" for a in _school_alerts(self.peers.national_upload.reminder_figures(school))]
        return [self._operations_mail(DISTRICT, a, today, alerts) for a in admins] if alerts else []

    # students, teachers, 導師: the semester's deadlines

    def _semester_mails(self, school: str, today: date, semester: dict, recipients: list[dict]) -> list[Mail]:
        year, term = int(semester["year"]), int(semester["term"])
        upload_deadline = _day(semester.get("student_upload_deadline"))
        certify_deadline = _day(semester.get("teacher_certification_deadline"))
        figures = self.peers.certification.reminder_figures(school, year, term)
        per_student: dict[str, dict[str, int]] = figures["students"]
        mails = []
        mark = deadline_mark(upload_deadline, today)
        if mark is not None and upload_deadline is not None:
            for r in recipients:
                work = WorkLeft.of(per_student.get(r.get("student_id") or ""))
                if Role.STUDENT.value in r["roles"] and r.get("student_id") and work.any:
                    letter = compose.upload_deadline(r["name"], upload_deadline, mark, work, self.site, self._unsub(school, r))
                    mails.append(self._mail(school, r, Reason.UPLOAD_DEADLINE, str(mark), today, letter))
            mails += self._homeroom_mails(school, today, year, term, upload_deadline, mark, per_student, recipients)
        for r in recipients:
            queue = figures["teachers"].get(r["id"])
            if Role.TEACHER.value in r["roles"] and queue and queue["waiting"]:
                letter = compose.certify_queue(
                    r["name"], queue["waiting"], _day(queue["oldest"]), certify_deadline, self.site, self._unsub(school, r)
                )
                mails.append(self._mail(school, r, Reason.CERTIFY_QUEUE, "", today, letter))
        return mails

    def _homeroom_mails(
        self,
        school: str,
        today: date,
        year: int,
        term: int,
        deadline: date,
        mark: int,
        per_student: dict[str, dict[str, int]],
        recipients: list[dict],
    ) -> list[Mail]:
        homerooms = [r for r in recipients if Role.HOMEROOM.value in r["roles"]]
        if not homerooms:
            return []
        by_class: dict[str, list[dict]] = defaultdict(list)
        for student in self.peers.records.active_students(school, year, term):
            by_class[student.get("class_code") or ""].append(student)
        mails = []
        for r in homerooms:
            classes = []
            for code in self.peers.records.homeroom_classes(school, r["id"]):
                students = sorted(by_class.get(code, []), key=lambda s: (s.get("seat_no") or 0, s["student_id"]))
                left = [(_named(s), WorkLeft.of(per_student.get(s["student_id"]))) for s in students]
                left = [(who, work) for who, work in left if work.any]
                if left:
                    classes.append((code, left))
            if classes:
                letter = compose.class_missing(r["name"], classes, deadline, mark, self.site, self._unsub(school, r))
                mails.append(self._mail(school, r, Reason.CLASS_MISSING, str(mark), today, letter))
        return mails

    # students: receipts to confirm

    def _receipt_mails(self, school: str, today: date, recipients: list[dict], figures: dict) -> list[Mail]:
        due: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        for entry in figures["pending_receipts"]:
            deadline = _day(entry["deadline"])
            if deadline is not None:
                due[entry["student_id"]][deadline] += 1
        mails = []
        for r in recipients:
            deadlines = due.get(r.get("student_id") or "")
            if not deadlines or Role.STUDENT.value not in r["roles"]:
                continue
            for deadline in sorted(deadlines):  # the nearest deadline that is 7, 3 or 1 days away
                mark = deadline_mark(deadline, today)
                if mark is not None:
                    pending = sum(deadlines.values())
                    letter = compose.receipt_deadline(r["name"], deadline, mark, pending, self.site, self._unsub(school, r))
                    mails.append(self._mail(school, r, Reason.RECEIPT_DEADLINE, str(mark), today, letter))
                    break
        return mails

    # 註冊組: the school's alarms

    def _operations_mails(self, school: str, today: date, recipients: list[dict], national: dict) -> list[Mail]:
        registrars = [r for r in recipients if Role.REGISTRAR.value in r["roles"]]
        if not registrars:
            return []
        alerts = self._backup_alerts() + _school_alerts(national)
        return [self._operations_mail(school, r, today, alerts) for r in registrars] if alerts else []

    def _backup_alerts(self) -> list[str]:
        health = self.peers.backup.health()
        backup = health.get("backup") or {}
        if not backup.get("stale"):
            return []
        last = backup.get("last_good_backup")
        when = f"最近一次成功備份為 {roc_slashed(_day(last))}" if last else "尚無任何成功的備份"
        return [f"資料備份已逾 {backup.get('interval_hours', 24)} 小時未完成（{when}），請通知系統管理者檢查備份排程。"]

    def _operations_mail(self, school: str, r: dict, today: date, alerts: list[str]) -> Mail:
        letter = compose.operations(r["name"], alerts, self.site, self._unsub(school, r))
        return self._mail(school, r, Reason.OPERATIONS, "", today, letter)

    # the pieces

    def _unsub(self, school: str, r: dict) -> str:
        return self.unsubscribe_url(school, r["id"])

    def _mail(self, school: str, r: dict, reason: Reason, mark: str, today: date, letter: compose.Letter) -> Mail:
        return Mail(school, r["id"], r["email"], r["name"], reason, mark, today, letter.subject, letter.body)


def _named(student: dict) -> str:
    seat = student.get("seat_no")
    return f"{seat} 號 {student.get('name', '')}" if seat else str(student.get("name", ""))


def _school_alerts(national: dict) -> list[str]:
    """A school's upload alarms from national_upload's figures."""
    alerts = []
    if national["dead"]:
        alerts.append(f"國教署上傳有 {national['dead']} 筆多次失敗、已停止重試（死信），請至「國教署上傳」查看並重試。")
    if national["paused"]:
        alerts.append("國教署上傳目前為暫停狀態，排隊中的資料不會送出；確認無誤後請恢復上傳。")
    return alerts
