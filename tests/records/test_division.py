"""The permission matrix, generated from the division table: every record type x every role x read/write.

Also: every records route with an id from another school answers 404. (The division table takes its
readers and writers from the permission table, so the two cannot disagree.)
"""

from __future__ import annotations

import re

import pytest

from gateway.app import create_app  # noqa: F401  (registers every endpoint)
from gateway.endpoints import REGISTRY
from services.records.division import TYPES, Scope
from shared.permissions import GRANTS
from shared.roles import Role
from tests.records.bodies import SCOPE_STUDENTS, write_body
from tests.support.api import assert_problem


@pytest.mark.parametrize("key", list(TYPES))
def test_a_writer_can_read_what_it_wrote(key):
    assert set(TYPES[key].writers) <= set(TYPES[key].readers)


@pytest.fixture(scope="module")
def matrix_school(rec_a):
    assign = {"counselor_id": rec_a.ids[Role.COUNSELOR], "student_id": "S001"}
    assert rec_a.registrar.post("/api/v1/records/counsellor_assignments", json=assign).status_code in (200, 201)
    return rec_a


@pytest.mark.parametrize("key", list(TYPES))
def test_permission_matrix(matrix_school, district, key):
    rec = matrix_school
    type_ = TYPES[key]
    failures = []
    clients = {**rec.clients, Role.DISTRICT_ADMIN: district}
    for n, role in enumerate(Role):
        client = clients[role]
        response = client.post(f"/api/v1/records/{key}", json=write_body(rec, key, n))
        if role in type_.writers:
            if response.status_code not in (200, 201):
                failures.append(f"{role} write: {response.status_code} {response.text[:200]}")
        elif response.status_code != 403:
            failures.append(f"{role} write should be 403, got {response.status_code}")
        response = client.get(f"/api/v1/records/{key}", params={"per_page": 500})
        if role not in type_.readers:
            if response.status_code != 403:
                failures.append(f"{role} read should be 403, got {response.status_code}")
            continue
        if response.status_code != 200:
            failures.append(f"{role} read: {response.status_code} {response.text[:200]}")
            continue
        items = response.json()["items"]
        scope = type_.readers[role]
        if scope is Scope.SCHOOL:
            continue
        if scope is Scope.OWN:
            if any(item[type_.owner_field] != rec.ids[role] for item in items):
                failures.append(f"{role} sees items it does not own")
        elif type_.student_field == "student_id":
            seen = {item["student_id"] for item in items}
            if not seen <= SCOPE_STUDENTS[role]:
                failures.append(f"{role} ({scope}) sees {sorted(seen - SCOPE_STUDENTS[role])}")
    assert not failures, "\n".join(failures)


# --- cross-school: every records route with an id of school A, called by school B -> 404 -------------


def _ids_of_a(rec) -> dict[str, str]:
    ids = {}
    for key, type_ in TYPES.items():
        reader = rec.clients[sorted(type_.writers)[0]]
        items = reader.get(f"/api/v1/records/{key}", params={"per_page": 1}).json()["items"]
        if items:
            ids[key] = items[0]["id"]
    return ids


ID_ROUTES = [s for s in REGISTRY if s.rule.startswith("/api/v1/records/") and "<" in s.rule and "<kind>" not in s.rule]


@pytest.fixture(scope="module")
def a_ids(matrix_school, rec_b):
    rec = matrix_school
    past = {"year": rec.year - 2, "term": 1, "starts_on": f"{rec.year - 2 + 1911}-08-01", "ends_on": f"{rec.year - 1 + 1911}-01-31"}
    past["closing_ceremony"] = f"{rec.year - 1 + 1911}-01-20"
    assert rec.registrar.post("/api/v1/records/semesters", json=past).status_code in (201, 409)
    ids = _ids_of_a(rec)
    for key in TYPES:
        if key not in ids:  # make sure every type has one record in A
            body = write_body(rec, key, 77)
            response = rec.clients[sorted(TYPES[key].writers)[0]].post(f"/api/v1/records/{key}", json=body)
            assert response.status_code in (200, 201), response.text
            ids[key] = response.json()["record"]["id"]
    imported = rec.registrar.post(
        "/api/v1/records/classes/import",
        files={"file": ("c.csv", f"學年度,班級代碼\n{rec.year},199\n".encode())},
        data={"import_id": "cross-school-import"},
    )
    assert imported.status_code == 200, imported.text
    ids["semester"] = f"{rec.year - 2}-1"
    ids["import"] = "cross-school-import"
    return ids


@pytest.mark.parametrize("spec", ID_ROUTES, ids=lambda s: f"{s.method} {s.rule}")
def test_school_b_gets_404_for_ids_of_school_a(a_ids, rec_b, spec):
    role = sorted(GRANTS[spec.permission])[0]
    client = rec_b.clients[role]

    def value(name: str) -> str:
        if name == "semester_id":
            return a_ids["semester"]
        if name == "import_id":
            return a_ids["import"]
        key = spec.rule.split("/")[4]
        return a_ids[key]

    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), spec.rule)
    body = None
    if spec.body is not None:
        key = spec.rule.split("/")[4]
        body = write_body(rec_b, key, 5) if spec.rule.endswith("<record_id>") else _special_body(rec_b, spec)
    assert_problem(client.request(spec.method, path, json=body), 404)


def _special_body(rec, spec) -> dict:
    if spec.rule.endswith("/reopenings"):
        return {"student_id": "S001", "record_type": "grades", "until": "2030-01-01T00:00:00+08:00", "reason": "補登成績"}
    if spec.rule.endswith("/claim"):
        return {}
    return {"closing_ceremony": f"{rec.year - 1 + 1911}-01-21"}  # PATCH semester
