"""Shared fixtures. The running system starts once per test session, only if a test asks for it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from services.identity.bootstrap import ensure_district_admin
from services.identity.store import IdentityStore
from shared.mongo import make_client
from tests.support.api import Client, login
from tests.support.system import TestSystem


@pytest.fixture(scope="session")
def system():
    test_system = TestSystem()
    try:
        test_system.start()
        yield test_system
    finally:
        test_system.stop()


@pytest.fixture(scope="session")
def identity_db(system):
    settings = system.settings()
    client = make_client(settings)
    yield client[settings.database_name("identity")]
    client.close()


@pytest.fixture(scope="session")
def district(system, identity_db) -> Client:
    password = secrets.token_urlsafe(12)
    ensure_district_admin(IdentityStore(identity_db), "district", password)
    return login(system.base_url, "", "district", password)


@dataclass
class SchoolFixture:
    code: str
    registrar: Client
    registrar_password: str


def make_school(system: TestSystem, district: Client, code: str, name: str) -> SchoolFixture:
    assert district.post("/api/v1/schools", json={"code": code, "name": name}).status_code == 201
    password = "Pw-" + secrets.token_urlsafe(10)
    created = district.post(
        f"/api/v1/schools/{code}/registrars", json={"username": "registrar", "display_name": "註冊組長", "password": password}
    )
    assert created.status_code == 201, created.text
    return SchoolFixture(code, login(system.base_url, code, "registrar", password), password)


@pytest.fixture(scope="session")
def school_a(system, district) -> SchoolFixture:
    return make_school(system, district, "A00001", "甲高中")


@pytest.fixture(scope="session")
def school_b(system, district) -> SchoolFixture:
    return make_school(system, district, "B00002", "乙高中")


@pytest.fixture(scope="session")
def national_sim(system, tmp_path_factory):
    """The national database simulator at the address the running system's services were given."""
    from tests.national.simulator import SimClient, SimProcess

    process = SimProcess(tmp_path_factory.mktemp("national") / "data", port=system.national_port).start()
    yield SimClient(process)
    process.stop()


@pytest.fixture(scope="session")
def upload_worker(system, national_sim):
    """One national-upload worker process for the running system (short retry delays for tests)."""
    system.start_upload_worker("upload-worker", {"LICHENG_UPLOAD_RETRY_DELAYS": "1,2", "LICHENG_UPLOAD_MAX_ATTEMPTS": "3"})
    yield
    system.stop_process("upload-worker")


@pytest.fixture(scope="session")
def mail_worker(system):
    """One mail worker sending the reminders of the running system to its SMTP relay (system.maildir)."""
    system.start_mail_worker("mail-worker")
    yield
    system.stop_process("mail-worker")


@pytest.fixture
def anonymous(system) -> Client:
    return Client(system.base_url)
