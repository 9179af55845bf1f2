"""A 503 means nothing happened, on the real system.

- A dead service: the gateway knows from the broker that nobody consumes its queue and answers 503
  at once (nothing is published); restarted, the service never performs the refused write.
- A stalled service (SIGSTOP): the caller's budget runs out, the gateway answers 503; resumed, the
  service finds the request past its deadline and refuses it (the late work is not done), and a
  retry with the same Idempotency-Key does the work once.
- A fresh gateway: its first writes, through every worker, answer at once and take effect once.
"""

from __future__ import annotations

import secrets
import signal
import sys
import time
import urllib.parse
from typing import TYPE_CHECKING

import pytest
import requests

from shared.rpc_pool import CONSUMER_CACHE_SECONDS
from tests.conftest import make_school
from tests.support.api import Client, assert_problem
from tests.support.system import ROOT, free_port, wait_until

if TYPE_CHECKING:
    from tests.support.system import TestSystem


@pytest.fixture(scope="module")
def school(system, district):
    return make_school(system, district, "D00377", "逾時高中")


def _consumers(system: TestSystem, service: str) -> int:
    vhost = urllib.parse.quote(system.vhost, safe="")
    url = f"{system.env.get('LICHENG_RABBIT_MGMT_URL', 'http://127.0.0.1:15672')}/api/queues/{vhost}/rpc-{service}"
    return requests.get(url, auth=("guest", "guest"), timeout=10).json().get("consumers", 0)


def _ready(base_url: str) -> bool:
    return requests.get(base_url + "/readyz", timeout=15).status_code == 200


def _class_codes(client: Client, year: int) -> list[str]:
    response = client.get("/api/v1/records/classes", params={"per_page": 200})
    assert response.status_code == 200, response.text
    return [c["code"] for c in response.json()["items"] if c["year"] == year]


def _start_gateway(system: TestSystem, name: str, extra: dict[str, str]) -> str:
    port = free_port()
    system._spawn(
        name,
        [sys.executable, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"],
        {
            "LICHENG_GATEWAY_BIND": f"127.0.0.1:{port}",
            "PROMETHEUS_MULTIPROC_DIR": str(ROOT / "var" / "test-metrics" / f"{system.run_id}-{name}"),
            **extra,
        },
    )
    base_url = f"http://127.0.0.1:{port}"
    wait_until(lambda: requests.get(base_url + "/healthz", timeout=5).status_code == 200, 60, name)
    return base_url


def test_a_write_to_a_dead_service_fails_fast_and_never_happens(system, school):
    registrar = school.registrar
    body = {"year": 115, "code": "377", "name": "逾時測試班"}
    system.stop_process("records", signal.SIGKILL)
    try:
        wait_until(lambda: _consumers(system, "records") == 0, 30, "the broker noticing the dead consumer")
        time.sleep(CONSUMER_CACHE_SECONDS + 0.5)  # the gateway's "it has a consumer" answer runs out
        started = time.monotonic()
        refused = registrar.post("/api/v1/records/classes", json=body)
        print(f"dead service: 503 after {time.monotonic() - started:.3f} s")
        problem = assert_problem(refused, 503, "service_down")
        assert problem["detail"] and problem["detail_en"]
        assert int(refused.headers["Retry-After"]) > 0
        assert_problem(registrar.get("/api/v1/records/classes"), 503, "service_down")
        assert requests.get(system.base_url + "/readyz", timeout=15).status_code == 503
    finally:
        system.start_service("records")
    wait_until(lambda: _ready(system.base_url), 90, "records again")
    # each gateway worker learns for itself that records has a consumer again
    wait_until(lambda: registrar.get("/api/v1/records/classes").status_code == 200, 90, "records answering reads again")
    assert "377" not in _class_codes(registrar, 115)
    assert registrar.post("/api/v1/records/classes", json=body).status_code == 201  # not a 409: it never happened
    assert _class_codes(registrar, 115).count("377") == 1


def test_a_request_its_caller_gave_up_on_is_refused_by_the_resumed_service(system, school):
    short = _start_gateway(system, "gateway-short", {"LICHENG_RPC_TIMEOUT_SECONDS": "3", "LICHENG_RPC_GRACE_SECONDS": "1"})
    try:
        registrar = Client(short, token=school.registrar.token)
        wait_until(lambda: _ready(short), 60, "the short-budget gateway")
        body, key = {"year": 115, "code": "378", "name": "暫停測試班"}, "stall-" + secrets.token_hex(6)
        records = system.processes["records"]
        log_path = system.log_dir / f"{system.run_id}-records.log"
        records.send_signal(signal.SIGSTOP)
        started = time.monotonic()
        try:
            timed_out = registrar.post("/api/v1/records/classes", json=body, headers={"Idempotency-Key": key})
        finally:
            records.send_signal(signal.SIGCONT)
        print(f"stalled service: 503 after {time.monotonic() - started:.1f} s (budget 3 s + grace 1 s)")
        assert_problem(timed_out, 503, "service_unavailable")
        assert timed_out.headers["Retry-After"]
        # records takes its messages in order: once it answers a later read, the stalled write was handled
        wait_until(lambda: "rpc refused after its deadline" in log_path.read_text(errors="replace"), 30, "the refusal")
        assert "378" not in _class_codes(school.registrar, 115)
        retried = school.registrar.post("/api/v1/records/classes", json=body, headers={"Idempotency-Key": key})
        assert retried.status_code == 201, retried.text  # the key was released by the 503: the retry does the work
        again = school.registrar.post("/api/v1/records/classes", json=body, headers={"Idempotency-Key": key})
        assert again.status_code == 201 and again.json() == retried.json() and again.headers["Idempotent-Replayed"] == "true"
        assert _class_codes(school.registrar, 115).count("378") == 1
    finally:
        system.stop_process("gateway-short")


def test_the_first_writes_through_a_fresh_gateway_answer_and_happen_once(system, district):
    fresh = _start_gateway(system, "gateway-fresh", {"LICHENG_GATEWAY_WORKERS": "2"})
    try:
        codes = [f"F{n:05d}" for n in range(4)]
        for code in codes:  # a new connection each: both workers take some of them
            response = requests.post(
                fresh + "/api/v1/schools",
                json={"code": code, "name": f"新校{code}"},
                headers={"Authorization": f"Bearer {district.token}", "Connection": "close"},
                timeout=60,
            )
            assert response.status_code == 201, response.text
        listed = [s["code"] for s in district.get("/api/v1/schools").json()]
        assert all(listed.count(code) == 1 for code in codes)
    finally:
        system.stop_process("gateway-fresh")
