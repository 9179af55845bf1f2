"""A lost event is repaired: certification's and evidence's archived-students projections converge on
records' own list when the service starts (and on a schedule), even when the event never arrives."""

from __future__ import annotations

import urllib.parse

import requests

from shared.mongo import make_client
from tests.records.conftest import PASSWORD, national_id, rec_a  # noqa: F401
from tests.support.api import login
from tests.support.system import _mgmt_url, wait_until

STUDENT, CLASS = "LE01", "109"  # a class of its own: other tests count the shared classes' students


def _purge_queue(vhost: str, name: str) -> None:
    quoted = urllib.parse.quote(vhost, safe="")
    response = requests.delete(
        f"{_mgmt_url()}/api/queues/{quoted}/{urllib.parse.quote(name, safe='')}/contents", auth=("guest", "guest"), timeout=10
    )
    assert response.status_code in (200, 204), response.text


def test_an_archive_event_dropped_while_the_services_were_down_is_repaired_on_start(system, rec_a):  # noqa: F811
    made = rec_a.registrar.post("/api/v1/records/classes", json={"year": rec_a.year, "code": CLASS, "name": "遺失事件班"})
    assert made.status_code in (200, 201), made.text
    body = {
        "student_id": STUDENT,
        "national_id": national_id(880),
        "name": "遺失事件生",
        "birth_date": "2008-03-03",
        "gender": "2",
        "class_code": CLASS,
        "seat_no": 88,
    }
    assert rec_a.registrar.post("/api/v1/records/students", json=body).status_code in (200, 201)
    account = {"username": "lost-event", "display_name": "遺失事件生", "roles": ["student"], "password": PASSWORD, "student_id": STUDENT}
    assert rec_a.registrar.post("/api/v1/accounts", json=account).status_code in (201, 409)
    login(system.base_url, rec_a.code, "lost-event", PASSWORD)

    settings = system.settings()
    client = make_client(settings)
    projections = {name: client[settings.database_name(name)]["archived_students"] for name in ("certification", "evidence")}

    def archived_in(name: str) -> bool:
        return projections[name].find_one({"school_id": rec_a.code, "student_id": STUDENT}) is not None

    try:
        for name in projections:
            system.stop_process(name)
        archived = rec_a.registrar.post("/api/v1/archive/students", json={"student_ids": [STUDENT]})
        assert archived.status_code == 200, archived.text
        # the event waits on each service's queue: drop it, as a handler that raised would have
        for name in projections:
            _purge_queue(system.vhost, f"evt-records-student_archived--{name}.on_student_archived")
        assert not any(archived_in(name) for name in projections)

        for name in projections:
            system.start_service(name)
        for name in projections:
            wait_until(lambda name=name: archived_in(name), 90, f"{name}'s archived projection to converge")
        wait_until(lambda: requests.get(system.base_url + "/readyz", timeout=5).status_code == 200, 90, "the system")
    finally:
        for name in projections:  # whatever happened, the services run again for the tests after this one
            if name not in system.processes:
                system.start_service(name)
        client.close()


def test_a_graduates_account_is_disabled_even_when_identity_never_got_the_event(system, rec_a):  # noqa: F811
    """Identity disables leavers' accounts from the same event; lost, a graduate could still log in. Its
    accounts converge on records' archive too (shared/archived.py's schedule, and a little after start)."""
    student = "LE02"
    body = {
        "student_id": student,
        "national_id": national_id(881),
        "name": "遺失事件生二",
        "birth_date": "2008-04-04",
        "gender": "1",
        "class_code": CLASS,
        "seat_no": 89,
    }
    made = rec_a.registrar.post("/api/v1/records/classes", json={"year": rec_a.year, "code": CLASS, "name": "遺失事件班"})
    assert made.status_code in (200, 201), made.text
    assert rec_a.registrar.post("/api/v1/records/students", json=body).status_code in (200, 201)
    account = {"username": "lost-event-2", "display_name": "遺失事件生二", "roles": ["student"], "password": PASSWORD}
    account["student_id"] = student
    assert rec_a.registrar.post("/api/v1/accounts", json=account).status_code in (201, 409)
    login(system.base_url, rec_a.code, "lost-event-2", PASSWORD)

    def logs_in() -> bool:
        answer = requests.post(
            system.base_url + "/api/v1/auth/login",
            json={"school_code": rec_a.code, "username": "lost-event-2", "password": PASSWORD},
            timeout=30,
        )
        return answer.status_code == 200

    try:
        system.stop_process("identity")
        archived = rec_a.registrar.post("/api/v1/archive/students", json={"student_ids": [student]})
        assert archived.status_code == 200, archived.text
        _purge_queue(system.vhost, "evt-records-student_archived--identity.on_student_archived")  # as if its handler had raised
        system.start_service("identity")
        wait_until(lambda: requests.get(system.base_url + "/readyz", timeout=5).status_code == 200, 90, "the system")
        wait_until(lambda: not logs_in(), 90, "the graduate's account disabled by the reconcile")
    finally:
        if "identity" not in system.processes:
            system.start_service("identity")
