"""The national simulator over HTTP, as a real gunicorn process: acceptance, rejection with reasons,
idempotent dedup, 409 on key reuse, every fault mode, receipts, persistence across a restart."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests

from shared.national.receipt import ReceiptError, open_receipt, verify_receipt
from shared.national.roster_io import write_roster
from shared.national.rules import rules_for
from tests.national.samples import MP4, PDF, PDF_SHA, student_id, valid_row
from tests.national.simulator import SimClient, SimProcess

RULES = rules_for(113)
SCHOOL = "123456"
OTHER = "654321"
STAMP = datetime(2025, 1, 20, 8, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim_process(tmp_path_factory):
    process = SimProcess(tmp_path_factory.mktemp("national-sim") / "data").start()
    yield process
    process.stop()


@pytest.fixture
def sim(sim_process) -> SimClient:
    client = SimClient(sim_process)
    assert client.admin("POST", "/admin/reset").status_code == 200
    return client


def outcomes_roster(students: list[int], per_student: int = 1, semester: str = "1", evidence: str = PDF_SHA) -> tuple[bytes, str]:
    rows = [
        valid_row(RULES, 26, "學期課程學習成果", student_id(n), 實際修課學期=semester, 成果檔案=evidence, 科目名稱=f"科目{i}")
        for n in students
        for i in range(per_student)
    ]
    data = write_roster(RULES, SCHOOL, 0, 26, {"學期課程學習成果": rows})
    return data, RULES.roster_filename(SCHOOL, 0, 26, STAMP)


def test_health_and_school_credentials(sim):
    assert sim.http.get(sim.sim.url + "/healthz").json()["status"] == "ok"
    assert requests.post(sim.sim.url + "/api/v1/evidence", data=PDF).status_code == 401
    bad = requests.post(sim.sim.url + "/api/v1/evidence", data=PDF, headers={"Authorization": f"Bearer {SCHOOL}.wrong"})
    assert bad.status_code == 401 and bad.json()["title"] == "學校憑證無效"
    assert requests.get(sim.sim.url + "/admin/state").status_code == 401
    assert sim.get(SCHOOL, "/api/v1/rules/113").json()["limits"]["performances_per_year"]["value"] == 10


def test_evidence_is_accepted_once_per_key_and_409_on_other_content(sim):
    first = sim.evidence(SCHOOL, PDF, "報告.pdf", "ev-1")
    assert first.status_code == 201 and first.json()["sha256"] == PDF_SHA and first.json()["kind"] == "document"
    again = sim.evidence(SCHOOL, PDF, "報告.pdf", "ev-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    other = sim.evidence(SCHOOL, PDF + b"x", "報告.pdf", "ev-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    state = sim.state(SCHOOL)
    assert len(state["evidence"]) == 1 and [(i["key"], i["deliveries"]) for i in state["items"]] == [("ev-1", 3)]


@pytest.mark.parametrize(
    "data,filename,sha,status,code",
    [
        (b"MZ\x90\x00 program", "virus.pdf", None, 422, "file_rejected"),
        (b"GIF89a", "a.gif", None, 422, "file_rejected"),
        (PDF, "報告.pdf", "0" * 64, 422, "sha256_mismatch"),
        (PDF + b"\x00" * (4 * 1024 * 1024), "big.pdf", None, 422, "file_rejected"),
        (MP4 + b"\x00" * (10 * 1024 * 1024), "long.mp4", None, 413, "file_size"),
        (PDF, "", None, 400, "filename"),
    ],
)
def test_evidence_refused_with_reasons_and_the_key_stays_free(sim, data, filename, sha, status, code):
    response = sim.evidence(SCHOOL, data, filename, "ev-bad", sha=sha)
    assert response.status_code == status and response.json()["code"] == code
    assert response.json()["title"] and response.json()["title_en"]
    assert sim.state(SCHOOL)["evidence"] == []
    assert sim.evidence(SCHOOL, PDF, "報告.pdf", "ev-bad").status_code == 201


def test_roster_accepted_records_kept_and_receipt_matches_what_was_sent(sim):
    assert sim.evidence(SCHOOL, PDF, "報告.pdf", "ev-1").status_code == 201
    data, filename = outcomes_roster([1, 2], per_student=2)
    response = sim.roster(SCHOOL, data, filename, "roster-1")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["accepted_students"], body["records"], body["錯誤訊息"]) == ("accepted", 2, 4, [])
    assert len(body["confirm_deadline"]) == 7
    records = sim.admin("GET", "/admin/records", params={"school": SCHOOL, "roster_code": 26}).json()["records"]
    assert len(records) == 4 and records[0]["data"]["成果檔案"] == PDF_SHA

    zipped = sim.get(SCHOOL, body["receipt_url"])
    assert zipped.status_code == 200 and zipped.headers["Content-Type"] == "application/zip"
    with pytest.raises(ReceiptError):
        open_receipt(zipped.content, "not-the-password")
    receipt = open_receipt(zipped.content, sim.receipt_password(SCHOOL))
    sent = {filename: hashlib.sha256(data).hexdigest(), f"{PDF_SHA}.pdf": PDF_SHA}
    assert verify_receipt(receipt, sent) == []
    ((name, document),) = receipt.documents().items()
    assert name == f"{SCHOOL}_113_0_26_課程學習成果.json"
    assert document["上傳人員"] == "註冊組長" and document["名冊資訊"][0]["SHA"] == sent[filename]
    assert [len(s["學期課程學習成果"]) for s in document["課程學習成果"]] == [2, 2]

    changed = bytearray(receipt.files[name])
    changed[5] ^= 0x20
    receipt.files[name] = bytes(changed)
    assert verify_receipt(receipt, sent) == [f"{name}: SHA-256 differs from SHA.txt"]
    assert verify_receipt(open_receipt(zipped.content, sim.receipt_password(SCHOOL)), {filename: hashlib.sha256(data + b"!").hexdigest()})


def test_roster_partly_accepted_rejects_only_the_students_with_errors(sim):
    assert sim.evidence(SCHOOL, PDF, "報告.pdf", "ev-1").status_code == 201
    rows = [
        valid_row(RULES, 26, "學期課程學習成果", student_id(1)),
        *[valid_row(RULES, 26, "學期課程學習成果", student_id(2), 實際修課學期="1") for _ in range(4)],
        valid_row(RULES, 26, "學期課程學習成果", student_id(3), 成果檔案="e" * 64),
    ]
    data = write_roster(RULES, SCHOOL, 0, 26, {"學期課程學習成果": rows})
    response = sim.roster(SCHOOL, data, RULES.roster_filename(SCHOOL, 0, 26, STAMP), "roster-p")
    body = response.json()
    assert response.status_code == 201 and body["status"] == "partial"
    assert (body["accepted_students"], body["rejected_students"], body["records"]) == (1, 2, 1)
    errors = {(e["錯誤行數"], tuple(e["詳細資訊"]["錯誤代碼"])) for e in body["錯誤訊息"]}
    assert errors == {(6, ("cap_exceeded",)), (7, ("evidence_missing",))}
    assert all(e["詳細資訊"]["錯誤說明"][0] and e["詳細資訊"]["錯誤說明_en"][0] for e in body["錯誤訊息"])


@pytest.mark.parametrize(
    "make,code",
    [
        (lambda: (b"not a workbook", RULES.roster_filename(SCHOOL, 0, 26, STAMP)), "not_xlsx"),
        (lambda: (write_roster(RULES, OTHER, 0, 26, {}), RULES.roster_filename(OTHER, 0, 26, STAMP)), "school_mismatch"),
        (lambda: (write_roster(RULES, SCHOOL, 0, 26, {}), "roster.xlsx"), "file_name"),
        (lambda: (write_roster(RULES, SCHOOL, 1, 26, {}), RULES.roster_filename(SCHOOL, 1, 26, STAMP)), "semester"),
        (lambda: (outcomes_roster([1], evidence="f" * 64)[0], RULES.roster_filename(SCHOOL, 0, 26, STAMP)), "evidence_missing"),
    ],
)
def test_roster_rejected_with_national_style_reasons(sim, make, code):
    data, filename = make()
    response = sim.roster(SCHOOL, data, filename, "roster-bad")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["狀態"] == "rejected" and code in {c for e in body["錯誤訊息"] for c in e["詳細資訊"]["錯誤代碼"]}
    assert sim.state(SCHOOL)["rosters"] == [] and sim.state(SCHOOL)["items"] == []


def test_roster_key_reuse_with_other_content_is_409_and_resubmission_replaces_a_students_records(sim):
    assert sim.evidence(SCHOOL, PDF, "報告.pdf", "ev-1").status_code == 201
    first, filename = outcomes_roster([1, 2], per_student=3)
    assert sim.roster(SCHOOL, first, filename, "r-1").status_code == 201
    corrected, _ = outcomes_roster([2], per_student=1)
    assert sim.roster(SCHOOL, corrected, filename, "r-1").status_code == 409
    replay = sim.roster(SCHOOL, first, filename, "r-1")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert sim.roster(SCHOOL, corrected, filename, "r-2").status_code == 201
    current = sim.admin("GET", "/admin/records", params={"school": SCHOOL}).json()["records"]
    assert sorted(r["student"] for r in current) == [student_id(1)] * 3 + [student_id(2)]
    everything = sim.admin("GET", "/admin/records", params={"school": SCHOOL, "all": "1"}).json()["records"]
    assert len(everything) == 7 and len(sim.state(SCHOOL)["rosters"]) == 2


def test_concurrent_deliveries_of_one_key_store_it_once(sim):
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: sim.evidence(SCHOOL, PDF, "報告.pdf", "same-key"), range(8)))
    assert {r.status_code for r in results} <= {201, 409}
    assert any(r.status_code == 201 for r in results)
    state = sim.state(SCHOOL)
    assert len(state["evidence"]) == 1 and state["items"][0]["deliveries"] == 8


def test_concurrent_deliveries_of_one_roster_wait_for_the_first_and_get_its_acceptance(sim):
    assert sim.evidence(SCHOOL, PDF, "報告.pdf", "ev-1").status_code == 201
    data, filename = outcomes_roster(list(range(1, 41)), per_student=3)
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: sim.roster(SCHOOL, data, filename, "same-roster"), range(6)))
    assert [r.status_code for r in results] == [201] * 6
    assert len({r.json()["roster_id"] for r in results}) == 1
    state = sim.state(SCHOOL)
    assert len(state["rosters"]) == 1 and state["records"]["current"] == 120
    assert [i["deliveries"] for i in state["items"] if i["key"] == "same-roster"] == [6]


# ------------------------------------------------------------------------------------------ faults


def test_latency_is_added(sim):
    sim.faults({"latency_ms": 50})
    response = sim.evidence(SCHOOL, PDF, "報告.pdf", "k")
    assert response.status_code == 201 and response.headers["X-Sim-Latency-Ms"] == "50"
    assert sim.admin("DELETE", "/admin/faults").json() == {"latency_ms": 0, "rules": []}
    assert "X-Sim-Latency-Ms" not in sim.evidence(SCHOOL, PDF, "報告.pdf", "k").headers


def test_rate_limit_for_the_next_two_requests_with_retry_after(sim):
    sim.faults({"rules": [{"mode": "rate_limit", "count": 2, "retry_after": 3}]})
    for _ in range(2):
        limited = sim.evidence(SCHOOL, PDF, "報告.pdf", "k")
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert sim.evidence(SCHOOL, PDF, "報告.pdf", "k").status_code == 201
    assert sim.admin("GET", "/admin/faults").json()["rules"][0]["count"] == 0
    assert [i["deliveries"] for i in sim.state(SCHOOL)["items"]] == [1]


def test_server_errors_at_a_rate(sim):
    sim.faults({"rules": [{"mode": "error", "rate": 1.0, "status": 502, "paths": ["/api/v1/evidence"]}]})
    failed = sim.evidence(SCHOOL, PDF, "報告.pdf", "k")
    assert failed.status_code == 502 and failed.headers["X-Sim-Fault"] == "error"
    assert sim.get(SCHOOL, "/api/v1/rules/113").status_code == 200  # other paths untouched
    sim.faults({"rules": [{"mode": "error", "rate": 0.0}]})
    assert sim.evidence(SCHOOL, PDF, "報告.pdf", "k").status_code == 201


def test_dropped_connection_before_processing_records_nothing(sim):
    sim.faults({"rules": [{"mode": "drop", "when": "before", "count": 1}]})
    with pytest.raises(requests.ConnectionError):
        sim.evidence(SCHOOL, PDF, "報告.pdf", "k")
    assert sim.state(SCHOOL)["evidence"] == []
    assert sim.evidence(SCHOOL, PDF, "報告.pdf", "k").status_code == 201


def test_dropped_connection_after_processing_and_the_retry_is_deduplicated(sim):
    sim.faults({"rules": [{"mode": "drop", "count": 1}]})
    with pytest.raises(requests.ConnectionError):
        sim.evidence(SCHOOL, PDF, "報告.pdf", "k")
    assert len(sim.state(SCHOOL)["evidence"]) == 1
    retry = sim.evidence(SCHOOL, PDF, "報告.pdf", "k")
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    state = sim.state(SCHOOL)
    assert len(state["evidence"]) == 1 and state["items"][0]["deliveries"] == 2


def test_duplicate_delivery_mode_records_then_answers_504(sim):
    assert sim.evidence(SCHOOL, PDF, "報告.pdf", "ev-1").status_code == 201
    sim.faults({"rules": [{"mode": "duplicate", "count": 1, "paths": ["/api/v1/rosters"]}]})
    data, filename = outcomes_roster([1])
    first = sim.roster(SCHOOL, data, filename, "r")
    assert first.status_code == 504 and first.headers["X-Sim-Fault"] == "duplicate"
    again = sim.roster(SCHOOL, data, filename, "r")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert len(sim.state(SCHOOL)["rosters"]) == 1
    assert len(sim.admin("GET", "/admin/records", params={"school": SCHOOL}).json()["records"]) == 1


def test_slow_body_still_delivers_the_whole_receipt(sim):
    assert sim.evidence(SCHOOL, PDF, "報告.pdf", "ev-1").status_code == 201
    data, filename = outcomes_roster([1, 2])
    roster = sim.roster(SCHOOL, data, filename, "r").json()
    sim.faults({"rules": [{"mode": "slow_body", "count": 1, "chunks": 4, "chunk_ms": 20}]})
    zipped = sim.get(SCHOOL, roster["receipt_url"])
    assert zipped.status_code == 200 and zipped.headers["X-Sim-Fault"] == "slow_body"
    assert zipped.headers.get("Transfer-Encoding") == "chunked"
    assert verify_receipt(open_receipt(zipped.content, sim.receipt_password(SCHOOL)), {filename: hashlib.sha256(data).hexdigest()}) == []


@pytest.mark.parametrize(
    "config",
    [
        {"rules": [{"mode": "explode", "count": 1}]},
        {"rules": [{"mode": "error"}]},
        {"latency_ms": -1},
        {"rules": [{"mode": "error", "rate": 2}]},
        [],
    ],
)
def test_bad_fault_config_is_refused(sim, config):
    assert sim.admin("POST", "/admin/faults", json=config).status_code == 400


def test_what_was_accepted_survives_a_restart_and_faults_come_from_env(tmp_path):
    first = SimProcess(tmp_path / "data").start()
    try:
        client = SimClient(first)
        assert client.evidence(SCHOOL, PDF, "報告.pdf", "k").status_code == 201
    finally:
        first.stop()
    second = SimProcess(
        tmp_path / "data", extra_env={"LICHENG_NATIONAL_LATENCY_MS": "5"}, secret=first.secret, admin_token=first.admin_token
    )
    second.start()
    try:
        client = SimClient(second)
        replay = client.evidence(SCHOOL, PDF, "報告.pdf", "k")
        assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
        assert replay.headers["X-Sim-Latency-Ms"] == "5"
    finally:
        second.stop()
