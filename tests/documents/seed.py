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


def group_school(system, district, code: str, name: str, prefix: str):
    """A working group of its own (the working group tests count meetings and sessions of theirs):
    校長, the 教務主任 as executive secretary (by account), one subject chair; 生輔組 enters one absence."""
    from datetime import timedelta

    from tests.working_group.conftest import GroupSchool, add_member, today

    rec = fresh_school(system, district, code, name, prefix)
    start = (today() - timedelta(days=400)).isoformat()
    members = {
        "principal": add_member(rec.registrar, position="principal", name="王校長", term_starts=start),
        "secretary": add_member(
            rec.registrar, position="academic_director", name="李主任", account_id=rec.ids[Role.WORKING_GROUP], term_starts=start
        ),
        "chair": add_member(rec.registrar, position="subject_chair", subject="國文", name="陳老師", term_starts=start),
    }
    absence = {"year": rec.year, "term": rec.term, "student_id": "S001", "absence_type": "病假", "periods": 2}
    assert rec.clients[Role.DISCIPLINE].post("/api/v1/records/attendance", json=absence).status_code == 201
    semester = rec.registrar.get(f"/api/v1/records/semesters/{rec.year}-{rec.term}").json()
    return GroupSchool(rec, semester, members)
