"""Idempotency-Key on unsafe routes, on the real system: sent twice, one after the other or at the
same moment, the work happens once and every answer is the first one (or, while the first is still
running, a 409 `idempotency_in_progress` after which a retry gets the first answer)."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable

import pytest
import requests

from shared.mongo import make_client
from shared.roles import Role
from tests.certification.test_flow import _course_id, _stored_evidence
from tests.evidence import files
from tests.evidence.test_flow import direct_upload
from tests.records.conftest import RecordsSchool, fresh_school
from tests.support.api import Client, assert_problem

Send = Callable[[str], requests.Response]


@pytest.fixture(scope="module")
def school(system, district) -> RecordsSchool:
    return fresh_school(system, district, "R00523", "冪等高中", "i")


def _key() -> str:
    return "k-" + secrets.token_hex(8)


def _same(first: requests.Response, again: requests.Response) -> None:
    assert again.status_code == first.status_code, again.text
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"


def sequentially(send: Send) -> requests.Response:
    key = _key()
    first = send(key)
    assert first.status_code < 500, first.text
    _same(first, send(key))
    return first


def concurrently(send: Send) -> requests.Response:
    """Two requests with one key released together; then a retry. Returns the first outcome."""
    key, results, barrier = _key(), [], threading.Barrier(2)

    def one() -> None:
        barrier.wait()
        results.append(send(key))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [r for r in results if r.status_code != 409 or r.json().get("code") != "idempotency_in_progress"]
    assert done, [r.text for r in results]
    first = done[0]
    assert first.status_code < 500, first.text
    for other in done[1:]:
        assert other.status_code == first.status_code and other.json() == first.json()
    for waiting in (r for r in results if r not in done):
        assert waiting.headers.get("Retry-After")
    retry = send(key)
    assert retry.status_code == first.status_code and retry.json() == first.json()
    return first


def _post(client: Client, path: str, **kwargs) -> Send:
    return lambda key: client.post(path, headers={"Idempotency-Key": key}, **kwargs)


def test_a_records_create_happens_once(school):
    registrar = school.registrar
    for n, repeat in enumerate((sequentially, concurrently)):
        code = f"3{n}1"
        first = repeat(_post(registrar, "/api/v1/records/classes", json={"year": school.year, "code": code, "name": "冪等班"}))
        assert first.status_code == 201
        classes = registrar.get("/api/v1/records/classes", params={"per_page": 200}).json()["items"]
        assert [c["code"] for c in classes].count(code) == 1


def test_the_same_key_with_another_body_is_refused(school):
    registrar, key = school.registrar, _key()
    body = {"year": school.year, "code": "381", "name": "冪等班"}
    assert registrar.post("/api/v1/records/classes", json=body, headers={"Idempotency-Key": key}).status_code == 201
    changed = registrar.post("/api/v1/records/classes", json={**body, "code": "382"}, headers={"Idempotency-Key": key})
    problem = assert_problem(changed, 422, "idempotency_key_reused")
    assert "Idempotency-Key" in problem["detail"] and problem["detail_en"]
    classes = registrar.get("/api/v1/records/classes", params={"per_page": 200}).json()["items"]
    assert "382" not in [c["code"] for c in classes]
    assert_problem(registrar.post("/api/v1/records/classes", json=body, headers={"Idempotency-Key": "x" * 201}), 422)


def test_create_submit_and_certify_an_outcome_once_each(school):
    student, teacher = school.students["S001"], school.clients[Role.TEACHER]
    course = _course_id(school)
    outcomes = []
    for repeat in (sequentially, concurrently):
        evidence_id = _stored_evidence(student)
        body = {"course_id": course, "summary": "冪等的成果", "evidence_ids": [evidence_id]}
        created = repeat(_post(student, "/api/v1/outcomes", json=body))
        assert created.status_code == 201
        outcome_id = created.json()["id"]
        outcomes.append(outcome_id)
        submitted = repeat(_post(student, f"/api/v1/outcomes/{outcome_id}/submit"))
        assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
        certified = repeat(_post(teacher, f"/api/v1/outcomes/{outcome_id}/certify"))
        assert certified.status_code == 200 and certified.json()["state"] == "certified"
    mine = student.get("/api/v1/outcomes/mine").json()
    listed = [o["id"] for o in mine["items"] if o["summary"] == "冪等的成果"]
    assert sorted(listed) == sorted(outcomes)


def test_bulk_certify_once(school):
    student, teacher = school.students["S002"], school.clients[Role.TEACHER]
    course = _course_id(school)
    for repeat in (sequentially, concurrently):
        ids = []
        for _ in range(2):
            body = {"course_id": course, "summary": "批次冪等", "evidence_ids": [_stored_evidence(student)]}
            outcome_id = student.post("/api/v1/outcomes", json=body).json()["id"]
            assert student.post(f"/api/v1/outcomes/{outcome_id}/submit").status_code == 200
            ids.append(outcome_id)
        result = repeat(_post(teacher, "/api/v1/outcomes/bulk-certify", json={"outcome_ids": ids}))
        assert result.status_code == 200 and sorted(result.json()["certified"]) == sorted(ids), result.text


def test_upload_complete_once(school):
    student = school.students["S003"]
    for repeat in (sequentially, concurrently):
        data = files.pdf(2000)
        form = direct_upload(student, data, sha256=files.sha256(data))
        done = repeat(_post(student, f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={}))
        assert done.status_code == 200 and done.json()["sha256"] == files.sha256(data)


def test_account_import_once(system, school):
    registrar = school.registrar
    for n, repeat in enumerate((sequentially, concurrently)):
        csv_data = f"username,display_name,roles,class_code\nidem{n}a,甲,student,101\nidem{n}b,乙,student,101\n".encode()
        report = repeat(
            lambda key, data=csv_data: registrar.post(
                "/api/v1/accounts/import", files={"file": ("a.csv", data)}, headers={"Idempotency-Key": key}
            )
        )
        assert report.status_code == 200 and report.json()["imported"] == 2, report.text
        listed = registrar.get("/api/v1/accounts", params={"per_page": 200}).json()["items"]
        assert sorted(a["username"] for a in listed if a["username"].startswith(f"idem{n}")) == [f"idem{n}a", f"idem{n}b"]
        sheet = registrar.get(report.json()["password_sheet"]["url"])  # the passwords: on the sheet, never in an answer
        assert sheet.status_code == 200 and f"idem{n}a" in sheet.text
        passwords = re.findall(r'<td class="password">([^<]+)</td>', sheet.text)
        assert len(passwords) == 2 and not any(p in _stored_answers(system) for p in passwords)


def _stored_answers(system) -> str:
    settings = system.settings()
    client = make_client(settings)
    try:
        return repr(list(client[settings.database_name("gateway")]["idempotency"].find({})))
    finally:
        client.close()


def test_a_proxy_upload_streams_its_body_and_happens_once(school):
    student, data = school.students["S003"], files.pdf(4000)
    params = {"kind": "document", "purpose": "performance", "filename": "冪等.pdf", "sha256": files.sha256(data)}
    stored = sequentially(
        lambda key: student.post(
            "/api/v1/evidence/proxy-upload", params=params, data=data, headers={"Content-Type": "application/pdf", "Idempotency-Key": key}
        )
    )
    assert stored.status_code == 201 and stored.json()["sha256"] == files.sha256(data) and stored.json()["size"] == len(data)
    link = student.get(f"/api/v1/evidence/{stored.json()['id']}/download").json()
    assert requests.get(link["url"], timeout=30).content == data
    listed = [e for e in student.get("/api/v1/evidence").json() if e["filename"] == "冪等.pdf"]
    assert len(listed) == 1
