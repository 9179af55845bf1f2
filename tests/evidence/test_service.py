"""EvidenceService through nameko.testing's worker_factory, with the real S3 store and FerretDB."""

from __future__ import annotations

import io
import secrets
from datetime import timedelta

import pytest
import requests
from minio.error import S3Error
from nameko.testing.services import worker_factory

from services.evidence import events
from services.evidence.config import EvidenceConfig
from services.evidence.errors import (
    EvidenceLocked,
    EvidenceNotFound,
    FileTooLarge,
    FileTypeNotAllowed,
    PurposeNotAllowed,
    QuotaExceeded,
    UploadMissing,
    UploadNotFound,
    UploadRejected,
)
from services.evidence.service import EvidenceService
from services.evidence.storage import Storage
from services.evidence.store import EvidenceStore
from shared.caller import Caller
from shared.clock import utcnow
from shared.config import Settings
from shared.errors import Forbidden
from shared.roles import Role
from tests.evidence import files
from tests.support.stores import temporary_store

SCHOOL = "E00001"
OTHER = "E00002"
CONFIG = EvidenceConfig(form_seconds=300, download_seconds=60, abandon_grace_seconds=0, quota_files=4, quota_mb=1)


def student(student_id: str = "s1", school: str = SCHOOL) -> Caller:
    return Caller(f"acc-{student_id}-{school}", student_id, school, frozenset({Role.STUDENT}), student_id=student_id)


def staff(role: Role, user: str = "", school: str = SCHOOL) -> Caller:
    return Caller(user or f"acc-{role.value}-{school}", role.value, school, frozenset({role}))


@pytest.fixture(scope="module")
def store():
    with temporary_store(EvidenceStore, "evidence_svc") as store:
        yield store


@pytest.fixture(scope="module")
def storage():
    storage = Storage(Settings(bucket_prefix="t" + secrets.token_hex(4)), CONFIG)
    storage.ensure_bucket()
    yield storage
    storage.destroy()


def service(store, storage, caller: Caller | None) -> EvidenceService:
    return worker_factory(EvidenceService, store=store, storage=storage, caller=caller)


def post_form(form: dict, data: bytes, filename: str = "upload.bin") -> requests.Response:
    return requests.post(form["url"], data=form["fields"], files={"file": (filename, data)}, timeout=30)


def upload(store, storage, caller, data: bytes, *, filename="report.pdf", content_type="application/pdf", kind="document", **extra):
    svc = service(store, storage, caller)
    form = svc.request_upload(
        {
            "kind": kind,
            "purpose": extra.pop("purpose", "outcome"),
            "filename": filename,
            "size": len(data),
            "content_type": content_type,
            **extra,
        }
    )
    response = post_form(form, data)
    assert response.status_code in (200, 201, 204), response.text
    return svc, form


def test_upload_complete_records_checksum_and_emits_stored(store, storage):
    data = files.pdf(3000)
    svc, form = upload(store, storage, student("s1"), data)
    assert form["key"].startswith(f"{SCHOOL}/s1/") and "report" not in form["key"]
    record = svc.complete_upload(form["upload_id"])
    assert record["sha256"] == files.sha256(data) and record["size"] == 3000 and record["state"] == "stored"
    assert record["student_id"] == "s1" and record["content_type"] == "application/pdf"
    svc.dispatch.assert_called_once()
    assert svc.dispatch.call_args[0][0] == events.STORED and svc.dispatch.call_args[0][1]["sha256"] == record["sha256"]
    assert svc.complete_upload(form["upload_id"])["id"] == record["id"]  # idempotent
    download = svc.download(record["id"])
    got = requests.get(download["url"], timeout=30)
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Disposition"].startswith("attachment;")


def test_oversize_body_is_refused_by_the_store_policy(store, storage):
    svc = service(store, storage, student("s2"))
    form = svc.request_upload(
        {"kind": "document", "purpose": "outcome", "filename": "a.pdf", "size": 1000, "content_type": "application/pdf"}
    )
    assert post_form(form, files.pdf(2000)).status_code == 400
    assert storage.stat(form["key"]) is None
    with pytest.raises(UploadMissing):
        svc.complete_upload(form["upload_id"])


def test_declared_kind_limits_are_checked_before_any_form(store, storage):
    svc = service(store, storage, student("s2"))
    with pytest.raises(FileTooLarge):
        svc.request_upload(
            {"kind": "document", "purpose": "outcome", "filename": "a.pdf", "size": 4 * 1024 * 1024 + 1, "content_type": "application/pdf"}
        )
    with pytest.raises(FileTypeNotAllowed):
        svc.request_upload(
            {"kind": "document", "purpose": "outcome", "filename": "a.exe", "size": 10, "content_type": "application/x-msdownload"}
        )
    with pytest.raises(FileTypeNotAllowed):
        svc.request_upload({"kind": "media", "purpose": "outcome", "filename": "a.pdf", "size": 10, "content_type": "application/pdf"})
    with pytest.raises(FileTypeNotAllowed):  # extension and declared type disagree
        svc.request_upload({"kind": "document", "purpose": "outcome", "filename": "a.png", "size": 10, "content_type": "application/pdf"})


def test_complete_rejects_declared_size_mismatch_and_deletes_the_object(store, storage):
    svc = service(store, storage, student("s3"))
    form = svc.request_upload(
        {"kind": "document", "purpose": "outcome", "filename": "a.pdf", "size": 3000, "content_type": "application/pdf"}
    )
    assert post_form(form, files.pdf(1000)).status_code in (200, 204)
    with pytest.raises(UploadRejected) as info:
        svc.complete_upload(form["upload_id"])
    assert "1000" in info.value.detail
    assert storage.stat(form["key"]) is None and storage.versions(form["key"]) == []
    assert store.find_by_upload(SCHOOL, form["upload_id"]) is None


@pytest.mark.parametrize(
    "data,filename,content_type",
    [
        (files.exe(), "homework.pdf", "application/pdf"),
        (files.html(), "photo.jpg", "image/jpeg"),
        (files.png(), "report.pdf", "application/pdf"),
        (files.pdf(), "photo.png", "image/png"),
    ],
    ids=["exe-as-pdf", "html-as-jpg", "png-as-pdf", "pdf-as-png"],
)
def test_complete_rejects_spoofed_types(store, storage, data, filename, content_type):
    svc, form = upload(store, storage, student("s4"), data, filename=filename, content_type=content_type)
    with pytest.raises(UploadRejected):
        svc.complete_upload(form["upload_id"])
    assert storage.stat(form["key"]) is None
    assert store.find_by_upload(SCHOOL, form["upload_id"]) is None


def test_complete_detects_a_body_tampered_with_before_complete(store, storage):
    data = files.pdf(2000)
    svc, form = upload(store, storage, student("s5"), data, sha256=files.sha256(data))
    forged = files.pdf(2000)[:-5] + b"EVIL!"
    storage.put(form["key"], io.BytesIO(forged), len(forged))  # someone replaced the bytes in the store
    with pytest.raises(UploadRejected) as info:
        svc.complete_upload(form["upload_id"])
    assert "SHA-256" in info.value.detail_en
    assert store.find_by_upload(SCHOOL, form["upload_id"]) is None


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
        ("成果\u202efdp.exe.pdf", "成果fdp.exe.pdf"),
        ("..\\..\\報告.pdf", "報告.pdf"),
    ],
    ids=["dotdot", "nul", "300-chars", "rlo", "backslash"],
)
def test_hostile_filenames_are_cleaned_and_served_as_attachment(store, storage, raw, expected):
    data = files.pdf(1500)
    svc, form = upload(store, storage, student("s6"), data, filename=raw)
    record = svc.complete_upload(form["upload_id"])
    assert record["filename"] == expected
    got = requests.get(svc.download(record["id"])["url"], timeout=30)
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and "\u202e" not in disposition and "/" not in disposition.split(";")[1]
    assert got.headers["Content-Type"] == "application/pdf"
    svc.delete_evidence(record["id"])  # keep s6 under the quota


def test_expired_form_and_expired_download_are_refused_by_the_store(store, storage):
    url, fields = storage.upload_form(f"{SCHOOL}/s7/expired", 100, utcnow() - timedelta(seconds=5))
    refused = requests.post(url, data=fields, files={"file": ("a.pdf", files.pdf(50))}, timeout=30)
    assert refused.status_code == 403
    svc, form = upload(store, storage, student("s7"), files.pdf(1000))
    record = svc.complete_upload(form["upload_id"])
    old = storage.download_url(record_key(store, record), None, "a.pdf", "application/pdf", seconds=60, now=utcnow() - timedelta(hours=1))
    assert requests.get(old, timeout=30).status_code == 403


def record_key(store, record) -> str:
    return store.find_evidence(record["school_id"], record["id"])["key"]


def test_locked_evidence_cannot_be_deleted_or_overwritten_by_api_or_store_credentials(store, storage):
    data = files.pdf(1800)
    owner = student("s8")
    svc, form = upload(store, storage, owner, data)
    record = svc.complete_upload(form["upload_id"])
    result = service(store, storage, staff(Role.TEACHER)).lock([record["id"]], "certified")
    assert result["locked"][0]["store_hold"] is True
    with pytest.raises(EvidenceLocked):
        svc.delete_evidence(record["id"])
    with pytest.raises(EvidenceLocked):
        svc.request_upload(
            {
                "kind": "document",
                "purpose": "outcome",
                "filename": "b.pdf",
                "size": 100,
                "content_type": "application/pdf",
                "replaces": record["id"],
            }
        )
    doc = store.find_evidence(SCHOOL, record["id"])
    with pytest.raises(S3Error):  # the store itself refuses, even with the service's own keys
        storage.client.remove_object(storage.bucket, doc["key"], version_id=doc["version_id"])
    storage.put(doc["key"], io.BytesIO(b"overwrite"), 9)  # a new version cannot change the held one
    digest, _ = storage.sha256(doc["key"], doc["version_id"])
    assert digest == files.sha256(data)
    assert requests.get(svc.download(record["id"])["url"], timeout=30).content == data
    assert service(store, storage, staff(Role.REGISTRAR)).scrub()["mismatches"] == []


def test_replace_before_certification_keeps_the_previous_version(store, storage):
    owner = student("s9")
    first = files.pdf(1200)
    svc, form = upload(store, storage, owner, first)
    record = svc.complete_upload(form["upload_id"])
    second = files.png(1300)
    svc, form2 = upload(store, storage, owner, second, filename="v2.png", content_type="image/png", replaces=record["id"])
    assert form2["key"] == form["key"]
    replaced = svc.complete_upload(form2["upload_id"])
    assert replaced["id"] == record["id"] and replaced["sha256"] == files.sha256(second) and replaced["previous_versions"] == 1
    doc = store.find_evidence(SCHOOL, record["id"])
    assert storage.sha256(doc["key"], doc["versions"][0]["version_id"])[0] == files.sha256(first)
    svc.delete_evidence(record["id"])
    with pytest.raises(EvidenceNotFound):
        svc.get_evidence(record["id"])
    assert len([v for v in storage.versions(doc["key"]) if not v.is_delete_marker]) == 2


def test_cross_school_and_wrong_role_reads_are_not_found_until_granted(store, storage):
    svc, form = upload(store, storage, student("s10"), files.pdf(1000))
    record = svc.complete_upload(form["upload_id"])
    outsiders = [
        staff(Role.REGISTRAR, school=OTHER),
        student("s10", school=OTHER),
        student("s11"),
        staff(Role.TEACHER, "t-1"),
        staff(Role.HOMEROOM, "h-1"),
    ]
    for outsider in outsiders:
        other = service(store, storage, outsider)
        for method in (other.get_evidence, other.download):
            with pytest.raises(EvidenceNotFound):
                method(record["id"])
    assert service(store, storage, staff(Role.REGISTRAR)).download(record["id"])["url"]
    assert service(store, storage, staff(Role.TEACHER, "t-1")).describe([record["id"]])[0]["sha256"] == record["sha256"]
    assert service(store, storage, staff(Role.REGISTRAR, school=OTHER)).describe([record["id"]]) == []
    assert service(store, storage, student("s10")).grant_access([record["id"]], ["t-1", "h-1"])["granted"] == [record["id"]]
    assert service(store, storage, student("s11")).grant_access([record["id"]], ["x"])["not_found"] == [record["id"]]
    for granted in (staff(Role.TEACHER, "t-1"), staff(Role.HOMEROOM, "h-1")):
        assert service(store, storage, granted).download(record["id"])["url"]


def test_purposes_decide_who_uploads_for_whom(store, storage):
    with pytest.raises(PurposeNotAllowed):
        service(store, storage, student("s12")).request_upload(
            {"kind": "document", "purpose": "competition_proof", "filename": "a.pdf", "size": 10, "content_type": "application/pdf"}
        )
    with pytest.raises(PurposeNotAllowed):
        service(store, storage, student("s12")).request_upload(
            {
                "kind": "document",
                "purpose": "outcome",
                "filename": "a.pdf",
                "size": 10,
                "content_type": "application/pdf",
                "student_id": "s13",
            }
        )
    with pytest.raises(Forbidden):
        service(store, storage, staff(Role.TEACHER)).request_upload(
            {"kind": "document", "purpose": "outcome", "filename": "a.pdf", "size": 10, "content_type": "application/pdf"}
        )
    organizer = staff(Role.CONTEST_ORGANIZER, "org-1")
    svc, form = upload(
        store,
        storage,
        organizer,
        files.jpeg(900),
        filename="獎狀.jpg",
        content_type="image/jpeg",
        purpose="competition_proof",
        student_id="s12",
    )
    record = svc.complete_upload(form["upload_id"])
    assert record["student_id"] == "s12" and record["uploaded_by"] == "org-1"
    assert service(store, storage, student("s12")).get_evidence(record["id"])["id"] == record["id"]
    assert [r["id"] for r in service(store, storage, student("s12")).list_evidence()] == [record["id"]]


def test_quota_counts_stored_files_and_open_uploads(store, storage):
    owner = student("s14")
    svc = service(store, storage, owner)
    for _ in range(CONFIG.quota_files):
        svc.request_upload({"kind": "document", "purpose": "outcome", "filename": "a.pdf", "size": 1000, "content_type": "application/pdf"})
    with pytest.raises(QuotaExceeded):
        svc.request_upload({"kind": "document", "purpose": "outcome", "filename": "a.pdf", "size": 1000, "content_type": "application/pdf"})
    with pytest.raises(QuotaExceeded):
        service(store, storage, student("s15")).request_upload(
            {"kind": "document", "purpose": "outcome", "filename": "a.pdf", "size": 1024 * 1024 + 1, "content_type": "application/pdf"}
        )


def test_only_the_uploader_completes_an_upload(store, storage):
    svc, form = upload(store, storage, student("s16"), files.pdf(900))
    with pytest.raises(UploadNotFound):
        service(store, storage, student("s17")).complete_upload(form["upload_id"])
    with pytest.raises(UploadNotFound):
        service(store, storage, student("s16", school=OTHER)).complete_upload(form["upload_id"])


def test_sweep_reconcile_and_scrub_report_to_the_registrar(store, storage):
    svc, form = upload(store, storage, student("s18"), files.pdf(1000))  # never completed
    svc2, form2 = upload(store, storage, student("s18"), files.pdf(1100))
    record = svc2.complete_upload(form2["upload_id"])
    registrar = service(store, storage, staff(Role.REGISTRAR))
    stray = f"{SCHOOL}/s18/stray"
    storage.put(stray, io.BytesIO(files.pdf(100)), 100)
    report = registrar.reconcile()
    assert any(o.startswith(stray) for o in report["objects_without_records"]) and report["records_without_objects"] == []
    store.uploads.update_one(SCHOOL, {"_id": form["upload_id"]}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}})
    swept = registrar.sweep()
    assert swept["expired_uploads"] >= 1 and swept["objects_removed"] >= 1
    assert storage.stat(form["key"]) is None and store.find_upload(SCHOOL, form["upload_id"]) is None
    repaired = registrar.reconcile(True)
    assert any(stray in r for r in repaired["repaired"]) and storage.stat(stray) is None
    # bit rot cannot be made through S3, so the record's checksum is made wrong instead
    store.evidence.update_one(SCHOOL, {"_id": record["id"]}, {"$set": {"sha256": "0" * 64}})
    assert record["id"] in registrar.scrub()["mismatches"]
    with pytest.raises(Forbidden):
        service(store, storage, staff(Role.TEACHER)).scrub()


def test_reconcile_command_reports_a_record_whose_object_is_gone(store, storage, monkeypatch, capsys):
    from services.evidence import reconcile

    svc, form = upload(store, storage, student("s19", school="E00009"), files.pdf(700))
    record = svc.complete_upload(form["upload_id"])
    doc = store.find_evidence("E00009", record["id"])
    storage.remove_version(doc["key"], doc["version_id"])  # the disaster the command must reveal
    monkeypatch.setattr(reconcile, "load_settings", lambda: Settings(bucket_prefix=storage.bucket.removesuffix("-evidence")))
    monkeypatch.setattr(reconcile, "EvidenceStore", lambda db: store)
    assert reconcile.main(["--scrub", "E00009"]) == 1
    report = capsys.readouterr().out
    assert record["id"] in report and '"records_without_objects": ["' + record["id"] in report
