"""An isolated vhost and database for the upload queue tests (no services started)."""

from __future__ import annotations

import pytest

from services.national_upload.store import UploadStore
from shared.mongo import make_client
from tests.support.system import TestSystem


@pytest.fixture(scope="module")
def isolated():
    system = TestSystem()
    system.prepare()
    yield system
    system.stop()


@pytest.fixture(scope="module")
def upload_store(isolated):
    settings = isolated.settings()
    client = make_client(settings)
    store = UploadStore(client[settings.database_name("national_upload")])
    store.ensure_indexes()
    yield store
    client.close()
