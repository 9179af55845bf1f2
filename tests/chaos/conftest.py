"""The fault suite's system: every service, the gateway and workers on the replicated topology of
deploy/native/cluster.sh (started here if it is not running), one school in it."""

from __future__ import annotations

import secrets

import pytest

from services.identity.bootstrap import ensure_district_admin
from services.identity.store import IdentityStore
from shared.mongo import make_client
from tests.chaos import cluster
from tests.conftest import make_school
from tests.support.api import login
from tests.support.system import TestSystem


@pytest.fixture(scope="session")
def on_cluster():
    cluster.run("up", timeout=600)
    # The environment points at the cluster only while the system starts and stops: the processes keep
    # what they were given (system.env), and every other test of the session sees the usual servers.
    system = TestSystem()
    with cluster.pointed_at_cluster():
        system.start()
    try:
        settings = system.settings()
        client = make_client(settings)
        password = secrets.token_urlsafe(12)
        ensure_district_admin(IdentityStore(client[settings.database_name("identity")]), "district", password)
        client.close()
        district = login(system.base_url, "", "district", password)
        school = make_school(system, district, "C00001", "叢集高中")
        yield system, school
    finally:
        with cluster.pointed_at_cluster():
            system.stop()
