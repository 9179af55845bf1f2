"""Account imports as jobs, through nameko.testing's worker_factory with a real FerretDB store.

The request half (start_account_import) and the job half (run_account_import, the event handler) are
called in turn, as the service's own handler would after the announcement."""

from __future__ import annotations

import hashlib

import pytest

from services.identity.account_imports import IMPORT_QUEUED
from services.identity.errors import AccountNotFound, ImportNotFound, PasswordSheetGone
from shared.errors import ValidationFailed
from tests.identity.test_service import registrar, school, service, store  # noqa: F401  (fixtures)


def _run(svc, school_id: str, job: dict) -> dict:
    """What the announcement does: the service's handler runs the job as the same caller."""
    name, payload = svc.dispatch.call_args[0]
    assert name == IMPORT_QUEUED and payload == {"school_id": school_id, "import_id": job["import_id"]}
    svc.run_account_import(payload)
    return svc.account_import(job["import_id"])


def _rows(prefix: str, n: int, class_code: str = "101") -> list[dict[str, str]]:
    return [{"帳號": f"{prefix}{i:03d}", "姓名": f"學生{i}", "角色": "student", "班級": class_code} for i in range(n)]


def test_a_bad_row_imports_nothing_and_names_its_row(store, school):  # noqa: F811
    svc = service(store, registrar(school))
    rows = [*_rows("bad", 5), {"帳號": "bad999", "姓名": "乙", "角色": "wizard", "班級": "101"}]
    job = svc.start_account_import(rows)
    assert job["status"] == "queued" and job["rows"] == 6
    done = _run(svc, school, job)
    assert done["status"] == "rejected" and done["imported"] == 0
    assert [(e["row"], e["code"]) for e in done["errors"]] == [(7, "unknown_role")]
    assert done["errors"][0]["message"] and done["errors"][0]["message_en"]
    assert store.find_by_username(school, "bad000") is None


def test_job_hashes_with_progress_and_hands_out_the_sheet_once(store, school):  # noqa: F811
    svc = service(store, registrar(school))
    rows = _rows("s1", 60, "101") + _rows("s2", 3, "102") + [{"帳號": "t01", "姓名": "老師", "角色": "teacher", "班級": ""}]
    job = svc.start_account_import(rows, hashlib.sha256(b"sheet-file").hexdigest())
    done = _run(svc, school, job)
    assert (done["status"], done["imported"], done["hashed"], done["phase"]) == ("done", 64, 64, "finished")
    assert done["password_sheet"]["state"] == "ready"
    sheet = svc.account_import_sheet(job["import_id"])
    assert [(c["class_code"], len(c["accounts"])) for c in sheet["classes"]] == [("101", 60), ("102", 3), ("", 1)]
    first = sheet["classes"][0]["accounts"][0]
    assert service(store, None).login({"school_code": school, "username": first["username"], "password": first["password"]})["token"]
    with pytest.raises(PasswordSheetGone):
        svc.account_import_sheet(job["import_id"])
    assert svc.account_import(job["import_id"])["password_sheet"] == {"state": "downloaded", "url": ""}
    # the same file again: the earlier job, a no-op that says so
    again = svc.start_account_import(rows, hashlib.sha256(b"sheet-file").hexdigest())
    assert again["already_imported"] is True and again["import_id"] == job["import_id"]


def test_passwords_the_file_gives_are_argon2_and_only_generated_ones_go_on_the_sheet(store, school):  # noqa: F811
    svc = service(store, registrar(school))
    rows = [*_rows("mix", 3, "103"), {"帳號": "mixown", "姓名": "丁", "角色": "student", "班級": "103", "密碼": "Own-chosen-7"}]
    done = _run(svc, school, svc.start_account_import(rows))
    assert (done["status"], done["imported"], done["hashed"]) == ("done", 4, 4)
    assert store.find_by_username(school, "mixown")["password_hash"].startswith("$argon2id$")
    assert not store.find_by_username(school, "mix000")["password_hash"].startswith("$argon2")
    sheet = svc.account_import_sheet(done["import_id"])
    handed = {a["username"]: a["password"] for c in sheet["classes"] for a in c["accounts"]}
    assert sorted(handed) == ["mix000", "mix001", "mix002"]
    anonymous = service(store, None)
    assert anonymous.login({"school_code": school, "username": "mixown", "password": "Own-chosen-7"})["account"]["must_change_password"]
    assert anonymous.login({"school_code": school, "username": "mix001", "password": handed["mix001"]})["token"]


def test_another_schools_job_is_not_found(store, school):  # noqa: F811
    svc = service(store, registrar(school))
    job = svc.start_account_import(_rows("oth", 2))
    _run(svc, school, job)
    other = service(store, registrar("ZZZZZZ"))
    for call in (lambda: other.account_import(job["import_id"]), lambda: other.account_import_sheet(job["import_id"])):
        with pytest.raises(ImportNotFound):
            call()


def test_a_run_cut_short_is_undone_and_run_again_in_full(store, school):  # noqa: F811
    svc = service(store, registrar(school))
    job = svc.start_account_import(_rows("cut", 10))
    # A run killed after writing some accounts leaves them tagged with the job; the redelivery starts over.
    half = {"_id": "half-written", "username": "cut000", "username_key": "cut000", "import_batch": job["import_id"]}
    store.accounts.insert_one(school, half)
    store.accounts.raw.update_one({"_id": "half-written"}, {"$set": {"display_name": "x", "roles": ["student"]}})
    store.db["account_imports"].update_one({"_id": job["import_id"]}, {"$set": {"status": "running", "phase": "writing"}})
    done = _run(svc, school, job)
    assert done["status"] == "done" and done["imported"] == 10
    assert store.find_by_username(school, "cut000")["_id"] != "half-written"
    assert len(store.accounts.find(school, {"import_batch": job["import_id"]})) == 10


def test_file_level_problems_are_answered_at_once(store, school):  # noqa: F811
    svc = service(store, registrar(school))
    with pytest.raises(ValidationFailed):
        svc.start_account_import([{"名字": "甲"}])
    with pytest.raises(ValidationFailed):
        svc.start_account_import([])
    with pytest.raises(AccountNotFound):
        svc.get_account("nobody")
