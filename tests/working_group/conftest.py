"""Working group fixtures: a school of its own (its calendar is changed by the tests), built through the APIs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from shared.clock import to_taipei, utcnow
from shared.roles import Role
from tests.conftest import make_school
from tests.records.conftest import COURSE_A, RecordsSchool, _account, build_school
from tests.support.api import Client


@dataclass
class GroupSchool:
    rec: RecordsSchool
    semester: dict
    members: dict[str, dict]

    @property
    def secretary(self) -> Client:
        return self.rec.clients[Role.WORKING_GROUP]

    @property
    def registrar(self) -> Client:
        return self.rec.registrar


def today() -> date:
    return to_taipei(utcnow()).date()


def add_member(client: Client, **body) -> dict:
    response = client.post("/api/v1/working-group/members", json=body)
    assert response.status_code == 201, response.text
    return response.json()


_BUILT: dict[str, GroupSchool] = {}  # per test system: tests/web imports this fixture too, and it is built once


@pytest.fixture(scope="session")
def wg(system, district) -> GroupSchool:
    if system.run_id not in _BUILT:
        _BUILT[system.run_id] = build_group_school(system, district)
    return _BUILT[system.run_id]


def build_group_school(system, district) -> GroupSchool:
    """School W: the records seed, the group's members, and a known set of entries and uploads.

    Known answers: 生輔組 enters 1 attendance on time; 訓育組 enters 2 cadres on time and 1 after the cadres
    window closed (through a reopening); S001 (class 101) uploads one outcome that the teacher certifies; the registrar
    re-checks S001 and S003. No national upload.
    """
    school = make_school(system, district, "W00008", "工作小組高中")
    rec = build_school(system, school, "w")
    registrar, year, term = rec.registrar, rec.year, rec.term
    start = (today() - timedelta(days=400)).isoformat()
    members = {
        "principal": add_member(registrar, position="principal", name="王校長", term_starts=start),
        "secretary": add_member(
            registrar, position="academic_director", name="李主任", account_id=rec.ids[Role.WORKING_GROUP], term_starts=start
        ),
        "chair": add_member(registrar, position="subject_chair", subject="國文", name="陳老師", term_starts=start),
        "former_parent": add_member(
            registrar,
            position="parent_representative",
            name="林家長",
            term_starts=start,
            term_ends=(today() - timedelta(days=200)).isoformat(),
        ),
    }
    sem = {"year": year, "term": term}
    discipline, activities = rec.clients[Role.DISCIPLINE], rec.clients[Role.ACTIVITIES]
    assert (
        discipline.post("/api/v1/records/attendance", json={**sem, "student_id": "S001", "absence_type": "病假", "periods": 2}).status_code
        == 201
    )
    for sid in ("S001", "S002"):
        body = {**sem, "student_id": sid, "level": "2", "unit": "班級", "position": "班長", "start_date": today().isoformat()}
        assert activities.post("/api/v1/records/cadres", json=body).status_code == 201
    semester_id = f"{year}-{term}"
    # The cadres window closes now; a reopening for S003 lets 訓育組 enter one more cadre: a late entry.
    closed_at = datetime.now(UTC).isoformat()
    windows = {"cadres": {"opens_at": f"{rec_start(registrar, semester_id)}T00:00:00+08:00", "closes_at": closed_at}}
    patched = registrar.patch(f"/api/v1/records/semesters/{semester_id}", json={"windows": windows})
    assert patched.status_code == 200, patched.text
    reopen = {
        "student_id": "S003",
        "record_type": "cadres",
        "until": (today() + timedelta(days=3)).isoformat() + "T00:00:00",
        "reason": "補登",
    }
    assert registrar.post(f"/api/v1/records/semesters/{semester_id}/reopenings", json=reopen).status_code == 201
    body = {**sem, "student_id": "S003", "level": "2", "unit": "班級", "position": "副班長", "start_date": today().isoformat()}
    late = activities.post("/api/v1/records/cadres", json=body)
    assert late.status_code == 201, late.text
    assert registrar.post("/api/v1/records/students/recheck", json={**sem, "student_ids": ["S001", "S003"]}).status_code == 200
    _certified_outcome(rec)
    semester = registrar.get(f"/api/v1/records/semesters/{semester_id}").json()
    return GroupSchool(rec, semester, members)


def rec_start(registrar: Client, semester_id: str) -> str:
    return registrar.get(f"/api/v1/records/semesters/{semester_id}").json()["starts_on"]


def _certified_outcome(rec: RecordsSchool) -> None:
    from tests.evidence import files
    from tests.evidence.test_flow import direct_upload

    student, teacher = rec.students["S001"], rec.clients[Role.TEACHER]
    data = files.pdf(3000)
    form = direct_upload(student, data, sha256=files.sha256(data))
    evidence = student.post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={}).json()["id"]
    courses = rec.clients[Role.CURRICULUM].get("/api/v1/records/courses", params={"per_page": 200}).json()["items"]
    course_id = next(c["id"] for c in courses if c["code"] == COURSE_A)
    created = student.post("/api/v1/outcomes", json={"course_id": course_id, "summary": "報告", "evidence_ids": [evidence]})
    assert created.status_code == 201, created.text
    outcome = created.json()["id"]
    assert student.post(f"/api/v1/outcomes/{outcome}/submit").status_code == 200
    assert teacher.post(f"/api/v1/outcomes/{outcome}/certify").status_code == 200


@pytest.fixture(scope="session")
def other_group(system, school_b) -> Client:
    """A working group member of school B."""
    client, _ = _account(school_b.registrar, system.base_url, school_b.code, "b-wg-member", ["working_group"])
    return client
