"""Records fixtures: one school's staff per unit role, a current semester, classes, students (built through the API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from deploy.seed_demo import semester_body
from shared.clock import to_taipei, utcnow
from shared.national_id import with_check_digit
from shared.roles import Role
from tests.identity.parents import invite, join
from tests.support.api import Client, login

PASSWORD = "Rec-pass-123"
COURSE_A = "11300000010000000000001"  # 23 characters
COURSE_B = "11300000010000000000002"


def national_id(n: int, gender: str = "1") -> str:
    return with_check_digit(f"A{gender}{n:07d}")


@dataclass
class RecordsSchool:
    code: str
    year: int
    term: int
    clients: dict[Role, Client]
    ids: dict[Role, str]
    students: dict[str, Client] = field(default_factory=dict)  # student_id -> client
    registrar_password: str = ""

    @property
    def registrar(self) -> Client:
        return self.clients[Role.REGISTRAR]


def _account(registrar: Client, base_url: str, school: str, username: str, roles: list[str], **extra) -> tuple[Client, str]:
    response = registrar.post(
        "/api/v1/accounts", json={"username": username, "display_name": username, "roles": roles, "password": PASSWORD, **extra}
    )
    assert response.status_code in (201, 409), response.text
    client = login(base_url, school, username, PASSWORD)
    return client, client.get("/api/v1/me").json()["id"]


def build_school(system, school, prefix: str) -> RecordsSchool:
    registrar = school.registrar
    clients: dict[Role, Client] = {Role.REGISTRAR: registrar}
    ids: dict[Role, str] = {Role.REGISTRAR: registrar.get("/api/v1/me").json()["id"]}
    for role in Role:
        if role in (Role.DISTRICT_ADMIN, Role.REGISTRAR, Role.STUDENT, Role.PARENT):  # a parent joins by invitation
            continue
        clients[role], ids[role] = _account(
            registrar, system.base_url, school.code, f"{prefix}-{role.value.replace('_', '-')}", [role.value]
        )
    today = to_taipei(utcnow()).date()
    semester = semester_body(today, {"1": (today + timedelta(days=120)).isoformat()})
    year, term = semester["year"], semester["term"]
    assert registrar.post("/api/v1/records/semesters", json=semester).status_code in (201, 409)
    for code, homeroom in (("101", ids[Role.HOMEROOM]), ("102", None)):
        body = {"year": year, "code": code, "name": f"{code} 班"}
        if homeroom:
            body["homeroom_teacher_id"] = homeroom
        assert registrar.post("/api/v1/records/classes", json=body).status_code in (200, 201)
    rec = RecordsSchool(school.code, year, term, clients, ids)
    for n, (sid, class_code) in enumerate((("S001", "101"), ("S002", "101"), ("S003", "102")), start=1):
        body = {
            "student_id": sid,
            "national_id": national_id(n + (0 if prefix == "a" else 500)),
            "name": f"學生{n}",
            "birth_date": "2009-03-0" + str(n),
            "gender": "1",
            "class_code": class_code,
            "seat_no": n,
        }
        assert registrar.post("/api/v1/records/students", json=body).status_code in (200, 201)
        client, _ = _account(
            registrar, system.base_url, school.code, f"{prefix}-stu-{sid.lower()}", ["student"], student_id=sid, class_code=class_code
        )
        rec.students[sid] = client
    rec.clients[Role.STUDENT] = rec.students["S001"]
    rec.ids[Role.STUDENT] = "S001"
    # 學生1's parent joins with the code 註冊組 printed for S001
    [slip] = invite(registrar, ["S001"])
    joined = join(system.base_url, slip["code"], f"{prefix}-parent", "學生1家長", PASSWORD)
    if joined.status_code == 422:  # built before (each module importing the fixture builds it): the parent is there
        rec.clients[Role.PARENT] = login(system.base_url, school.code, f"{prefix}-parent", PASSWORD)
    else:
        assert joined.status_code == 201, joined.text
        rec.clients[Role.PARENT] = Client(system.base_url, token=joined.json()["token"])
    rec.ids[Role.PARENT] = rec.clients[Role.PARENT].get("/api/v1/me").json()["id"]
    curriculum = clients[Role.CURRICULUM]
    for code, class_code, elective in ((COURSE_A, "101", False), (COURSE_B, "102", True)):
        body = {
            "year": year,
            "term": term,
            "code": code,
            "name": "國語文" if not elective else "探究與實作",
            "credits": 4 if not elective else 2,
            "class_code": class_code,
            "teacher_ids": [ids[Role.TEACHER]],
            "elective": elective,
        }
        assert curriculum.post("/api/v1/records/courses", json=body).status_code in (200, 201)
    return rec


def fresh_school(system, district, code: str, name: str, prefix: str) -> RecordsSchool:
    """A new school of its own (for tests that must not share state), built like rec_a."""
    from tests.conftest import make_school

    fixture = make_school(system, district, code, name)
    school = build_school(system, fixture, prefix)
    school.registrar_password = fixture.registrar_password
    return school


@pytest.fixture(scope="session")
def rec_a(system, school_a) -> RecordsSchool:
    return build_school(system, school_a, "a")


@pytest.fixture(scope="session")
def rec_b(system, school_b) -> RecordsSchool:
    return build_school(system, school_b, "b")
