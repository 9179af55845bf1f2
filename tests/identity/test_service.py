"""IdentityService through nameko.testing's worker_factory, with a real FerretDB store."""

from __future__ import annotations

import secrets

import pytest
from nameko.testing.services import worker_factory

from services.identity.errors import AccountExists, AccountLocked, AccountNotFound, LoginFailed, SchoolExists
from services.identity.service import IdentityService
from services.identity.store import IdentityStore
from shared.caller import Caller
from shared.config import Settings
from shared.errors import Forbidden, Unauthenticated, ValidationFailed
from shared.roles import Role
from shared.tokens import verify_token
from tests.support.stores import temporary_store

SETTINGS = Settings(jwt_secret="j" * 48, field_key="k", login_max_failures=3, login_lock_seconds=600)
DISTRICT = Caller("d1", "district", None, frozenset({Role.DISTRICT_ADMIN}))


def registrar(school: str) -> Caller:
    return Caller("r-" + school, "registrar", school, frozenset({Role.REGISTRAR}))


@pytest.fixture(scope="module")
def store():
    with temporary_store(IdentityStore, "identity_svc") as store:
        yield store


def service(store: IdentityStore, caller: Caller | None) -> IdentityService:
    return worker_factory(IdentityService, store=store, caller=caller, settings=SETTINGS)


@pytest.fixture(scope="module")
def school(store) -> str:
    code = "S" + secrets.token_hex(3)[:5].upper()
    service(store, DISTRICT).create_school({"code": code, "name": "測試高中"})
    return code


def test_create_school_emits_event_and_refuses_duplicates(store):
    svc = service(store, DISTRICT)
    svc.create_school({"code": "123456", "name": "一二三高中"})
    svc.dispatch.assert_called_once()
    with pytest.raises(SchoolExists):
        svc.create_school({"code": "123456", "name": "again"})


@pytest.mark.parametrize("caller", [None, registrar("123456")])
def test_create_school_needs_the_district_admin(store, caller):
    with pytest.raises((Forbidden, Unauthenticated)):
        service(store, caller).create_school({"code": "654321", "name": "x高中"})


def test_account_lifecycle_login_and_token(store, school):
    svc = service(store, registrar(school))
    created = svc.create_account({"username": "t001", "display_name": "王老師", "roles": ["teacher", "homeroom"], "class_code": "101"})
    password = created["initial_password"]
    assert created["account"]["must_change_password"] and len(password) == 12
    with pytest.raises(AccountExists):
        svc.create_account({"username": "T001", "display_name": "dup", "roles": ["teacher"]})
    result = service(store, None).login({"school_code": school.lower(), "username": "t001", "password": password})
    caller = verify_token(result["token"], secret=SETTINGS.jwt_secret, audience=SETTINGS.jwt_audience)
    assert caller.school_id == school and caller.roles == {Role.TEACHER, Role.HOMEROOM}
    assert "password_hash" not in result["account"]


def test_login_locks_after_repeated_failures_even_for_unknown_names(store, school):
    anonymous = service(store, None)
    service(store, registrar(school)).create_account(
        {"username": "lockme", "display_name": "甲", "roles": ["student"], "password": "Right-pass-1"}
    )
    for _ in range(3):
        with pytest.raises(LoginFailed):
            anonymous.login({"school_code": school, "username": "lockme", "password": "wrong-pass"})
    with pytest.raises(AccountLocked):
        anonymous.login({"school_code": school, "username": "lockme", "password": "Right-pass-1"})
    for _ in range(3):
        with pytest.raises(LoginFailed):
            anonymous.login({"school_code": school, "username": "ghost", "password": "whatever1"})
    with pytest.raises(AccountLocked):
        anonymous.login({"school_code": school, "username": "ghost", "password": "whatever1"})


def test_disabled_account_cannot_log_in_and_reset_gives_new_password(store, school):
    svc = service(store, registrar(school))
    account = svc.create_account({"username": "gone", "display_name": "乙", "roles": ["student"], "password": "Gone-pass-1"})["account"]
    svc.update_account(account["id"], {"disabled": True})
    with pytest.raises(Forbidden):
        service(store, None).login({"school_code": school, "username": "gone", "password": "Gone-pass-1"})
    svc.update_account(account["id"], {"disabled": False})
    temporary = svc.reset_password(account["id"])["temporary_password"]
    assert service(store, None).login({"school_code": school, "username": "gone", "password": temporary})["token"]


def test_another_school_cannot_see_or_change_accounts(store, school):
    account = service(store, registrar(school)).create_account({"username": "mine", "display_name": "丙", "roles": ["student"]})["account"]
    other = service(store, registrar("ZZZZZZ"))
    for call in (
        lambda: other.get_account(account["id"]),
        lambda: other.update_account(account["id"], {"disabled": True}),
        lambda: other.reset_password(account["id"]),
    ):
        with pytest.raises(AccountNotFound):
            call()
    assert all(a["id"] != account["id"] for a in other.list_accounts()["items"])


def test_change_password_checks_the_current_one(store, school):
    service(store, registrar(school)).create_account(
        {"username": "chg", "display_name": "丁", "roles": ["student"], "password": "Old-pass-1"}
    )
    doc = store.find_by_username(school, "chg")
    me = service(store, Caller(doc["_id"], "chg", school, frozenset({Role.STUDENT})))
    with pytest.raises(Forbidden):
        me.change_password({"current_password": "nope-nope", "new_password": "New-pass-22"})
    with pytest.raises(ValidationFailed):
        me.change_password({"current_password": "Old-pass-1", "new_password": "short"})
    me.change_password({"current_password": "Old-pass-1", "new_password": "New-pass-22"})
    assert service(store, None).login({"school_code": school, "username": "chg", "password": "New-pass-22"})
    assert not me.me()["must_change_password"]


def test_a_parallel_burst_of_failures_is_counted_in_full(store, school):
    # (The service's argon2 runs in eventlet's thread pool, which is not for foreign OS threads: the
    # burst is driven against the store, where a lost update would hide.)
    import threading
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    threads = [threading.Thread(target=store.count_failure, args=(school, "burst-user", now)) for _ in range(12)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert store.count_failure(school, "burst-user", now) == 13


def test_an_account_import_stopped_by_an_error_creates_nothing_and_the_same_file_again_works(store, school, monkeypatch):
    """Nameko acknowledges an event whose handler raised: such a job must not read 執行中 for ever (the
    same file would be answered with it). It ends 'failed' with none of its accounts; the file again works."""
    rows = [{"帳號": f"stop{i:02d}", "姓名": f"學生{i}", "角色": "student", "班級": "101"} for i in range(3)]
    sha = secrets.token_hex(32)
    svc = service(store, registrar(school))
    job = svc.start_account_import(rows, sha)

    def database_gone(*args, **kwargs):
        raise ConnectionError("the database went away")

    real = store.insert_accounts
    monkeypatch.setattr(store, "insert_accounts", database_gone)
    service(store, registrar(school)).run_account_import({"school_id": school, "import_id": job["import_id"]})
    stopped = svc.account_import(job["import_id"])
    assert stopped["status"] == "failed" and "未建立任何帳號" in stopped["errors"][0]["message"]
    assert store.find_by_username(school, "stop00") is None
    monkeypatch.setattr(store, "insert_accounts", real)
    again = svc.start_account_import(rows, sha)
    assert again["import_id"] != job["import_id"]  # a stopped job is not the answer to the same file
    service(store, registrar(school)).run_account_import({"school_id": school, "import_id": again["import_id"]})
    assert svc.account_import(again["import_id"])["status"] == "done"
    assert store.find_by_username(school, "stop02") is not None
