"""Evidence through the gateway over HTTP, against the running system and the real S3 store."""

from __future__ import annotations

import pytest
import requests

from tests.evidence import files
from tests.support.api import Client, assert_problem, login

PASSWORD = "Evid-pass-1"


def account(system, school, username: str, roles: list[str], **extra) -> Client:
    response = school.registrar.post(
        "/api/v1/accounts", json={"username": username, "display_name": "測試", "roles": roles, "password": PASSWORD, **extra}
    )
    assert response.status_code in (201, 409), response.text
    return login(system.base_url, school.code, username, PASSWORD)


@pytest.fixture(scope="module")
def people(system, school_a, school_b):
    return {
        "student": account(system, school_a, "ev-stu1", ["student"], class_code="101", student_id="S-A-1"),
        "classmate": account(system, school_a, "ev-stu2", ["student"], class_code="101", student_id="S-A-2"),
        "homeroom": account(system, school_a, "ev-home", ["homeroom", "teacher"], class_code="101"),
        "organizer": account(system, school_a, "ev-org", ["contest_organizer"]),
        "registrar": school_a.registrar,
        "other_registrar": school_b.registrar,
        "other_student": account(system, school_b, "ev-stu1", ["student"], student_id="S-A-1"),
    }


def direct_upload(
    client: Client, data: bytes, *, filename="成果報告.pdf", content_type="application/pdf", kind="document", **extra
) -> dict:
    form = client.post(
        "/api/v1/evidence/uploads",
        json={"kind": kind, "purpose": "outcome", "filename": filename, "size": len(data), "content_type": content_type, **extra},
    )
    assert form.status_code == 201, form.text
    form = form.json()
    stored = requests.post(form["url"], data=form["fields"], files={"file": ("blob", data)}, timeout=30)
    assert stored.status_code in (200, 201, 204), stored.text
    return form


def test_student_uploads_directly_and_the_right_people_download(people):
    data = files.pdf(5000)
    form = direct_upload(people["student"], data, sha256=files.sha256(data))
    record = people["student"].post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={})
    assert record.status_code == 200, record.text
    record = record.json()
    assert record["sha256"] == files.sha256(data) and record["filename"] == "成果報告.pdf"
    link = people["student"].get(f"/api/v1/evidence/{record['id']}/download").json()
    got = requests.get(link["url"], timeout=30)
    assert got.content == data and "filename*=UTF-8''%E6%88%90" in got.headers["Content-Disposition"]
    assert people["registrar"].get(f"/api/v1/evidence/{record['id']}/download").status_code == 200
    for outsider in ("classmate", "homeroom", "organizer", "other_registrar", "other_student"):
        assert_problem(people[outsider].get(f"/api/v1/evidence/{record['id']}/download"), 404)
        assert_problem(people[outsider].get(f"/api/v1/evidence/{record['id']}"), 404)
    assert_problem(people["homeroom"].delete(f"/api/v1/evidence/{record['id']}"), 403)
    assert_problem(people["classmate"].delete(f"/api/v1/evidence/{record['id']}"), 404)
    assert [r["id"] for r in people["student"].get("/api/v1/evidence").json()] == [record["id"]]


def _form(client: Client, data: bytes, declared: bytes) -> dict:
    response = client.post(
        "/api/v1/evidence/uploads",
        json={
            "kind": "document",
            "purpose": "outcome",
            "filename": "報告.pdf",
            "size": len(data),
            "content_type": "application/pdf",
            "sha256": files.sha256(declared),
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_checksum_the_client_forges_is_refused_and_one_the_store_kept_none_of_is_read_through(people):
    """The store computes the SHA-256 the form's URL asks for; a student cannot hand it one instead."""
    import base64
    import hashlib

    student = people["student"]
    real, claimed = files.pdf(6000), files.pdf(6100)
    form = _form(student, real, claimed)
    forged = {**form["fields"], "x-amz-checksum-sha256": base64.b64encode(hashlib.sha256(claimed).digest()).decode()}
    stored = requests.post(form["url"], data=forged, files={"file": ("blob", real)}, timeout=30)
    done = student.post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={})
    if stored.status_code < 300:  # the store kept its own digest of the bytes: complete sees the lie
        assert_problem(done, 422, "upload_rejected")
    else:
        assert 400 <= stored.status_code < 500, stored.text
        assert done.status_code >= 400 and done.status_code < 500, done.text
    assert files.sha256(claimed) not in str(student.get("/api/v1/evidence").json())

    plain = _form(student, real, real)  # posted without the query: no stored digest, the body is read
    bare_url = plain["url"].split("?", 1)[0]
    assert requests.post(bare_url, data=plain["fields"], files={"file": ("blob", real)}, timeout=30).status_code < 300
    record = student.post(f"/api/v1/evidence/uploads/{plain['upload_id']}/complete", json={})
    assert record.status_code == 200 and record.json()["sha256"] == files.sha256(real), record.text


def test_proxied_upload_streams_through_the_gateway_with_the_same_checks(people):
    data = files.png(300_000)
    response = people["student"].post(
        "/api/v1/evidence/proxy-upload",
        params={"kind": "document", "purpose": "performance", "filename": "../../作品.png", "sha256": files.sha256(data)},
        data=data,
        headers={"Content-Type": "image/png"},
    )
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["sha256"] == files.sha256(data) and record["filename"] == "作品.png" and record["size"] == len(data)
    spoofed = people["student"].post(
        "/api/v1/evidence/proxy-upload",
        params={"kind": "document", "purpose": "performance", "filename": "photo.jpg"},
        data=files.html(4000),
        headers={"Content-Type": "image/jpeg"},
    )
    assert_problem(spoofed, 422, "upload_rejected")
    wrong_sum = people["student"].post(
        "/api/v1/evidence/proxy-upload",
        params={"kind": "document", "purpose": "performance", "filename": "a.pdf", "sha256": "0" * 64},
        data=files.pdf(3000),
        headers={"Content-Type": "application/pdf"},
    )
    assert_problem(wrong_sum, 422, "upload_rejected")
    too_big = people["student"].post(
        "/api/v1/evidence/proxy-upload",
        params={"kind": "document", "purpose": "performance", "filename": "a.pdf"},
        data=files.pdf(4 * 1024 * 1024 + 10),
        headers={"Content-Type": "application/pdf"},
    )
    assert_problem(too_big, 413, "file_too_large")
    names = [r["filename"] for r in people["student"].get("/api/v1/evidence").json()]
    assert "photo.jpg" not in names and "a.pdf" not in names


def test_bad_declarations_are_problems_with_field_errors(people):
    client = people["student"]
    bad = client.post("/api/v1/evidence/uploads", json={"kind": "spreadsheet", "purpose": "outcome", "filename": "a", "size": 0})
    body = assert_problem(bad, 422, "validation_failed")
    assert {e["field"] for e in body["errors"]} >= {"kind", "size", "content_type"}
    assert_problem(
        client.post(
            "/api/v1/evidence/uploads",
            json={"kind": "document", "purpose": "competition_proof", "filename": "a.pdf", "size": 10, "content_type": "application/pdf"},
        ),
        403,
        "purpose_not_allowed",
    )
    assert_problem(client.post("/api/v1/evidence/uploads/nope/complete", json={}), 404, "upload_not_found")
    form = client.post(
        "/api/v1/evidence/uploads",
        json={"kind": "document", "purpose": "outcome", "filename": "a.pdf", "size": 100, "content_type": "application/pdf"},
    ).json()
    assert_problem(client.post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={}), 409, "upload_missing")


def test_contest_organizer_uploads_a_proof_the_student_can_read(people):
    data = files.jpeg(2000)
    form = direct_upload(
        people["organizer"], data, filename="獎狀.jpg", content_type="image/jpeg", purpose="competition_proof", student_id="S-A-1"
    )
    record = people["organizer"].post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={}).json()
    assert people["student"].get(f"/api/v1/evidence/{record['id']}").json()["purpose"] == "competition_proof"
    assert_problem(people["other_student"].get(f"/api/v1/evidence/{record['id']}"), 404)


def test_registrar_tools_report(people):
    registrar = people["registrar"]
    report = registrar.post("/api/v1/evidence/admin/reconcile").json()
    assert report["records_without_objects"] == [], report
    scrub = registrar.post("/api/v1/evidence/admin/scrub").json()
    assert scrub["checked"] >= 1 and scrub["mismatches"] == [] and scrub["missing"] == []
    assert registrar.post("/api/v1/evidence/admin/sweep").status_code == 200
    assert_problem(people["student"].post("/api/v1/evidence/admin/scrub"), 403)


def test_openapi_documents_the_evidence_routes(anonymous):
    paths = anonymous.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/evidence/uploads", "/api/v1/evidence/uploads/{upload_id}/complete", "/api/v1/evidence/proxy-upload"} <= set(paths)
