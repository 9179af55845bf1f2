"""A school for the documents tests: S001 has a certified, ticked 國語文 outcome with 期末報告.pdf,
S002 only a draft, S003 is in class 102 (records fixtures build the rest)."""

from __future__ import annotations

from shared.roles import Role
from tests.evidence import files
from tests.evidence.test_flow import direct_upload
from tests.records.conftest import COURSE_A, fresh_school


def _stored(student, data: bytes, filename: str, content_type: str = "application/pdf") -> dict:
    form = direct_upload(student, data, filename=filename, content_type=content_type, sha256=files.sha256(data))
    done = student.post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={})
    assert done.status_code in (200, 201), done.text
    return done.json()


def seeded_school(system, district, code: str, name: str, prefix: str):
    rec = fresh_school(system, district, code, name, prefix)
    student, teacher = rec.students["S001"], rec.clients[Role.TEACHER]
    courses = rec.clients[Role.CURRICULUM].get("/api/v1/records/courses", params={"per_page": 200}).json()["items"]
    course = next(c["id"] for c in courses if c["code"] == COURSE_A)
    evidence = _stored(student, files.pdf(4000), "期末報告.pdf")
    body = {"course_id": course, "summary": "國語文期末報告", "evidence_ids": [evidence["id"]]}
    outcome = student.post("/api/v1/outcomes", json=body).json()
    assert student.post(f"/api/v1/outcomes/{outcome['id']}/submit").status_code == 200
    assert teacher.post(f"/api/v1/outcomes/{outcome['id']}/certify").status_code == 200
    assert student.post(f"/api/v1/outcomes/{outcome['id']}/selection").status_code == 200
    other = rec.students["S002"]
    draft = _stored(other, files.pdf(3000), "草稿.pdf")
    assert other.post("/api/v1/outcomes", json={"course_id": course, "summary": "草稿", "evidence_ids": [draft["id"]]}).status_code == 201
    rec.outcome_id = outcome["id"]  # type: ignore[attr-defined]
    rec.sha256 = evidence["sha256"]  # type: ignore[attr-defined]
    return rec
