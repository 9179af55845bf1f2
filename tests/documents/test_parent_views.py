"""What a parent reads of its child and records: the portfolio with 認證 and 勾選 in zh-TW, the very
確認單 the child prints (same version), its acknowledgement (who, when, which version); another child
or school is 404 and nothing a parent may call writes anything."""

from __future__ import annotations

import pytest

from gateway.app import create_app  # noqa: F401  (registers every endpoint)
from gateway.endpoints import REGISTRY
from shared.permissions import GRANTS
from shared.roles import Role
from tests.documents import pdfs
from tests.documents.seed import seeded_school
from tests.identity.parents import invite, parent_client
from tests.records.conftest import rec_b  # noqa: F401  (school B with its own S001)
from tests.support.api import assert_problem


@pytest.fixture(scope="module")
def school(system, district):
    rec = seeded_school(system, district, "H00051", "辛高中", "h")
    [one, two] = invite(rec.registrar, ["S001", "S002"])
    rec.parent = parent_client(system.base_url, one["code"], "h-mom", "學生1家長")  # type: ignore[attr-defined]
    rec.parent.post("/api/v1/parent/children", json={"code": two["code"]})  # type: ignore[attr-defined]
    [other] = invite(rec.registrar, ["S003"])
    rec.other_parent = parent_client(system.base_url, other["code"], "h-parent-three", "學生3家長")  # type: ignore[attr-defined]
    return rec


def test_the_portfolio_shows_states_and_ticks_in_zh_tw(school):
    data = school.parent.get("/api/v1/parent/children/S001/portfolio").json()
    assert data["student"]["name"] == "學生1" and (data["year"], data["term"]) == (school.year, school.term)
    [outcome] = data["outcomes"]
    assert (outcome["course_name"], outcome["state_zh"], outcome["selected"]) == ("國語文", "已認證", True)
    assert outcome["files"] == [{"filename": "期末報告.pdf", "sha256": school.sha256}] and outcome["certified_on"]
    assert data["selected"] == 1 and data["selection_cap"] >= 1
    draft = school.parent.get("/api/v1/parent/children/S002/portfolio").json()["outcomes"]
    assert [(o["summary"], o["state_zh"], o["selected"]) for o in draft] == [("草稿", "草稿", False)]


def test_the_parent_reads_the_same_sheet_the_child_prints_and_acknowledges_it(school):
    student = school.students["S001"]
    printed = pdfs.text(student.get("/api/v1/documents/confirmation.pdf").content)
    shown = school.parent.get("/api/v1/parent/children/S001/confirmation").json()
    version = shown["sheet"]["version"]
    assert f"第 {version} 版" in printed  # the same content prints as the same version for child and parent
    assert [o["course_name"] for o in shown["sheet"]["outcomes"]] == ["國語文"] and shown["acknowledgements"] == []
    body = {"year": school.year, "term": school.term, "fingerprint": shown["fingerprint"], "seen": True}
    ack = school.parent.post("/api/v1/parent/children/S001/confirmation/acknowledgement", json=body)
    assert ack.status_code == 201, ack.text
    assert ack.json()["version"] == version and ack.json()["parent_name"] == "學生1家長" and ack.json()["current"]
    again = school.parent.post("/api/v1/parent/children/S001/confirmation/acknowledgement", json=body).json()
    assert again["at"] == ack.json()["at"]  # a retry records nothing new
    [recorded] = school.parent.get("/api/v1/parent/children/S001/confirmation").json()["acknowledgements"]
    assert recorded["fingerprint"] == shown["fingerprint"] and recorded["current"]
    pdf = school.parent.get("/api/v1/parent/children/S001/confirmation.pdf")
    assert pdf.status_code == 200 and f"第 {version} 版" in pdfs.text(pdf.content)


def test_an_acknowledgement_must_be_ticked_and_of_the_sheet_as_it_stands(school):
    shown = school.parent.get("/api/v1/parent/children/S001/confirmation").json()
    url = "/api/v1/parent/children/S001/confirmation/acknowledgement"
    unticked = {"year": school.year, "term": school.term, "fingerprint": shown["fingerprint"], "seen": False}
    body = assert_problem(school.parent.post(url, json=unticked), 422)
    assert "我已看過" in body["errors"][0]["message"]
    stale = {**unticked, "seen": True, "fingerprint": "0" * 64}
    changed = assert_problem(school.parent.post(url, json=stale), 409, "confirmation_changed")
    assert "重新檢視" in changed["detail"] and changed["title_en"] == "The confirmation sheet has changed"
    # the child unticks: the earlier acknowledgement no longer matches what is ticked
    student = school.students["S001"]
    assert student.delete(f"/api/v1/outcomes/{school.outcome_id}/selection").status_code == 200
    try:
        acks = school.parent.get("/api/v1/parent/children/S001/confirmation").json()["acknowledgements"]
        assert acks and not any(a["current"] for a in acks)
    finally:
        assert student.post(f"/api/v1/outcomes/{school.outcome_id}/selection").status_code == 200


def test_another_child_or_school_is_not_found(school, rec_b):  # noqa: F811
    for path in ("portfolio", "confirmation", "confirmation.pdf", "receipts"):
        body = assert_problem(school.other_parent.get(f"/api/v1/parent/children/S001/{path}"), 404, "child_not_found")
        assert body["title"] == "找不到此學生" and body["title_en"]
        assert_problem(school.parent.get(f"/api/v1/parent/children/S999/{path}"), 404)
    ack = {"year": school.year, "term": school.term, "fingerprint": "0" * 64, "seen": True}
    assert_problem(school.other_parent.post("/api/v1/parent/children/S001/confirmation/acknowledgement", json=ack), 404)
    # school B's S001 is another student: a parent of school A reaches its own school's S001 only
    assert school.parent.get("/api/v1/parent/children/S001/portfolio").json()["student"]["name"] == "學生1"
    [b_slip] = invite(rec_b.registrar, ["S002"])
    b_parent = parent_client(school.parent.base_url, b_slip["code"], "h-b-parent")
    assert_problem(b_parent.get("/api/v1/parent/children/S001/portfolio"), 404, "child_not_found")
    assert [c["name"] for c in b_parent.get("/api/v1/parent/children").json()] == ["學生2"]


def test_a_parent_holds_no_write_of_the_child_or_the_school(school):
    """Every route that changes something refuses a parent, except its own account, its children's links
    and its acknowledgement; and the child's own routes (outcomes, 勾選, receipts) are not the parent's."""
    mine = {
        "self:account:read",
        "self:password:update",
        "self:problem_reports:write",
        "self:mail_settings:write",  # its own reminders on or off
        "self:children:link",
        "child:confirmation:acknowledge",
    }
    for spec in REGISTRY:
        if spec.permission is None or spec.method == "GET" or Role.PARENT not in GRANTS[spec.permission]:
            continue
        assert spec.permission.value in mine, f"{spec.method} {spec.rule} is open to parents"
    for method, path in (
        ("GET", "/api/v1/outcomes/mine"),
        ("POST", f"/api/v1/outcomes/{school.outcome_id}/selection"),
        ("DELETE", f"/api/v1/outcomes/{school.outcome_id}/selection"),
        ("GET", "/api/v1/me/receipts"),
        ("GET", "/api/v1/records/classes"),
        ("GET", "/api/v1/records/students"),
        ("GET", "/api/v1/evidence"),
        ("GET", "/api/v1/lookup/staff?q=a"),
        ("GET", "/api/v1/documents/confirmation.pdf"),
    ):
        assert_problem(school.parent.request(method, path), 403, "forbidden")
