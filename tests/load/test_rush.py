"""The load generator on a small run (a few students, seconds): it loses nothing, and its audit
cannot pass silently — one lost upload and one selection that never reached the national side are
named when injected."""

from __future__ import annotations

import dataclasses

import pytest

from tests.load.audit import Ack, audit
from tests.load.rush import RushConfig, Target, run_rush
from tests.national.simulator import SimClient, SimProcess

SMALL = RushConfig(
    students=4,
    schools=2,
    concurrency=4,
    max_seconds=120,
    files_min=1,
    files_max=2,
    doc_mb_min=0.01,
    doc_mb_max=0.05,
    media_share=0.25,
    media_mb=0.1,
    think_s=0.05,
    national_after=0.5,
    national_timeout_s=90,
)


@pytest.fixture(scope="module")
def rush_target(system, district, tmp_path_factory):
    sim = SimProcess(tmp_path_factory.mktemp("rush-sim") / "data").start()
    # The session's upload worker (tests/conftest.py) sends to another simulator, which does not know the
    # rush's schools: running beside the rush's worker, it took some of the rush's items off the shared
    # queue and dead-lettered them there, and the audit rightly named those selections never accepted.
    with system.paused("upload-worker"):
        system.start_upload_worker("rush-uploader", {"LICHENG_NATIONAL_URL": sim.url, "LICHENG_UPLOAD_PREFETCH": "2"})
        try:
            yield Target(system.base_url, district, SimClient(sim), system.settings())
        finally:
            system.stop_process("rush-uploader")
            sim.stop()


def test_small_rush_loses_nothing_and_its_audit_names_an_injected_loss(rush_target):
    report, rush = run_rush(rush_target, SMALL)
    assert report["error_total"] == 0, report["errors"]
    assert report["students_finished"] == SMALL.students
    assert report["audit"]["lost"] == 0, report["audit"]["findings"]
    checked = report["audit"]["checked"]
    assert checked["uploads"] >= SMALL.students and checked["outcomes"] == SMALL.students and checked["national_items"] >= 1
    assert all(s["done"] or s["total"] == 0 for s in report["national"]["schools"].values()), report["national"]  # 0: none selected yet
    assert {"login", "request_upload", "store_post", "complete", "submit", "select", "bulk_certify"} <= set(report["steps"])

    facts = rush.collect_facts()
    real = rush.ledger.acks[0]
    rush.ledger.acks.append(dataclasses.replace(real, sha256="0" * 64))  # the client sent other bytes than were stored
    rush.ledger.acks.append(Ack(real.school, real.student_id, "f" * 32, "1" * 64, 10))  # acknowledged, never stored
    # a student whose selection existed at the start (the build may also include later ones): never arrived
    school, lost_student = next(
        (s, i["student_id"])
        for s, items in facts.upload_items.items()
        for i in items
        if i.get("student_id") in facts.selected_at_start.get(s, set())
    )
    facts.upload_items[school] = [i for i in facts.upload_items[school] if i["student_id"] != lost_student]
    result = audit(rush.ledger, facts)
    assert result["lost"] == 3
    whys = {(f["what"], f["id"], f["why"]) for f in result["findings"]}
    assert ("upload", real.evidence_id, "stored bytes differ (SHA-256)") in whys
    assert ("upload", "f" * 32, "acknowledged but not stored") in whys
    assert ("selection", lost_student, "selected but never accepted by the national side") in whys
    assert result["verdict"].startswith("3 lost")


def test_audit_counts_a_key_accepted_twice_as_lost():
    from tests.load.audit import Facts, Ledger

    facts = Facts(
        {}, set(), {"S1": [{"id": "i1", "state": "accepted", "student_id": "R1", "key": "k1"}]}, {"S1": {"k1": 2}}, {"S1": {"R1"}}
    )
    result = audit(Ledger(), facts)
    assert result["lost"] == 2 and {f["what"] for f in result["findings"]} == {"national item", "national key"}
