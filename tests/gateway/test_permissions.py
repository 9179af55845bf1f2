"""Every route of the permission table tried with an allowed and a denied role; tenancy across schools."""

from __future__ import annotations

import re

import pytest

from gateway.app import create_app  # noqa: F401  (registers every endpoint)
from gateway.endpoints import REGISTRY
from shared.permissions import GRANTS
from shared.roles import Role
from tests.records.conftest import rec_a, rec_b  # noqa: F401  (school A's students: a parent's child; school B)
from tests.support.api import Client, assert_problem, login

PROTECTED = [spec for spec in REGISTRY if spec.permission is not None]
SESSION_ENDING = {"/api/v1/me/sessions/logout-everywhere"}


@pytest.fixture(scope="module")
def role_clients(system, school_a, district, rec_a) -> dict[Role, Client]:  # noqa: F811
    """One logged-in client per role in school A (and the district admin); the parent joins by invitation."""
    clients = {Role.DISTRICT_ADMIN: district, Role.REGISTRAR: school_a.registrar}
    clients[Role.PARENT] = rec_a.clients[Role.PARENT]  # 學生1's parent: it joined by invitation
    for role in Role:
        if role in clients:
            continue
        username = f"perm-{role.value.replace('_', '-')}"
        response = school_a.registrar.post(
            "/api/v1/accounts", json={"username": username, "display_name": "角色測試", "roles": [role.value], "password": "Perm-pass-1"}
        )
        assert response.status_code in (201, 409), response.text
        clients[role] = login(system.base_url, school_a.code, username, "Perm-pass-1")
    return clients


def _target_account(school_a) -> str:
    """An account the routes may act on freely (resetting the registrar's own password would lock other tests out)."""
    response = school_a.registrar.post(
        "/api/v1/accounts", json={"username": "perm-target", "display_name": "測試對象", "roles": ["student"]}
    )
    if response.status_code == 201:
        return response.json()["account"]["id"]
    listed = school_a.registrar.get("/api/v1/accounts", params={"per_page": 200}).json()["items"]
    return next(a["id"] for a in listed if a["username"] == "perm-target")


def _path(rule: str, school_code: str, account_id: str) -> str:
    known = {"code": school_code, "account_id": account_id}

    def value(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        return known.get(name, "1" if converter == "int" else "x")

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule)


@pytest.mark.parametrize("spec", PROTECTED, ids=lambda s: f"{s.method} {s.rule}")
def test_route_allows_its_roles_and_denies_others(role_clients, school_a, spec):
    path = _path(spec.rule, school_a.code, _target_account(school_a))
    allowed = sorted(GRANTS[spec.permission])[0]
    client = role_clients[allowed]
    if spec.rule in SESSION_ENDING:  # a throwaway account: this route ends every session of the one calling it
        username = f"perm-end-{allowed.value.replace('_', '-')}"
        body = {"username": username, "display_name": "角色測試", "roles": [allowed.value], "password": "Perm-pass-1"}
        assert school_a.registrar.post("/api/v1/accounts", json=body).status_code in (201, 409)
        client = login(client.base_url, school_a.code, username, "Perm-pass-1")
    if spec.permission.value.startswith("child:"):  # the parent's own child: past the check, into the service
        path = path.replace("/children/x/", "/children/S001/")
    response = client.request(spec.method, path, json={} if spec.method in ("POST", "PUT", "PATCH") and not spec.multipart else None)
    assert response.status_code not in (401, 403), f"{allowed} refused on {spec.method} {path}: {response.text[:300]}"
    denied = [r for r in Role if r not in GRANTS[spec.permission]]
    if denied:
        response = role_clients[denied[0]].request(spec.method, path, json={})
        assert_problem(response, 403, "forbidden")
    assert_problem(Client(school_a.registrar.base_url).request(spec.method, path, json={}), 401)


def test_school_b_gets_404_for_every_account_resource_of_school_a(school_a, school_b):
    target = school_a.registrar.post(
        "/api/v1/accounts", json={"username": "tenant1", "display_name": "甲校學生", "roles": ["student"]}
    ).json()["account"]
    other = school_b.registrar
    assert_problem(other.get(f"/api/v1/accounts/{target['id']}"), 404)
    assert_problem(other.patch(f"/api/v1/accounts/{target['id']}", json={"disabled": True}), 404)
    assert_problem(other.post(f"/api/v1/accounts/{target['id']}/reset-password"), 404)
    assert all(a["id"] != target["id"] for a in other.get("/api/v1/accounts", params={"per_page": 200}).json()["items"])
    assert all(e["target"] != target["id"] for e in other.get("/api/v1/audit", params={"limit": 500}).json())
    assert school_a.registrar.get(f"/api/v1/accounts/{target['id']}").json()["disabled"] is False


def test_same_username_in_two_schools_are_two_accounts(system, school_a, school_b):
    for school in (school_a, school_b):
        assert (
            school.registrar.post(
                "/api/v1/accounts", json={"username": "twin", "display_name": "同名", "roles": ["student"], "password": "Twin-pass-1"}
            ).status_code
            == 201
        )
    a = login(system.base_url, school_a.code, "twin", "Twin-pass-1").get("/api/v1/me").json()
    b = login(system.base_url, school_b.code, "twin", "Twin-pass-1").get("/api/v1/me").json()
    assert a["id"] != b["id"] and a["school_id"] == school_a.code and b["school_id"] == school_b.code


def test_a_parent_of_school_a_reaches_no_student_of_school_b(role_clients, rec_b):  # noqa: F811
    """The parent's school is its token's: school B's S003 is no child of a school A parent (404), and the
    same 學號 names school A's student only when it is the parent's own child."""
    parent = role_clients[Role.PARENT]
    for path in ("portfolio", "confirmation", "receipts"):
        assert_problem(parent.get(f"/api/v1/parent/children/S003/{path}"), 404, "child_not_found")
    assert [c["student_id"] for c in parent.get("/api/v1/parent/children").json()] == ["S001"]
