"""The demo seed fills the records a demo needs, through the API, and can run twice."""

from __future__ import annotations

import secrets

import requests

from deploy import seed_demo
from tests.support.api import login


def test_demo_seed_is_usable_and_idempotent(system, district):
    password = "Demo-" + secrets.token_urlsafe(10)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {district.token}"
    seed_demo.seed_schools(system.base_url, session, password)
    seed_demo.seed_schools(system.base_url, session, password)  # again: nothing breaks, nothing doubles
    code = seed_demo.DEMO_SCHOOLS[0][0]
    homeroom = login(system.base_url, code, "homeroom101", password)
    students = homeroom.get("/api/v1/records/students").json()["items"]
    assert [s["student_id"] for s in students] == ["s10101", "s10102", "s10103"]
    student = login(system.base_url, code, "s10101", password)
    assert student.get("/api/v1/me").json()["student_id"] == "s10101"
    courses = student.get("/api/v1/records/courses", params={"class_code": "101"}).json()
    assert courses["total"] == 3
    assert student.get("/api/v1/records/selections").json()["total"] == 1
    teacher = login(system.base_url, code, "teacher", password)
    assert {s["class_code"] for s in teacher.get("/api/v1/records/students").json()["items"]} == {"101", "102"}
    assert student.get("/api/v1/records/semesters/current").json()["windows"]["performances"]["open_now"] is True
