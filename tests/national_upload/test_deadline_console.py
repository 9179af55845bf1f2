"""The deadline console through the gateway: the district admin sees every school, a registrar only
their own, and the figures are the upload's counts, retries and the work queue."""

from __future__ import annotations

from tests.national_upload.test_console import _upload_with_items
from tests.support.api import assert_problem

QUEUE_KEYS = {"ready", "workers", "dead_letters", "sending"}


def test_console_shows_each_school_to_the_district_and_only_its_own_to_a_registrar(system, district, school_a, school_b):
    upload_id, _ = _upload_with_items(system, school_a.code)  # one accepted item, one dead-lettered
    mine = school_a.registrar.get("/api/v1/national/deadline")
    assert mine.status_code == 200, mine.text
    (row,) = mine.json()["schools"]
    assert row["school_id"] == school_a.code and row["upload_id"] == upload_id
    assert (row["total"], row["accepted"], row["dead"], row["percent"], row["state"]) == (2, 1, 1, 100.0, "done")
    assert set(mine.json()["queue"]) == QUEUE_KEYS

    overview = district.get("/api/v1/national/deadline").json()
    rows = {r["school_id"]: r for r in overview["schools"]}
    assert rows[school_a.code]["upload_id"] == upload_id and rows[school_a.code]["school_name"]
    assert rows[school_b.code]["state"] == "not_started" and rows[school_b.code]["state_zh"] == "尚未上傳"

    other = school_b.registrar.get("/api/v1/national/deadline").json()["schools"]
    assert [r["school_id"] for r in other] == [school_b.code] and other[0]["upload_id"] is None  # never school A's figures


def test_console_is_closed_to_other_roles(school_a, system):
    from tests.support.api import login

    created = school_a.registrar.post(
        "/api/v1/accounts", json={"username": "console-teacher", "display_name": "老師", "roles": ["teacher"], "password": "Console-1x"}
    )
    assert created.status_code in (201, 409), created.text
    teacher = login(system.base_url, school_a.code, "console-teacher", "Console-1x")
    assert_problem(teacher.get("/api/v1/national/deadline"), 403, "forbidden")


def test_registrar_pauses_and_resumes_the_school_and_the_console_says_so(district, school_a):
    assert school_a.registrar.put("/api/v1/national/pause", json={"paused": True}).json() == {"school_id": school_a.code, "paused": True}
    row = next(r for r in district.get("/api/v1/national/deadline").json()["schools"] if r["school_id"] == school_a.code)
    assert row["paused"] is True
    assert_problem(school_a.registrar.put("/api/v1/national/pause", json={"paused": "maybe"}), 422)
    assert school_a.registrar.put("/api/v1/national/pause", json={"paused": False}).json()["paused"] is False
    assert_problem(district.put("/api/v1/national/pause", json={"paused": True}), 403)  # a school's own decision
