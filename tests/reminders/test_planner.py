"""The plan's decisions with the owning services replaced by plain answers (a unit test of one service):
receipts to confirm, the district's alarms across schools, a stale backup, the opted-out left out."""

from __future__ import annotations

from datetime import date

import pytest

from services.reminders.domain import Reason
from services.reminders.planner import DISTRICT, Peers, Planner

pytestmark = pytest.mark.unit

TODAY = date(2027, 1, 13)


class Answers:
    """Stands in for one service's RPC proxy: each method returns what the test gave it."""

    def __init__(self, **methods) -> None:
        for name, value in methods.items():
            setattr(self, name, (lambda v: lambda *args, **kwargs: v(*args) if callable(v) else v)(value))


def _peers(recipients, *, national=None, backup_stale=False, semester=None) -> Peers:
    return Peers(
        identity=Answers(mail_recipients=lambda school: recipients.get(school, [])),
        records=Answers(current_semester=semester, active_students=[], homeroom_classes=[]),
        certification=Answers(reminder_figures={"students": {}, "teachers": {}}),
        national_upload=Answers(
            reminder_figures=lambda school: (national or {}).get(school, {"pending_receipts": [], "paused": False, "dead": 0})
        ),
        backup=Answers(health={"backup": {"stale": backup_stale, "last_good_backup": None, "interval_hours": 24}}),
    )


def _planner(peers: Peers) -> Planner:
    return Planner(peers, "https://licheng.test", lambda school, account: f"https://licheng.test/mail/unsubscribe/{account}")


STUDENT = {"id": "a1", "name": "王小明", "email": "a1@s.test", "roles": ["student"], "student_id": "S1"}
OTHER = {"id": "a2", "name": "李小華", "email": "a2@s.test", "roles": ["student"], "student_id": "S2"}
REGISTRAR = {"id": "r1", "name": "註冊組長", "email": "r1@s.test", "roles": ["registrar"], "student_id": None}


def test_a_receipt_to_confirm_is_reminded_on_its_marks_to_its_student_only():
    national = {
        "S01": {
            "pending_receipts": [
                {"student_id": "S1", "deadline": "2027-01-16T15:59:59+00:00"},  # 01/16 23:59 Taipei: 3 days away
                {"student_id": "S1", "deadline": "2027-01-16T15:59:59+00:00"},
                {"student_id": "S9", "deadline": "2027-01-16T15:59:59+00:00"},  # no account with an e-mail
            ],
            "paused": False,
            "dead": 0,
        }
    }
    mails = _planner(_peers({"S01": [STUDENT, OTHER]}, national=national)).plan("S01", date(2027, 1, 13), set())
    [mail] = mails
    assert (mail.reason, mail.mark, mail.to) == (Reason.RECEIPT_DEADLINE, "3", "a1@s.test")
    assert "2 份收訖明細尚未確認" in mail.body and "116/01/16" in mail.subject
    assert _planner(_peers({"S01": [STUDENT]}, national=national)).plan("S01", date(2027, 1, 14), set()) == []


def test_the_opted_out_are_not_asked_about_at_all():
    national = {"S01": {"pending_receipts": [{"student_id": "S1", "deadline": "2027-01-20"}], "paused": True, "dead": 2}}
    planner = _planner(_peers({"S01": [STUDENT, REGISTRAR]}, national=national))
    assert {m.account_id for m in planner.plan("S01", TODAY, set())} == {"a1", "r1"}
    assert {m.account_id for m in planner.plan("S01", TODAY, {"a1", "r1"})} == set()


def test_the_district_hears_every_schools_alarms_once_a_day():
    admin = {"id": "d1", "name": "縣市管理者", "email": "d1@district.test", "roles": ["district_admin"], "student_id": None}
    national = {
        "S01": {"pending_receipts": [], "paused": True, "dead": 0},
        "S02": {"pending_receipts": [], "paused": False, "dead": 3},
        "S03": {"pending_receipts": [], "paused": False, "dead": 0},
    }
    [mail] = _planner(_peers({DISTRICT: [admin]}, national=national, backup_stale=True)).plan_district(TODAY, ["S01", "S02", "S03"], set())
    assert mail.school_id == DISTRICT and mail.reason is Reason.OPERATIONS and "（3 項）" in mail.subject
    assert "S01：國教署上傳目前為暫停狀態" in mail.body and "S02：國教署上傳有 3 筆" in mail.body and "S03" not in mail.body
    assert "尚無任何成功的備份" in mail.body
    quiet = _peers({DISTRICT: [admin]}, national={k: {**v, "paused": False, "dead": 0} for k, v in national.items()})
    assert _planner(quiet).plan_district(TODAY, ["S01", "S02", "S03"], set()) == []
