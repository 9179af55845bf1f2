"""The whole 課程學習成果 path through the gateway on the real system: records gives the course and
the calendar, evidence keeps the file, certification runs the workflow."""

from __future__ import annotations

from shared.roles import Role
from tests.evidence import files
from tests.evidence.test_flow import direct_upload
from tests.records.conftest import COURSE_A, rec_a, rec_b  # noqa: F401  (records fixtures: schools with a semester)
from tests.support.api import assert_problem


def _course_id(rec) -> str:
    items = rec.clients[Role.CURRICULUM].get("/api/v1/records/courses", params={"per_page": 200}).json()["items"]
    return next(c["id"] for c in items if c["code"] == COURSE_A)


def _stored_evidence(student) -> str:
    data = files.pdf(3000)
    form = direct_upload(student, data, sha256=files.sha256(data))
    done = student.post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={})
    assert done.status_code in (200, 201), done.text
    return done.json()["id"]


def test_upload_create_submit_return_resubmit_certify_select_lock(rec_a):  # noqa: F811
    student, teacher, registrar = rec_a.students["S001"], rec_a.clients[Role.TEACHER], rec_a.registrar
    evidence_id = _stored_evidence(student)
    created = student.post(
        "/api/v1/outcomes", json={"course_id": _course_id(rec_a), "summary": "國語文課堂報告", "evidence_ids": [evidence_id]}
    )
    assert created.status_code == 201, created.text
    outcome = created.json()
    assert student.get("/api/v1/outcomes/mine").json()["remaining"] >= 0
    assert student.post(f"/api/v1/outcomes/{outcome['id']}/submit").json()["state"] == "submitted"
    queue = teacher.get("/api/v1/teacher/queue").json()
    assert any(i["id"] == outcome["id"] for c in queue["courses"] for i in c["items"])
    assert teacher.get(f"/api/v1/evidence/{evidence_id}/download").status_code == 200  # access granted at create
    returned = teacher.post(f"/api/v1/outcomes/{outcome['id']}/return", json={"reason": "unreadable_file"})
    assert returned.json()["state"] == "returned"
    assert any("退回" in n["message"] for n in student.get("/api/v1/notifications").json())
    assert student.post(f"/api/v1/outcomes/{outcome['id']}/submit").json()["state"] == "submitted"
    certified = teacher.post(f"/api/v1/outcomes/{outcome['id']}/certify")
    assert certified.status_code == 200, certified.text
    described = student.get(f"/api/v1/evidence/{evidence_id}").json()
    assert described["state"] == "locked"
    assert_problem(student.delete(f"/api/v1/evidence/{evidence_id}"), 409)
    assert student.post(f"/api/v1/outcomes/{outcome['id']}/selection").json()["selected"] == [outcome["id"]]
    assert registrar.post(f"/api/v1/terms/{rec_a.year}/{rec_a.term}/selection-lock").status_code == 200
    assert_problem(student.delete(f"/api/v1/outcomes/{outcome['id']}/selection"), 409, "selection_locked")


def test_refusals_through_the_gateway(rec_a, rec_b):  # noqa: F811
    student = rec_a.students["S002"]
    evidence_id = _stored_evidence(student)
    body = {"course_id": _course_id(rec_a), "summary": "字" * 101, "evidence_ids": [evidence_id]}
    assert_problem(student.post("/api/v1/outcomes", json=body), 422)
    body["summary"] = "別人的檔案"
    body["evidence_ids"] = [_stored_evidence(rec_a.students["S001"])]
    assert_problem(student.post("/api/v1/outcomes", json=body), 422, "bad_evidence")
    body["evidence_ids"] = [evidence_id]
    outcome = student.post("/api/v1/outcomes", json=body).json()
    student.post(f"/api/v1/outcomes/{outcome['id']}/submit")
    assert_problem(rec_b.clients[Role.TEACHER].post(f"/api/v1/outcomes/{outcome['id']}/certify"), 404)
    assert_problem(rec_a.students["S001"].post(f"/api/v1/outcomes/{outcome['id']}/withdraw"), 404)
    assert_problem(rec_a.clients[Role.HOMEROOM].post(f"/api/v1/outcomes/{outcome['id']}/certify"), 403)
    progress = rec_a.clients[Role.HOMEROOM].get("/api/v1/classes/101/progress").json()
    assert {s["student_id"] for s in progress["students"]} >= {"S001", "S002"}
    assert_problem(rec_a.clients[Role.HOMEROOM].get("/api/v1/classes/102/progress"), 404)
    completion = rec_a.registrar.get("/api/v1/completion").json()
    assert rec_a.ids[Role.TEACHER] in completion["per_teacher"]
