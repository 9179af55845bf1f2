"""Delivery to the national simulator through real workers: exactly once, whatever breaks.

Workers are real processes (`python -m services.national_upload.worker`); the simulator is the real
stand-in for the national database; RabbitMQ and FerretDB are the real servers.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import urllib.parse
import uuid
from datetime import UTC, datetime

import pytest
import requests

from services.national_upload.domain import idempotency_key
from services.national_upload.publisher import Publisher
from services.national_upload.worker import RetryPolicy
from shared.crypto import FieldCipher
from shared.national.roster_io import write_roster
from shared.national.rules import rules_for
from tests.national.samples import valid_sheets
from tests.national.simulator import SimClient, SimProcess
from tests.support.system import ROOT, _mgmt_url, wait_until

SCHOOL = "123456"
RULES = rules_for(113)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    process = SimProcess(tmp_path_factory.mktemp("sim") / "data").start()
    yield SimClient(process)
    process.stop()


@pytest.fixture
def credentials(isolated, upload_store, sim):
    cipher = FieldCipher(isolated.env["LICHENG_FIELD_KEY"])
    upload_store.set_credentials(SCHOOL, cipher.encrypt(sim.token(SCHOOL)), "test")


def _roster_items(store, count: int) -> list[dict]:
    upload_id = uuid.uuid4().hex
    items = []
    for n in range(count):
        sheets = valid_sheets(RULES, 1, students=2)
        data = write_roster(RULES, SCHOOL, 1, 1, sheets)
        sha = hashlib.sha256(data).hexdigest()
        file_id = uuid.uuid4().hex
        filename = RULES.roster_filename(SCHOOL, 1, 1, datetime(2025, 1, 20, 8, 0, n, tzinfo=UTC))
        store.put_file(SCHOOL, {"_id": file_id, "filename": filename, "sha256": sha, "data": data})
        item_id = uuid.uuid4().hex
        items.append(
            {
                "_id": item_id,
                "upload_id": upload_id,
                "roster": "1",
                "kind": "roster",
                "ref": file_id,
                "student_id": "",
                "state": "queued",
                "attempts": 0,
                "history": [],
                "uploader": "註冊組長",
                "idempotency_key": idempotency_key(SCHOOL, 113, 1, "1", "", item_id, sha),
            }
        )
    store.insert_items(SCHOOL, items)
    return [{**i, "school_id": SCHOOL} for i in items]


def _worker(isolated, sim, concurrency: int = 8) -> subprocess.Popen:
    env = {
        **isolated.env,
        "LICHENG_UPLOAD_CONCURRENCY": str(concurrency),
        "LICHENG_NATIONAL_URL": sim.sim.url,
        "LICHENG_UPLOAD_PREFETCH": "1",
        "LICHENG_UPLOAD_RETRY_DELAYS": "1,2",
        "LICHENG_UPLOAD_MAX_ATTEMPTS": "3",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.national_upload.worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _enqueue(isolated, items: list[dict]) -> None:
    with Publisher(isolated.settings().amqp_uri, RetryPolicy(delays=(1, 2), max_attempts=3)) as publisher:
        for item in items:
            publisher.enqueue(item)


def _accepted_keys(sim) -> list[str]:
    """Keys the national side holds an acceptance for (it keeps one row per key, with its delivery count)."""
    return [i["key"] for i in sim.state(SCHOOL)["items"] if i["state"] == "done" and 200 <= i["status"] < 300]


def _accepted_rosters(sim) -> int:
    return len(sim.state(SCHOOL)["rosters"])


def test_a_worker_killed_mid_send_changes_nothing_in_the_outcome(isolated, upload_store, sim, credentials):
    sim.admin("POST", "/admin/reset")
    sim.faults({"latency_ms": 1500})
    items = _roster_items(upload_store, 4)
    _enqueue(isolated, items)
    first = _worker(isolated, sim)
    try:
        wait_until(lambda: any(upload_store.get_item(SCHOOL, i["_id"])["state"] == "sending" for i in items), 60, "a send in flight")
        first.send_signal(signal.SIGKILL)  # between sending and acknowledging
        first.wait()
        sim.faults({"latency_ms": 0})
        second = _worker(isolated, sim)
        wait_until(lambda: all(upload_store.get_item(SCHOOL, i["_id"])["state"] == "accepted" for i in items), 90, "all accepted")
    finally:
        for process in (first, locals().get("second")):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
    assert sorted(_accepted_keys(sim)) == sorted(i["idempotency_key"] for i in items)
    assert _accepted_rosters(sim) == len(items)  # each roster accepted once, none twice


def test_faults_are_retried_and_a_permanent_failure_ends_dead_lettered(isolated, upload_store, sim, credentials):
    sim.admin("POST", "/admin/reset")
    sim.faults(
        {
            "rules": [
                {"mode": "rate_limit", "count": 2, "retry_after": 1},
                {"mode": "error", "count": 2, "status": 503},
                {"mode": "drop", "count": 1, "when": "after"},
            ]
        }
    )
    items = _roster_items(upload_store, 3)
    _enqueue(isolated, items)
    worker = _worker(isolated, sim)
    try:
        wait_until(lambda: all(upload_store.get_item(SCHOOL, i["_id"])["state"] == "accepted" for i in items), 120, "all accepted")
        # now the national side fails for good: the item ends dead-lettered with its reason
        sim.faults({"rules": [{"mode": "error", "rate": 1.0, "status": 500}]})
        (doomed,) = _roster_items(upload_store, 1)
        _enqueue(isolated, [doomed])
        wait_until(lambda: upload_store.get_item(SCHOOL, doomed["_id"])["state"] == "dead", 60, "dead-lettered")
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0  # a graceful stop
        sim.faults({})
    dead = upload_store.get_item(SCHOOL, doomed["_id"])
    assert "HTTP 500" in dead["detail"] and [h["state"] for h in dead["history"]] == ["retrying", "retrying", "dead"]
    accepted = _accepted_keys(sim)
    assert {i["idempotency_key"] for i in items} <= set(accepted) and doomed["idempotency_key"] not in accepted
    assert _accepted_rosters(sim) == len(accepted)  # one acceptance per key, never two


def _drop_connections(vhost: str) -> int:
    """What clients see when RabbitMQ restarts: every connection of the vhost closed by the broker."""
    auth = ("guest", "guest")
    listed = requests.get(f"{_mgmt_url()}/api/connections", auth=auth, timeout=10).json()
    mine = [c["name"] for c in listed if c.get("vhost") == vhost]
    for name in mine:
        requests.delete(f"{_mgmt_url()}/api/connections/{urllib.parse.quote(name, safe='')}", auth=auth, timeout=10)
    return len(mine)


def _restart_broker() -> None:
    for action in ("stop_app", "start_app"):
        subprocess.run([str(ROOT / "deploy/native/infra.sh"), "rabbitmqctl", action], check=True, capture_output=True, timeout=120)


@pytest.mark.parametrize(
    "outage",
    [
        "connections_dropped",
        pytest.param(
            "broker_restarted",
            marks=pytest.mark.skipif(
                os.environ.get("LICHENG_TEST_BROKER_RESTART") != "1",
                reason="restarts the shared RabbitMQ: run alone with LICHENG_TEST_BROKER_RESTART=1",
            ),
        ),
    ],
)
def test_a_broker_outage_mid_upload_loses_nothing_and_the_upload_completes(isolated, upload_store, sim, credentials, outage):
    sim.admin("POST", "/admin/reset")
    sim.faults({"latency_ms": 1000})  # slow enough that the upload outlasts the outage's set-up
    items = _roster_items(upload_store, 40)
    _enqueue(isolated, items)  # confirmed by the broker: from here on nothing may be lost
    workers = [_worker(isolated, sim, concurrency=2) for _ in range(2)]
    accepted = lambda: sum(upload_store.get_item(SCHOOL, i["_id"])["state"] == "accepted" for i in items)  # noqa: E731
    try:
        wait_until(lambda: accepted() >= 3, 60, "the upload under way")
        if outage == "broker_restarted":
            _restart_broker()
        else:
            # the management API lists connections after its next statistics tick (a few seconds)
            wait_until(lambda: _drop_connections(isolated.vhost) >= 2, 30, "the workers' connections dropped")
        assert accepted() < len(items)  # the outage hit the upload while it ran
        wait_until(lambda: accepted() == len(items), 120, "every item accepted after the outage")
    finally:
        sim.faults({})
        for process in workers:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    assert sorted(_accepted_keys(sim)) == sorted(i["idempotency_key"] for i in items)
    assert _accepted_rosters(sim) == len(items)  # none accepted twice
