"""The peer contract (services/records/contract.py) matches the records service's RPCs, and the peers use it."""

from __future__ import annotations

import inspect
import typing

import pytest

from services.backup.service import BackupService
from services.certification.peers import Peers
from services.certification.service import CertificationService
from services.national_upload.service import NationalUploadService
from services.records.contract import RecordsPeer
from services.records.service import RecordsService
from services.working_group.service import WorkingGroupService

pytestmark = pytest.mark.unit

PEER_METHODS = sorted(name for name, value in vars(RecordsPeer).items() if inspect.isfunction(value) and not name.startswith("_"))


def test_the_contract_names_methods():
    assert "get_semester" in PEER_METHODS and len(PEER_METHODS) >= 10


@pytest.mark.parametrize("name", PEER_METHODS)
def test_each_contract_method_is_an_rpc_with_the_same_signature(name):
    method = getattr(RecordsService, name)
    assert any(type(e).__name__ == "Rpc" for e in getattr(method, "nameko_entrypoints", ())), f"{name} is not an @rpc"
    assert inspect.signature(method) == inspect.signature(getattr(RecordsPeer, name)), name


@pytest.mark.parametrize("service", [CertificationService, WorkingGroupService, NationalUploadService, BackupService])
def test_peers_type_their_records_proxy_with_the_contract(service):
    assert typing.get_type_hints(service, include_extras=False)["records"] is RecordsPeer


def test_certification_peers_take_the_contract():
    assert inspect.signature(Peers).parameters["records"].annotation in ("RecordsPeer", RecordsPeer)
