"""Archive (封存) on the real system through the gateway: archived students are read-only on
every write route, out of active lists, downloadable by their registrar only, and purged after retention."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from dataclasses import dataclass, field

import pytest

from shared.mongo import make_client
from shared.roles import Role
from shared.s3 import make_s3_client
from tests.certification.test_flow import _stored_evidence
from tests.evidence import files
from tests.evidence.test_flow import direct_upload
from tests.records.conftest import PASSWORD, RecordsSchool, _account, national_id, rec_a, rec_b  # noqa: F401
from tests.support.api import Client, assert_problem, login
from tests.support.system import wait_until

ARCHIVED, PURGED, ACTIVE = "AR01", "AR02", "AR03"
# A class and course of their own, with their own homeroom and course teacher, so the shared school's
# fixtures (who sees which students) stay as other tests expect them.
CLASS, COURSE = "103", "11300000010000000000009"


@dataclass
class Archive:
    rec: RecordsSchool
    students: dict[str, Client]
    staff: dict[str, Client]  # "teacher", "homeroom" of CLASS
    course_id: str
    ids: dict[str, str] = field(default_factory=dict)  # names -> ids of AR01's things


def _student(rec: RecordsSchool, system, sid: str, n: int) -> Client:
    body = {
        "student_id": sid,
        "national_id": national_id(700 + n),
        "name": f"封存生{n}",
        "birth_date": "2008-05-0" + str(n),
        "gender": "1",
        "class_code": CLASS,
        "seat_no": 60 + n,
    }
    assert rec.registrar.post("/api/v1/records/students", json=body).status_code in (200, 201)
    account = {"username": f"arch-{sid.lower()}", "display_name": sid, "roles": ["student"], "password": PASSWORD, "student_id": sid}
    assert rec.registrar.post("/api/v1/accounts", json=account).status_code in (201, 409)
    return login(system.base_url, rec.code, f"arch-{sid.lower()}", PASSWORD)


def _token_not_yet_revoked(system, token: str) -> str:
    """The same account's token for a session id the gateway's revocation feed does not list."""
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode({**claims, "sid": secrets.token_hex(16)}, system.env["LICHENG_JWT_SECRET"], algorithm="HS256")


def _outcome(course_id: str, student: Client, evidence_id: str, submit: bool = True) -> str:
    created = student.post("/api/v1/outcomes", json={"course_id": course_id, "summary": "封存測試成果", "evidence_ids": [evidence_id]})
    assert created.status_code == 201, created.text
    outcome_id = created.json()["id"]
    if submit:
        assert student.post(f"/api/v1/outcomes/{outcome_id}/submit").status_code == 200
    return outcome_id


@pytest.fixture(scope="module")
def arch(system, rec_a) -> Archive:  # noqa: F811
    rec = rec_a
    teacher, teacher_id = _account(rec.registrar, system.base_url, rec.code, "arch-teacher", ["teacher"])
    homeroom, homeroom_id = _account(rec.registrar, system.base_url, rec.code, "arch-homeroom", ["homeroom"])
    body = {"year": rec.year, "code": CLASS, "name": "封存班", "homeroom_teacher_id": homeroom_id}
    assert rec.registrar.post("/api/v1/records/classes", json=body).status_code in (200, 201)
    course = {
        "year": rec.year,
        "term": rec.term,
        "code": COURSE,
        "name": "封存課",
        "credits": 2,
        "class_code": CLASS,
        "teacher_ids": [teacher_id],
    }
    saved = rec.clients[Role.CURRICULUM].post("/api/v1/records/courses", json=course)
    assert saved.status_code in (200, 201), saved.text
    students = {sid: _student(rec, system, sid, n) for n, sid in enumerate((ARCHIVED, PURGED, ACTIVE), start=1)}
    a = Archive(rec, students, {"teacher": teacher, "homeroom": homeroom}, saved.json()["record"]["id"])
    me = students[ARCHIVED]
    sem = {"year": rec.year, "term": rec.term}
    a.ids["evidence"] = _stored_evidence(me)
    a.ids["outcome"] = _outcome(a.course_id, me, a.ids["evidence"])
    a.ids["loose_evidence"] = _stored_evidence(me)
    a.ids["upload"] = direct_upload(me, files.pdf(1200))["upload_id"]  # a form handed out before the archive
    club = rec.clients[Role.ACTIVITIES].post("/api/v1/records/clubs", json={**sem, "student_id": ARCHIVED, "club": "攝影社"})
    a.ids["club"] = club.json()["record"]["id"]
    performance = {**sem, "category": "8", "fields": {"名稱": "作品集", "日期": "2024-10-01"}, "summary": "攝影作品集"}
    a.ids["performance"] = me.post("/api/v1/records/performances", json=performance).json()["record"]["id"]
    assert me.put("/api/v1/records/statements/autobiography", json={"fields": {"自傳": "我喜歡攝影"}}).status_code == 200
    students_list = rec.registrar.get("/api/v1/records/students", params={"student_id": ARCHIVED}).json()["items"]
    a.ids["student_record"] = students_list[0]["id"]
    # AR02 left long ago: a certified outcome (its file under legal hold) and a deleted file (a delete marker)
    old = students[PURGED]
    held = _stored_evidence(old)
    old_outcome = _outcome(a.course_id, old, held)
    assert teacher.post(f"/api/v1/outcomes/{old_outcome}/certify").status_code == 200
    dropped = _stored_evidence(old)
    assert old.delete(f"/api/v1/evidence/{dropped}").status_code == 204
    a.ids["old_outcome"] = old_outcome

    queue = teacher.get("/api/v1/teacher/queue").json()
    assert a.ids["outcome"] in {i["id"] for c in queue["courses"] for i in c["items"]}  # until the student leaves
    archived = rec.registrar.post("/api/v1/archive/students", json={"student_ids": [ARCHIVED]})
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived"] == [ARCHIVED]
    left = rec.registrar.post("/api/v1/archive/students", json={"student_ids": [PURGED], "status": "轉出", "left_on": "2020-06-30"})
    assert left.status_code == 200 and left.json()["left_on"] == "2020-06-30"

    # Archiving ends the student's sessions: the old token is refused on every gateway worker.
    wait_until(lambda: me.get("/api/v1/me").status_code == 401, 30, "the archived student's session ended")
    # The services refuse the archived student's writes on their own too: tried with a token the gateway
    # has not heard ended (as one issued just before the archive, within the revocation feed's interval).
    me = students[ARCHIVED] = Client(system.base_url, token=_token_not_yet_revoked(system, me.token))

    def refused(response) -> bool:
        return response.status_code == 409 and response.json().get("code") == "archived"

    # certification and evidence learn it from records.student_archived: wait for both projections
    wait_until(lambda: refused(me.post(f"/api/v1/outcomes/{a.ids['outcome']}/withdraw")), 30, "certification's archive projection")
    wait_until(lambda: refused(me.delete(f"/api/v1/evidence/{a.ids['loose_evidence']}")), 30, "evidence's archive projection")
    return a


def _routes(a: Archive) -> list[tuple[str, Role | str, str, str, dict | None]]:
    """(name, who, method, path, json body): every write route that touches AR01's data."""
    rec, ids = a.rec, a.ids
    sem = {"year": rec.year, "term": rec.term}
    student = {
        "student_id": ARCHIVED,
        "national_id": national_id(701),
        "name": "改名",
        "birth_date": "2008-05-01",
        "gender": "1",
        "class_code": CLASS,
        "seat_no": 61,
        "status": "畢業",
    }
    return [
        ("save club", Role.ACTIVITIES, "POST", "/api/v1/records/clubs", {**sem, "student_id": ARCHIVED, "club": "圍棋社"}),
        ("replace club", Role.ACTIVITIES, "PUT", f"/api/v1/records/clubs/{ids['club']}", {**sem, "student_id": ARCHIVED, "club": "棋社"}),
        ("delete club", Role.ACTIVITIES, "DELETE", f"/api/v1/records/clubs/{ids['club']}", None),
        (
            "save attendance",
            Role.DISCIPLINE,
            "POST",
            "/api/v1/records/attendance",
            {**sem, "student_id": ARCHIVED, "absence_type": "病假", "periods": 1},
        ),
        (
            "save course evaluation",
            Role.GUIDANCE,
            "POST",
            "/api/v1/records/course_evaluations",
            {**sem, "student_id": ARCHIVED, "academic_groups": ["藝術"], "exploration": "攝影"},
        ),
        ("change student", Role.REGISTRAR, "POST", "/api/v1/records/students", student),
        ("replace student", Role.REGISTRAR, "PUT", f"/api/v1/records/students/{ids['student_record']}", student),
        ("delete student", Role.REGISTRAR, "DELETE", f"/api/v1/records/students/{ids['student_record']}", None),
        ("recheck", Role.REGISTRAR, "POST", "/api/v1/records/students/recheck", {**sem, "student_ids": [ARCHIVED]}),
        (
            "reopen window",
            Role.REGISTRAR,
            "POST",
            f"/api/v1/records/semesters/{rec.year}-{rec.term}/reopenings",
            {"student_id": ARCHIVED, "record_type": "clubs", "until": "2099-01-01T00:00:00+08:00", "reason": "補登"},
        ),
        (
            "save performance",
            "student",
            "POST",
            "/api/v1/records/performances",
            {**sem, "category": "8", "fields": {"名稱": "新作", "日期": "2024-10-02"}, "summary": "新作品"},
        ),
        (
            "replace performance",
            "student",
            "PUT",
            f"/api/v1/records/performances/{ids['performance']}",
            {**sem, "category": "8", "fields": {"名稱": "改", "日期": "2024-10-02"}, "summary": "改作品"},
        ),
        ("delete performance", "student", "DELETE", f"/api/v1/records/performances/{ids['performance']}", None),
        ("save statement", "student", "PUT", "/api/v1/records/statements/study_plan", {"fields": {"讀書計畫": "讀書"}}),
        (
            "check statement",
            Role.GUIDANCE,
            "POST",
            "/api/v1/records/statements/autobiography/check",
            {"student_id": ARCHIVED, "version": 1},
        ),
        (
            "create outcome",
            "student",
            "POST",
            "/api/v1/outcomes",
            {"course_id": a.course_id, "summary": "新", "evidence_ids": [ids["evidence"]]},
        ),
        ("edit outcome", "student", "PATCH", f"/api/v1/outcomes/{ids['outcome']}", {"summary": "改"}),
        ("submit outcome", "student", "POST", f"/api/v1/outcomes/{ids['outcome']}/submit", None),
        ("withdraw outcome", "student", "POST", f"/api/v1/outcomes/{ids['outcome']}/withdraw", None),
        ("certify outcome", "teacher", "POST", f"/api/v1/outcomes/{ids['outcome']}/certify", None),
        ("return outcome", "teacher", "POST", f"/api/v1/outcomes/{ids['outcome']}/return", {"reason": "unreadable_file"}),
        ("select outcome", "student", "POST", f"/api/v1/outcomes/{ids['outcome']}/selection", None),
        ("unselect outcome", "student", "DELETE", f"/api/v1/outcomes/{ids['outcome']}/selection", None),
        ("select performance", "student", "POST", f"/api/v1/performances/{ids['performance']}/selection", None),
        ("unselect performance", "student", "DELETE", f"/api/v1/performances/{ids['performance']}/selection", None),
        (
            "request upload",
            "student",
            "POST",
            "/api/v1/evidence/uploads",
            {"kind": "document", "purpose": "outcome", "filename": "a.pdf", "size": 1000, "content_type": "application/pdf"},
        ),
        ("complete upload", "student", "POST", f"/api/v1/evidence/uploads/{ids['upload']}/complete", {}),
        ("delete evidence", "student", "DELETE", f"/api/v1/evidence/{ids['loose_evidence']}", None),
    ]


def test_every_write_route_refuses_an_archived_student(arch):
    failures = []
    for name, who, method, path, body in _routes(arch):
        client = arch.students[ARCHIVED] if who == "student" else arch.staff[who] if who == "teacher" else arch.rec.clients[who]
        response = client.request(method, path, json=body) if body is not None else client.request(method, path)
        ok = response.status_code == 409 and response.headers["Content-Type"].startswith("application/problem+json")
        problem = response.json() if ok else {}
        if not (ok and problem["code"] == "archived" and problem["title"] and problem["title_en"]):
            failures.append(f"{name}: {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)


def test_imports_and_bulk_certification_refuse_the_archived_row(arch):
    csv = f"學年度,學期,學號,社團名稱,社團職務\n{arch.rec.year},{arch.rec.term},{ARCHIVED},籃球社,社員\n".encode()
    response = arch.rec.clients[Role.ACTIVITIES].post("/api/v1/records/clubs/import", files={"file": ("clubs.csv", csv, "text/csv")})
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "archived", response.text
    bulk = arch.staff["teacher"].post("/api/v1/outcomes/bulk-certify", json={"outcome_ids": [arch.ids["outcome"]]})
    assert bulk.json()["failed"][arch.ids["outcome"]]["code"] == "archived"
    proxied = arch.students[ARCHIVED].post(
        "/api/v1/evidence/proxy-upload",
        data=files.pdf(900),
        headers={"Content-Type": "application/pdf"},
        params={"kind": "document", "purpose": "outcome", "filename": "x.pdf"},
    )
    assert_problem(proxied, 409, "archived")


def test_archived_students_leave_the_active_lists(arch):
    rec = arch.rec
    listed = {
        s["student_id"]
        for s in rec.registrar.get("/api/v1/records/students", params={"class_code": CLASS, "per_page": 500}).json()["items"]
    }
    assert ACTIVE in listed and ARCHIVED not in listed
    assert rec.registrar.get("/api/v1/records/students", params={"student_id": ARCHIVED}).json()["total"] == 1  # a look-up finds them
    archived = rec.registrar.get("/api/v1/records/students", params={"archived": "only", "per_page": 500}).json()["items"]
    assert {ARCHIVED, PURGED} <= {s["student_id"] for s in archived}
    progress = arch.staff["homeroom"].get(f"/api/v1/classes/{CLASS}/progress").json()
    assert ACTIVE in {s["student_id"] for s in progress["students"]}
    assert ARCHIVED not in {s["student_id"] for s in progress["students"]}
    queue = arch.staff["teacher"].get("/api/v1/teacher/queue").json()
    assert arch.ids["outcome"] not in {i["id"] for c in queue["courses"] for i in c["items"]}
    homeroom_clubs = arch.staff["homeroom"].get("/api/v1/records/clubs", params={"student_id": ARCHIVED}).json()
    assert homeroom_clubs["total"] == 0  # the homeroom teacher of the class no longer sees a student who left
    assert rec.registrar.get("/api/v1/records/clubs", params={"student_id": ARCHIVED}).json()["total"] == 1  # the registrar does


def test_registrar_downloads_the_archived_portfolio_and_no_one_else_does(arch, rec_b):  # noqa: F811
    response = arch.rec.registrar.get(f"/api/v1/archive/students/{ARCHIVED}/portfolio.zip")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert {"records.json", "records.xlsx", "evidence/manifest.json"} <= set(names)
    data = json.loads(archive.read("records.json"))
    assert data["student"]["student_id"] == ARCHIVED and data["student"]["status"] == "畢業"
    assert data["records"]["clubs"][0]["club"] == "攝影社" and data["outcomes"][0]["id"] == arch.ids["outcome"]
    manifest = json.loads(archive.read("evidence/manifest.json"))
    assert len(manifest) == 2 and all(m["intact"] for m in manifest)
    assert archive.read(manifest[0]["file"]).startswith(b"%PDF")
    assert_problem(rec_b.registrar.get(f"/api/v1/archive/students/{ARCHIVED}/portfolio.zip"), 404)
    assert_problem(arch.rec.clients[Role.TEACHER].get(f"/api/v1/archive/students/{ARCHIVED}/portfolio.zip"), 403)
    assert_problem(arch.students[ARCHIVED].get(f"/api/v1/archive/students/{ARCHIVED}/portfolio.zip"), 403)


def _object_versions(system, school: str, student_id: str) -> list:
    settings = system.settings()
    s3 = make_s3_client(settings)
    return list(
        s3.list_objects(f"{settings.bucket_prefix}-evidence", prefix=f"{school}/{student_id}/", recursive=True, include_version=True)
    )


def test_retention_purge_dry_run_then_real_run(system, arch, rec_b):  # noqa: F811
    registrar = arch.rec.registrar
    assert registrar.put("/api/v1/archive/settings", json={"retention_years": 2}).json()["retention_years"] == 2
    assert_problem(registrar.put("/api/v1/archive/settings", json={"retention_years": -1}), 422)
    assert_problem(rec_b.registrar.get(f"/api/v1/archive/purges/{'0' * 32}"), 404)
    before = _object_versions(system, arch.rec.code, PURGED)
    assert len(before) >= 3  # two files' versions and a delete marker

    dry = registrar.post("/api/v1/archive/purges", json={})
    assert dry.status_code == 200, dry.text
    dry = dry.json()
    assert dry["dry_run"] and [s["student_id"] for s in dry["students"]] == [PURGED]  # AR01 left today: not due
    assert dry["totals"]["object_versions"] >= 2 and dry["totals"]["outcomes"] == 1 and dry["totals"]["records"] >= 1
    assert len(_object_versions(system, arch.rec.code, PURGED)) == len(before)  # a dry run removes nothing
    assert registrar.get(f"/api/v1/outcomes/{arch.ids['old_outcome']}").status_code == 200

    assert_problem(registrar.post("/api/v1/archive/purges", json={"dry_run": False, "student_ids": [ARCHIVED]}), 409, "not_purgeable")
    assert_problem(registrar.post("/api/v1/archive/purges", json={"dry_run": False, "student_ids": [ACTIVE]}), 409, "not_purgeable")
    assert_problem(arch.rec.clients[Role.TEACHER].post("/api/v1/archive/purges", json={}), 403)

    real = registrar.post("/api/v1/archive/purges", json={"dry_run": False, "student_ids": [PURGED]})
    assert real.status_code == 202 and real.json()["status"] in ("queued", "running", "done"), real.text
    path = f"/api/v1/archive/purges/{real.json()['purge_id']}"
    report = wait_until(lambda: (r := registrar.get(path).json())["status"] in ("done", "failed") and r, 60, "the purge")
    assert report["status"] == "done" and report["by_name"] == "registrar" and report["started_at"] and report["finished_at"]
    assert report["students"] == [{"student_id": PURGED, "status": "轉出", "left_on": "2020-06-30", "purge_after": "2022-06-30"}]
    assert report["totals"] == dry["totals"] and report["counts"]["evidence"]["held"] >= 1
    assert "封存生2" not in json.dumps(report, ensure_ascii=False)  # no personal data beyond the student number
    assert real.json()["purge_id"] in {p["purge_id"] for p in registrar.get("/api/v1/archive/purges").json()}

    assert _object_versions(system, arch.rec.code, PURGED) == []  # every version, held ones too
    assert registrar.get("/api/v1/records/students", params={"student_id": PURGED, "archived": "include"}).json()["total"] == 0
    assert_problem(registrar.get(f"/api/v1/outcomes/{arch.ids['old_outcome']}"), 404)
    settings = system.settings()
    client = make_client(settings)
    try:
        for service, collection in (("records", "statements"), ("certification", "slots"), ("evidence", "evidence"), ("records", "audit")):
            filter_ = {"school_id": {"$exists": True}, "$or": [{"student_id": PURGED}, {"after.student_id": PURGED}]}
            assert client[settings.database_name(service)][collection].count_documents(filter_) == 0, (service, collection)
    finally:
        client.close()
    again = registrar.post("/api/v1/archive/purges", json={}).json()
    assert again["students"] == [] and again["totals"]["object_versions"] == 0
    assert len(_object_versions(system, arch.rec.code, ARCHIVED)) >= 2  # the one not due keeps everything


def test_unarchive_by_mistake_reopens_the_portfolio(arch):
    registrar = arch.rec.registrar
    assert_problem(registrar.post(f"/api/v1/archive/students/{ACTIVE}/unarchive", json={"reason": "誤設"}), 409, "not_archived")
    again = registrar.post("/api/v1/archive/students", json={"student_ids": [ARCHIVED]}).json()
    assert again["archived"] == [] and again["already_archived"] == [ARCHIVED]  # re-announced, changed nothing
    assert_problem(registrar.post("/api/v1/archive/students", json={}), 422)
    assert_problem(registrar.post("/api/v1/archive/students", json={"student_ids": ["NOPE1"]}), 404)
    archived = registrar.post("/api/v1/archive/students", json={"student_ids": [ACTIVE], "status": "轉出"})
    assert archived.json()["archived"] == [ACTIVE]
    back = registrar.post(f"/api/v1/archive/students/{ACTIVE}/unarchive", json={"reason": "誤設轉出"})
    assert back.status_code == 200 and back.json()["status"] == "在學"
    sem = {"year": arch.rec.year, "term": arch.rec.term}
    saved = arch.rec.clients[Role.ACTIVITIES].post("/api/v1/records/clubs", json={**sem, "student_id": ACTIVE, "club": "合唱團"})
    assert saved.status_code == 201, saved.text
