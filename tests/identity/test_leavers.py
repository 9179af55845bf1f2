"""A student who leaves (畢業/轉出) can no longer log in; undoing the archive lets them in again."""

from __future__ import annotations

from tests.records.conftest import PASSWORD, fresh_school
from tests.support.api import Client, assert_problem
from tests.support.system import wait_until


def _login(system, code: str, username: str):
    return Client(system.base_url).post("/api/v1/auth/login", json={"school_code": code, "username": username, "password": PASSWORD})


def test_archived_students_accounts_are_disabled_and_unarchive_restores_them(system, district):
    school = fresh_school(system, district, "L00011", "辛高中", "l")
    assert _login(system, "L00011", "l-stu-s003").status_code == 200
    left = school.registrar.post("/api/v1/archive/students", json={"student_ids": ["S003"], "status": "轉出"})
    assert left.status_code == 200, left.text
    wait_until(lambda: _login(system, "L00011", "l-stu-s003").status_code == 403, 30, "the account disabled")
    assert_problem(_login(system, "L00011", "l-stu-s003"), 403, "account_disabled")
    assert _login(system, "L00011", "l-stu-s002").status_code == 200  # classmates are not touched
    back = school.registrar.post("/api/v1/archive/students/S003/unarchive", json={"reason": "誤設轉出"})
    assert back.status_code == 200, back.text
    wait_until(lambda: _login(system, "L00011", "l-stu-s003").status_code == 200, 30, "the account enabled again")
