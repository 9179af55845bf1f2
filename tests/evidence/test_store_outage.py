"""The store stopped mid-upload: a clear 503, no dangling record; after a restart the same upload succeeds.

The shared SeaweedFS is never touched: this test starts its own `weed mini` (other ports, a
temporary directory, loopback only, telemetry off) and its own evidence service pointed at it, on
its own RabbitMQ vhost and database prefix.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.evidence.errors import StoreUnavailable
from services.evidence.store import EvidenceStore
from shared.caller import Caller
from shared.config import Settings
from shared.mongo import make_client
from shared.roles import Role
from tests.evidence import files
from tests.support.s3 import remove_buckets
from tests.support.system import ROOT, _amqp_with_vhost, _mgmt_url, free_port, wait_until

WEED = ROOT / "var" / "bin" / "weed"


class OwnStore:
    """A private `weed mini` with S3 credentials required, as deploy/native/infra.sh starts it."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.access_key = "LCHT" + secrets.token_hex(6).upper()
        self.secret_key = secrets.token_hex(20)
        self.ports = {name: free_port() for name in ("s3", "master", "volume", "filer", "admin")}
        self.process: subprocess.Popen | None = None
        for sub in ("data", "log", "config"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "test",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        (directory / "s3.json").write_text(json.dumps(identities))

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.ports['s3']}"

    def start(self) -> None:
        p = self.ports
        args = [
            str(WEED),
            f"-logdir={self.dir / 'log'}",
            f"-config_dir={self.dir / 'config'}",
            "mini",
            f"-dir={self.dir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-admin.port.legacy=0",
            f"-admin.port={p['admin']}",
            f"-master.port={p['master']}",
            f"-volume.port={p['volume']}",
            f"-filer.port={p['filer']}",
            f"-s3.port={p['s3']}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={self.dir / 's3.json'}",
        ]
        log = open(self.dir / "weed.out", "ab")
        self.process = subprocess.Popen(args, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until(lambda: requests.get(f"http://{self.endpoint}/healthz", timeout=2).status_code == 200, 90, "own seaweedfs")
        except TimeoutError:
            print((self.dir / "weed.out").read_text(errors="replace")[-3000:], file=sys.stderr)
            raise

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture(scope="module")
def outage(tmp_path_factory):
    if not WEED.exists():
        pytest.skip("var/bin/weed is not built")
    store = OwnStore(tmp_path_factory.mktemp("weed"))
    store.start()
    run_id = "t" + secrets.token_hex(4)
    vhost = f"licheng-{run_id}"
    quoted = urllib.parse.quote(vhost, safe="")
    auth = ("guest", "guest")
    requests.put(f"{_mgmt_url()}/api/vhosts/{quoted}", auth=auth, timeout=10).raise_for_status()
    requests.put(
        f"{_mgmt_url()}/api/permissions/{quoted}/guest", auth=auth, timeout=10, json={"configure": ".*", "write": ".*", "read": ".*"}
    ).raise_for_status()
    env = {
        **os.environ,
        "LICHENG_AMQP_URI": _amqp_with_vhost(Settings().amqp_uri, vhost),
        "LICHENG_DB_PREFIX": run_id,
        "LICHENG_BUCKET_PREFIX": run_id,
        "LICHENG_S3_ENDPOINT": store.endpoint,
        "LICHENG_S3_ACCESS_KEY": store.access_key,
        "LICHENG_S3_SECRET_KEY": store.secret_key,
        "LICHENG_JWT_SECRET": secrets.token_urlsafe(48),
        "LICHENG_FIELD_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "PYTHONPATH": str(ROOT),
    }
    log = open(store.dir / "evidence.out", "ab")
    service = subprocess.Popen(
        [sys.executable, "-m", "services.run", "evidence"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    settings = Settings(amqp_uri=env["LICHENG_AMQP_URI"], db_prefix=run_id)
    client = make_client(settings)
    caller = Caller("acc-out-1", "out1", "F00001", frozenset({Role.STUDENT}), student_id="OUT1")
    try:
        with ClusterRpcProxy(settings.nameko_config(), timeout=30, context_data=caller.to_context()) as rpc:
            wait_until(lambda: rpc.evidence.health()["store"], 60, "own evidence service")
            yield store, rpc, EvidenceStore(client[settings.database_name("evidence")])
    finally:
        service.terminate()
        service.wait(timeout=30)
        if store.process is None:
            store.start()
        remove_buckets(Settings(s3_endpoint=store.endpoint, s3_access_key=store.access_key, s3_secret_key=store.secret_key), run_id)
        store.stop()
        client.drop_database(settings.database_name("evidence"))
        client.close()
        requests.delete(f"{_mgmt_url()}/api/vhosts/{quoted}", auth=auth, timeout=10)


def test_store_stopped_mid_upload_gives_503_no_record_and_the_retry_succeeds(outage):
    store, rpc, records = outage
    data = files.pdf(20_000)
    form = rpc.evidence.request_upload(
        {"kind": "document", "purpose": "outcome", "filename": "a.pdf", "size": len(data), "content_type": "application/pdf"}
    )
    store.stop()  # the store goes away between the form and the bytes
    with pytest.raises(requests.ConnectionError):
        requests.post(form["url"], data=form["fields"], files={"file": ("a.pdf", data)}, timeout=10)
    with pytest.raises(StoreUnavailable) as info:
        rpc.evidence.complete_upload(form["upload_id"], {})
    assert info.value.status == 503 and info.value.code == "store_unavailable" and info.value.title
    assert records.find_by_upload("F00001", form["upload_id"]) is None
    assert rpc.evidence.list_evidence() == []

    store.start()
    stored = requests.post(form["url"], data=form["fields"], files={"file": ("a.pdf", data)}, timeout=30)
    assert stored.status_code in (200, 204), stored.text
    record = rpc.evidence.complete_upload(form["upload_id"], {})
    assert record["sha256"] == files.sha256(data)
    assert [r["id"] for r in rpc.evidence.list_evidence()] == [record["id"]]
