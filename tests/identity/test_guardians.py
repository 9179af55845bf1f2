"""Parents' invitations through the gateway: 註冊組 invites a student or a class and prints the slips
once; a parent joins with a code (its own username and password) or adds a second child; a used,
expired or revoked code is refused in zh-TW and English; another school sees none of it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.clock import utcnow
from shared.roles import Role
from tests.identity.parents import PARENT_PASSWORD, invite, join, parent_client
from tests.records.conftest import fresh_school, rec_b  # noqa: F401  (school B with its own S001)
from tests.support.api import Client, assert_problem, login


@pytest.fixture(scope="module")
def school(system, district):
    return fresh_school(system, district, "G00041", "庚高中", "g")


def test_a_class_gets_one_slip_per_enrolled_student_with_name_seat_code_and_expiry(school):
    slips = invite(school.registrar, class_code="101")
    assert [(s["student_name"], s["class_code"], s["seat_no"]) for s in slips] == [("學生1", "101", 1), ("學生2", "101", 2)]
    assert all(len(s["code"]) == 14 and s["code"].count("-") == 2 for s in slips)
    assert all(s["url"].endswith(f"/parent/join?code={s['code']}") for s in slips)
    listed = school.registrar.get("/api/v1/guardians/invitations", params={"class_code": "101"}).json()
    assert [i["state_zh"] for i in listed[:2]] == ["未使用", "未使用"]  # newest first: these two
    assert all("code" not in i and "code_hash" not in i for i in listed)


def test_the_slips_are_handed_out_once(school):
    created = school.registrar.post("/api/v1/guardians/invitations", json={"student_ids": ["S003"]}).json()
    first = school.registrar.get(created["sheet_url"])
    assert first.status_code == 200 and "text/html" in first.headers["Content-Type"]
    assert "學生3" in first.text and "家長帳號邀請" in first.text and "G00041" in first.text
    body = assert_problem(school.registrar.get(created["sheet_url"]), 410, "invitation_sheet_gone")
    assert "只能下載一次" in body["detail"] and body["title_en"]


def test_a_parent_joins_with_a_code_then_signs_in_with_its_own_password(system, school):
    [slip] = invite(school.registrar, ["S001"])
    joined = join(system.base_url, slip["code"].lower().replace("-", " "), "g-parent-one", "林媽媽")
    assert joined.status_code == 201, joined.text
    account = joined.json()["account"]
    assert account["roles"] == ["parent"] and not account["must_change_password"] and account["school_id"] == "G00041"
    parent = login(system.base_url, "G00041", "g-parent-one", PARENT_PASSWORD)
    assert [(c["student_id"], c["name"], c["class_code"]) for c in parent.get("/api/v1/parent/children").json()] == [
        ("S001", "學生1", "101")
    ]
    seen = school.registrar.get("/api/v1/guardians/students/S001").json()
    assert "林媽媽" in [g["parent_name"] for g in seen["guardians"]]
    assert seen["invitations"][0]["state"] == "used"


def test_a_used_code_is_refused_in_both_languages(system, school):
    [slip] = invite(school.registrar, ["S002"])
    assert join(system.base_url, slip["code"], "g-parent-two").status_code == 201
    body = assert_problem(join(system.base_url, slip["code"], "g-parent-three"), 410, "invitation_invalid")
    assert "已使用" in body["detail"] and body["detail_en"] == "the code was used already"
    assert body["errors"][0]["field"] == "code"


def test_an_expired_code_is_refused(system, school, identity_db):
    [slip] = invite(school.registrar, ["S002"])
    pending = next(
        i for i in school.registrar.get("/api/v1/guardians/invitations", params={"student_id": "S002"}).json() if i["state"] == "pending"
    )
    # thirty days later (the one way a test ages an invitation: its own service's database)
    identity_db["guardian_invitations"].update_one({"_id": pending["id"]}, {"$set": {"expires_at": utcnow() - timedelta(minutes=1)}})
    body = assert_problem(join(system.base_url, slip["code"], "g-parent-late"), 410, "invitation_invalid")
    assert "逾期" in body["detail"] and body["detail_en"] == "the code has expired"


def test_a_revoked_code_is_refused_and_a_used_one_cannot_be_revoked(system, school):
    [slip] = invite(school.registrar, ["S003"])
    pending = next(
        i for i in school.registrar.get("/api/v1/guardians/invitations", params={"student_id": "S003"}).json() if i["state"] == "pending"
    )
    revoked = school.registrar.post(f"/api/v1/guardians/invitations/{pending['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state_zh"] == "已撤銷"
    body = assert_problem(join(system.base_url, slip["code"], "g-parent-revoked"), 410, "invitation_invalid")
    assert "撤銷" in body["detail"] and body["detail_en"] == "the code was revoked by the registrar"
    used = next(
        i for i in school.registrar.get("/api/v1/guardians/invitations", params={"student_id": "S001"}).json() if i["state"] == "used"
    )
    assert_problem(school.registrar.post(f"/api/v1/guardians/invitations/{used['id']}/revoke"), 410, "invitation_invalid")


def test_an_unknown_code_and_a_weak_or_taken_username_are_answered_beside_their_field(system, school):
    body = assert_problem(join(system.base_url, "ABCD-EFGH-JKMN", "g-parent-x"), 404, "invitation_not_found")
    assert body["errors"][0]["field"] == "code" and "邀請碼不正確" in body["errors"][0]["message"]
    [slip] = invite(school.registrar, ["S003"])
    taken = assert_problem(join(system.base_url, slip["code"], "g-parent-one"), 422)
    assert taken["errors"][0]["field"] == "username"
    weak = {"code": slip["code"], "username": "g-parent-weak", "display_name": "家長", "password": "aaaaaaaa"}
    assert_problem(Client(system.base_url).post("/api/v1/parent/join", json=weak), 422)
    assert join(system.base_url, slip["code"], "g-parent-four").status_code == 201  # the code survived both refusals


def test_a_parent_adds_a_second_child_with_its_code(system, school):
    [first, second] = invite(school.registrar, ["S002", "S003"])
    parent = parent_client(system.base_url, first["code"], "g-parent-two-kids", "陳爸爸")
    added = parent.post("/api/v1/parent/children", json={"code": second["code"]})
    assert added.status_code == 201, added.text
    assert [c["name"] for c in parent.get("/api/v1/parent/children").json()] == ["學生2", "學生3"]
    assert_problem(parent.post("/api/v1/parent/children", json={"code": second["code"]}), 410, "invitation_invalid")


def test_the_registrar_removes_a_parent_link_and_a_parent_without_children_cannot_sign_in(system, school):
    [slip] = invite(school.registrar, ["S001"])
    parent_client(system.base_url, slip["code"], "g-parent-removed", "移除測試")
    link = next(g for g in school.registrar.get("/api/v1/guardians/students/S001").json()["guardians"] if g["parent_name"] == "移除測試")
    assert school.registrar.delete(f"/api/v1/guardians/links/{link['id']}").status_code == 204
    assert all(g["id"] != link["id"] for g in school.registrar.get("/api/v1/guardians/students/S001").json()["guardians"])
    assert_problem(
        Client(system.base_url).post(
            "/api/v1/auth/login", json={"school_code": "G00041", "username": "g-parent-removed", "password": PARENT_PASSWORD}
        ),
        403,
        "account_disabled",
    )


def test_parent_accounts_are_never_opened_or_given_by_the_registrar(school):
    body = {"username": "g-fake-parent", "display_name": "家長", "roles": ["parent"], "password": "Fake-pass-1"}
    refused = assert_problem(school.registrar.post("/api/v1/accounts", json=body), 422)
    assert "邀請碼" in refused["errors"][0]["message"]
    teacher_id = school.ids[Role.TEACHER]
    assert_problem(school.registrar.patch(f"/api/v1/accounts/{teacher_id}", json={"roles": ["teacher", "parent"]}), 422)


def test_another_school_sees_nothing_of_these_invitations_or_links(system, school, rec_b):  # noqa: F811
    [slip] = invite(school.registrar, ["S003"])
    invitation = school.registrar.get("/api/v1/guardians/invitations", params={"student_id": "S003"}).json()[0]
    link = school.registrar.get("/api/v1/guardians/students/S001").json()["guardians"][0]
    other = rec_b.registrar
    assert_problem(other.post(f"/api/v1/guardians/invitations/{invitation['id']}/revoke"), 404)
    assert_problem(other.delete(f"/api/v1/guardians/links/{link['id']}"), 404)
    assert all(i["id"] != invitation["id"] for i in other.get("/api/v1/guardians/invitations", params={"student_id": "S003"}).json())
    # a parent of the other school cannot add this school's child with this school's code
    [b_slip] = invite(other, ["S001"])
    b_parent = parent_client(system.base_url, b_slip["code"], "b-parent-cross")
    assert_problem(b_parent.post("/api/v1/parent/children", json={"code": slip["code"]}), 404, "invitation_not_found")
    assert join(system.base_url, slip["code"], "g-parent-five").status_code == 201  # still usable in its own school


def _invitation(school, student_id: str, state: str) -> dict:
    listed = school.registrar.get("/api/v1/guardians/invitations", params={"student_id": student_id}).json()
    return next(i for i in listed if i["state"] == state)


def test_a_student_who_leaves_is_read_by_no_parent_until_the_archive_is_undone(system, school):
    """畢業/轉出: the portfolio is the registrar's to keep; the parent's children list and reads lose it."""
    from tests.support.system import wait_until

    [slip] = invite(school.registrar, ["S003"])
    parent = parent_client(system.base_url, slip["code"], "g-parent-leaver", "轉出生家長")
    assert [c["student_id"] for c in parent.get("/api/v1/parent/children").json()] == ["S003"]
    left = school.registrar.post("/api/v1/archive/students", json={"student_ids": ["S003"], "status": "轉出"})
    assert left.status_code == 200, left.text
    wait_until(lambda: parent.get("/api/v1/parent/children").json() == [], 30, "the leaver gone from the parent's children")
    assert_problem(parent.get("/api/v1/parent/children/S003/portfolio"), 404, "child_not_found")
    assert_problem(school.registrar.post("/api/v1/guardians/invitations", json={"student_ids": ["S003"]}), 422)
    back = school.registrar.post("/api/v1/archive/students/S003/unarchive", json={"reason": "誤設轉出"})
    assert back.status_code == 200, back.text
    wait_until(lambda: len(parent.get("/api/v1/parent/children").json()) == 1, 30, "the child back after the undone archive")
