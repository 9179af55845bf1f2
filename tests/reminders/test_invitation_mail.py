"""A parent invitation sent by e-mail: 註冊組 names one student and the parent's address, the mail
worker delivers the code to the SMTP relay once, the parent joins from the mail's link, and the code
leaves the outbox once the mail is done; the slip stays printable; bad requests are refused."""

from __future__ import annotations

import re

import pytest

from shared.mongo import make_client
from tests.identity.parents import join
from tests.records.conftest import fresh_school
from tests.support.api import assert_problem
from tests.support.mail import arrived_for, mail_log, settled


@pytest.fixture(scope="module")
def school(system, district):
    return fresh_school(system, district, "M00074", "邀請郵件高中", "invm")


def test_a_parent_joins_from_the_invitation_mail(system, school, mail_worker):
    created = school.registrar.post("/api/v1/guardians/invitations", json={"student_ids": ["S002"], "email": "Mom@Home.Test"})
    assert created.status_code == 201, created.text
    batch = created.json()
    assert batch["emailed_to"] == "mom@home.test" and batch["email_failed"] is False
    log = settled(system, school.code, 1)
    [row] = [i for i in log["items"] if i["reason"] == "parent_invitation"]
    assert (row["status"], row["reason_zh"], row["name"]) == ("sent", "家長邀請", "學生2 家長")
    [mail] = arrived_for(system, "mom@home.test")
    body = mail.get_content()
    assert "學生2（101 班）" in mail.get_content() and "邀請郵件高中" in mail["Subject"] and "List-Unsubscribe" not in mail
    code = re.search(r"邀請碼：([A-Z0-9-]+)", body).group(1)
    assert f"{system.base_url}/parent/join?code={code}" in body
    assert join(system.base_url, code, "invm-mom", "陳媽媽").status_code == 201
    # the code left the outbox with the mail; the slip is still there to print, once
    settings = system.settings()
    client = make_client(settings)
    try:
        outbox = client[settings.database_name("reminders")]["outbox"].find_one({"school_id": school.code, "reason": "parent_invitation"})
    finally:
        client.close()
    assert outbox["body"] == "" and code not in str(outbox)
    assert school.registrar.get(batch["sheet_url"], headers={"Accept": "application/json"}).status_code == 200


def test_an_emailed_invitation_names_one_student(system, school):
    for body in (
        {"student_ids": ["S001", "S002"], "email": "dad@home.test"},
        {"class_code": "101", "email": "dad@home.test"},
        {"student_ids": ["S001"], "email": "not an address"},
    ):
        assert_problem(school.registrar.post("/api/v1/guardians/invitations", json=body), 422)
    assert mail_log(system, school.code)["total"] <= 1  # a refusal queues nothing
